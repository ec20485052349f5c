"""The command line: ``multis2s plugins | train | evaluate | predict | attention | run``.

``main(argv) -> int`` runs in-process (the tests call it). User errors print one line to stderr
and return 2; a traceback is a bug.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from multis2s.assembly import SUPPLIED_ARGUMENTS
from multis2s.data.example import Example
from multis2s.data.streams import StreamPipelines
from multis2s.errors import DataError, Multis2sError
from multis2s.evaluation import decode, score, stream_attention, tag_subsets, texts
from multis2s.metrics import word_error_counts, worst_alignments
from multis2s.options import describe_options
from multis2s.plots import plot_attention
from multis2s.plugins import load_registry
from multis2s.registry import SINGULAR
from multis2s.runs import dataset_of, load_run, train_config

INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="multis2s", description="Sequence-to-sequence learning across modalities.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    plugins = commands.add_parser("plugins", help="list every registered component")
    plugins.add_argument("--json", action="store_true", help="print JSON instead of a table")

    for name, text in (("train", "train a config into a run folder"),
                       ("run", "train, then evaluate on the test split (the main job)")):
        command = commands.add_parser(name, help=text)
        command.add_argument("config", type=Path, help="YAML config file")
        command.add_argument("overrides", nargs="*", metavar="key.path=value", help="config overrides")
        command.add_argument("-o", "--run-dir", type=Path, help="run folder (default: runs/<config name>)")
        command.add_argument("--resume", action="store_true", help="continue the run in the run folder")
        if name == "run":
            command.add_argument("--beam", type=int, help="beam size for the test evaluation")
            command.add_argument("--show", type=int, default=3, metavar="N",
                                 help="print the first N test outputs beside their references (default 3)")

    evaluate = commands.add_parser("evaluate", help="score a trained run on a split or a data file")
    evaluate.add_argument("run_dir", type=Path)
    source = evaluate.add_mutually_exclusive_group()
    source.add_argument("--split", default="test", help="dataset split (default: test)")
    source.add_argument("--data", type=Path, help="a data file in the dataset's format")
    evaluate.add_argument("--beam", type=int, help="beam size (default: the config's eval.beam)")
    evaluate.add_argument("--json", action="store_true", help="print a JSON object")
    evaluate.add_argument("--checkpoint", choices=("best", "last"), default="best",
                          help="which checkpoint of the run to score (default best)")
    evaluate.add_argument("--errors", type=int, default=0, metavar="N",
                          help="also print the N items with the most word errors, aligned")

    predict = commands.add_parser("predict", help="one output line per input")
    predict.add_argument("run_dir", type=Path)
    predict.add_argument("inputs", nargs="+", metavar="INPUT", help="a sentence or a file path; - reads lines from stdin")
    predict.add_argument("--beam", type=int)
    predict.add_argument("--n-best", type=int, default=1, metavar="K",
                         help="print the K best outputs per input as 'input-number<TAB>score<TAB>text' lines")

    attention = commands.add_parser("attention", help="draw the attention map of one input as a PNG")
    attention.add_argument("run_dir", type=Path)
    attention.add_argument("input", metavar="INPUT")
    attention.add_argument("--out", type=Path, required=True, help="PNG file to write")
    return parser


def _plugins(args) -> int:
    registry = load_registry()
    rows = [{"kind": SINGULAR[c.kind], "name": c.name, "plugin": c.plugin, "modality": c.modality, "help": c.help,
             "options": [list(o) for o in describe_options(c.factory, SUPPLIED_ARGUMENTS)]}
            for c in registry.components()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    widths = [max(len(r[k]) for r in rows) for k in ("kind", "name", "plugin", "modality")]
    for row in rows:
        cells = [row[k].ljust(w) for k, w in zip(("kind", "name", "plugin", "modality"), widths)]
        print("  ".join(cells + [row["help"]]))
    return 0


def _run_dir(args) -> Path:
    return args.run_dir or Path("runs") / args.config.stem


def _train(args) -> int:
    run_dir = _run_dir(args)
    if not train_config(args.config, args.overrides, run_dir, resume=args.resume):
        print(f"interrupted: saved {run_dir / 'checkpoints' / 'last.pt'}; continue with --resume", file=sys.stderr)
        return INTERRUPTED
    print(f"trained: {run_dir}")
    return 0


def _evaluation(run_dir: Path, *, split: str, data: Path | None, beam: int | None, progress: bool,
                errors: int = 0, samples: int = 0, checkpoint: str = "best") -> dict:
    """``{"split", "num_examples", "metrics"}`` (+ ``subsets`` by boolean tag, ``word_errors`` with WER,
    ``worst`` with ``errors``, ``samples``: the first few outputs beside their references)."""
    run = load_run(run_dir, checkpoint)
    dataset = dataset_of(run)
    examples = dataset.read(data) if data is not None else dataset.split(split)
    if not examples:
        raise DataError(f"{data or split}: no examples to evaluate")
    parts = run.parts
    decoded = decode(parts.model, parts.pipeline, parts.target, examples, settings=parts.config.eval,
                     device=run.device, beam=beam, progress=progress)
    normalise = parts.config.eval.normalise
    results = {"split": str(data) if data is not None else split, "num_examples": len(examples),
               "metrics": score(parts.registry, list(parts.config.eval.metrics), decoded, normalise=normalise)}
    hypotheses, references = texts(decoded, normalise=normalise)
    subsets = tag_subsets(decoded)
    if subsets:
        results["subsets"] = {name: {"num_examples": len(items), "metrics": score(
            parts.registry, list(parts.config.eval.metrics), items, normalise=normalise)}
            for name, items in subsets.items()}
    if "wer" in results["metrics"]:
        results["word_errors"] = word_error_counts(hypotheses, references)
    if errors:
        results["worst"] = worst_alignments(hypotheses, references, errors)
    if samples:
        results["samples"] = [{"source": d.example.source, "reference": d.example.target, "output": d.text}
                              for d in decoded[:samples]]
    return results


def _print_results(results: dict) -> None:
    print(f"{results['split']}: {results['num_examples']} examples")
    for name, value in results["metrics"].items():
        print(f"  {name:<16} {value:8.2f}")
    for name, subset in results.get("subsets", {}).items():
        cells = ", ".join(f"{k} {v:.2f}" for k, v in subset["metrics"].items())
        print(f"  subset {name} ({subset['num_examples']} examples): {cells}")
    if "word_errors" in results:
        print("  " + ", ".join(f"{k} {v}" for k, v in results["word_errors"].items()))
    for view in results.get("worst", []):
        print("\n" + view)
    for sample in results.get("samples", []):
        print(f"\n  source:    {sample['source']}\n  reference: {sample['reference']}\n  output:    {sample['output']}")


def _evaluate(args) -> int:
    results = _evaluation(args.run_dir, split=args.split, data=args.data, beam=args.beam, progress=not args.json,
                          errors=args.errors, checkpoint=args.checkpoint)
    if args.json:
        print(json.dumps(results))
    else:
        _print_results(results)
    return 0


def _run(args) -> int:
    if _train(args) != 0:
        return INTERRUPTED
    run_dir = _run_dir(args)
    results = _evaluation(run_dir, split="test", data=None, beam=args.beam, progress=True, samples=args.show)
    (run_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    _print_results(results)
    return 0


def _inputs(values: list[str]) -> list[str]:
    lines: list[str] = []
    for value in values:
        lines.extend(line.rstrip("\n") for line in sys.stdin) if value == "-" else lines.append(value)
    return lines


def _predict(args) -> int:
    run = load_run(args.run_dir)
    parts = run.parts
    examples = [Example(text, "", f"input {i + 1}") for i, text in enumerate(_inputs(args.inputs))]
    beam = max(args.beam or parts.config.eval.beam, args.n_best)
    settings = dataclasses.replace(parts.config.eval, n_best=args.n_best)
    decoded = decode(parts.model, parts.pipeline, parts.target, examples, settings=settings, device=run.device,
                     beam=beam)
    for number, item in enumerate(decoded, start=1):
        if args.n_best == 1:
            print(item.text)
            continue
        for hypothesis in item.hypotheses:
            print(f"{number}\t{hypothesis.score:.4f}\t{parts.target.decode(hypothesis.tokens)}")
    return 0


def _draw(pipeline, example: Example, weights, labels: list[str], out: Path, title: str) -> None:
    """One source's attention: drawn by its pipeline when it can, else a heat map over its labels or features."""
    if hasattr(pipeline, "plot_attention"):  # a modality that draws attention over its own source
        pipeline.plot_attention(example, weights, labels, out, title)
        return
    source_labels = pipeline.labels(example)
    features = pipeline.load(example, train=False) if source_labels is None else None
    plot_attention(weights, labels, source_labels, out, title=title,
                   source_features=features if features is not None and features.dim() == 2 else None)


