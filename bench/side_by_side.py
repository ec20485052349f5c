"""multis2s beside OpenNMT-py, eole and JoeyNMT on the anchor task, alternating, in one run.

    python bench/side_by_side.py [--toolkits onmt,eole,joeynmt] [--threads 1,2] [--rounds 2]
                                 [--updates 790] [--seeds 42] [--out bench/out/side_by_side]

For every round and thread count, each toolkit in turn (multis2s first) trains the anchors'
model (``../shared/anchors/nmt``: BiLSTM 2×128 → LSTM 256 with Bahdanau attention and input
feeding, Adam 1e-3, batches of 64 sentences) for ``--updates`` updates, then decodes 5000
training sources greedily and with beam 5 (batches of 64) and the 500 test sources greedily.
Figures are each toolkit's own: target tokens/s between its first and last training report,
decoding sentences/s from its own translation timer (model loading excluded, as for multis2s),
test exact match. Prints one table of medians over rounds and seeds with multis2s / toolkit
ratios, and writes every measurement to ``<out>/measurements.jsonl``.

The toolkits live in venvs under ``bench/out/toolkits`` (``bench/toolkits/setup.sh``, which
``make bench`` runs first). Run it alone on the machine: anything else running skews the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
ANCHORS = ROOT.parent / "shared/anchors/nmt"
TOOLKITS = ROOT / "bench/out/toolkits"
DEVICE = {"gpu": False}  # set once by --gpu: every toolkit trains and decodes on CUDA device 0
FIGURES = ("train_tokens_per_s", "greedy_sent_per_s", "beam5_sent_per_s", "exact_match")


def environment(threads: int) -> dict[str, str]:
    """The process environment with every thread pool pinned to ``threads``."""
    return {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
            "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}


def call(command: list[str], threads: int, cwd: Path, log: Path) -> str:
    """Run ``command``; its stdout and stderr go to ``log`` and are returned together."""
    done = subprocess.run(command, cwd=cwd, env=environment(threads), capture_output=True, text=True)
    output = done.stdout + done.stderr
    log.write_text(output)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command[:3])} failed ({done.returncode}); see {log}")
    return output


def exact_match(hypotheses: Path, references: Path) -> float:
    hyps = [line.strip() for line in hypotheses.read_text().splitlines()]
    refs = [line.strip() for line in references.read_text().splitlines()]
    return 100.0 * sum(h == r for h, r in zip(hyps, refs)) / len(refs)


def onmt_style_rate(log: str) -> float:
    """Target tokens/s from OpenNMT-py / eole training reports: tokens after the first report over
    the seconds between the first and the last (as ../shared/anchors/nmt/parse_onmt_log.py)."""
    rows = [tuple(int(x) for x in m.groups()) for m in
            re.finditer(r"Step (\d+)/.*?bsz:\s+\d+/\s*(\d+)/\d+;.*?;\s+(\d+) sec", log)]
    if len(rows) < 2:
        raise RuntimeError("fewer than two training reports in the log")
    tokens = sum((now[0] - before[0]) * now[1] for before, now in zip(rows, rows[1:]))
    return tokens / max(1, rows[-1][2] - rows[0][2])


class Multis2s:
    """multis2s through bench/anchor_reverse.py; ``whole``: without input feeding (one RNN call, not like for like)."""

    def __init__(self, loop: str = "stepped") -> None:
        self.loop = loop
        self.name = "multis2s" if loop == "stepped" else "multis2s-whole"

    def measure(self, work: Path, data: Path, threads: int, updates: int, seed: int) -> dict:
        output = call([sys.executable, str(BENCH / "anchor_reverse.py"), "--threads", str(threads), "--updates",
                       str(updates), "--seed", str(seed), "--decoder-loop", self.loop, "--out", str(work),
                       "--device", "cuda" if DEVICE["gpu"] else "cpu"],
                      threads, ROOT, work / f"{self.name}.log")
        return json.loads(next(line for line in reversed(output.splitlines()) if line.startswith("{")))  # its figures


class OpenNMT:
    """OpenNMT-py 3.5.1 with the anchors' config."""

    name, anchor = "onmt", "onmt/rnn_reverse_cpu.yaml"

    def __init__(self, venv: Path | None = None) -> None:
        self.venv = venv or TOOLKITS / self.name

    def command(self, verb: str) -> list[str]:
        """The executable for ``build_vocab``, ``train`` or ``translate``."""
        return [str(self.venv / "bin" / f"onmt_{verb}")]

    def config(self, work: Path, data: Path, updates: int, seed: int) -> Path:
        settings = yaml.safe_load((ANCHORS / self.anchor).read_text())
        run = work / self.name
        settings.update(seed=seed, save_data=str(run), src_vocab=str(run / "vocab.src"),
                        tgt_vocab=str(run / "vocab.tgt"),
                        data={"corpus_1": {"path_src": str(data / "train.src"), "path_tgt": str(data / "train.trg")},
                              "valid": {"path_src": str(data / "dev.src"), "path_tgt": str(data / "dev.trg")}})
        self.place(settings, run, updates)
        if DEVICE["gpu"]:
            settings.update(gpu_ranks=[0], world_size=1)
        path = work / f"{self.name}.yaml"
        path.write_text(yaml.safe_dump(settings))
        return path

    def place(self, settings: dict, run: Path, updates: int) -> None:
        settings.update(save_model=str(run / "model"), train_steps=updates, valid_steps=updates,
                        save_checkpoint_steps=updates)

    def model_path(self, work: Path, updates: int) -> Path:
        return work / self.name / f"model_step_{updates}.pt"

    def decode_command(self, model: Path, source: Path, output: Path, beam: int) -> list[str]:
        return [*self.command("translate"), "-model", str(model), "-src", str(source),
                "-output", str(output), "-beam_size", str(beam), "-batch_size", "64", "-batch_type", "sents",
                "-report_time", *(["-gpu", "0"] if DEVICE["gpu"] else [])]

    def decode_seconds(self, log: str) -> float:
        return float(re.findall(r"Total translation time \(s\): ([\d.]+)", log)[-1])

    def measure(self, work: Path, data: Path, threads: int, updates: int, seed: int) -> dict:
        shutil.rmtree(work / self.name, ignore_errors=True)
        config = self.config(work, data, updates, seed)
        call([*self.command("build_vocab"), "-config", str(config), "-n_sample", "-1"], threads, work,
             work / f"{self.name}-vocab.log")
        log = call([*self.command("train"), "-config", str(config)], threads, work, work / f"{self.name}-train.log")
        figures = {"train_tokens_per_s": onmt_style_rate(log)}
        model = self.model_path(work, updates)
        for beam, source, key in ((1, "decode5k", "greedy_sent_per_s"), (5, "decode5k", "beam5_sent_per_s"),
                                  (1, "test", None)):
            output = work / f"{self.name}-{source}-beam{beam}.txt"
            log = call(self.decode_command(model, data / f"{source}.src", output, beam), threads, work,
                       work / f"{self.name}-{source}-beam{beam}.log")
            if key:
                figures[key] = 5000 / self.decode_seconds(log)
            else:
                figures["exact_match"] = exact_match(output, data / "test.trg")
        return figures


