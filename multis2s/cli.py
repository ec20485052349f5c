"""The command line: ``multis2s plugins | train | evaluate | predict | attention | run | config | average | serve``.

``main(argv) -> int`` runs in-process (the tests call it). It parses, calls :class:`~multis2s.run.Run`
and prints. User errors print one line to stderr and return 2; a traceback is a bug.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from multis2s.errors import DataError, Multis2sError

if TYPE_CHECKING:
    from multis2s.evaluation import Results
    from multis2s.run import Run

INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="multis2s", description="Sequence-to-sequence learning across modalities.")
    parser.add_argument("--version", action="version", version=f"multis2s {_version()}")
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
        command.add_argument("--force", action="store_true",
                             help="with --resume: accept a config that differs from the saved run's")
        if name == "run":
            command.add_argument("--beam", type=int, help="beam size for the test evaluation (1 = greedy)")
            command.add_argument("--show", type=int, default=3, metavar="N",
                                 help="print the first N test outputs beside their references (default 3)")

    evaluate = commands.add_parser("evaluate", help="score a trained run on a split or a data file")
    evaluate.add_argument("run_dir", type=Path)
    source = evaluate.add_mutually_exclusive_group()
    source.add_argument("--split", default="test", help="dataset split (default: test)")
    source.add_argument("--data", type=Path, help="a data file in the dataset's format")
    evaluate.add_argument("--beam", type=int, help="beam size (1 = greedy; default: the config's eval.search)")
    evaluate.add_argument("--json", action="store_true", help="print a JSON object")
    evaluate.add_argument("--checkpoint", default="best", metavar="NAME",
                          help="which checkpoint to score: best (default), last, another in RUN_DIR/checkpoints "
                               "(average, step-0000500) or a file")
    evaluate.add_argument("--errors", type=int, default=0, metavar="N",
                          help="also print the N items with the most word errors, aligned")
    _trust_option(evaluate)

    predict = commands.add_parser("predict", help="one output line per input")
    predict.add_argument("run_dir", type=Path)
    predict.add_argument("inputs", nargs="+", metavar="INPUT",
                         help="a text or a file path (stream=item,… for several streams); - reads lines from stdin")
    predict.add_argument("--beam", type=int, help="beam size (1 = greedy; default: the config's eval.search)")
    predict.add_argument("--n-best", type=int, default=1, metavar="K",
                         help="print the K best outputs per input as 'input-number<TAB>score<TAB>text' lines")
    _trust_option(predict)

    attention = commands.add_parser("attention", help="draw the attention map of one input as a PNG")
    attention.add_argument("run_dir", type=Path)
    attention.add_argument("input", metavar="INPUT")
    attention.add_argument("--out", type=Path, required=True,
                           help="PNG file to write (one per stream, FILE.<stream>.png, for several)")
    _trust_option(attention)

    config = commands.add_parser("config", help="print the fully resolved config (every option, defaults included)")
    config.add_argument("config", type=Path, help="YAML config file")
    config.add_argument("overrides", nargs="*", metavar="key.path=value", help="config overrides")

    average = commands.add_parser("average", help="average the weights of a run's last step checkpoints")
    average.add_argument("run_dir", type=Path)
    average.add_argument("--last", type=int, required=True, metavar="N",
                         help="how many of the newest step checkpoints (train.keep_checkpoints) to average")
    average.add_argument("-o", "--out", type=Path,
                         help="checkpoint file to write (default RUN_DIR/checkpoints/average.pt)")

    serve = commands.add_parser("serve", help="serve a trained run: an HTTP JSON API and a web page at /")
    serve.add_argument("run_dir", type=Path)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--checkpoint", default="best", metavar="NAME", help="which checkpoint, as for evaluate")
    serve.add_argument("--max-upload-mb", type=float, default=20.0, metavar="MB",
                       help="largest request body accepted, uploads included (default 20)")
    serve.add_argument("--batch-wait-ms", type=float, default=5.0, metavar="MS",
                       help="how long a request waits for others to be decoded with it; 0 = no batching (default 5)")
    serve.add_argument("--max-batch", type=int, default=16, metavar="N", help="most requests per batch (default 16)")
    _trust_option(serve)

    export = commands.add_parser("export", help="write the encoders and one decoder step as TorchScript or ONNX graphs")
    export.add_argument("run_dir", type=Path)
    export.add_argument("--format", choices=("torchscript", "onnx"), required=True)
    export.add_argument("--out", type=Path, required=True,
                        help="folder to write the graphs, manifest.json and runner.py into")
    export.add_argument("--checkpoint", default="best", metavar="NAME", help="which checkpoint (as evaluate has it)")
    export.add_argument("--split", default="dev",
                        help="the examples the graphs are traced and checked on (default: dev)")
    _trust_option(export)

    new_plugin = commands.add_parser("new-plugin", help="write a plugin package, ready for pip install -e")
    new_plugin.add_argument("name", help="its package name (also its component's name): lower case, digits, _")
    new_plugin.add_argument("--kind", choices=("encoder", "dataset", "metric", "modality"), default="encoder",
                            help="what it registers (default encoder)")
    new_plugin.add_argument("-o", "--out", type=Path, default=Path("."),
                            help="the folder to write NAME/ into (default: the working directory)")
    return parser


def _trust_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--trust-plugins", action="store_true",
                         help="import the plugin modules the run's saved config names (this runs their code)")


def _plugins(args) -> int:
    from multis2s.plugins import load_registry
    from multis2s.registry import SINGULAR

    registry = load_registry()
    rows = [{"kind": SINGULAR[c.kind], "name": c.name, "plugin": c.plugin, "modality": c.modality, "help": c.help}
            for c in registry.components()]
    unavailable = [{"plugin": p.name, "distribution": p.distribution, "error": p.error} for p in registry.unavailable]
    if args.json:  # the options need each factory, so this imports the plugins' code (and torch)
        from multis2s.assembly import supplied_names
        from multis2s.options import describe_options

        for row, c in zip(rows, registry.components()):
            row["options"] = [list(o) for o in describe_options(c.factory, supplied_names(registry, c), registry)]
        print(json.dumps(rows + [{"kind": "unavailable", **u} for u in unavailable], indent=2))
        return 0
    widths = [max(len(r[k]) for r in rows) for k in ("kind", "name", "plugin", "modality")]
    for row in rows:
        cells = [row[k].ljust(w) for k, w in zip(("kind", "name", "plugin", "modality"), widths)]
        print("  ".join(cells + [row["help"]]))
    for item in unavailable:
        print(f"unavailable plugin {item['plugin']} ({item['distribution']}): {item['error']}")
    return 0


def _trained(args) -> Run | None:
    """Train the config into its run folder; None (after saying so) when Ctrl-C stopped it."""
    from multis2s.run import Run

    run = Run.from_config(args.config, args.overrides, args.run_dir)
    finished = run.train(resume=args.resume, force=args.force)
    if not run.is_main:  # under torchrun, rank 0 alone speaks
        return run if finished else None
    if not finished:
        print(f"interrupted: saved {run.folder.checkpoint('last')}; continue with --resume", file=sys.stderr)
        return None
    print(f"trained: {run.folder.path}")
    return run


def _train(args) -> int:
    return INTERRUPTED if _trained(args) is None else 0


def _print_results(results: Results) -> None:
    print(f"{results.split}: {results.num_examples} examples")
    for name, value in results.metrics.items():
        print(f"  {name:<16} {value:8.2f}")
    for name, subset in results.subsets.items():
        cells = ", ".join(f"{k} {v:.2f}" for k, v in subset["metrics"].items())
        print(f"  subset {name} ({subset['num_examples']} examples): {cells}")
    if results.word_errors:
        print("  " + ", ".join(f"{k} {v}" for k, v in results.word_errors.items()))
    for view in results.worst:
        print("\n" + view)
    for sample in results.samples:
        print(f"\n  source:    {sample['source']}\n  reference: {sample['reference']}\n  output:    {sample['output']}")


def _evaluate(args) -> int:
    from multis2s.run import Run

    run = Run.from_folder(args.run_dir, args.checkpoint, trust_plugins=args.trust_plugins)
    examples = run.read(args.data) if args.data is not None else run.examples(args.split)
    results = run.evaluate(examples, split=str(args.data) if args.data is not None else args.split,
                           search=run.search(beam=args.beam), progress=not args.json, errors=args.errors)
    if args.json:
        print(json.dumps(results.to_dict()))
    else:
        _print_results(results)
    return 0


def _run(args) -> int:
    trained = _trained(args)
    if trained is None:
        return INTERRUPTED
    if not trained.is_main:  # under torchrun, rank 0 alone evaluates
        return 0
    from multis2s.run import Run

    run = Run.from_folder(trained.folder.path, trust_plugins=True)  # the config the user just gave
    results = run.evaluate(run.examples("test"), split="test", search=run.search(beam=args.beam), progress=True,
                           samples=args.show)
    run.folder.write_results(results.to_dict())
    _print_results(results)
    return 0


MAX_INPUT_CHARS = 100_000
"""The longest line ``predict -`` reads from standard input."""


def _stdin_lines() -> list[str]:
    """Standard input split on newlines only (a ``\r`` before one is dropped), each line bounded."""
    lines = []
    for number, raw in enumerate(iter(lambda: sys.stdin.buffer.readline(4 * MAX_INPUT_CHARS + 2), b""), start=1):
        if not raw.endswith(b"\n") and len(raw) > 4 * MAX_INPUT_CHARS:
            raise DataError(f"standard input, line {number}: longer than {MAX_INPUT_CHARS} characters")
        try:
            line = raw.decode("utf-8").removesuffix("\n").removesuffix("\r")
        except UnicodeDecodeError:
            raise DataError(f"standard input, line {number}: not UTF-8 text") from None
        if len(line) > MAX_INPUT_CHARS:
            raise DataError(f"standard input, line {number}: longer than {MAX_INPUT_CHARS} characters")
        lines.append(line)
    return lines


def _inputs(values: list[str]) -> list[str]:
    lines: list[str] = []
    for value in values:
        lines.extend(_stdin_lines()) if value == "-" else lines.append(value)
    return lines


def _predict(args) -> int:
    from multis2s.run import Run

    run = Run.from_folder(args.run_dir, trust_plugins=args.trust_plugins)
    decoded = run.predict(_inputs(args.inputs), search=run.search(beam=args.beam, n_best=args.n_best))
    for number, item in enumerate(decoded, start=1):
        if args.n_best == 1:
            print(item.text)
            continue
        for hypothesis in item.hypotheses:
            print(f"{number}\t{hypothesis.score:.4f}\t{run.target.decode(hypothesis.tokens, item.oovs)}")
    return 0


def _draw(pipeline, example, weights, labels: list[str], out: Path, title: str) -> None:
    """One stream's attention: drawn by its pipeline when it can, else a heat map over its labels or features."""
    from multis2s.plots import plot_attention

    if hasattr(pipeline, "plot_attention"):  # a modality that draws attention over its own source
        pipeline.plot_attention(example, weights, labels, out, title)
        return
    source_labels = pipeline.labels(example)
    features = pipeline.load(example, train=False) if source_labels is None else None
    plot_attention(weights, labels, source_labels, out, title=title,
                   source_features=features if features is not None and features.dim() == 2 else None)


