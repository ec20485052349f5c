"""multis2s beside SpeechBrain on the speech corpus of ``configs/asr.yaml``, alternating, in one run.

    python bench/speech_side_by_side.py [--size demo|full] [--threads 1,2] [--rounds 1]
                                        [--out bench/out/speech_side_by_side]

Writes the config's training and test splits as manifests (wav path, duration, normalised words),
then, per round and thread count, trains ``configs/asr.yaml`` with multis2s (``multis2s train``,
its CPU time measured as this script's child), and SpeechBrain's attention recipe of the same size
(``bench/toolkits/speechbrain_asr.py`` in SpeechBrain's venv) with the same updates, batch size,
learning-rate schedule and clipping, stopped early if it reaches multis2s' training CPU time (so
the WERs are at equal CPU time, SpeechBrain's counted from its first update, multis2s' from its
start-up: an allowance in SpeechBrain's favour). Both decode the test split (unseen voices) with
beam 4. Prints one table: training utterances/s, training CPU s, updates reached, test WER, and
the ratios multis2s / SpeechBrain; every measurement goes to ``<out>/measurements.jsonl``.

``--size demo`` is ``make demo``'s size (1,500 utterances, encoder 128, 600 updates); ``full`` is
the config as shipped (6,000 utterances, 1,500 updates). SpeechBrain installs with
``bench/toolkits/setup.sh speechbrain``. Run it alone on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import soundfile

from multis2s.normalise import normalise_text
from multis2s.run import Run

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "configs/asr.yaml"
SPEECHBRAIN = ROOT / "bench/out/toolkits/speechbrain/bin/python"
SIZES = {
    "demo": ["data.dataset.train_size=1500", "data.dataset.dev_size=100", "data.dataset.test_size=300",
             "model.encoder.hidden_dim=128", "train.max_steps=600", "train.validate_every=300",
             "train.validation_examples=100"],
    "full": [],
}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def write_manifests(overrides: list[str], folder: Path) -> None:
    """train.json / test.json (wav, duration, words) and setup.json (the config's optimisation)."""
    run = Run.from_config(CONFIG, overrides, folder / "probe")
    for split in ("train", "test"):
        entries = [{"wav": str(example.source), "duration": soundfile.info(str(example.source)).duration,
                    "words": normalise_text(example.target)} for example in run.examples(split)]
        (folder / f"{split}.json").write_text(json.dumps(entries))
    config = run.config
    search, encoder = config.eval.search, next(iter(config.model.encoders.values())).options
    decoder = config.model.decoder.options
    setup = {"lr": config.train.lr, "warmup_steps": config.train.warmup_steps,
             "clip_grad_norm": config.train.clip_grad_norm, "batch_size": config.data.batch_size,
             "beam": search.options.get("beam", 4) if search.type == "beam" else 1,
             "encoder_hidden": encoder["hidden_dim"], "encoder_layers": encoder["layers"],
             "decoder_hidden": decoder["hidden_dim"], "embedding_dim": decoder["embedding_dim"],
             "attention_dim": decoder["attention"]["dim"], "updates": config.train.max_steps}
    (folder / "setup.json").write_text(json.dumps(setup))


def train_multis2s(overrides: list[str], threads: int, folder: Path) -> dict:
    shutil.rmtree(folder, ignore_errors=True)
    before, started = children_cpu(), time.perf_counter()
    subprocess.run([str(ROOT / ".venv/bin/multis2s"), "train", str(CONFIG), "-o", str(folder), f"threads={threads}",
                    "train.progress=false", *overrides], check=True, stdout=subprocess.DEVNULL)
    cpu, wall = children_cpu() - before, time.perf_counter() - started
    windows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    windows = [w for w in windows if w["split"] == "train"]
    trained = Run.from_folder(folder)
    decode_started = time.perf_counter()
    results = trained.evaluate(trained.examples("test"), split="test")
    return {"toolkit": "multis2s", "threads": threads, "updates": windows[-1]["step"], "train_cpu_s": cpu,
            "train_wall_s": wall,
            "utterances_per_s": sum(w["examples_per_s"] * w["seconds"] for w in windows)
            / sum(w["seconds"] for w in windows),
            "parameters": sum(p.numel() for p in trained.model.parameters()),
            "test_wer": results.metrics["wer"], "decode_s": time.perf_counter() - decode_started}


def train_speechbrain(manifests: Path, threads: int, updates: int, budget: float, folder: Path) -> dict:
    finished = subprocess.run([str(SPEECHBRAIN), str(ROOT / "bench/toolkits/speechbrain_asr.py"), str(manifests),
                               str(folder), f"--threads={threads}", f"--updates={updates}", f"--cpu-budget={budget}"],
                              check=True, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})  # it buckets with multis2s' code
    return json.loads(finished.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="demo")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/out/speech_side_by_side")
    args = parser.parse_args()
    if not SPEECHBRAIN.exists():
        sys.exit(f"SpeechBrain is not installed: run bench/toolkits/setup.sh speechbrain (expected {SPEECHBRAIN})")
    overrides = SIZES[args.size]
    manifests = args.out / args.size
    manifests.mkdir(parents=True, exist_ok=True)
    write_manifests(overrides, manifests)
    setup = json.loads((manifests / "setup.json").read_text())
    measurements = []
    log = (args.out / "measurements.jsonl").open("a")
    for round_index in range(args.rounds):
        for threads in (int(t) for t in args.threads.split(",")):
            ours = train_multis2s(overrides, threads, manifests / f"multis2s-t{threads}-r{round_index}")
            theirs = train_speechbrain(manifests, threads, setup["updates"], ours["train_cpu_s"],
                                       manifests / f"speechbrain-t{threads}-r{round_index}")
            for figures in (ours, theirs):
                figures.update(size=args.size, round=round_index)
                log.write(json.dumps(figures) + "\n")
                log.flush()
                print(json.dumps(figures), flush=True)
            measurements += [ours, theirs]
    print("\n| threads | toolkit | utterances/s | training CPU s | updates | test WER % | parameters |\n"
          "|---|---|---|---|---|---|---|")
    for threads in sorted({m["threads"] for m in measurements}):
        medians = {}
        for toolkit in ("multis2s", "speechbrain"):
            rows = [m for m in measurements if m["threads"] == threads and m["toolkit"] == toolkit]
            medians[toolkit] = {key: statistics.median(r[key] for r in rows)
                                for key in ("utterances_per_s", "train_cpu_s", "updates", "test_wer", "parameters")}
            row = medians[toolkit]
            print(f"| {threads} | {toolkit} | {row['utterances_per_s']:.1f} | {row['train_cpu_s']:.0f} | "
                  f"{row['updates']:.0f} | {row['test_wer']:.2f} | {row['parameters']:,.0f} |")
        print(f"| {threads} | ratio multis2s / SpeechBrain | "
              f"{medians['multis2s']['utterances_per_s'] / medians['speechbrain']['utterances_per_s']:.2f}× | | | | |")


if __name__ == "__main__":
    main()
