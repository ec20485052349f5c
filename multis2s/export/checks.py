"""The exported graphs, loaded back, against the eager modules they were traced from.

Tracing fixes Python control flow over tensor values (a branch on ``lengths.max()``, a size read
with ``int(…)``) to the traced case. So the graphs are run, as a runner loads them, on batches
other than the traced one (other batch sizes and lengths, streams absent from some rows), and
compared with the eager :class:`~multis2s.export.graphs.EncoderGraph` and
:class:`~multis2s.export.graphs.StepGraph`: the encoder's outputs, then the step's along the
eager greedy path (the same tokens and states fed to both, so a near tie cannot make them part).

Shapes: B batch, V vocabulary.
"""

from __future__ import annotations

import numpy as np
import torch

from multis2s.data.vocabulary import BOS_ID
from multis2s.errors import ExportError
from multis2s.export.graphs import EncoderGraph, StepGraph
from multis2s.export.runner import Graphs

RTOL, ATOL = 1e-3, 1e-4
STEPS = 8
"""Decoder steps compared per batch."""


def _mismatch(names: tuple[str, ...], expected: tuple[torch.Tensor, ...], got: list[np.ndarray]) -> str | None:
    """The first output that differs (shape, or values beyond the tolerance), described; None when all agree."""
    if len(got) != len(expected):
        return f"{len(got)} outputs instead of {len(expected)}"
    for name, want, have in zip(names, expected, got):
        want = want.numpy()
        if want.shape != have.shape:
            return f"{name} has shape {have.shape} instead of {want.shape}"
        close = np.array_equal(want, have) if want.dtype == bool else np.allclose(have, want, rtol=RTOL, atol=ATOL)
        if not close:
            worst = np.abs(have.astype(np.float64) - want.astype(np.float64)).max()
            return f"{name} differs by up to {worst:.3g}"
    return None


def _fail(part: str, format: str, traced: str, batch: str, detail: str) -> ExportError:
    return ExportError(f"cannot export {part} to {format}: traced on {traced}, its graph computes something else on "
                       f"{batch} ({detail}); tracing fixes Python code that branches on tensor values or sizes "
                       "to the traced case")


def _error(part: str, format: str, traced: str, batch: str, exc: Exception) -> ExportError:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()] or [type(exc).__name__]
    reason = lines[-1] if "TorchScript interpreter" in lines[0] else lines[0]  # its last line is the error itself
    return ExportError(f"cannot export {part} to {format}: traced on {traced}, its graph fails on {batch} ({reason}); "
                       "tracing fixes Python code that branches on tensor values or sizes to the traced case")


def _shapes(inputs: tuple[torch.Tensor, ...]) -> str:
    return "a batch of " + ", ".join("x".join(map(str, t.shape)) for t in inputs[::2])


@torch.no_grad()
def check_graphs(graphs: Graphs, encoder: EncoderGraph, step: StepGraph, *, format: str,
                 traced: tuple[torch.Tensor, ...], batches: list[tuple[torch.Tensor, ...]]) -> None:
    """Raise an ExportError naming the part whose exported graph disagrees with its eager module on
    one of ``batches`` (encoder inputs), up to :data:`STEPS` greedy steps each."""
    layout = encoder.layout
    for inputs in batches:
        described = _shapes(inputs)
        try:
            got = graphs.encode([t.numpy() for t in inputs])
        except Exception as exc:  # the runtime's own error: a shape the graph fixed, an op it cannot run
            raise _error("the encoder(s)", format, _shapes(traced), described, exc) from None
        expected = encoder(*inputs)
        problem = _mismatch(layout.encoder_outputs, expected, got)
        if problem:
            raise _fail("the encoder(s)", format, _shapes(traced), described, problem)
        count = len(layout.memory)
        memory, state = expected[:count], expected[count:]
        tokens = torch.full((memory[0].size(0),), BOS_ID, dtype=torch.long)
        for number in range(STEPS):
            feeds = (tokens, *memory, *state)
            try:
                got = graphs.step([t.numpy() for t in feeds])
            except Exception as exc:
                raise _error("the decoder step", format, "the first step", f"step {number + 1} of {described}",
                             exc) from None
            expected = step(*feeds)
            problem = _mismatch(layout.step_outputs, expected, got)
            if problem:
                raise _fail("the decoder step", format, "the first step", f"step {number + 1} of {described}",
                            problem)
            tokens, state = expected[0].argmax(dim=-1), expected[1 + len(layout.streams):]
