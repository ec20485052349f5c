"""Padding and data waiting during training, from the figures every training window logs.

    python bench/data_pipeline.py [--updates 200] [--workers 0,2] [--out bench/out/data_pipeline]
                                  [CONFIG=OVERRIDES ...]

Trains each config for ``--updates`` updates (logging every 20) with each ``data.num_workers``
and prints, over the windows after the first, the share of padding among source positions and
target tokens (after length bucketing) and the share of step time spent waiting for the next batch
(``data_wait`` in ``metrics.jsonl``). Defaults: ``configs/asr.yaml`` and ``configs/lipreading.yaml``
at the demo's corpus size.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
from pathlib import Path

from multis2s.run import Run

DEFAULTS = {
    "configs/asr.yaml": ["data.dataset.train_size=1500", "data.dataset.dev_size=100", "data.dataset.test_size=300",
                         "model.encoder.hidden_dim=128"],
    "configs/lipreading.yaml": [],
}


def measure(config: Path, overrides: list[str], workers: int, updates: int, out: Path) -> dict:
    run_dir = out / f"{config.stem}-w{workers}"
    settings = [*overrides, f"data.num_workers={workers}", f"train.max_steps={updates}", "train.log_every=20",
                f"train.validate_every={updates}", "train.validation_examples=20", "train.progress=false"]
    shutil.rmtree(run_dir, ignore_errors=True)
    Run.from_config(config, settings, run_dir=run_dir).train()
    records = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    windows = [r for r in records if r["split"] == "train"][1:]
    return {name: statistics.median(r[name] for r in windows)
            for name in ("data_wait", "source_padding", "target_padding", "examples_per_s")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=200)
    parser.add_argument("--workers", default="0,2")
    parser.add_argument("--out", type=Path, default=Path("bench/out/data_pipeline"))
    parser.add_argument("configs", nargs="*", help="CONFIG or CONFIG=override,override")
    args = parser.parse_args()
    jobs = {}
    for item in args.configs:
        path, _, overrides = item.partition("=")
        jobs[path] = [o for o in overrides.split(",") if o]
    print("| config | workers | source padding | target padding | data waiting | utterances/s |")
    print("|---|---|---|---|---|---|")
    for path, overrides in (jobs or DEFAULTS).items():
        for workers in (int(w) for w in args.workers.split(",")):
            figures = measure(Path(path), overrides, workers, args.updates, args.out)
            print(f"| {path} | {workers} | {100 * figures['source_padding']:.1f} % | "
                  f"{100 * figures['target_padding']:.1f} % | {100 * figures['data_wait']:.1f} % | "
                  f"{figures['examples_per_s']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
