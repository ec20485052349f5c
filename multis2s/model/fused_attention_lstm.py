"""The teacher-forced loop of an input-feeding LSTM decoder with Bahdanau attention, as one autograd op.

With input feeding every step needs the previous step's attentional vector, so the loop cannot
be one whole-sequence call. Recorded by autograd op by op, each step is some 60 small nodes, and
every weight's gradient is a small product per step plus an accumulation. Here the forward runs
without recording, into buffers allocated once, and the backward is written out: per step only
the products that pass gradients back through time, and the weights' gradients at the end as a
few products over all steps at once. It computes exactly what the step loop of
:class:`~multis2s.model.rnn_decoder.RNNDecoder` computes (a test compares both, values and
gradients); the decoder uses it when its configuration is the one written here (one layer,
LSTM, additive attention, input feeding, one stream present in every row, no autocast).

The two step loops, :func:`forward_steps` and :func:`backward_steps`, also exist compiled
(:mod:`multis2s.model.native`): the same operations in the same order without Python
between them, on several CPU threads one share of the batch rows per thread, and the attention's
energies in chunks of rows that stay in cache. The op takes the compiled loops where they are
built and the tensors are on the CPU, these otherwise; both agree to float rounding (on this
project's machine, to the last bit).

Per step t (embedding contribution x_t with the LSTM biases folded in; ``keys`` are the doubled
keys 2 U m of :class:`~multis2s.model.attention.AdditiveAttention`, whose tanh is 2σ(2·) − 1):
    i, f, g, o = σ, σ, tanh, σ of (x_t + W_f a_{t-1} + W_hh h_{t-1})  (every tanh as 2σ(2·) − 1)
    c_t = f c_{t-1} + i g;  h_t = o tanh(c_t)
    s_t = σ(keys + 2 (W_q h_t + b_q));  α_t = softmax(2 s_t v − Σv, masked);  ctx_t = α_t · values
    a_t = tanh(W_c [h_t; ctx_t] + b_c)

Shapes: T steps, B batch, S source steps, H hidden, G = 4H gates, A attention size, D memory size.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import torch

from multis2s.model import native


class Activations(NamedTuple):
    """What the forward loop writes at every step (the compiled loops read them in this order)."""

    gates: torch.Tensor  # (T, B, G) activated i, f, g, o
    cells: torch.Tensor  # (T + 1, B, H); [0] is the initial cell
    cell_tanh: torch.Tensor  # (T, B, H)
    hiddens: torch.Tensor  # (T + 1, B, H); [0] is the initial hidden state
    feeds: torch.Tensor  # (T + 1, B, H) attentional vectors; [0] is the initial one
    sigmoids: torch.Tensor  # (T, B, S, A) s_t
    weights: torch.Tensor  # (T, B, S) attention weights
    contexts: torch.Tensor  # (T, B, D)


class StepWeights(NamedTuple):
    """The step's parameters and per-batch constants (the compiled loops read them in this order)."""

    w_feed: torch.Tensor  # (G, H)
    w_hidden: torch.Tensor  # (G, H)
    keys: torch.Tensor  # (B, S, A) doubled keys
    values: torch.Tensor  # (B, S, D)
    blocked: torch.Tensor  # (B, S): −Σv on real positions, the dtype's lowest value on padding
    w_query: torch.Tensor  # (A, H)
    b_query: torch.Tensor  # (A,)
    doubled_energy: torch.Tensor  # (A,) 2 v
    w_combine_hidden: torch.Tensor  # (H, H)
    w_combine_context: torch.Tensor  # (H, D)
    b_combine: torch.Tensor  # (H,)


class Gradients(NamedTuple):
    """What the backward loop writes (the compiled loops read them in this order)."""

    gates: torch.Tensor  # (T, B, G) of the gates before activation
    combined: torch.Tensor  # (T, B, H) of W_c [h; ctx] + b_c
    contexts: torch.Tensor  # (T, B, D)
    scores: torch.Tensor  # (T, B, S)
    queries: torch.Tensor  # (T, B, A) of W_q h + b_q
    keys: torch.Tensor  # (B, S, A); zeros on entry
    energy: torch.Tensor  # (B, A) each row's Σ_t Σ_s ds s, of which the gradient of v is made; zeros on entry
    hidden: torch.Tensor  # (B, H) of the initial hidden state; zeros on entry
    cell: torch.Tensor  # (B, H) of the initial cell; zeros on entry
    feed: torch.Tensor  # (B, H) of the initial attentional vector; zeros on entry


def tanh_(x: torch.Tensor, *, doubled: bool = False) -> torch.Tensor:
    """x ← tanh(x) as 2σ(2x) − 1 (of x/2 when ``doubled``: x holds 2x already). PyTorch's CPU tanh
    costs several times its sigmoid (six times for float32 on this project's machine)."""
    return (x if doubled else x.mul_(2)).sigmoid_().mul_(2).sub_(1)


