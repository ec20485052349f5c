"""Compare the working tree with an earlier revision: same figures (a refactor keeps behaviour), same speed.

    python bench/revisions.py behaviour --base 7c482a3 [--base-format v1] [--cases NAME ...]
    python bench/revisions.py speed --base 7c482a3 [--base-format v1] [--rounds 2] [--threads 1 2]

The base revision is checked out into ``bench/out/revisions/base`` (a ``git worktree``) and run with
this tree's virtual environment, its packages put first on ``PYTHONPATH``. ``--base-format v1``
writes configs as the code before core v2 read them (``attention_dim``, ``eval.beam``, …).

``behaviour``: 14 tiny seeded configs (each attention kind of the RNN decoder, the Transformer
decoder, tied embeddings with label smoothing, a Transformer encoder, a speech, a captioning and two
audio+video models) are run with ``multis2s run``, then ``multis2s evaluate RUN --split dev --beam 3
--json``, on one thread; every ``metrics.jsonl`` record (throughput left out), the test results and
the dev evaluation must be equal, to the last bit.

``speed``: a model of the anchor's shape (embeddings 64, BiLSTM 2×128, LSTM decoder 256, additive
attention, input feeding, batch 64) trains 160 updates on a reversal task, then decodes 1,000
test strings greedily and with beam 5; base and tree alternate, and the medians are printed.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "revisions"
CLI = "import sys; from multis2s.cli import main; sys.exit(main(sys.argv[1:]))"


def attention(version: str, kind: str, **options) -> dict:
    """The decoder keys of an attention kind with its options, as ``version`` reads them."""
    if version == "v1":
        names = {"dim": "attention_dim", "heads": "heads", "channels": "location_channels", "kernel": "location_kernel"}
        return {"attention": kind, **{names[k]: v for k, v in options.items()}}
    return {"attention": {"type": kind, **options}}


def beam(version: str, size: int, **options) -> dict:
    """The eval keys of beam search, as ``version`` reads them."""
    return {"beam": size, **options} if version == "v1" else {"search": {"type": "beam", "beam": size, **options}}


def behaviour_cases(version: str) -> dict[str, dict]:
    tiny = {
        "seed": 3, "device": "cpu", "threads": 1,
        "data": {"dataset": {"type": "symbols", "task": "reverse", "vocabulary": 6, "min_length": 2, "max_length": 6,
                             "train_size": 200, "dev_size": 16, "test_size": 24, "seed": 2}, "batch_size": 16},
        "model": {"encoder": {"type": "rnn", "cell": "gru", "embedding_dim": 8, "hidden_dim": 8, "dropout": 0.1}},
        "train": {"lr": 0.01, "max_steps": 40, "validate_every": 20, "log_every": 5, "progress": False},
        "eval": {"metrics": ["exact_match", "token_accuracy", "bleu"], "batch_size": 8},
    }

    def text(decoder: dict, encoder: dict | None = None, train: dict | None = None, evals: dict | None = None):
        config = copy.deepcopy(tiny)
        config["model"]["decoder"] = decoder
        config["model"]["encoder"] = encoder or config["model"]["encoder"]
        config["train"].update(train or {})
        config["eval"].update(evals or {})
        return config

    rnn = {"type": "rnn", "cell": "gru", "embedding_dim": 8, "hidden_dim": 16, "dropout": 0.1}
    transformer = {"type": "transformer", "model_dim": 16, "heads": 2, "ff_dim": 32}
    av_data = {"dataset": {"type": "synthetic_av", "train_size": 16, "dev_size": 4, "test_size": 4, "seed": 5,
                           "image_size": 32},
               "source": {"audio": {"num_mel_bins": 20, "noise_snr_db": [0, 20]},
                          "video": {"crop": [6, 4, 20, 24], "augment": True}}, "batch_size": 4}
    av_encoders = {"audio": {"type": "conv_lstm", "channels": 4, "hidden_dim": 8, "layers": 1},
                   "video": {"type": "lipnet", "frontend_channels": 4, "trunk_channels": [4, 8], "hidden_dim": 8,
                             "layers": 1}}
    av_train = {"lr": 0.01, "max_steps": 6, "validate_every": 3, "log_every": 3, "progress": False}
    speech_eval = {"metrics": ["wer", "cer"], "normalise": True, "max_length_ratio": 0.0, "max_length_offset": 8,
                   "batch_size": 4}
    return {
        "additive_if": text({**rnn, **attention(version, "additive", dim=8)}, evals=beam(version, 3)),
        "general_noif": text({**rnn, **attention(version, "general"), "input_feeding": False}),
        "location_lstm": text({**rnn, "cell": "lstm", **attention(version, "location", dim=8, channels=4, kernel=5),
                               "input_feeding": False}, evals=beam(version, 2, length_penalty=0.6)),
        "multihead": text({**rnn, **attention(version, "multihead", heads=2)}),
        "none": text({**rnn, **attention(version, "none")}),
        "dot": text({**rnn, **attention(version, "dot")}),
        "tie_ls": text({**rnn, "cell": "lstm", "embedding_dim": 16, "tie_embeddings": True,
                        **attention(version, "additive", dim=8)}, train={"label_smoothing": 0.1}),
        "transformer": text({**transformer, "layers": 2, "dropout": 0.1}, evals=beam(version, 3)),
        "transformer_tie_ls": text({**transformer, "layers": 1, "tie_embeddings": True},
                                   train={"label_smoothing": 0.1}),
        "tenc_rnn": text({**rnn, **attention(version, "additive", dim=8)},
                         encoder={"type": "transformer", "model_dim": 16, "heads": 2, "layers": 1, "ff_dim": 32}),
        "audio": {
            "seed": 1, "device": "cpu", "threads": 1,
            "data": {"dataset": {"type": "synthetic_speech", "train_size": 40, "dev_size": 6, "test_size": 8,
                                 "seed": 4},
                     "source": {"num_mel_bins": 20, "spec_augment": True, "freq_mask_width": 5},
                     "target": {"normalise": True}, "batch_size": 8},
            "model": {"encoder": {"type": "conv_lstm", "channels": 4, "hidden_dim": 16, "layers": 1},
                      "decoder": {"type": "rnn", "cell": "lstm", "embedding_dim": 8, "hidden_dim": 16,
                                  **attention(version, "location", dim=8), "input_feeding": False}},
            "train": {"lr": 0.005, "max_steps": 10, "validate_every": 5, "log_every": 5, "progress": False,
                      "schedule": "cosine", "warmup_steps": 2},
            "eval": {**speech_eval, **beam(version, 2), "max_length_ratio": 0.3, "max_length_offset": 5,
                     "batch_size": 8},
        },
        "vision": {
            "seed": 1, "device": "cpu", "threads": 1,
            "data": {"dataset": {"type": "shapes", "train_size": 40, "dev_size": 6, "test_size": 8, "seed": 4,
                                 "image_size": 32}, "source": {"image_size": 32, "augment": True}, "batch_size": 8},
            "model": {"encoder": {"type": "cnn", "channels": [8, 16]},
                      "decoder": {"type": "rnn", "cell": "gru", "embedding_dim": 8, "hidden_dim": 16,
                                  **attention(version, "additive", dim=8)}},
            "train": {"lr": 0.005, "max_steps": 10, "validate_every": 5, "log_every": 5, "progress": False,
                      "label_smoothing": 0.1},
            "eval": {"metrics": ["bleu", "cider_d"], **beam(version, 2), "max_length_ratio": 0.0,
                     "max_length_offset": 20, "batch_size": 8},
        },
        "av_gate": {
            "seed": 1, "device": "cpu", "threads": 1, "data": av_data, "train": av_train,
            "model": {"encoders": av_encoders, "stream_dropout": 0.5,
                      "decoder": {"type": "rnn", "cell": "gru", "embedding_dim": 8, "hidden_dim": 16,
                                  **attention(version, "additive", dim=8), "fusion": "gate", "input_feeding": False}},
            "eval": {**speech_eval, **beam(version, 2)},
        },
        "av_transformer": {
            "seed": 1, "device": "cpu", "threads": 1, "data": av_data, "train": av_train,
            "model": {"encoders": av_encoders,
                      "decoder": {"type": "transformer", "model_dim": 16, "heads": 2, "layers": 1, "ff_dim": 16,
                                  "fusion": "concat"}},
            "eval": {**speech_eval, **beam(version, 2)},
        },
    }


def environment(tree: Path, threads: int) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=f"{tree}:{tree}/plugins", OMP_NUM_THREADS=str(threads),
                MULTIS2S_CACHE=str(OUT / "cache"))


def checkout(base: str) -> Path:
    """The base revision in a git worktree of its own (made once). ``base`` is resolved in this
    checkout first: in the worktree, a name such as ``HEAD`` would mean the worktree's own."""
    tree = OUT / "base"
    base = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", f"{base}^{{commit}}"], check=True,
                          capture_output=True, text=True).stdout.strip()
    if tree.exists():
        subprocess.run(["git", "-C", str(tree), "checkout", "-q", "--detach", base], check=True)
    else:
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(tree), base], check=True)
    return tree


