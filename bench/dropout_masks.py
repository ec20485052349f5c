"""PyTorch's CPU dropout against multis2s' hashed-mask dropout (multis2s.model.dropout), forward and backward.

    python bench/dropout_masks.py [--threads 1 2] [--rounds 5] [--calls 100]

For each thread count and activation shape (the anchor model's embeddings and memory, a speech
encoder's frames), the two alternate over ``--rounds`` rounds of ``--calls`` calls of dropout
0.1 on a leaf that wants gradients, each call followed by its backward pass. Prints the median
microseconds per call and the ratio PyTorch / hashed. Run it alone on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from multis2s.model import native
from multis2s.model.dropout import dropout

SHAPES = {"anchor embeddings (64, 20, 64)": (64, 20, 64), "anchor memory (64, 20, 256)": (64, 20, 256),
          "speech frames (32, 65, 640)": (32, 65, 640)}


def per_call(function, x: torch.Tensor, upstream: torch.Tensor, calls: int) -> float:
    """Microseconds per forward and backward call of function(x, 0.1, True)."""
    for _ in range(3):
        function(x, 0.1, True).backward(upstream)
    start = time.perf_counter()
    for _ in range(calls):
        function(x, 0.1, True).backward(upstream)
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()
    if native.compiled("hashed_dropout") is None:
        print("the compiled dropout kernel is not available: this times its Python version")
    print("| threads | activation | PyTorch dropout, µs | hashed, µs | ratio |\n|---|---|---|---|---|")
    for threads in args.threads:
        torch.set_num_threads(threads)
        for name, shape in SHAPES.items():
            x = torch.randn(*shape, requires_grad=True)
            upstream = torch.randn(*shape)
            times = {"torch": [], "hashed": []}
            for _ in range(args.rounds):
                times["torch"].append(per_call(F.dropout, x, upstream, args.calls))
                times["hashed"].append(per_call(dropout, x, upstream, args.calls))
            theirs, ours = statistics.median(times["torch"]), statistics.median(times["hashed"])
            print(f"| {threads} | {name} | {theirs:.0f} | {ours:.0f} | {theirs / ours:.1f}× |", flush=True)


if __name__ == "__main__":
    main()
