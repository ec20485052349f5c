"""Decoding one batch at a time on all threads, or several batches at once (``eval.parallel_batches``).

    python bench/parallel_decoding.py [--run RUN] [--rounds 3] [--beams 1,5]
    python bench/parallel_decoding.py --run RUN --split test [--limit 300] [--rounds 2]

Decodes in turn on 1 thread, on 2 threads one batch at a time (``parallel_batches: 1``) and on 2
threads one batch per thread (the default), alternating over rounds, the model already loaded.
Without ``--split``: the anchor task's 5000 training sources (batches of 64) with a run of
``bench/anchor_reverse.py`` (trained first, on 1 thread, when ``--run`` does not exist), for each
of ``--beams``. With ``--split``: the run's own examples of that split (the first ``--limit``)
with the run's own search (e.g. a speech run's beam). Prints items/s (median of the rounds, and
every round) and whether each setting decodes what 1 thread decodes (the outputs; with
``--split``, the metrics).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import torch

from multis2s.run import Run

BENCH = Path(__file__).resolve().parent
SETTINGS = (("1 thread", 1, None), ("2 threads, one batch at a time", 2, 1),
            ("2 threads, one batch per thread", 2, None))  # name, threads, eval.parallel_batches


def timed(run: Run, decode: Callable[[], tuple[int, object]], *, threads: int, parallel: int | None
          ) -> tuple[float, object]:
    """Items/s and what ``decode`` returns (item count, what must not change) under these settings."""
    torch.set_num_threads(threads)
    run.config = dataclasses.replace(run.config, eval=dataclasses.replace(run.config.eval, parallel_batches=parallel))
    start = time.perf_counter()
    count, outcome = decode()
    return count / (time.perf_counter() - start), outcome


def cases(run: Run, args: argparse.Namespace) -> dict[str, Callable[[], tuple[int, object]]]:
    """What is timed, by name: decoding the anchor's sources per beam size, or the run's split."""
    if args.split:
        examples = run.examples(args.split)[: args.limit]
        return {f"{args.split} split, the run's search": lambda: (
            len(examples), run.evaluate(examples, split=args.split).metrics)}
    sources = (args.run.parent / "data/decode5k.src").read_text().splitlines()
    return {f"beam {beam}": lambda beam=beam: (
        len(sources), [d.text for d in run.predict(sources, search=run.search(beam=beam))])
        for beam in (int(b) for b in args.beams.split(","))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=BENCH / "out/anchor/run-stepped-t1-s42")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--beams", default="1,5", help="without --split: beam sizes decoded")
    parser.add_argument("--split", help="decode the run's own examples of this split instead of the anchor's")
    parser.add_argument("--limit", type=int, default=300, help="with --split: its first N examples")
    args = parser.parse_args()
    if not args.run.exists():
        if args.split:
            sys.exit(f"{args.run}: no such run")
        subprocess.run([sys.executable, str(BENCH / "anchor_reverse.py"), "--threads", "1",
                        "--out", str(args.run.parent)], check=True)
    run = Run.from_folder(args.run, "best" if args.split else "last")
    timed_cases = cases(run, args)
    rates: dict[tuple[str, str], list[float]] = {}
    same: dict[tuple[str, str], bool] = {}
    for _ in range(args.rounds):
        for case, decode in timed_cases.items():
            reference = None
            for name, threads, parallel in SETTINGS:
                rate, outcome = timed(run, decode, threads=threads, parallel=parallel)
                reference = outcome if reference is None else reference
                rates.setdefault((case, name), []).append(rate)
                same[(case, name)] = same.get((case, name), True) and outcome == reference
                print(f"{case}, {name}: {rate:,.1f} items/s", flush=True)
    print(f"\n| case | setting | items/s, median of {args.rounds} | rounds | ratio to 1 thread | "
          "decodes what 1 thread decodes |")
    print("|---|---|---|---|---|---|")
    for (case, name), values in rates.items():
        alone = statistics.median(rates[(case, SETTINGS[0][0])])
        print(f"| {case} | {name} | {statistics.median(values):,.1f} | {', '.join(f'{v:,.1f}' for v in values)} | "
              f"{statistics.median(values) / alone:.2f}× | {'yes' if same[(case, name)] else 'no'} |")


if __name__ == "__main__":
    main()