def cli(tree: Path, args: list[str], threads: int = 1) -> subprocess.CompletedProcess:
    """The command line of ``tree`` (run outside it, so the working directory does not shadow its packages)."""
    return subprocess.run([sys.executable, "-c", CLI, *args], env=environment(tree, threads), capture_output=True,
                          text=True, cwd=OUT)


def figures(tree: Path, config: dict, work: Path, name: str) -> dict:
    """Every figure of one seeded run: its metrics log (no throughput), test results, beam-3 dev scores."""
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    run = work / name
    done = cli(tree, ["run", str(path), "-o", str(run)])
    if done.returncode:
        return {"error": done.stderr[-1000:]}
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    timing = ("tokens_per_s", "examples_per_s", "tokens", "seconds", "data_wait", "source_padding", "target_padding")
    log = [{k: v for k, v in r.items() if k not in timing} for r in records]
    dev = cli(tree, ["evaluate", str(run), "--split", "dev", "--beam", "3", "--json"])
    return {"log": log, "results": json.loads((run / "results.json").read_text()), "dev_beam3": dev.stdout}


def behaviour(args) -> int:
    trees = {"base": (checkout(args.base), args.base_format), "tree": (ROOT, "v2")}
    work = Path(tempfile.mkdtemp(prefix="behaviour-", dir=OUT))
    same = True
    for name in behaviour_cases("v2"):
        if args.cases and name not in args.cases:
            continue
        found = {side: figures(tree, behaviour_cases(version)[name], work / side, name)
                 for side, (tree, version) in trees.items()}
        errors = [f"{side}: {f['error']}" for side, f in found.items() if "error" in f]
        verdict = "error" if errors else ("identical" if found["base"] == found["tree"] else "DIFFERENT")
        same &= verdict == "identical"
        print(f"{name:20s} {verdict}  test {found['tree'].get('results', {}).get('metrics')}", flush=True)
        for error in errors:
            print("   ", error.strip().splitlines()[-1])
    return 0 if same else 1


