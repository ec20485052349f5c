"""Exported vs PyTorch greedy decoding on the CPU: identical outputs, and sentences per second.

    python bench/export_speed.py runs/export_asr [--examples 200] [--threads 1] [--split test]

Exports the run as TorchScript and as ONNX into a temporary folder, reads the split's first N
examples once (preprocessing is not timed) and decodes them in ``eval.batch_size`` batches
(similar lengths together, as evaluation does) with the PyTorch model's greedy search, the
TorchScript graphs and the ONNX graphs in onnxruntime, on ``--threads`` threads. Each decoder
first decodes one batch untimed (TorchScript optimises on its first calls), then all of them
timed. Prints a Markdown table and the load average (timings on a shared machine are noisy).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch

from multis2s.export.equivalence import batches_of, decode_exported, decode_pytorch
from multis2s.export.exporter import FORMATS, export_run
from multis2s.export.runner import ExportedModel
from multis2s.run import Run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--examples", type=int, default=200, help="how many examples of the split (default 200)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads of every decoder (default 1)")
    parser.add_argument("--trust-plugins", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    run = Run.from_folder(args.run_dir, trust_plugins=args.trust_plugins)
    torch.set_num_threads(args.threads)
    examples = run.examples(args.split)[: args.examples]
    batches = batches_of(run, examples, run.config.eval.batch_size)
    with tempfile.TemporaryDirectory() as folder:
        models = {}
        for format in FORMATS:
            export_run(run, format=format, out=Path(folder) / format)
            models[format] = ExportedModel.load(Path(folder) / format, threads=args.threads)
        decode_pytorch(run, batches[:1])
        reference, reference_seconds = decode_pytorch(run, batches)
        print(f"{args.run_dir}: {len(examples)} {args.split} examples in {len(batches)} batches of up to "
              f"{run.config.eval.batch_size}, {args.threads} thread(s), greedy\n")
        print("| decoder | identical outputs | largest score difference | seconds | sentences/s | vs PyTorch |")
        print("|---|---|---|---|---|---|")
        print(f"| PyTorch (eager) | — | — | {reference_seconds:.2f} | {len(examples) / reference_seconds:.1f} | 1.00 |")
        for format, model in models.items():
            decode_exported(model, batches[:1])
            outputs, seconds = decode_exported(model, batches)
            same = [i for i in reference if reference[i].tokens == outputs[i].tokens]
            difference = max((abs(reference[i].score - outputs[i].score) for i in same), default=float("nan"))
            print(f"| {format} | {len(same)} / {len(reference)} | {difference:.1e} | {seconds:.2f} | "
                  f"{len(examples) / seconds:.1f} | {reference_seconds / seconds:.2f} |")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nload average {load}; whole bench {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
