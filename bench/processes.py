"""Training throughput on one process and on several (``torchrun``), on the anchor task.

    python bench/processes.py [--updates 200] [--rounds 2] [--out bench/out/processes]

Runs, alternating per round: one process on 1 thread, one process on 2 threads, and two
``torchrun`` processes on 1 thread each (gloo), all with the same config (the global batch of 64
sentences is split between the processes). Prints a Markdown table of median training target
tokens/s (all processes together, from the first logged window to the last) and the ratio to one
process on 1 thread; every measurement goes to ``measurements.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from anchor_reverse import config, ensure_data, training_rate  # noqa: E402

VARIANTS = {
    "1 process × 1 thread": (1, 1),
    "1 process × 2 threads": (1, 2),
    "2 processes × 1 thread": (2, 1),
}


def command(processes: int, threads: int, config_file: Path, run_dir: Path) -> list[str]:
    start = [sys.executable, "-m", "multis2s"] if processes == 1 else [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(processes),
        "-m", "multis2s"]
    return [*start, "train", str(config_file), "-o", str(run_dir), f"threads={threads}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/out/processes"))
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    data = ensure_data(out / "data")
    config_file = out / "config.yaml"
    settings = config(data, threads=1, updates=args.updates, seed=42)
    settings["train"]["validation_examples"] = 20
    config_file.write_text(yaml.safe_dump(settings))
    rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with open(out / "measurements.jsonl", "a") as log:
        for round_number in range(args.rounds):
            for name, (processes, threads) in VARIANTS.items():
                run_dir = out / "runs" / f"{processes}x{threads}-{round_number}"
                subprocess.run(["rm", "-rf", str(run_dir)], check=True)
                started = time.perf_counter()
                subprocess.run(command(processes, threads, config_file, run_dir), check=True,
                               stdout=subprocess.DEVNULL)
                records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
                rate = training_rate(records)
                rates[name].append(rate)
                record = {"variant": name, "round": round_number, "tokens_per_s": rate,
                          "wall_s": time.perf_counter() - started, "updates": args.updates}
                log.write(json.dumps(record) + "\n")
                print(json.dumps(record), file=sys.stderr)
    base = statistics.median(rates["1 process × 1 thread"])
    print(f"| median of {args.rounds} rounds, {args.updates} updates | training target tokens/s | "
          "ratio to 1 process × 1 thread |\n|---|---|---|")
    for name, values in rates.items():
        median = statistics.median(values)
        print(f"| {name} | {median:,.0f} | {median / base:.2f}× |")


if __name__ == "__main__":
    main()
