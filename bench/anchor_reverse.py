"""multis2s on the reference toolkits' anchor task (../shared/anchors/nmt), measured as they are.

    python bench/anchor_reverse.py [--threads 2] [--updates 790] [--seed 42] [--out bench/out/anchor]

Task: 5000/500/500 random digit strings of length 5–20 → reversed, written by the anchors' own
gen_data.py. Model as the anchors: embeddings 64, 1-layer BiLSTM encoder (128 per direction),
1-layer LSTM decoder 256, additive (Bahdanau) attention, input feeding, dropout 0.1, Adam 1e-3,
clip 1.0, batches of 64 sentences, 790 updates (10 epochs). ``--decoder-loop whole`` turns input
feeding off, so the decoder runs all target steps in one RNN call (the fast path).

Prints one JSON object: training target tokens/s (EOS included, as the toolkits count; from the
first logged window to the last, as OpenNMT-py reports), decode sentences/s over 5000 training
sources at beam 1 and 5 (batches of 64, the model already loaded), and test exact match.
``bench/side_by_side.py`` runs this beside the other toolkits.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import torch
import yaml

from multis2s.data.example import Example
from multis2s.run import Run

ANCHORS = Path(__file__).resolve().parents[2] / "shared/anchors/nmt"


def config(data: Path, *, threads: int, updates: int, seed: int, input_feeding: bool = True,
           compile_steps: bool = False, device: str = "cpu") -> dict:
    """The anchors' model and training, as a multis2s config over the anchors' data in ``data``."""
    return {
        "seed": seed, "device": device, "threads": threads,
        "data": {"dataset": {"type": "parallel", "train": str(data / "train"), "dev": str(data / "dev"),
                             "test": str(data / "test"), "format": "lines", "target_suffix": ".trg"},
                 "batch_size": 64},
        "model": {
            "encoder": {"type": "rnn", "cell": "lstm", "embedding_dim": 64, "hidden_dim": 128, "dropout": 0.1},
            "decoder": {"type": "rnn", "cell": "lstm", "embedding_dim": 64, "hidden_dim": 256,
                        "attention": {"type": "additive", "dim": 256}, "input_feeding": input_feeding,
                        "dropout": 0.1},
        },
        "train": {"optimizer": "adam", "lr": 0.001, "clip_grad_norm": 1.0, "max_steps": updates,
                  "max_epochs": 1000, "validate_every": updates, "validation_examples": 100, "log_every": 20,
                  "progress": False, "compile": compile_steps},
        "eval": {"metrics": ["exact_match"], "batch_size": 64, "max_length_ratio": 1.0, "max_length_offset": 5},
    }


def ensure_data(data: Path) -> Path:
    """The anchors' data in ``data`` (written by their gen_data.py), plus decode5k.src: 5000 training sources."""
    if not (data / "decode5k.src").exists():
        subprocess.run([sys.executable, str(ANCHORS / "gen_data.py"), str(data)], check=True)
        lines = (data / "train.src").read_text().splitlines()[:5000]
        (data / "decode5k.src").write_text("\n".join(lines) + "\n")
    return data


def training_rate(records: list[dict]) -> float:
    """Target tokens/s from the end of the first logged window to the last (the first holds warm-up)."""
    windows = [r for r in records if r["split"] == "train"][1:]
    return sum(r["tokens"] for r in windows) / sum(r["seconds"] for r in windows)


def decode_rate(run: Run, examples: list[Example], beam: int) -> tuple[float, float]:
    """Sentences per second decoding ``examples`` (batches of 64), and their exact match %."""
    start = time.perf_counter()
    results = run.evaluate(examples, split="timed", search=run.search(beam=beam))
    return len(examples) / (time.perf_counter() - start), results.metrics["exact_match"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--updates", type=int, default=790)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--decoder-loop", choices=["stepped", "whole"], default="stepped",
                        help="stepped: input feeding (like for like); whole: no input feeding, one RNN call")
    parser.add_argument("--compile", action="store_true", help="train with train.compile: true")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--out", type=Path, default=Path("bench/out/anchor"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = ensure_data(args.out.resolve() / "data")  # absolute: the config's paths are read from its folder
    run_dir = args.out / f"run-{args.decoder_loop}-t{args.threads}-s{args.seed}{'-compiled' if args.compile else ''}"
    shutil.rmtree(run_dir, ignore_errors=True)
    config_path = args.out / f"{run_dir.name}.yaml"
    config_path.write_text(yaml.safe_dump(config(data, threads=args.threads, updates=args.updates, seed=args.seed,
                                                 input_feeding=args.decoder_loop == "stepped",
                                                 compile_steps=args.compile, device=args.device)))
    assert Run.from_config(config_path, run_dir=run_dir).train()
    records = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    run = Run.from_folder(run_dir, "last")
    sources = (data / "decode5k.src").read_text().splitlines()
    decode_set = [Example(s, s) for s in sources]
    test = run.examples("test")
    print(json.dumps({
        "train_tokens_per_s": training_rate(records),
        "greedy_sent_per_s": decode_rate(run, decode_set, 1)[0],
        "beam5_sent_per_s": decode_rate(run, decode_set, 5)[0],
        "exact_match": decode_rate(run, test, 1)[1],
    }))


if __name__ == "__main__":
    main()