def speed_config(version: str, threads: int) -> dict:
    return {"seed": 42, "device": "cpu", "threads": threads,
            "data": {"dataset": {"type": "symbols", "task": "reverse", "vocabulary": 10, "min_length": 5,
                                 "max_length": 20, "train_size": 5000, "dev_size": 100, "test_size": 1000, "seed": 1},
                     "batch_size": 64},
            "model": {"encoder": {"type": "rnn", "cell": "lstm", "embedding_dim": 64, "hidden_dim": 128,
                                  "dropout": 0.1},
                      "decoder": {"type": "rnn", "cell": "lstm", "embedding_dim": 64, "hidden_dim": 256,
                                  **attention(version, "additive", dim=256), "input_feeding": True, "dropout": 0.1}},
            "train": {"optimizer": "adam", "lr": 0.001, "max_steps": 160, "validate_every": 1000,
                      "validation_examples": 10, "log_every": 20, "progress": False},
            "eval": {"metrics": ["exact_match"], "batch_size": 64, "max_length_ratio": 1.0, "max_length_offset": 5}}


def speed(args) -> int:
    trees = {"base": (checkout(args.base), args.base_format), "tree": (ROOT, "v2")}
    for threads in args.threads:
        found = {side: {"train": [], "greedy": [], "beam5": []} for side in trees}
        for round_ in range(args.rounds):
            for side, (tree, version) in trees.items():
                work = Path(tempfile.mkdtemp(prefix="speed-", dir=OUT))
                path = work / "speed.yaml"
                path.write_text(yaml.safe_dump(speed_config(version, threads)))
                done = cli(tree, ["train", str(path), "-o", str(work / "run")], threads)
                if done.returncode:
                    print(done.stderr[-600:])
                    return 1
                records = [json.loads(line) for line in (work / "run" / "metrics.jsonl").read_text().splitlines()]
                rates = sorted(r["tokens_per_s"] for r in records if r["split"] == "train")[1:]  # first: warm-up
                found[side]["train"].append(rates[len(rates) // 2])
                greedy, beam5 = time_decoding(tree, version, work / "run", threads)
                found[side]["greedy"].append(greedy)
                found[side]["beam5"].append(beam5)
                print(f"threads {threads} round {round_} {side}: train {found[side]['train'][-1]:.0f} tok/s, "
                      f"greedy {greedy:.0f}, beam 5 {beam5:.0f} sent/s", flush=True)
        for key in ("train", "greedy", "beam5"):
            base, tree = statistics.median(found["base"][key]), statistics.median(found["tree"][key])
            print(f"threads {threads} {key}: base {base:.0f}, tree {tree:.0f}, tree/base {tree / base:.3f}")
    return 0


TIMED_DECODE = """
import sys, time
from pathlib import Path
import torch
torch.set_num_threads(int(sys.argv[3]))
run_dir, version = Path(sys.argv[1]), sys.argv[2]
rates = []
if version == "v1":
    from multis2s.config import EvalConfig
    from multis2s.evaluation import decode
    from multis2s.runs import dataset_of, load_run
    run = load_run(run_dir, "last")
    parts, examples = run.parts, dataset_of(run).split("test")
    for size in (1, 5):
        settings = EvalConfig(metrics=["exact_match"], beam=size, batch_size=64, max_length_ratio=1.0,
                              max_length_offset=5)
        start = time.perf_counter()
        decode(parts.model, parts.pipeline, parts.target, examples, settings=settings, device=run.device)
        rates.append(len(examples) / (time.perf_counter() - start))
else:
    from multis2s.run import Run
    run = Run.from_folder(run_dir, "last")
    examples = run.examples("test")
    for size in (1, 5):
        search = run.search(beam=size)
        start = time.perf_counter()
        run.evaluate(examples, split="test", search=search)
        rates.append(len(examples) / (time.perf_counter() - start))
print(*rates)
"""


def time_decoding(tree: Path, version: str, run: Path, threads: int) -> tuple[float, float]:
    """Sentences/s decoding the 1,000 test strings greedily and with beam 5 (loading left out)."""
    done = subprocess.run([sys.executable, "-c", TIMED_DECODE, str(run), version, str(threads)],
                          env=environment(tree, threads), capture_output=True, text=True, check=True, cwd=OUT)
    greedy, beam5 = map(float, done.stdout.split())
    return greedy, beam5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("behaviour", "speed"))
    parser.add_argument("--base", required=True, help="the git revision to compare with")
    parser.add_argument("--base-format", choices=("v1", "v2"), default="v2",
                        help="the config shape the base revision reads (v1: before core v2)")
    parser.add_argument("--cases", nargs="*", help="behaviour: only these cases")
    parser.add_argument("--rounds", type=int, default=2, help="speed: alternating rounds (median quoted)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="speed: thread counts")
    args = parser.parse_args()
    return behaviour(args) if args.what == "behaviour" else speed(args)


if __name__ == "__main__":
    sys.exit(main())