class Eole(OpenNMT):
    """eole 0.6.4 with the anchors' config (OpenNMT-py's successor; the same report format)."""

    name, anchor = "eole", "eole/rnn_reverse_cpu.yaml"

    def place(self, settings: dict, run: Path, updates: int) -> None:
        settings["training"].update(model_path=str(run / "model"), train_steps=updates, valid_steps=updates,
                                    save_checkpoint_steps=updates)
        if DEVICE["gpu"]:
            settings["training"].update(gpu_ranks=[0], world_size=1)

    def model_path(self, work: Path, updates: int) -> Path:
        return work / self.name / "model"

    def command(self, verb: str) -> list[str]:
        return [str(self.venv / "bin/eole"), {"translate": "predict"}.get(verb, verb)]

    def decode_command(self, model: Path, source: Path, output: Path, beam: int) -> list[str]:
        return [*self.command("translate"), "-model_path", str(model), "-src", str(source),
                "-output", str(output), "-beam_size", str(beam), "-batch_size", "64", "-batch_type", "sents",
                "-world_size", "1", "-compute_dtype", "fp32", "-report_time",
                *(["-gpu_ranks", "0"] if DEVICE["gpu"] else [])]

    def decode_seconds(self, log: str) -> float:
        pattern = r"(?:Step 0 time|Subsequent prediction time[^(\n]*) \(s\): ([\d.]+)"
        return sum(float(x) for x in re.findall(pattern, log))


