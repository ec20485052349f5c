// The step loops of multis2s.model.fused_attention_lstm, compiled: an input-feeding LSTM decoder
// with additive attention over one memory, forward and backward, as ATen calls.
//
// The Python loops of fused_attention_lstm.py are the reference: these do the same operations in
// the same order (tests/core/test_native_loops.py compares them). What they add:
//   - no Python between the operations (some thirty per step forward, forty backward), and the
//     GIL released while they run;
//   - on several intra-op threads, the batch rows are split into one part per thread and each
//     part runs the whole loop on one thread (rows are independent through the recurrence), where
//     splitting each small product across threads gains little (BENCHMARKS.md, issue 10);
//   - the attention's (rows, S, A) energies in chunks of rows that stay in a core's cache.
// The weight gradients, products over all steps at once, stay in Python on every thread.
// step() is one step of the same loop for search (no gradients): the K beams of an item read its
// memory once (K queries against one copy), and the energies are not kept.
// Every tanh is 2σ(2x) − 1, as in the Python loops: PyTorch's CPU tanh costs several sigmoids.
//
// Shapes: T steps, B batch (n: the rows of one part), S source steps, H hidden, G = 4H gates,
// A attention size, D memory size.

#include <torch/extension.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <limits>
#include <vector>

using at::Tensor;

namespace {

// What the forward loop writes at every step, in the order of fused_attention_lstm.Activations.
struct Activations {
  Tensor gates;      // (T, B, G) activated i, f, g, o
  Tensor cells;      // (T + 1, B, H), [0] given
  Tensor cell_tanh;  // (T, B, H)
  Tensor hiddens;    // (T + 1, B, H), [0] given
  Tensor feeds;      // (T + 1, B, H) attentional vectors, [0] given
  Tensor sigmoids;   // (T, B, S, A); undefined in a search step, which keeps none
  Tensor weights;    // (T, B, S) attention weights
  Tensor contexts;   // (T, B, D)

  explicit Activations(const std::vector<Tensor>& all)
      : gates(all.at(0)), cells(all.at(1)), cell_tanh(all.at(2)), hiddens(all.at(3)), feeds(all.at(4)),
        sigmoids(all.at(5)), weights(all.at(6)), contexts(all.at(7)) {}
};

// The step's parameters and per-batch constants, in the order of fused_attention_lstm.StepWeights.
// keys, values and blocked have B / beams rows in a search step (see forward_rows).
struct StepWeights {
  Tensor w_feed;            // (G, H)
  Tensor w_hidden;          // (G, H)
  Tensor keys;              // (B, S, A) the doubled keys 2 U m
  Tensor values;            // (B, S, D)
  Tensor blocked;           // (B, S) −Σv on real positions, the dtype's lowest on padding
  Tensor w_query;           // (A, H)
  Tensor b_query;           // (A,)
  Tensor doubled_energy;    // (A,) 2 v
  Tensor w_combine_hidden;  // (H, H)
  Tensor w_combine_context; // (H, D)
  Tensor b_combine;         // (H,)

