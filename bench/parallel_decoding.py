"""Decoding one batch at a time on all threads, or several batches at once (``eval.parallel_batches``).

    python bench/parallel_decoding.py [--run RUN] [--rounds 3] [--beams 1,5]

Decodes the anchor task's 5000 training sources (batches of 64, the model already loaded) with a
run of ``bench/anchor_reverse.py`` (trained first, on 1 thread, when ``--run`` does not exist), in
turn on 1 thread, on 2 threads one batch at a time (``parallel_batches: 1``) and on 2 threads one
batch per thread (the default), for each beam size, alternating over rounds. Prints sentences/s
(median of the rounds, and every round) and whether each setting's outputs equal those of 1 thread.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from multis2s.run import Run

BENCH = Path(__file__).resolve().parent
SETTINGS = (("1 thread", 1, None), ("2 threads, one batch at a time", 2, 1),
            ("2 threads, one batch per thread", 2, None))  # name, threads, eval.parallel_batches


def decode(run: Run, sources: list[str], *, threads: int, parallel: int | None, beam: int
           ) -> tuple[float, list[str]]:
    """Sentences/s and the outputs of decoding ``sources`` with these settings."""
    torch.set_num_threads(threads)
    run.config = dataclasses.replace(run.config, eval=dataclasses.replace(run.config.eval, parallel_batches=parallel))
    start = time.perf_counter()
    decoded = run.predict(sources, search=run.search(beam=beam))
    return len(sources) / (time.perf_counter() - start), [d.text for d in decoded]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=BENCH / "out/anchor/run-stepped-t1-s42")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--beams", default="1,5")
    args = parser.parse_args()
    if not args.run.exists():
        subprocess.run([sys.executable, str(BENCH / "anchor_reverse.py"), "--threads", "1",
                        "--out", str(args.run.parent)], check=True)
    run = Run.from_folder(args.run, "last")
    sources = (args.run.parent / "data/decode5k.src").read_text().splitlines()
    rates: dict[tuple[str, int], list[float]] = {}
    same: dict[tuple[str, int], bool] = {}
    for _ in range(args.rounds):
        for beam in (int(b) for b in args.beams.split(",")):
            reference = None
            for name, threads, parallel in SETTINGS:
                rate, outputs = decode(run, sources, threads=threads, parallel=parallel, beam=beam)
                reference = reference or outputs
                rates.setdefault((name, beam), []).append(rate)
                same[(name, beam)] = same.get((name, beam), True) and outputs == reference
                print(f"beam {beam}, {name}: {rate:,.0f} sentences/s", flush=True)
    print(f"\n| setting | beam | sentences/s, median of {args.rounds} | rounds | ratio to 1 thread | "
          "outputs equal 1 thread's |")
    print("|---|---|---|---|---|---|")
    for (name, beam), values in rates.items():
        alone = statistics.median(rates[(SETTINGS[0][0], beam)])
        print(f"| {name} | {beam} | {statistics.median(values):,.0f} | {', '.join(f'{v:,.0f}' for v in values)} | "
              f"{statistics.median(values) / alone:.2f}× | {'yes' if same[(name, beam)] else 'no'} |")


if __name__ == "__main__":
    main()
