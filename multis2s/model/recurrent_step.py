"""One step of a stacked ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` at a time, from the module's own weights.

A decoder that must step (input feeding, location attention, search) would otherwise call the
module once per step, and PyTorch's CPU kernels for the whole-sequence recurrence repack the
weights on every call: one step of a 1-layer LSTM of 256 cost about 7 ms forward and backward
on the anchor model. Here a step is two matrix products per layer over views of the weights
(no copies), and the part of the first layer's input known before the loop (the target
embeddings) is projected for all steps in one product (:meth:`RecurrentSteps.project_inputs`).
The parameters stay those of the module, so checkpoints and initialisation are unchanged, and
the whole-sequence module call remains the path when nothing needs stepping.

Gate layouts are PyTorch's: LSTM (i, f, g, o), GRU (r, z, n).

Shapes: B batch, T steps, E known input size (embeddings), F extra input size (the fed-back
attentional vector, 0 without input feeding), H hidden, G gates × H, L layers.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from multis2s.model.dropout import dropout


class LayerWeights(NamedTuple):
    """One layer's weights as views: ``known`` (G, E) for the projected-in-advance input (layer 0
    only, else None), ``extra`` (G, F or H below) for the stepped input, ``hidden`` (G, H),
    ``input_bias`` (G,): the input side's bias, with the hidden bias folded in (but for the GRU,
    whose hidden bias sits inside the reset gate), and ``hidden_bias`` (G,)."""

    known: torch.Tensor | None
    extra: torch.Tensor | None
    hidden: torch.Tensor
    input_bias: torch.Tensor
    hidden_bias: torch.Tensor


class RecurrentSteps:
    """Steps an ``nn.LSTM``/``nn.GRU``/``nn.RNN`` (batch first, unidirectional, with biases).

    Build one per batch (it takes views of the weights, so autograd accumulates each weight's
    gradient over all steps before flowing into the parameter once).
    """

    def __init__(self, rnn: nn.RNNBase, known_size: int) -> None:
        """known_size: how many leading features of the first layer's input are projected in
        advance (E); the rest (F) is given at each step."""
        if rnn.bidirectional or not rnn.bias or rnn.proj_size:
            raise ValueError("RecurrentSteps steps unidirectional recurrences with biases and no projection")
        self.kind = rnn.mode  # "LSTM", "GRU", "RNN_TANH" or "RNN_RELU"
        self.hidden_size = rnn.hidden_size
        self.dropout = rnn.dropout if rnn.training else 0.0
        self.layers = []
        for layer in range(rnn.num_layers):
            w_ih = getattr(rnn, f"weight_ih_l{layer}")
            w_hh, b_ih, b_hh = (getattr(rnn, f"{name}_l{layer}") for name in ("weight_hh", "bias_ih", "bias_hh"))
            if layer == 0:
                known = w_ih[:, :known_size]
                extra = w_ih[:, known_size:] if w_ih.size(1) > known_size else None
            else:
                known, extra = None, w_ih
            input_bias = b_ih if self.kind == "GRU" else b_ih + b_hh
            self.layers.append(LayerWeights(known, extra, w_hh, input_bias, b_hh))

    def project_inputs(self, known: torch.Tensor) -> torch.Tensor:
        """known inputs (B, T, E) or (B, E) → their first-layer gate contributions (…, G), biases
        included (for the GRU, only the input bias: its hidden bias sits inside the reset gate)."""
        first = self.layers[0]
        return F.linear(known, first.known, first.input_bias)

    def step(self, projected: torch.Tensor, extra: torch.Tensor | None, hidden: torch.Tensor,
             cell: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """One step of every layer.

        projected (B, G): this step's :meth:`project_inputs`; extra (B, F) or None; hidden,
        cell: (B, L, H) (cell None but for the LSTM) → the new hidden and cell, (B, L, H) each.
        """
        hiddens = hidden.unbind(1)
        cells = cell.unbind(1) if cell is not None else [None] * len(self.layers)
        new_hiddens, new_cells = [], []
        below = extra
        for layer, weights in enumerate(self.layers):
            if layer == 0:
                gates_in = projected if below is None else torch.addmm(projected, below, weights.extra.t())
            else:
                if self.dropout:
                    below = dropout(below, self.dropout)
                gates_in = torch.addmm(weights.input_bias, below, weights.extra.t())
            below, new_cell = self._cell(gates_in, weights, hiddens[layer], cells[layer])
            new_hiddens.append(below)
            new_cells.append(new_cell)
        return torch.stack(new_hiddens, dim=1), (torch.stack(new_cells, dim=1) if cell is not None else None)

    def _cell(self, gates_in: torch.Tensor, weights: LayerWeights, hidden: torch.Tensor,
              cell: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """gates_in (B, G) the input side (biases folded in but the GRU's hidden bias) → hidden, cell (B, H)."""
        size = self.hidden_size
        if self.kind == "GRU":
            gates_hidden = torch.addmm(weights.hidden_bias, hidden, weights.hidden.t())  # (B, 3H)
            in_gates, in_new = gates_in.split([2 * size, size], dim=1)
            hidden_gates, hidden_new = gates_hidden.split([2 * size, size], dim=1)
            reset, update = torch.sigmoid(in_gates + hidden_gates).chunk(2, dim=1)
            new = torch.tanh(torch.addcmul(in_new, reset, hidden_new))
            return torch.addcmul(new, update, hidden - new), None
        gates = torch.addmm(gates_in, hidden, weights.hidden.t())  # (B, G)
        if self.kind == "LSTM":
            input_forget, candidate, output = gates.split([2 * size, size, size], dim=1)
            input_gate, forget_gate = torch.sigmoid(input_forget).chunk(2, dim=1)
            new_cell = torch.addcmul(forget_gate * cell, input_gate, torch.tanh(candidate))
            return torch.sigmoid(output) * torch.tanh(new_cell), new_cell
        return (torch.tanh(gates) if self.kind == "RNN_TANH" else torch.relu(gates)), None