def forward_steps(projected: torch.Tensor, out: Activations, w: StepWeights) -> None:
    """Every step forward: projected (T, B, G) → ``out`` (its step-0 entries given)."""
    size = out.hiddens.size(2)
    batch, source, attention_size = w.keys.shape
    for t in range(projected.size(0)):
        step_gates = out.gates[t]
        torch.addmm(projected[t], out.feeds[t], w.w_feed.t(), out=step_gates)
        step_gates.addmm_(out.hiddens[t], w.w_hidden.t())
        step_gates[:, : 2 * size].sigmoid_()
        tanh_(step_gates[:, 2 * size: 3 * size])
        step_gates[:, 3 * size:].sigmoid_()
        input_gate, forget_gate, candidate, output_gate = step_gates.split(size, dim=1)
        torch.mul(forget_gate, out.cells[t], out=out.cells[t + 1]).addcmul_(input_gate, candidate)
        tanh_(torch.mul(out.cells[t + 1], 2, out=out.cell_tanh[t]), doubled=True)
        torch.mul(output_gate, out.cell_tanh[t], out=out.hiddens[t + 1])
        query = torch.addmm(w.b_query, out.hiddens[t + 1], w.w_query.t(), beta=2, alpha=2)  # (B, A)
        torch.add(w.keys, query.unsqueeze(1), out=out.sigmoids[t]).sigmoid_()
        scores = torch.addmv(w.blocked.view(-1), out.sigmoids[t].view(-1, attention_size), w.doubled_energy)
        out.weights[t] = scores.view(batch, source).softmax(dim=1)
        torch.bmm(out.weights[t].unsqueeze(1), w.values, out=out.contexts[t].unsqueeze(1))
        combined = torch.addmm(w.b_combine, out.hiddens[t + 1], w.w_combine_hidden.t())
        combined.addmm_(out.contexts[t], w.w_combine_context.t())
        tanh_(torch.mul(combined, 2, out=out.feeds[t + 1]), doubled=True)


def backward_steps(grad_feeds: torch.Tensor | None, grad_weights: torch.Tensor | None, act: Activations,
                   w: StepWeights, grad: Gradients) -> None:
    """Every step backward from the gradients of the outputs, grad_feeds (T, B, H) and grad_weights
    (T, B, S) (None where none flows) → ``grad``."""
    size = act.hiddens.size(2)
    values_t = w.values.transpose(1, 2)  # (B, D, S)
    quadrupled_energy = w.doubled_energy * 2
    grad_hidden, grad_cell, grad_feed = grad.hidden.clone(), grad.cell.clone(), grad.feed.clone()
    for t in reversed(range(act.gates.size(0))):
        attentional = act.feeds[t + 1]
        grad_attentional = grad_feed if grad_feeds is None else grad_feeds[t] + grad_feed
        dz = grad.combined[t]
        torch.mul(grad_attentional, 1 - attentional * attentional, out=dz)
        grad_hidden = torch.addmm(grad_hidden, dz, w.w_combine_hidden)
        torch.mm(dz, w.w_combine_context, out=grad.contexts[t])
        grad_weight = torch.bmm(grad.contexts[t].unsqueeze(1), values_t).squeeze(1)  # (B, S)
        if grad_weights is not None:
            grad_weight = grad_weight + grad_weights[t]
        weight = act.weights[t]
        ds = grad.scores[t]
        torch.mul(weight, grad_weight - (weight * grad_weight).sum(dim=1, keepdim=True), out=ds)
        sigmoid = act.sigmoids[t]
        slope = torch.addcmul(sigmoid, sigmoid, sigmoid, value=-1.0)  # σ'(·) = s − s²
        grad.energy.unsqueeze(1).baddbmm_(ds.unsqueeze(1), sigmoid)  # (B, A) += Σ_s ds s
        torch.bmm(ds.unsqueeze(1), slope, out=grad.queries[t].unsqueeze(1)).mul_(quadrupled_energy)  # of W_q h + b_q
        grad.keys.addcmul_(slope, ds.unsqueeze(2))  # (B, S, A), times 2v once all steps are in
        grad_hidden = grad_hidden.addmm_(grad.queries[t], w.w_query)
        input_gate, forget_gate, candidate, output_gate = act.gates[t].split(size, dim=1)
        tanh_cell = act.cell_tanh[t]
        grad_cell = grad_cell + grad_hidden * output_gate * (1 - tanh_cell * tanh_cell)
        grad_in, grad_forget, grad_candidate, grad_out = grad.gates[t].split(size, dim=1)
        torch.mul(grad_cell * candidate, input_gate * (1 - input_gate), out=grad_in)
        torch.mul(grad_cell * act.cells[t], forget_gate * (1 - forget_gate), out=grad_forget)
        torch.mul(grad_cell * input_gate, 1 - candidate * candidate, out=grad_candidate)
        torch.mul(grad_hidden * tanh_cell, output_gate * (1 - output_gate), out=grad_out)
        grad_cell = grad_cell * forget_gate
        grad_hidden = torch.mm(grad.gates[t], w.w_hidden)
        grad_feed = torch.mm(grad.gates[t], w.w_feed)
    grad.keys.mul_(w.doubled_energy)
    grad.hidden.copy_(grad_hidden)
    grad.cell.copy_(grad_cell)
    grad.feed.copy_(grad_feed)


