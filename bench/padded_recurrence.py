"""An encoder BiLSTM over a packed sequence against the same module over the padded batch.

    python bench/padded_recurrence.py [--threads 1,2] [--rounds 20]

Times forward + backward of a bidirectional LSTM on a batch whose rows have different lengths,
packed (``pack_padded_sequence``, what the encoders did before) and padded
(:func:`multis2s.model.padded_recurrence.run_padded`), alternating, and prints the medians. Two
shapes: the anchor model's text encoder (64 rows of 17–20 tokens, embeddings 64, 128 per
direction) and ``configs/asr.yaml``'s recurrent part at the demo's size (32 rows of 40–75
subsampled frames of 640 features, 2 layers of 128 per direction).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from multis2s.model.padded_recurrence import run_padded

SHAPES = {"anchor text encoder": dict(rows=64, lengths=(17, 20), inputs=64, hidden=128, layers=1),
          "asr.yaml demo encoder": dict(rows=32, lengths=(40, 75), inputs=640, hidden=128, layers=2)}


def packed(rnn: nn.LSTM, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    outputs, _ = rnn(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    return pad_packed_sequence(outputs, batch_first=True, total_length=x.size(1))[0]


def padded(rnn: nn.LSTM, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    return run_padded(rnn, x, lengths)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print("| shape | threads | packed, ms | padded, ms | packed / padded |")
    print("|---|---|---|---|---|")
    for name, shape in SHAPES.items():
        torch.manual_seed(0)
        rnn = nn.LSTM(shape["inputs"], shape["hidden"], num_layers=shape["layers"], batch_first=True,
                      bidirectional=True)
        low, high = shape["lengths"]
        lengths = torch.randint(low, high + 1, (shape["rows"],))
        x = torch.randn(shape["rows"], high, shape["inputs"], requires_grad=True)
        for threads in (int(t) for t in args.threads.split(",")):
            torch.set_num_threads(threads)
            times = {"packed": [], "padded": []}
            for _ in range(args.rounds + 3):
                for way, run in (("packed", packed), ("padded", padded)):
                    start = time.perf_counter()
                    run(rnn, x, lengths).sum().backward()
                    times[way].append(time.perf_counter() - start)
            packed_ms, padded_ms = (1000 * statistics.median(times[w][3:]) for w in ("packed", "padded"))
            print(f"| {name} | {threads} | {packed_ms:.1f} | {padded_ms:.1f} | {packed_ms / padded_ms:.2f}× |",
                  flush=True)


if __name__ == "__main__":
    main()
