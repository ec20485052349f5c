"""``multis2s export``: a trained run's encoders and one decoder step as graphs, a manifest and a runner.

The graphs are traced on a batch of the run's own examples (``--split``, dev by default) that
all have every stream, then loaded back and checked (:mod:`multis2s.export.checks`) on a batch
of other sizes and on one of every probe example (streams absent from some rows included),
before anything is written to the output folder. What is not exported, and why, goes into the
manifest's ``notes`` and is printed:

- the search: the runner decodes greedily; the step graph is what a beam search would call;
- a CTC head (``model.ctc_weight``): greedy decoding with the attention decoder does not use it.

A run with the copy mechanism (``model.copy``) is refused: its step is not exported yet.

``train.compile`` changes nothing: a checkpoint holds plain weights and export rebuilds the model eagerly.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

from multis2s.data.example import Example
from multis2s.data.loader import ExampleTensors, make_loader
from multis2s.data.vocabulary import BOS_ID
from multis2s.errors import ExportError
from multis2s.export import runner
from multis2s.export.checks import check_graphs
from multis2s.export.graphs import EncoderGraph, Layout, StepGraph
from multis2s.export.manifest import build_manifest, write_manifest
from multis2s.export.onnx import require_onnx, write_onnx
from multis2s.export.torchscript import write_torchscript

FORMATS = ("torchscript", "onnx")
PROBE_EXAMPLES = 12
"""Examples read to trace and check: the 4 longest that have every stream are traced; the 3
shortest of those, and all of them together, are checked."""


@dataclass
class Exported:
    """Where the export went and what it left out."""

    folder: Path
    notes: list[str]


def batch_inputs(run, examples: list[Example]) -> tuple[torch.Tensor, ...]:
    """``examples`` as one batch of encoder inputs: per stream its source (B, S_in, …) and lengths (B,).
    Some example must have each stream."""
    tensors = ExampleTensors(examples, run.streams, run.target, train=False)
    batch = next(iter(make_loader(tensors, [list(range(len(examples)))], num_workers=0, pin_memory=False)))
    return tuple(t for name in run.streams.names for t in (batch.sources[name], batch.source_lengths[name]))


def probes(run, split: str) -> tuple[tuple[torch.Tensor, ...], list[tuple[torch.Tensor, ...]]]:
    """The traced batch and the checked batches (see :data:`PROBE_EXAMPLES`)."""
    examples = run.examples(split)[:PROBE_EXAMPLES]
    complete = [e for e in examples if all(v is not None for v in run.streams.views(e).values())]
    if len(complete) < 2:
        raise ExportError(f"split {split!r}: export traces a batch of at least 2 examples that have every stream "
                          f"({', '.join(run.streams.names)}); its first {len(examples)} examples hold "
                          f"{len(complete)}")
    by_length = sorted(complete, key=run.streams.length)
    return batch_inputs(run, by_length[-4:]), [batch_inputs(run, by_length[:3]), batch_inputs(run, examples)]


def notes_of(run) -> list[str]:
    """What the export leaves out of this run, one sentence each."""
    notes = []
    search = run.config.eval.search
    if search.type != "greedy":
        notes.append(f"eval.search is {search.type!r}: the runner decodes greedily (the step graph is what "
                     "another search would call)")
    if run.model.ctc is not None:
        notes.append("the CTC head is not exported: greedy decoding with the attention decoder does not use it")
    return notes


def _replace_folder(written: Path, out: Path) -> None:
    """Move the checked export into ``out``: a new or empty folder, or an earlier export (replaced)."""
    if out.exists():
        if not out.is_dir() or (any(out.iterdir()) and not (out / runner.MANIFEST).is_file()):
            raise ExportError(f"{out}: exists and is not an export folder; choose another --out")
        shutil.rmtree(out)
    written.rename(out)


@torch.no_grad()
def export_run(run, *, format: str, out: Path, split: str = "dev") -> Exported:
    """Write ``run``'s graphs in ``format`` (see :data:`FORMATS`), manifest and runner into ``out``."""
    if format not in FORMATS:
        raise ExportError(f"--format {format!r} is not one of {', '.join(FORMATS)}")
    if run.config.model.copy:
        raise ExportError("model.copy: a run with the copy mechanism does not export yet (its step mixes in the "
                          "attention over an extended vocabulary of each input's own source words)")
    if format == "onnx":
        require_onnx()
    model = run.model.cpu().eval()
    traced, checked = probes(run, split)
    encoded = model.encode(dict(zip(run.streams.names, traced[::2])), dict(zip(run.streams.names, traced[1::2])))
    state = model.decoder.initial_state(encoded)
    layout = Layout.of(model.decoder.prepare(encoded), state)
    # eval() on the wrappers too: the ONNX exporter restores the top module's mode on all of its children
    encoder, step = EncoderGraph(model, layout).eval(), StepGraph(model, layout, state).eval()
    step_inputs = (torch.full((traced[0].size(0),), BOS_ID, dtype=torch.long), *encoder(*traced))
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        if format == "onnx":
            files = write_onnx(encoder, step, traced, step_inputs, layout, folder)
        else:
            files = write_torchscript(encoder, step, traced, step_inputs, folder)
        notes = notes_of(run)
        write_manifest(build_manifest(run, layout, format=format, files=files, inputs=list(traced), notes=notes),
                       folder)
        shutil.copy(runner.__file__, folder / "runner.py")
        loaded = runner.ExportedModel.load(folder)
        check_graphs(loaded.graphs, encoder, step, format=format, traced=traced, batches=checked)
        _replace_folder(folder, out)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Exported(out, notes)
