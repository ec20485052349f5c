"""Training updates per CPU-second in float32 and under CPU bf16 autocast (``train.cpu_bf16``).

    python bench/cpu_bf16.py [CONFIG] [--updates 100] [--rounds 3] [--threads 1] [OVERRIDE ...]

Trains CONFIG (default ``configs/asr_robust.yaml``) for ``--updates`` updates from the same seed
in float32 and with ``train.cpu_bf16=true``, alternating, ``--rounds`` times, and prints per round
and as medians: seconds per update over the logged training windows after the first (which holds
the warm-up), the process CPU seconds of the whole training, and the last window's training loss.
Needs a CPU with AVX512-BF16 or AMX. Time it with nothing else running on the machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from multis2s.device import cpu_has_native_bf16
from multis2s.run import Run

LOG_EVERY = 20


def train_once(config: Path, overrides: list[str], *, bf16: bool, updates: int, threads: int,
               folder: Path) -> dict[str, float]:
    """Train ``updates`` updates into ``folder``; seconds per update after the first window, CPU seconds, last loss."""
    run = Run.from_config(config, [*overrides, f"threads={threads}", f"train.max_steps={updates}",
                                   f"train.log_every={LOG_EVERY}", f"train.validate_every={updates}",
                                   "train.validation_examples=1", "train.progress=false", "train.tensorboard=false",
                                   "train.save_every_minutes=null", f"train.cpu_bf16={str(bf16).lower()}"],
                          run_dir=folder)
    start = time.process_time()
    run.train(force=True)
    cpu = time.process_time() - start
    windows = [record for record in map(json.loads, (folder / "metrics.jsonl").read_text().splitlines())
               if record["split"] == "train"]
    timed = windows[1:]
    seconds = sum(w["seconds"] for w in timed) / (LOG_EVERY * len(timed))
    return {"s_per_update": seconds, "cpu_s": cpu, "loss": windows[-1]["loss"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", type=Path, nargs="?", default=Path("configs/asr_robust.yaml"))
    parser.add_argument("overrides", nargs="*", help="config overrides, as for multis2s train")
    parser.add_argument("--updates", type=int, default=100, help="updates per training (default 100)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads (default 1)")
    args = parser.parse_args()
    if args.updates < 2 * LOG_EVERY:
        parser.error(f"--updates must be at least {2 * LOG_EVERY}: the first logged window is left out")
    if not cpu_has_native_bf16():
        parser.error("this CPU has neither AVX512-BF16 nor AMX: train.cpu_bf16 does not apply")
    torch.set_num_threads(args.threads)
    results: dict[str, list[dict[str, float]]] = {"float32": [], "bf16": []}
    with tempfile.TemporaryDirectory() as scratch:
        for round_index in range(args.rounds):
            for name in results:
                folder = Path(scratch) / f"{name}-{round_index}"
                result = train_once(args.config, args.overrides, bf16=name == "bf16", updates=args.updates,
                                    threads=args.threads, folder=folder)
                results[name].append(result)
                print(f"round {round_index + 1} {name:>7}: {result['s_per_update']:.3f} s/update, "
                      f"{result['cpu_s']:.1f} CPU-s, last training loss {result['loss']:.3f}", flush=True)
    medians = {name: {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
               for name, rounds in results.items()}
    print(f"\n{args.config}, {args.updates} updates, {args.threads} thread(s), medians of {args.rounds} rounds:")
    print("| | float32 | bf16 autocast | float32 / bf16 |")
    print("|---|---|---|---|")
    for key, label in (("s_per_update", "s per update (logged windows)"), ("cpu_s", "CPU s, whole training")):
        a, b = medians["float32"][key], medians["bf16"][key]
        print(f"| {label} | {a:.3f} | {b:.3f} | {a / b:.2f}x |")
    print(f"| last training loss | {medians['float32']['loss']:.3f} | {medians['bf16']['loss']:.3f} | |")


if __name__ == "__main__":
    main()
