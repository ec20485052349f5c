"""TorchScript graphs: the encoder and step modules traced with ``torch.jit.trace`` and saved.

Tracing records the tensor operations one call runs: sizes stay symbolic (``x.size(1)``), but
Python control flow over tensor values is fixed to the traced case, which
:mod:`multis2s.export.checks` catches by running the graphs on batches of other shapes.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

FILES = {"encoder": "encoder.pt", "step": "step.pt"}


def traced(module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> torch.jit.ScriptModule:
    """``module`` traced on ``inputs`` (tracer warnings silenced: the checks run the graphs instead)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.jit.trace(module, inputs, check_trace=False)


def write_torchscript(encoder: nn.Module, step: nn.Module, encoder_inputs: tuple[torch.Tensor, ...],
                      step_inputs: tuple[torch.Tensor, ...], folder: Path) -> dict[str, str]:
    """Trace both graphs on their example inputs and save them in ``folder``; returns the file names."""
    for name, module, inputs in (("encoder", encoder, encoder_inputs), ("step", step, step_inputs)):
        graph = traced(module, inputs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch.jit is deprecated in favour of torch.export
            torch.jit.save(graph, str(folder / FILES[name]))
    return dict(FILES)
