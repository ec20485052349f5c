"""Sequence accuracy against source length for trained runs, as a Markdown table and a PNG plot.

    python bench/accuracy_by_length.py --out bench/out/reverse_by_length.png \
        attention=runs/reverse_attention none=runs/reverse_none

Decodes each run's test split (greedy) and groups exact matches by source length in tokens.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from multis2s.evaluation import decode
from multis2s.plots import plot_accuracy_by_length
from multis2s.runs import dataset_of, load_run


def accuracy_by_length(run_dir: Path, bucket: int) -> tuple[dict[int, float], float]:
    """{bucket start: accuracy %} and the overall accuracy % on the test split."""
    run = load_run(run_dir)
    parts = run.parts
    examples = dataset_of(run).split("test")
    decoded = decode(parts.model, parts.pipeline, parts.target, examples, settings=parts.config.eval,
                     device=run.device, beam=1, progress=True)
    hits, totals = defaultdict(int), defaultdict(int)
    for item in decoded:
        key = (parts.pipeline.length(item.example) // bucket) * bucket
        totals[key] += 1
        hits[key] += item.text.split() == item.example.target.split()
    overall = 100.0 * sum(hits.values()) / len(decoded)
    return {k: 100.0 * hits[k] / totals[k] for k in sorted(totals)}, overall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", metavar="NAME=RUN_DIR")
    parser.add_argument("--out", type=Path, required=True, help="PNG plot to write")
    parser.add_argument("--bucket", type=int, default=5, help="length bucket width (default 5)")
    args = parser.parse_args()
    rows, overall = {}, {}
    for spec in args.runs:
        name, run_dir = spec.split("=", 1)
        rows[name], overall[name] = accuracy_by_length(Path(run_dir), args.bucket)
    lengths = sorted({k for r in rows.values() for k in r})
    names = list(rows)
    print("| source length | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for length in lengths:
        cells = [f"{rows[n].get(length, float('nan')):.1f}" for n in names]
        print(f"| {length}–{length + args.bucket - 1} | " + " | ".join(cells) + " |")
    print("| **all** | " + " | ".join(f"**{overall[n]:.1f}**" for n in names) + " |")
    plot_accuracy_by_length(rows, args.out, "Sequence accuracy by source length")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