def _attention(args) -> int:
    run = load_run(args.run_dir)
    parts = run.parts
    example = Example(args.input, "", "input")
    (item,) = decode(parts.model, parts.pipeline, parts.target, [example], settings=parts.config.eval,
                     device=run.device, beam=1)
    best = item.hypotheses[0]
    labels = parts.target.tokens(best.tokens) + ["<eos>"]
    if not isinstance(parts.pipeline, StreamPipelines):
        _draw(parts.pipeline, example, best.attention, labels, args.out, item.text)
        print(f"wrote {args.out}")
        return 0
    for name, view, weights in stream_attention(parts.model, parts.pipeline, example, best.attention, run.device):
        out = args.out.with_name(f"{args.out.stem}.{name}{args.out.suffix}")
        _draw(parts.pipeline.pipelines[name], view, weights, labels, out, f"{item.text}  [{name}]")
        print(f"wrote {out}")
    return 0


COMMANDS = {"plugins": _plugins, "train": _train, "run": _run, "evaluate": _evaluate, "predict": _predict,
            "attention": _attention}


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the command; returns the exit code."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra and (args.command not in ("train", "run") or any("=" not in e or e.startswith("-") for e in extra)):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:
        args.overrides = [*args.overrides, *extra]
    try:
        return COMMANDS[args.command](args)
    except Multis2sError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED


def run_cli() -> None:
    """Console-script entry point."""
    sys.exit(main())
