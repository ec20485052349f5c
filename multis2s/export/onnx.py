"""ONNX graphs: the encoder and step modules through ``torch.onnx.export``, every axis dynamic.

This uses the TorchScript-based exporter (``dynamo=False``). The default ``torch.export`` one
cannot export an RNN over a packed sequence (PyTorch's LSTM builds its zero state from the packed
batch sizes, a data-dependent shape), and every RNN encoder here packs; the TorchScript-based one
turns pack → RNN → unpack into an ONNX RNN with ``sequence_lens``. Like TorchScript it traces one
call, so :mod:`multis2s.export.checks` runs the graphs through onnxruntime on batches of other shapes.
Every axis of every input and output is dynamic (named ``batch`` for axis 0): an axis that never
changes (image sides, feature sizes) costs nothing, a fixed one that changes would be an error.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

from multis2s.errors import ExportError
from multis2s.export.graphs import Layout
from multis2s.export.runner import INSTALL_HINT

FILES = {"encoder": "encoder.onnx", "step": "step.onnx"}
OPSET = 17


def require_onnx() -> None:
    """onnx and onnxruntime are importable, else an ExportError with the install line."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise ExportError(f"--format onnx needs {exc.name}: {INSTALL_HINT}") from None


def dynamic_axes(names: tuple[str, ...], tensors: list[torch.Tensor]) -> dict[str, dict[int, str]]:
    """Every axis of every named tensor dynamic: axis 0 ``batch``, the others ``<name>.<axis>``."""
    return {name: {axis: "batch" if axis == 0 else f"{name}.{axis}" for axis in range(t.dim())}
            for name, t in zip(names, tensors)}


def _export(module: nn.Module, inputs: tuple[torch.Tensor, ...], input_names: tuple[str, ...],
            output_names: tuple[str, ...], path: Path, part: str) -> None:
    with torch.no_grad():
        outputs = module(*inputs)
    axes = {**dynamic_axes(input_names, list(inputs)), **dynamic_axes(output_names, list(outputs))}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, inputs, str(path), dynamo=False, opset_version=OPSET,
                              input_names=list(input_names), output_names=list(output_names), dynamic_axes=axes)
    except Exception as exc:  # the exporter's errors name an operator or a construct it cannot write
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ExportError(f"cannot write the {part} as ONNX ({type(exc).__name__}: {reason})") from None


def write_onnx(encoder: nn.Module, step: nn.Module, encoder_inputs: tuple[torch.Tensor, ...],
               step_inputs: tuple[torch.Tensor, ...], layout: Layout, folder: Path) -> dict[str, str]:
    """Export both graphs with the layout's tensor names into ``folder``; returns the file names."""
    require_onnx()
    _export(encoder, encoder_inputs, layout.encoder_inputs, layout.encoder_outputs, folder / FILES["encoder"],
            "encoder(s)")
    _export(step, step_inputs, layout.step_inputs, layout.step_outputs, folder / FILES["step"], "decoder step")
    return dict(FILES)
