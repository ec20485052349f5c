"""The copy mechanism on a copy-style task: held-out names and numbers, copy on against copy off.

    python -m bench.copy_names [--train 2000] [--test 500] [--steps 600] [--decoders rnn transformer]
        [--out bench/out/copy]

(run from the repository root: the task generator, ``tests/core/copy_task.py``, is shared with
the tests). Requests such as "call NAME at NUMBER" → "calling NAME at NUMBER", every name and
number used once, the test split's never seen in training; both vocabularies have ``min_freq: 2``,
so no name or number is in either. Trains each decoder with ``model.copy`` on and off (same config
and budget, one thread) and prints one Markdown table: exact match and the share of the
references' names and numbers found in the output, greedy and beam 4, and the training CPU seconds.
"""

from __future__ import annotations

import argparse
import resource
import shutil
from pathlib import Path

import yaml

from multis2s.run import Run
from tests.core.copy_task import config, write_task


def cpu_seconds() -> float:
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def kept(decoded, seen: set[str]) -> float:
    """Percent of the references' words never seen in training targets (the names and numbers) in the outputs."""
    total = found = 0
    for item in decoded:
        words = [w for w in item.example.target.split() if w not in seen]
        output = set(item.text.split())
        total += len(words)
        found += sum(w in output for w in words)
    return 100.0 * found / max(1, total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=int, default=2000)
    parser.add_argument("--test", type=int, default=500)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--decoders", nargs="+", default=["rnn", "transformer"])
    parser.add_argument("--out", type=Path, default=Path("bench/out/copy"))
    args = parser.parse_args()
    paths = write_task(args.out / "data", train=args.train, test=args.test)
    seen = {w for line in Path(paths["train"]).read_text().splitlines() for w in line.split("\t")[1].split()}
    rows = ["| decoder | model.copy | exact match, greedy | names & numbers kept, greedy | exact match, beam 4 "
            "| names & numbers kept, beam 4 | training CPU s |", "|---|---|---|---|---|---|---|"]
    for decoder in args.decoders:
        for copy in (True, False):
            name = f"{decoder}_{'on' if copy else 'off'}"
            path = args.out / f"{name}.yaml"
            path.write_text(yaml.safe_dump(config(paths, copy=copy, steps=args.steps, decoder=decoder)))
            shutil.rmtree(args.out / name, ignore_errors=True)  # this bench's own run folder, retrained
            run = Run.from_config(path, run_dir=args.out / name)
            start = cpu_seconds()
            run.train()
            seconds = cpu_seconds() - start
            test = run.examples("test")
            cells = []
            for beam in (1, 4):
                results = run.evaluate(test, split="test", search=run.search(beam=beam))
                cells += [f"{results.metrics['exact_match']:.1f}", f"{kept(results.decoded, seen):.1f}"]
            rows.append(f"| {decoder} | {'on' if copy else 'off'} | {' | '.join(cells)} | {seconds:.0f} |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