  explicit StepWeights(const std::vector<Tensor>& all)
      : w_feed(all.at(0)), w_hidden(all.at(1)), keys(all.at(2)), values(all.at(3)), blocked(all.at(4)),
        w_query(all.at(5)), b_query(all.at(6)), doubled_energy(all.at(7)), w_combine_hidden(all.at(8)),
        w_combine_context(all.at(9)), b_combine(all.at(10)) {}
};

// Attention's (rows, S, A) energies are worked on in chunks of rows small enough to stay in a
// core's cache between the operations that read them one after the other.
constexpr int64_t CHUNK_VALUES = 1 << 17;  // 512 KB of float32

int64_t chunk_rows(int64_t source, int64_t attention) {
  return std::max<int64_t>(1, CHUNK_VALUES / std::max<int64_t>(1, source * attention));
}

// x ← tanh(x) as 2σ(2x) − 1 (of x/2 when doubled: x holds 2x already), as fused_attention_lstm.tanh_.
void tanh_(Tensor x, bool doubled = false) {
  (doubled ? x : x.mul_(2)).sigmoid_().mul_(2).sub_(1);
}

// Rows [lo, lo + n) of the batch through every step, forward. Each row of keys, values and blocked
// serves `beams` rows in a row (a search's beams of one item share its memory; 1 in training), so
// lo and n are multiples of it. Without sigmoids to keep (out.sigmoids undefined: a search step),
// the energies go to one chunk's scratch, which stays in cache.
void forward_rows(const Activations& out, const StepWeights& w, const Tensor& projected, int64_t lo, int64_t n,
                  int64_t beams) {
  const int64_t steps = projected.size(0), size = out.hiddens.size(2);
  const int64_t source = w.keys.size(1), attention = w.keys.size(2), items = n / beams;
  const Tensor keys = w.keys.narrow(0, lo / beams, items).unsqueeze(1);  // (items, 1, S, A)
  const Tensor values = w.values.narrow(0, lo / beams, items);  // (items, S, D)
  const Tensor blocked = w.blocked.narrow(0, lo / beams, items).unsqueeze(1);  // (items, 1, S)
  const Tensor w_feed_t = w.w_feed.t(), w_hidden_t = w.w_hidden.t(), w_query_t = w.w_query.t();
  const Tensor w_combine_hidden_t = w.w_combine_hidden.t(), w_combine_context_t = w.w_combine_context.t();
  const int64_t chunk = chunk_rows(beams * source, attention);  // in items
  const Tensor scratch = out.sigmoids.defined()
                             ? Tensor()
                             : at::empty({std::min(chunk, items), beams, source, attention}, projected.options());
  for (int64_t t = 0; t < steps; ++t) {
    Tensor gates = out.gates[t].narrow(0, lo, n);  // (n, G)
    const Tensor cell = out.cells[t].narrow(0, lo, n), hidden = out.hiddens[t].narrow(0, lo, n);
    const Tensor feed = out.feeds[t].narrow(0, lo, n);
    Tensor next_cell = out.cells[t + 1].narrow(0, lo, n), next_hidden = out.hiddens[t + 1].narrow(0, lo, n);
    Tensor next_feed = out.feeds[t + 1].narrow(0, lo, n), cell_tanh = out.cell_tanh[t].narrow(0, lo, n);
    at::addmm_out(gates, projected[t].narrow(0, lo, n), feed, w_feed_t);
    gates.addmm_(hidden, w_hidden_t);
    gates.narrow(1, 0, 2 * size).sigmoid_();
    tanh_(gates.narrow(1, 2 * size, size));
    gates.narrow(1, 3 * size, size).sigmoid_();
    const Tensor input_gate = gates.narrow(1, 0, size), forget_gate = gates.narrow(1, size, size);
    const Tensor candidate = gates.narrow(1, 2 * size, size), output_gate = gates.narrow(1, 3 * size, size);
    at::mul_out(next_cell, forget_gate, cell).addcmul_(input_gate, candidate);
    tanh_(at::mul_out(cell_tanh, next_cell, 2), true);
    at::mul_out(next_hidden, output_gate, cell_tanh);
    const Tensor query = at::addmm(w.b_query, next_hidden, w_query_t, 2, 2).view({items, beams, 1, attention});
    for (int64_t first = 0; first < items; first += chunk) {
      const int64_t m = std::min(chunk, items - first), rows = m * beams;
      Tensor sigmoid = scratch.defined() ? scratch.narrow(0, 0, m)
                                         : out.sigmoids[t].narrow(0, lo + first * beams, rows)
                                               .view({m, beams, source, attention});
      at::add_out(sigmoid, keys.narrow(0, first, m), query.narrow(0, first, m)).sigmoid_();
      const Tensor bias = blocked.narrow(0, first, m).expand({m, beams, source}).reshape({-1});  // (rows·S,)
      const Tensor scores = at::addmv(bias, sigmoid.view({-1, attention}), w.doubled_energy).view({rows, source});
      Tensor weight = out.weights[t].narrow(0, lo + first * beams, rows);  // (rows, S)
      at::_softmax_out(weight, scores, 1, false);
      Tensor context = out.contexts[t].narrow(0, lo + first * beams, rows).view({m, beams, -1});  // (m, beams, D)
      at::bmm_out(context, weight.view({m, beams, source}), values.narrow(0, first, m));
    }
    Tensor combined = at::addmm(w.b_combine, next_hidden, w_combine_hidden_t);
    combined.addmm_(out.contexts[t].narrow(0, lo, n), w_combine_context_t);
    tanh_(at::mul_out(next_feed, combined, 2), true);
  }
}

// What the backward loop writes, in the order of fused_attention_lstm.Gradients.
struct Gradients {
  Tensor gates;     // (T, B, G) of the gate pre-activations
  Tensor combined;  // (T, B, H) of W_c [h; ctx] + b_c
  Tensor contexts;  // (T, B, D)
  Tensor scores;    // (T, B, S)
  Tensor queries;   // (T, B, A) of W_q h + b_q
  Tensor keys;      // (B, S, A), zeros given
  Tensor energy;    // (B, A) each row's Σ_t Σ_s ds s, zeros given
  Tensor hidden;    // (B, H) of h0, zeros given
  Tensor cell;      // (B, H) of c0, zeros given
  Tensor feed;      // (B, H) of the first fed-back vector, zeros given

