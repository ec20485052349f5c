"""multis2s on the reference toolkits' anchor task (../shared/anchors/nmt), measured the same way.

    python bench/anchor_reverse.py [--anchors ../shared/anchors/nmt] [--out bench/out/anchor]

Task: 5000/500/500 random digit strings of length 5–20 → reversed, written by the anchors' own
gen_data.py. Model as the anchors: embeddings 64, 1-layer BiLSTM encoder (128 per direction),
1-layer LSTM decoder 256, additive (Bahdanau) attention, input feeding, dropout 0.1, Adam 1e-3,
clip 1.0, batches of 64 sentences, 790 updates (10 epochs), 2 CPU threads. Prints training
target tokens/s (EOS included, as JoeyNMT counts), decode sentences/s for 5000 sentences at
beam 1 and 5 (batch 64), and test exact match — beside the anchors' figures from REPRODUCE.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import torch
import yaml

from multis2s.data.example import Example
from multis2s.run import Run

ANCHORS = {  # REPRODUCE.md of ../shared/anchors/nmt, measured on this machine kind
    "JoeyNMT 2.3.0": {"train_tok_s": 5829, "greedy_sent_s": "634-658", "beam5_sent_s": "209-235", "em": "98.8/98.8"},
    "eole 0.6.4": {"train_tok_s": 7985, "greedy_sent_s": "1190-1263", "beam5_sent_s": "261-308", "em": "22.4/22.6"},
    "OpenNMT-py 3.5.1": {"train_tok_s": 8624, "greedy_sent_s": "1351-1389", "beam5_sent_s": "287-323",
                         "em": "66.0/67.8"},
}


def config(data: Path) -> dict:
    return {
        "seed": 42, "device": "cpu", "threads": 2,
        "data": {"dataset": {"type": "parallel", "train": str(data / "train"), "dev": str(data / "dev"),
                             "test": str(data / "test"), "format": "lines", "target_suffix": ".trg"},
                 "batch_size": 64},
        "model": {
            "encoder": {"type": "rnn", "cell": "lstm", "embedding_dim": 64, "hidden_dim": 128, "dropout": 0.1},
            "decoder": {"type": "rnn", "cell": "lstm", "embedding_dim": 64, "hidden_dim": 256,
                        "attention": {"type": "additive", "dim": 256}, "input_feeding": True, "dropout": 0.1},
        },
        "train": {"optimizer": "adam", "lr": 0.001, "clip_grad_norm": 1.0, "max_steps": 790, "max_epochs": 10,
                  "validate_every": 790, "validation_examples": 100, "log_every": 79, "progress": False},
        "eval": {"metrics": ["exact_match"], "batch_size": 64, "max_length_ratio": 1.0, "max_length_offset": 5},
    }


def decode_rate(run: Run, examples: list[Example], beam: int) -> tuple[float, float]:
    """Sentences per second decoding ``examples`` (batches of 64), and their exact match %."""
    start = time.perf_counter()
    results = run.evaluate(examples, split="timed", search=run.search(beam=beam))
    return len(examples) / (time.perf_counter() - start), results.metrics["exact_match"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anchors", type=Path, default=Path(__file__).resolve().parents[2] / "shared/anchors/nmt")
    parser.add_argument("--out", type=Path, default=Path("bench/out/anchor"))
    parser.add_argument("--repeats", type=int, default=3, help="decode timing repeats (median quoted)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    data = args.out / "data"
    if not (data / "train.src").exists():
        subprocess.run([sys.executable, str(args.anchors / "gen_data.py"), str(data)], check=True)
    config_path = args.out / "anchor.yaml"
    config_path.write_text(yaml.safe_dump(config(data)))
    run_dir = args.out / "run"
    if not (run_dir / "checkpoints" / "last.pt").exists():
        start = time.perf_counter()
        assert Run.from_config(config_path, run_dir=run_dir).train()
        wall = time.perf_counter() - start
        records = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
        rates = sorted(r["tokens_per_s"] for r in records if r["split"] == "train")
        print(f"training: wall {wall:.1f} s (incl. setup and one validation); "
              f"tokens/s per 79-update window: median {rates[len(rates) // 2]:.0f}, min {rates[0]:.0f}, max {rates[-1]:.0f}")
    run = Run.from_folder(run_dir, "last")
    train_src = (data / "train.src").read_text().splitlines()[:5000]
    decode_set = [Example(s, s) for s in train_src]
    for beam in (1, 5):
        rates = sorted(decode_rate(run, decode_set, beam)[0] for _ in range(args.repeats))
        print(f"decode 5000 sentences, beam {beam}: median {rates[len(rates) // 2]:.0f} sent/s "
              f"(runs: {', '.join(f'{r:.0f}' for r in rates)})")
    test = run.examples("test")
    for beam in (1, 5):
        print(f"test exact match, beam {beam}: {decode_rate(run, test, beam)[1]:.1f}")
    print("anchors (REPRODUCE.md):")
    for name, figures in ANCHORS.items():
        print(f"  {name}: train {figures['train_tok_s']} tok/s; greedy {figures['greedy_sent_s']} sent/s; "
              f"beam5 {figures['beam5_sent_s']} sent/s; test EM greedy/beam5 {figures['em']}")


if __name__ == "__main__":
    main()
