"""An ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` over a padded batch without packing, padding kept out.

A packed sequence whose rows have different lengths sends PyTorch's CPU recurrence down a path of
per-step slices, whose backward fills a zero tensor of the whole packed input for every step:
the BiLSTM encoder of the anchor model took about twice as long forward and backward as on rows
of one length (BENCHMARKS.md, issue 10). Here each layer and direction is one whole-sequence call
over the padded batch, the path PyTorch runs fastest:

- forward direction: padding follows every row's real steps, so it never reaches them;
- backward direction: each row's real steps are reversed in place (padding stays at the end),
  run forward, and reversed back.

A bidirectional float32 LSTM on the CPU with more than one intra-op thread runs both directions
of a layer at once, one thread each (:mod:`multis2s.model.lstm_directions`), with the same values.

Outputs beyond each row's length are zeros and final states are taken at each row's last real
step, as with packing; the module's own parameters are used, so checkpoints are unchanged.
Between layers the module's dropout applies to the padded outputs (another draw of the random
mask than packing's, over the same real steps).

Shapes: B batch, S steps, E input size, H hidden size, L layers, dirs 1 or 2.
"""

from __future__ import annotations

import torch
from torch import nn

from multis2s.model import lstm_directions
from multis2s.model.dropout import dropout

RECURRENCES = {"LSTM": torch.lstm, "GRU": torch.gru, "RNN_TANH": torch.rnn_tanh, "RNN_RELU": torch.rnn_relu}


def run_padded(rnn: nn.RNNBase, inputs: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``rnn`` (batch first) over inputs (B, S, E) whose rows have ``lengths`` (B,) real steps (at least 1).

    Returns outputs (B, S, H·dirs), zero beyond the lengths, and every layer's and direction's
    final hidden state (L·dirs, B, H), ordered as ``nn.LSTM``'s ``h_n``.
    """
    if not rnn.batch_first or rnn.proj_size:
        raise ValueError("run_padded needs a batch-first recurrence without projections")
    batch, steps = inputs.shape[:2]
    lengths = lengths.to(inputs.device)
    positions = torch.arange(steps, device=inputs.device)
    real = positions < lengths.unsqueeze(1)  # (B, S)
    reverse = torch.where(real, lengths.unsqueeze(1) - 1 - positions, positions)  # (B, S) each row's real steps flipped
    rows, last = torch.arange(batch, device=inputs.device), lengths - 1
    directions = 2 if rnn.bidirectional else 1
    layer_input, finals = inputs, []
    together = lstm_directions.usable(rnn, inputs)
    for layer in range(rnn.num_layers):
        layer_inputs = [layer_input] + ([_reorder(layer_input, reverse)] if directions == 2 else [])  # (B, S, ·) each
        if together:
            outs = lstm_directions.run_directions(rnn, layer, layer_inputs)
        else:
            outs = [_one_layer(rnn, x, f"_l{layer}{'_reverse' if direction else ''}")
                    for direction, x in enumerate(layer_inputs)]
        outputs = []
        for direction, out in enumerate(outs):  # each (B, S, H)
            finals.append(out[rows, last])  # (B, H)
            outputs.append(_reorder(out, reverse) if direction else out)
        layer_input = torch.cat(outputs, dim=2) if directions == 2 else outputs[0]  # (B, S, H·dirs)
        if rnn.dropout and rnn.training and layer < rnn.num_layers - 1:
            layer_input = dropout(layer_input, rnn.dropout)
    return layer_input * real.unsqueeze(2).to(layer_input.dtype), torch.stack(finals)


def _reorder(x: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """x (B, S, D) with each row's steps taken in ``order`` (B, S)."""
    return x.gather(1, order.unsqueeze(2).expand(-1, -1, x.size(2)))


def _one_layer(rnn: nn.RNNBase, x: torch.Tensor, suffix: str) -> torch.Tensor:
    """One layer and direction of ``rnn`` (its parameters named with ``suffix``) over x (B, S, ·) → (B, S, H)."""
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh") if rnn.bias else ("weight_ih", "weight_hh")
    weights = [getattr(rnn, name + suffix) for name in names]
    initial = x.new_zeros(1, x.size(0), rnn.hidden_size)
    hx = (initial, initial) if rnn.mode == "LSTM" else initial
    return RECURRENCES[rnn.mode](x, hx, weights, rnn.bias, 1, 0.0, rnn.training, False, True)[0]