  explicit Gradients(const std::vector<Tensor>& all)
      : gates(all.at(0)), combined(all.at(1)), contexts(all.at(2)), scores(all.at(3)), queries(all.at(4)),
        keys(all.at(5)), energy(all.at(6)), hidden(all.at(7)), cell(all.at(8)), feed(all.at(9)) {}
};

// Rows [lo, lo + n) back through every step. grad_feeds (T, B, H) and grad_weights (T, B, S) are
// the gradients of the op's outputs (undefined when none flows).
void backward_rows(const Gradients& grad, const Activations& act, const StepWeights& w, const Tensor& grad_feeds,
                   const Tensor& grad_weights, int64_t lo, int64_t n) {
  const int64_t steps = act.gates.size(0), size = act.hiddens.size(2);
  const Tensor values_t = w.values.narrow(0, lo, n).transpose(1, 2);  // (n, D, S)
  const Tensor quadrupled_energy = w.doubled_energy * 2;
  const int64_t chunk = chunk_rows(w.keys.size(1), w.keys.size(2));
  Tensor grad_keys = grad.keys.narrow(0, lo, n);
  Tensor grad_energy = grad.energy.narrow(0, lo, n).unsqueeze(1);  // (n, 1, A)
  Tensor grad_hidden = grad.hidden.narrow(0, lo, n).clone();
  Tensor grad_cell = grad.cell.narrow(0, lo, n).clone();
  Tensor grad_feed = grad.feed.narrow(0, lo, n).clone();
  for (int64_t t = steps - 1; t >= 0; --t) {
    const Tensor attentional = act.feeds[t + 1].narrow(0, lo, n);
    const Tensor grad_attentional = grad_feeds.defined() ? grad_feeds[t].narrow(0, lo, n) + grad_feed : grad_feed;
    Tensor dz = grad.combined[t].narrow(0, lo, n);
    at::mul_out(dz, grad_attentional, 1 - attentional * attentional);
    grad_hidden = at::addmm(grad_hidden, dz, w.w_combine_hidden);
    Tensor grad_context = grad.contexts[t].narrow(0, lo, n);
    at::mm_out(grad_context, dz, w.w_combine_context);
    Tensor grad_weight = at::bmm(grad_context.unsqueeze(1), values_t).squeeze(1);  // (n, S)
    if (grad_weights.defined()) {
      grad_weight = grad_weight + grad_weights[t].narrow(0, lo, n);
    }
    const Tensor weight = act.weights[t].narrow(0, lo, n);
    Tensor ds = grad.scores[t].narrow(0, lo, n);
    at::mul_out(ds, weight, grad_weight - (weight * grad_weight).sum(1, true));
    for (int64_t first = 0; first < n; first += chunk) {
      const int64_t m = std::min(chunk, n - first);
      const Tensor sigmoid = act.sigmoids[t].narrow(0, lo + first, m), chunk_ds = ds.narrow(0, first, m);
      const Tensor slope = at::addcmul(sigmoid, sigmoid, sigmoid, -1.0);  // σ'(·) = s − s²
      grad_energy.narrow(0, first, m).baddbmm_(chunk_ds.unsqueeze(1), sigmoid);  // (m, 1, A) += Σ_s ds s
      Tensor grad_query = grad.queries[t].narrow(0, lo + first, m).unsqueeze(1);  // (m, 1, A)
      at::bmm_out(grad_query, chunk_ds.unsqueeze(1), slope).mul_(quadrupled_energy);
      grad_keys.narrow(0, first, m).addcmul_(slope, chunk_ds.unsqueeze(2));  // (m, S, A), times 2v at the end
    }
    grad_hidden.addmm_(grad.queries[t].narrow(0, lo, n), w.w_query);
    const Tensor gates = act.gates[t].narrow(0, lo, n);
    const Tensor input_gate = gates.narrow(1, 0, size), forget_gate = gates.narrow(1, size, size);
    const Tensor candidate = gates.narrow(1, 2 * size, size), output_gate = gates.narrow(1, 3 * size, size);
    const Tensor tanh_cell = act.cell_tanh[t].narrow(0, lo, n);
    grad_cell = grad_cell + grad_hidden * output_gate * (1 - tanh_cell * tanh_cell);
    Tensor grad_gates = grad.gates[t].narrow(0, lo, n);
    Tensor grad_in = grad_gates.narrow(1, 0, size), grad_forget = grad_gates.narrow(1, size, size);
    Tensor grad_candidate = grad_gates.narrow(1, 2 * size, size), grad_out = grad_gates.narrow(1, 3 * size, size);
    at::mul_out(grad_in, grad_cell * candidate, input_gate * (1 - input_gate));
    at::mul_out(grad_forget, grad_cell * act.cells[t].narrow(0, lo, n), forget_gate * (1 - forget_gate));
    at::mul_out(grad_candidate, grad_cell * input_gate, 1 - candidate * candidate);
    at::mul_out(grad_out, grad_hidden * tanh_cell, output_gate * (1 - output_gate));
    grad_cell = grad_cell * forget_gate;
    grad_hidden = at::mm(grad_gates, w.w_hidden);
    grad_feed = at::mm(grad_gates, w.w_feed);
  }
  grad_keys.mul_(w.doubled_energy);
  grad.hidden.narrow(0, lo, n).copy_(grad_hidden);
  grad.cell.narrow(0, lo, n).copy_(grad_cell);
  grad.feed.narrow(0, lo, n).copy_(grad_feed);
}

// rows(lo, n) over the batch: one part per intra-op thread, each on one thread (at least
// MIN_PART_ROWS rows a part; one part on a single thread or a small batch). Parts hold whole
// groups of `beams` rows. The loops record nothing for autograd, and a pool thread starts with
// gradients on, so each part turns them off.
constexpr int64_t MIN_PART_ROWS = 8;

template <typename Rows>
void over_parts(int64_t batch, const Rows& rows, int64_t beams = 1) {
  const int64_t groups = batch / beams;
  const int64_t threads = at::get_num_threads();
  const int64_t parts = std::max<int64_t>(1, std::min({threads, batch / MIN_PART_ROWS, groups}));
  if (parts == 1) {
    rows(0, batch);
    return;
  }
  at::parallel_for(0, parts, 1, [&](int64_t begin, int64_t end) {
    for (int64_t part = begin; part < end; ++part) {
      const at::NoGradGuard no_gradients;
      const int64_t lo = groups * part / parts, hi = groups * (part + 1) / parts;
      rows(lo * beams, (hi - lo) * beams);
    }
  });
}

}  // namespace

