"""The directions of a bidirectional LSTM layer at once, one intra-op thread each, on the CPU.

``torch.lstm`` runs a bidirectional layer's directions one after the other, each split over the
intra-op threads, and at the anchor model's size (64 rows, 128 hidden) a step's products are too
small to split well. Training that model on 2 threads, the encoder's two directions took 9.0 ms an
update that way (3.1 forward, 5.9 backward) and 7.1 ms with one direction per thread (2.5 and 4.6;
``torch.profiler`` over 100 updates, BENCHMARKS.md, issue 10).

The compiled kernel (``csrc/lstm_directions.cpp``, :mod:`multis2s.model.native`) calls, for each
direction, the oneDNN LSTM layer that ``torch.lstm`` itself calls on the CPU, so outputs and
gradients are those of ``torch.lstm`` to the last bit when each direction gets one thread. With
more threads than directions, each direction's batch rows are split into parts too (weight
gradients summed over the parts). Where the kernel or oneDNN is not there, the layer is not a
float32 CPU LSTM with biases, or CPU autocast is on, :func:`usable` says so and the caller runs
``torch.lstm``.

Shapes: B batch, S steps, E input size, H hidden size, D directions.
"""

from __future__ import annotations

from types import ModuleType

import torch
from torch import nn

from multis2s.model import native


def usable(rnn: nn.RNNBase, inputs: torch.Tensor) -> bool:
    """Whether :func:`run_directions` can run ``rnn``'s layers over ``inputs``."""
    return (rnn.mode == "LSTM" and rnn.bidirectional and rnn.bias and not rnn.proj_size
            and inputs.device.type == "cpu" and inputs.dtype == torch.float32
            and torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled
            and torch.get_num_threads() > 1 and not torch.is_autocast_enabled("cpu")
            and not torch.compiler.is_compiling() and _kernel() is not None)


def run_directions(rnn: nn.RNNBase, layer: int, inputs: list[torch.Tensor]) -> list[torch.Tensor]:
    """Layer ``layer`` of ``rnn``: direction d over inputs[d] (B, S, E), from zero states → outputs (B, S, H) each."""
    weights = [getattr(rnn, f"{name}_l{layer}{suffix}")
               for suffix in ("", "_reverse")[:len(inputs)]
               for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    parts = max(1, torch.get_num_threads() // len(inputs))
    if torch.is_grad_enabled() and any(t.requires_grad for t in (*inputs, *weights)):
        return list(LSTMDirections.apply(rnn.hidden_size, parts, len(inputs), *inputs, *weights))
    return _kernel().forward(inputs, weights, rnn.hidden_size, parts, False)[:len(inputs)]


def _kernel() -> ModuleType | None:
    return native.compiled("lstm_directions")


class LSTMDirections(torch.autograd.Function):
    """(H, parts per direction, D, D inputs (B, S, E), 4 weights per direction) → D outputs (B, S, H)."""

    @staticmethod
    def forward(ctx, hidden, parts, directions, *tensors):
        inputs, weights = tensors[:directions], tensors[directions:]
        results = _kernel().forward([x.detach() for x in inputs], [w.detach() for w in weights], hidden, parts, True)
        ctx.hidden, ctx.parts, ctx.directions = hidden, parts, directions
        ctx.output_shape = (*inputs[0].shape[:2], hidden)
        ctx.save_for_backward(*weights, *results[directions:])
        return tuple(results[:directions])

    @staticmethod
    def backward(ctx, *grads):
        saved = ctx.saved_tensors
        directions = ctx.directions
        weights, kept = saved[:4 * directions], saved[4 * directions:]
        grads = [kept[0].new_zeros(ctx.output_shape) if g is None else g for g in grads]
        results = _kernel().backward(list(kept), list(weights), [g.contiguous() for g in grads], ctx.hidden,
                                     ctx.parts)
        grad_inputs = [results[5 * d] for d in range(directions)]
        grad_weights = [results[5 * d + 1 + k] for d in range(directions) for k in range(4)]
        return (None, None, None, *grad_inputs, *grad_weights)