def _attention(args) -> int:
    from multis2s.run import Run

    run = Run.from_folder(args.run_dir, trust_plugins=args.trust_plugins)
    (item,) = run.predict([args.input], search=run.search(beam=1))
    best = item.hypotheses[0]
    labels = run.target.tokens(best.tokens, item.oovs) + ["<eos>"]
    from multis2s.data.streams import stream_files

    files = stream_files(args.out, run.streams.names)
    for name, view in run.streams.views(item.example).items():
        if view is None:
            continue
        out, label = files[name]
        _draw(run.streams.pipelines[name], view, best.attention[name], labels, out, item.text + label)
        print(f"wrote {out}")
    return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("multis2s")
    except PackageNotFoundError:
        return "(not installed)"


def _config(args) -> int:
    import yaml

    from multis2s.config import config_to_dict

    from multis2s.run import Run

    run = Run.from_config(args.config, args.overrides)
    print(yaml.safe_dump(config_to_dict(run.config), sort_keys=False, allow_unicode=True), end="")
    return 0


def _average(args) -> int:
    from multis2s.averaging import average_run
    from multis2s.run_folder import RunFolder

    print(f"wrote {average_run(RunFolder(args.run_dir), args.last, args.out)}")
    return 0


def _serve(args) -> int:
    from multis2s.extras import require

    require("serve", "starlette", "uvicorn", "python_multipart")
    if args.max_upload_mb <= 0 or args.batch_wait_ms < 0 or args.max_batch < 1:
        raise DataError("--max-upload-mb must be > 0, --batch-wait-ms >= 0 and --max-batch >= 1")
    from multis2s.serve.app import ServeSettings
    from multis2s.serve.server import serve

    settings = ServeSettings(max_upload_bytes=int(args.max_upload_mb * 1024 * 1024),
                             batch_wait_ms=args.batch_wait_ms, max_batch=args.max_batch)
    serve(args.run_dir, host=args.host, port=args.port, checkpoint=args.checkpoint,
          trust_plugins=args.trust_plugins, settings=settings)
    return 0


def _export(args) -> int:
    from multis2s.export.exporter import export_run
    from multis2s.run import Run

    run = Run.from_folder(args.run_dir, args.checkpoint, trust_plugins=args.trust_plugins)
    exported = export_run(run, format=args.format, out=args.out, split=args.split)
    print(f"wrote {exported.folder}: {args.format} graphs, manifest.json, runner.py (checked against the model)")
    for note in exported.notes:
        print(f"note: {note}")
    return 0


def _new_plugin(args) -> int:
    from multis2s.scaffold import write_plugin

    folder = write_plugin(args.name, args.kind, args.out)
    print(f"wrote {folder}: a plugin package registering the {args.kind} {args.name!r}")
    print(f"next: pip install -e {folder} && (cd {folder} && python -m pytest -q)")
    return 0


COMMANDS = {"plugins": _plugins, "train": _train, "run": _run, "evaluate": _evaluate, "predict": _predict,
            "attention": _attention, "config": _config, "average": _average, "new-plugin": _new_plugin,
            "serve": _serve, "export": _export}


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the command; returns the exit code."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    takes_overrides = args.command in ("train", "run", "config")
    if extra and (not takes_overrides or any("=" not in e or e.startswith("-") for e in extra)):
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