void forward_steps(const Tensor& projected, const std::vector<Tensor>& activations,
                   const std::vector<Tensor>& step_weights) {
  const Activations out(activations);
  const StepWeights w(step_weights);
  over_parts(projected.size(1), [&](int64_t lo, int64_t n) { forward_rows(out, w, projected, lo, n, 1); });
}

void backward_steps(const std::optional<Tensor>& grad_feeds, const std::optional<Tensor>& grad_weights,
                    const std::vector<Tensor>& activations, const std::vector<Tensor>& step_weights,
                    const std::vector<Tensor>& gradients) {
  const Activations act(activations);
  const StepWeights w(step_weights);
  const Gradients grad(gradients);
  const Tensor feeds = grad_feeds.value_or(Tensor()), weights = grad_weights.value_or(Tensor());
  over_parts(act.gates.size(1), [&](int64_t lo, int64_t n) { backward_rows(grad, act, w, feeds, weights, lo, n); });
}

std::vector<Tensor> step(const Tensor& projected, const Tensor& hidden, const Tensor& cell, const Tensor& feed,
                         const Tensor& mask, const std::vector<Tensor>& parameters) {
  // projected (B, G), hidden, cell, feed (B, H); mask (I, S); parameters: w_feed (G, H),
  // w_hidden (G, H), keys (I, S, A), values (I, S, D), w_query (A, H), b_query (A,), energy (A,) v,
  // w_combine (H, H + D), b_combine (H,). The memory has I items, each read by B / I rows in a row
  // (a search's beams).
  const Tensor &w_feed = parameters.at(0), &w_hidden = parameters.at(1), &keys = parameters.at(2);
  const Tensor &values = parameters.at(3), &energy = parameters.at(6), &w_combine = parameters.at(7);
  const int64_t batch = projected.size(0), size = hidden.size(1), items = keys.size(0);
  TORCH_CHECK(items > 0 && batch % items == 0, "step: ", batch, " rows cannot share a memory of ", items, " items");
  const int64_t source = keys.size(1);
  const double lowest = projected.scalar_type() == at::kDouble ? std::numeric_limits<double>::lowest()
                                                                : std::numeric_limits<float>::lowest();
  Tensor blocked = at::full({items, source}, -energy.sum().item<double>(), projected.options());
  blocked.masked_fill_(mask.logical_not(), lowest);
  const StepWeights w({w_feed, w_hidden, keys, values, blocked, parameters.at(4), parameters.at(5), energy * 2,
                       w_combine.narrow(1, 0, size), w_combine.narrow(1, size, w_combine.size(1) - size),
                       parameters.at(8)});
  const auto options = projected.options();
  const Activations out({at::empty({1, batch, 4 * size}, options), at::empty({2, batch, size}, options),
                         at::empty({1, batch, size}, options), at::empty({2, batch, size}, options),
                         at::empty({2, batch, size}, options), Tensor(), at::empty({1, batch, source}, options),
                         at::empty({1, batch, values.size(2)}, options)});
  out.cells[0].copy_(cell);
  out.hiddens[0].copy_(hidden);
  out.feeds[0].copy_(feed);
  const Tensor steps = projected.unsqueeze(0);
  const int64_t beams = batch / items;
  over_parts(batch, [&](int64_t lo, int64_t n) { forward_rows(out, w, steps, lo, n, beams); }, beams);
  return {out.feeds[1], out.hiddens[1], out.cells[1], out.weights[0]};
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, module) {
  // Like PyTorch's own operations, these let other Python threads run while they work.
  const auto free_threads = pybind11::call_guard<pybind11::gil_scoped_release>();
  module.def("step", &step, "One step of inference: (attentional, hidden, cell, attention weights)", free_threads);
  module.def("forward_steps", &forward_steps, "Every step forward (see fused_attention_lstm.forward_steps)",
             free_threads);
  module.def("backward_steps", &backward_steps, "Every step backward (see fused_attention_lstm.backward_steps)",
             free_threads);
}