class StepLoops(NamedTuple):
    """A forward and a backward loop with the signatures of :func:`forward_steps` and :func:`backward_steps`."""

    forward: Callable[..., None]
    backward: Callable[..., None]


def step_loops(like: torch.Tensor) -> StepLoops:
    """The compiled loops where they are built and ``like`` is on the CPU, else this module's."""
    loops = native.compiled("attention_lstm") if like.device.type == "cpu" else None
    if loops is None:
        return StepLoops(forward_steps, backward_steps)
    return StepLoops(loops.forward_steps, loops.backward_steps)


class FusedAttentionLSTM(torch.autograd.Function):
    """(projected, h0, c0, a0, W_f, W_hh, keys, values, mask, W_q, b_q, v, W_c, b_c) → attentional
    vectors (T, B, H) and attention weights (T, B, S)."""

    @staticmethod
    def forward(ctx, projected, h0, c0, feed0, w_feed, w_hidden, keys, values, mask, w_query, b_query, energy,
                w_combine, b_combine):
        """projected (T, B, G); h0, c0, feed0 (B, H); w_feed, w_hidden (G, H); keys (B, S, A);
        values (B, S, D); mask (B, S) bool; w_query (A, H); b_query (A,); energy (A,);
        w_combine (H, H + D); b_combine (H,)."""
        steps, batch, gate_size = projected.shape
        size = gate_size // 4
        source, attention_size = keys.shape[1], keys.shape[2]
        new = projected.new_empty
        out = Activations(new(steps, batch, gate_size), new(steps + 1, batch, size), new(steps, batch, size),
                          new(steps + 1, batch, size), new(steps + 1, batch, size),
                          new(steps, batch, source, attention_size), new(steps, batch, source),
                          new(steps, batch, values.shape[2]))
        out.cells[0], out.hiddens[0], out.feeds[0] = c0, h0, feed0
        blocked = torch.full((batch, source), -float(energy.sum()), dtype=projected.dtype, device=projected.device)
        blocked.masked_fill_(~mask, torch.finfo(projected.dtype).min)
        weights = StepWeights(w_feed, w_hidden, keys.contiguous(), values.contiguous(), blocked, w_query, b_query,
                              energy * 2, w_combine[:, :size], w_combine[:, size:], b_combine)
        step_loops(projected).forward(projected, out, weights)
        ctx.save_for_backward(*out, *weights)
        return out.feeds[1:], out.weights

    @staticmethod
    def backward(ctx, grad_feeds, grad_weights):
        saved = ctx.saved_tensors
        act, w = Activations(*saved[:len(Activations._fields)]), StepWeights(*saved[len(Activations._fields):])
        steps, batch, gate_size = act.gates.shape
        size = gate_size // 4
        zeros = act.hiddens.new_zeros
        attention_size = w.keys.shape[2]
        grad = Gradients(torch.empty_like(act.gates), torch.empty_like(act.feeds[1:]), torch.empty_like(act.contexts),
                         torch.empty_like(act.weights), act.gates.new_empty(steps, batch, attention_size),
                         torch.zeros_like(w.keys), zeros(batch, attention_size), zeros(batch, size),
                         zeros(batch, size), zeros(batch, size))
        step_loops(act.gates).backward(grad_feeds, grad_weights, act, w, grad)
        flat_gates = grad.gates.view(-1, gate_size)  # (T·B, G)
        flat_combined = grad.combined.view(-1, size)  # (T·B, H)
        new_hiddens = act.hiddens[1:].reshape(-1, size)
        grad_w_feed = flat_gates.t() @ act.feeds[:-1].reshape(-1, size)
        grad_w_hidden = flat_gates.t() @ act.hiddens[:-1].reshape(-1, size)
        flat_queries = grad.queries.view(-1, grad.queries.shape[2])  # (T·B, A)
        grad_w_query = flat_queries.t() @ new_hiddens
        grad_energy = grad.energy.sum(dim=0) * 2 - grad.scores.sum()  # (A,)
        grad_w_combine = torch.cat([flat_combined.t() @ new_hiddens,
                                    flat_combined.t() @ act.contexts.view(-1, act.contexts.shape[2])], dim=1)
        grad_values = torch.bmm(act.weights.permute(1, 2, 0), grad.contexts.transpose(0, 1))  # (B, S, D)
        return (grad.gates, grad.hidden, grad.cell, grad.feed, grad_w_feed, grad_w_hidden, grad.keys, grad_values,
                None, grad_w_query, flat_queries.sum(dim=0), grad_energy, grad_w_combine,
                flat_combined.sum(dim=0))
