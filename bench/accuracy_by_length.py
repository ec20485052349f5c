"""Sequence accuracy against source length for trained runs, as a Markdown table and a PNG plot.

    python bench/accuracy_by_length.py --out bench/out/reverse_by_length.png \
        attention=runs/reverse_attention none=runs/reverse_none:last

Decodes each run's test split (greedy) with its best checkpoint (``:last`` for the last one) and
groups exact matches by source length in tokens.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from multis2s.plots import plot_accuracy_by_length
from multis2s.run import Run


def accuracy_by_length(run_dir: Path, checkpoint: str, bucket: int) -> tuple[dict[int, float], dict[int, float], float]:
    """{bucket start: sequence accuracy %}, {bucket start: token accuracy %}, overall sequence accuracy %.

    Token accuracy: the share of reference positions whose token the output has at that position.
    """
    run = Run.from_folder(run_dir, checkpoint)
    decoded = run.evaluate(run.examples("test"), split="test", search=run.search(beam=1), progress=True).decoded
    hits, totals, token_hits, token_totals = defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(int)
    for item in decoded:
        key = (run.streams.length(item.example) // bucket) * bucket
        output, reference = item.text.split(), item.example.target.split()
        totals[key] += 1
        hits[key] += output == reference
        token_hits[key] += sum(o == r for o, r in zip(output, reference))
        token_totals[key] += len(reference)
    overall = 100.0 * sum(hits.values()) / len(decoded)
    keys = sorted(totals)
    return ({k: 100.0 * hits[k] / totals[k] for k in keys},
            {k: 100.0 * token_hits[k] / token_totals[k] for k in keys}, overall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", metavar="NAME=RUN_DIR[:last]")
    parser.add_argument("--out", type=Path, required=True, help="PNG plot to write")
    parser.add_argument("--bucket", type=int, default=5, help="length bucket width (default 5)")
    args = parser.parse_args()
    rows, overall = {}, {}
    for spec in args.runs:
        name, run_dir = spec.split("=", 1)
        run_dir, _, checkpoint = run_dir.partition(":")
        sequence, token, overall[name] = accuracy_by_length(Path(run_dir), checkpoint or "best", args.bucket)
        rows[f"{name}: sequence"], rows[f"{name}: token"] = sequence, token
    lengths = sorted({k for r in rows.values() for k in r})
    names = list(rows)
    print("| source length | " + " | ".join(f"{n} accuracy %" for n in names) + " |")
    print("|---|" + "---|" * len(names))
    for length in lengths:
        cells = [f"{rows[n].get(length, float('nan')):.1f}" for n in names]
        print(f"| {length}–{length + args.bucket - 1} | " + " | ".join(cells) + " |")
    print("| **all (sequence)** | " + " | ".join(f"**{overall[n.split(':')[0]]:.1f}**" if n.endswith("sequence")
                                               else "" for n in names) + " |")
    plot_accuracy_by_length(rows, args.out, "Accuracy by source length (test split)")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