class JoeyNMT:
    """JoeyNMT 2.3.0 with the anchors' config; decoding timed between its own log lines."""

    name = "joeynmt"

    def __init__(self) -> None:
        self.venv = TOOLKITS / self.name

    def config(self, work: Path, data: Path, updates: int, seed: int, test: str, beam: int) -> Path:
        settings = yaml.safe_load((ANCHORS / "joeynmt/rnn_reverse_cpu.yaml").read_text())
        settings.update(model_dir=str(work / self.name), random_seed=seed)
        settings["data"].update(train=str(data / "train"), dev=str(data / "dev"), test=str(data / test))
        settings["testing"]["beam_size"] = beam
        training = settings["training"]
        epochs = -(-updates * 64 // 5000)  # enough epochs for ``updates`` batches of 64 of 5000 pairs
        training.update(updates=updates, epochs=epochs, validation_freq=max(20, updates // 20 * 20))
        path = work / f"{self.name}-{test}-beam{beam}.yaml"
        path.write_text(yaml.safe_dump(settings))
        return path

    def measure(self, work: Path, data: Path, threads: int, updates: int, seed: int) -> dict:
        shutil.rmtree(work / self.name, ignore_errors=True)
        python = str(self.venv / "bin/python")
        if not (data / "decode5k.trg").exists():
            lines = (data / "train.trg").read_text().splitlines()[:5000]
            (data / "decode5k.trg").write_text("\n".join(lines) + "\n")
        call([python, "-m", "joeynmt", "train", str(self.config(work, data, updates, seed, "test", 1)), "--skip-test"],
             threads, work, work / f"{self.name}-train.log")
        log = (work / self.name / "train.log").read_text()
        rates = [float(x) for x in re.findall(r"Tokens per Sec:\s+([\d.]+)", log)]
        figures = {"train_tokens_per_s": statistics.mean(rates[1:] or rates)}
        for beam, test, key in ((1, "decode5k", "greedy_sent_per_s"), (5, "decode5k", "beam5_sent_per_s"),
                                (1, "test", None)):
            output = work / f"{self.name}-{test}-beam{beam}"
            log = call([python, "-m", "joeynmt", "test", str(self.config(work, data, updates, seed, test, beam)),
                        "--output-path", str(output)], threads, work, work / f"{self.name}-{test}-beam{beam}.log")
            if key:
                figures[key] = 5000 / self.decode_seconds(log)
            else:
                figures["exact_match"] = exact_match(Path(f"{output}.test"), data / "test.trg")
        return figures

    def decode_seconds(self, log: str) -> float:
        """Seconds from its "Decoding on test set" line to the following "Evaluation result" line."""
        stamps = re.findall(r"(\d\d:\d\d:\d\d,\d+) .*?(Decoding on test set|Evaluation result)", log)
        start = next(t for t, what in stamps if what.startswith("Decoding"))
        end = next(t for t, what in stamps if what.startswith("Evaluation") and t >= start)

        def seconds(stamp: str) -> float:
            clock, millis = stamp.split(",")
            hours, minutes, secs = (int(x) for x in clock.split(":"))
            return hours * 3600 + minutes * 60 + secs + int(millis) / 1000

        return seconds(end) - seconds(start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toolkits", default="onmt", help="comma-separated: onmt, eole, joeynmt")
    parser.add_argument("--fast-path", action="store_true",
                        help="also run multis2s without input feeding (the whole-sequence decoder path)")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--updates", type=int, default=790)
    parser.add_argument("--seeds", default="42")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/out/side_by_side")
    parser.add_argument("--gpu", action="store_true", help="train and decode on CUDA device 0 (bench/gpu.sh)")
    parser.add_argument("--onmt-venv", type=Path, help="OpenNMT-py's venv (default bench/out/toolkits/onmt)")
    args = parser.parse_args()
    DEVICE["gpu"] = args.gpu
    kits = {"onmt": OpenNMT(args.onmt_venv), "eole": Eole(), "joeynmt": JoeyNMT()}
    others = [kits[name] for name in args.toolkits.split(",") if name]
    for kit in others:
        if not (kit.venv / "bin").exists():
            sys.exit(f"{kit.name} is not installed: run bench/toolkits/setup.sh {kit.name}")
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(BENCH))
    from anchor_reverse import ensure_data
    data = ensure_data(args.out / "data")
    measurements = []
    log = (args.out / "measurements.jsonl").open("a")
    for round_number in range(args.rounds):
        for threads in (int(t) for t in args.threads.split(",")):
            for seed in (int(s) for s in args.seeds.split(",")):
                for kit in [Multis2s(), *([Multis2s("whole")] if args.fast_path else []), *others]:
                    work = args.out / f"work-t{threads}"
                    work.mkdir(exist_ok=True)
                    start = time.perf_counter()
                    figures = kit.measure(work, data, threads, args.updates, seed)
                    record = {"toolkit": kit.name, "threads": threads, "round": round_number, "seed": seed,
                              "updates": args.updates, "wall_s": time.perf_counter() - start, **figures}
                    measurements.append(record)
                    log.write(json.dumps(record) + "\n")
                    log.flush()
                    print(json.dumps(record), flush=True)
    print_table(measurements, [k.name for k in others], args)
    if args.fast_path:
        print_table(measurements, [k.name for k in others], args, ours="multis2s-whole")


def print_table(measurements: list[dict], others: list[str], args, ours: str = "multis2s") -> None:
    """Medians per toolkit and thread count, and ``ours`` / toolkit ratios, as a Markdown table."""
    def median(kit: str, threads: int, figure: str) -> float:
        return statistics.median(m[figure] for m in measurements if m["toolkit"] == kit and m["threads"] == threads)

    print(f"\nmedians of {args.rounds} alternating round(s) × seeds {args.seeds}, {args.updates} updates")
    header = f"| figure | threads | {ours} | " + " | ".join(f"{k} | ratio" for k in others) + " |"
    print(header)
    print("|" + "---|" * (3 + 2 * len(others)))
    for figure in FIGURES:
        for threads in (int(t) for t in args.threads.split(",")):
            mine = median(ours, threads, figure)
            cells = [f"{median(k, threads, figure):,.1f} | {mine / median(k, threads, figure):.2f}×" for k in others]
            print(f"| {figure} | {threads} | {mine:,.1f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
