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

Per step t (embedding contribution x_t with the LSTM biases folded in; ``keys`` are the doubled
keys 2 U m of :class:`~multis2s.model.attention.AdditiveAttention`, whose tanh is 2σ(2·) − 1):
    i, f, g, o = σ, σ, tanh, σ of (x_t + W_f a_{t-1} + W_hh h_{t-1})
    c_t = f c_{t-1} + i g;  h_t = o tanh(c_t)
    s_t = σ(keys + 2 (W_q h_t + b_q));  α_t = softmax(2 s_t v − Σv, masked);  ctx_t = α_t · values
    a_t = tanh(W_c [h_t; ctx_t] + b_c)

Shapes: T steps, B batch, S source steps, H hidden, A attention size, D memory size.
"""

from __future__ import annotations

import torch


class FusedAttentionLSTM(torch.autograd.Function):
    """(projected, h0, c0, a0, W_f, W_hh, keys, values, mask, W_q, b_q, v, W_c, b_c) → attentional
    vectors (T, B, H) and attention weights (T, B, S)."""

    @staticmethod
    def forward(ctx, projected, h0, c0, feed0, w_feed, w_hidden, keys, values, mask, w_query, b_query, energy,
                w_combine, b_combine):
        """projected (T, B, 4H); h0, c0, feed0 (B, H); w_feed, w_hidden (4H, H); keys (B, S, A);
        values (B, S, D); mask (B, S) bool; w_query (A, H); b_query (A,); energy (A,);
        w_combine (H, H + D); b_combine (H,)."""
        steps, batch, gate_size = projected.shape
        size = gate_size // 4
        source, attention_size = keys.shape[1], keys.shape[2]
        new = projected.new_empty
        gates = new(steps, batch, gate_size)  # activated i, f, g, o
        cells = new(steps + 1, batch, size)
        cell_tanh = new(steps, batch, size)
        hiddens = new(steps + 1, batch, size)
        feeds = new(steps + 1, batch, size)
        sigmoids = new(steps, batch, source, attention_size)  # s_t
        weights = new(steps, batch, source)
        contexts = new(steps, batch, values.shape[2])
        cells[0], hiddens[0], feeds[0] = c0, h0, feed0
        blocked = torch.full((batch, source), -float(energy.sum()), dtype=projected.dtype, device=projected.device)
        blocked.masked_fill_(~mask, torch.finfo(projected.dtype).min)
        doubled_energy = energy * 2
        w_combine_hidden, w_combine_context = w_combine[:, :size], w_combine[:, size:]
        for t in range(steps):
            step_gates = gates[t]
            torch.addmm(projected[t], feeds[t], w_feed.t(), out=step_gates)
            step_gates.addmm_(hiddens[t], w_hidden.t())
            step_gates[:, : 2 * size].sigmoid_()
            step_gates[:, 2 * size: 3 * size].tanh_()
            step_gates[:, 3 * size:].sigmoid_()
            input_gate, forget_gate, candidate, output_gate = step_gates.split(size, dim=1)
            torch.mul(forget_gate, cells[t], out=cells[t + 1]).addcmul_(input_gate, candidate)
            torch.tanh(cells[t + 1], out=cell_tanh[t])
            torch.mul(output_gate, cell_tanh[t], out=hiddens[t + 1])
            query = torch.addmm(b_query, hiddens[t + 1], w_query.t(), beta=2, alpha=2)  # (B, A)
            torch.add(keys, query.unsqueeze(1), out=sigmoids[t]).sigmoid_()
            scores = torch.addmv(blocked.view(-1), sigmoids[t].view(-1, attention_size), doubled_energy)
            scores = scores.view(batch, source)
            weights[t] = scores.softmax(dim=1)
            torch.bmm(weights[t].unsqueeze(1), values, out=contexts[t].unsqueeze(1))
            combined = torch.addmm(b_combine, hiddens[t + 1], w_combine_hidden.t())
            combined.addmm_(contexts[t], w_combine_context.t())
            torch.tanh(combined, out=feeds[t + 1])
        ctx.save_for_backward(gates, cells, cell_tanh, hiddens, feeds, sigmoids, weights, contexts, values,
                              w_feed, w_hidden, w_query, energy, w_combine)
        return feeds[1:], weights

    @staticmethod
    def backward(ctx, grad_feeds, grad_weights):
        (gates, cells, cell_tanh, hiddens, feeds, sigmoids, weights, contexts, values, w_feed, w_hidden, w_query,
         energy, w_combine) = ctx.saved_tensors
        steps, batch, gate_size = gates.shape
        size = gate_size // 4
        w_combine_hidden, w_combine_context = w_combine[:, :size], w_combine[:, size:]
        grad_gates = torch.empty_like(gates)  # (T, B, 4H)
        grad_combined = torch.empty_like(feeds[1:])  # (T, B, H)
        grad_contexts = torch.empty_like(contexts)  # (T, B, D)
        grad_scores = torch.empty_like(weights)  # (T, B, S)
        grad_queries = gates.new_empty(steps, batch, w_query.shape[0])  # (T, B, A)
        grad_keys = torch.zeros_like(sigmoids[0])  # (B, S, A)
        grad_hidden = torch.zeros_like(hiddens[0])
        grad_cell = torch.zeros_like(cells[0])
        grad_feed = torch.zeros_like(feeds[0])
        doubled_energy = energy * 2
        values_t = values.transpose(1, 2)  # (B, D, S)
        for t in reversed(range(steps)):
            attentional = feeds[t + 1]
            grad_attentional = grad_feed if grad_feeds is None else grad_feeds[t] + grad_feed
            dz = grad_combined[t]
            torch.mul(grad_attentional, 1 - attentional * attentional, out=dz)
            grad_hidden = torch.addmm(grad_hidden, dz, w_combine_hidden)
            torch.mm(dz, w_combine_context, out=grad_contexts[t])
            grad_weight = torch.bmm(grad_contexts[t].unsqueeze(1), values_t).squeeze(1)  # (B, S)
            if grad_weights is not None:
                grad_weight = grad_weight + grad_weights[t]
            weight = weights[t]
            ds = grad_scores[t]
            torch.mul(weight, grad_weight - (weight * grad_weight).sum(dim=1, keepdim=True), out=ds)
            sigmoid = sigmoids[t]
            grad_pre = torch.addcmul(sigmoid, sigmoid, sigmoid, value=-1.0)  # σ'(·) = s − s²
            grad_pre *= ds.unsqueeze(2) * doubled_energy  # (B, S, A): the gradient of the keys
            grad_keys += grad_pre
            torch.sum(grad_pre, dim=1, out=grad_queries[t]).mul_(2)  # of W_q h + b_q
            grad_hidden = grad_hidden.addmm_(grad_queries[t], w_query)
            input_gate, forget_gate, candidate, output_gate = gates[t].split(size, dim=1)
            tanh_cell = cell_tanh[t]
            grad_cell = grad_cell + grad_hidden * output_gate * (1 - tanh_cell * tanh_cell)
            grad_in, grad_forget, grad_candidate, grad_out = grad_gates[t].split(size, dim=1)
            torch.mul(grad_cell * candidate, input_gate * (1 - input_gate), out=grad_in)
            torch.mul(grad_cell * cells[t], forget_gate * (1 - forget_gate), out=grad_forget)
            torch.mul(grad_cell * input_gate, 1 - candidate * candidate, out=grad_candidate)
            torch.mul(grad_hidden * tanh_cell, output_gate * (1 - output_gate), out=grad_out)
            grad_cell = grad_cell * forget_gate
            grad_hidden = torch.mm(grad_gates[t], w_hidden)
            grad_feed = torch.mm(grad_gates[t], w_feed)
        flat_gates = grad_gates.view(-1, gate_size)  # (T·B, 4H)
        flat_combined = grad_combined.view(-1, size)  # (T·B, H)
        new_hiddens = hiddens[1:].reshape(-1, size)
        grad_w_feed = flat_gates.t() @ feeds[:-1].reshape(-1, size)
        grad_w_hidden = flat_gates.t() @ hiddens[:-1].reshape(-1, size)
        flat_queries = grad_queries.view(-1, grad_queries.shape[2])  # (T·B, A)
        grad_w_query = flat_queries.t() @ new_hiddens
        flat_scores = grad_scores.view(1, -1)
        grad_energy = (flat_scores @ sigmoids.view(-1, sigmoids.shape[3])) * 2 - flat_scores.sum()  # (1, A)
        grad_w_combine = torch.cat([flat_combined.t() @ new_hiddens,
                                    flat_combined.t() @ contexts.view(-1, contexts.shape[2])], dim=1)
        grad_values = torch.bmm(weights.permute(1, 2, 0), grad_contexts.transpose(0, 1))  # (B, S, D)
        return (grad_gates, grad_hidden, grad_cell, grad_feed, grad_w_feed, grad_w_hidden, grad_keys, grad_values, None,
                grad_w_query, flat_queries.sum(dim=0), grad_energy.view(-1), grad_w_combine,
                flat_combined.sum(dim=0))
