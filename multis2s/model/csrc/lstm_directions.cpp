// The directions of one LSTM layer at once, forward and backward, compiled: the kernel of
// multis2s.model.lstm_directions. Each direction (and, with more intra-op threads than directions,
// each part of the batch rows) runs oneDNN's LSTM layer — the computation torch.lstm runs for one
// layer and direction on the CPU — on one thread of its own, all at the same time.
//
// Why: torch.lstm runs a bidirectional layer's directions one after the other, each split over the
// intra-op threads, and at the anchor model's size (64 rows, 128 hidden) a step's products are too
// small to split well (BENCHMARKS.md, issue 10). Rows are independent through the recurrence, so a
// part of the rows gives the same outputs; its weight gradients are summed over the parts.
//
// Shapes: D directions, B batch (n: the rows of one part), S steps, E input size, H hidden size.
// oneDNN's layer reads and writes time-major tensors (S, B, ·); the inputs and outputs here are
// batch-first (B, S, ·), as the padded recurrence holds them.

#include <torch/extension.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

using at::Tensor;

namespace {

constexpr int64_t LSTM_MODE = 2;  // ATen's RNN mode number for an LSTM
constexpr int64_t SAVED = 5;      // tensors a part keeps for the backward pass, in the order below

// A part of the batch rows of one direction: rows [lo, lo + n).
struct Part {
  int64_t direction, lo, n;
};

std::vector<Part> split(int64_t directions, int64_t batch, int64_t parts_per_direction) {
  const int64_t per = std::max<int64_t>(1, std::min(parts_per_direction, batch));
  const int64_t rows = (batch + per - 1) / per;
  std::vector<Part> parts;
  for (int64_t d = 0; d < directions; ++d) {
    for (int64_t lo = 0; lo < batch; lo += rows) {
      parts.push_back({d, lo, std::min(rows, batch - lo)});
    }
  }
  return parts;
}

Tensor zero_state(int64_t n, int64_t hidden, const Tensor& like) {
  return at::zeros({1, n, hidden}, like.options());
}

}  // namespace

// inputs: D tensors (B, S, E); weights: W_ih, W_hh, b_ih, b_hh of each direction in turn.
// Returns the D outputs (B, S, H), then what each part keeps for backward() (SAVED tensors a part:
// its input and output time-major, its final h and c, oneDNN's workspace; the workspace is
// undefined without `train`, which runs oneDNN's inference form).
std::vector<Tensor> forward(const std::vector<Tensor>& inputs, const std::vector<Tensor>& weights, int64_t hidden,
                            int64_t parts_per_direction, bool train) {
  const int64_t directions = inputs.size(), batch = inputs.at(0).size(0);
  const std::vector<Part> parts = split(directions, batch, parts_per_direction);
  std::vector<Tensor> saved(parts.size() * SAVED);
  at::parallel_for(0, parts.size(), 1, [&](int64_t begin, int64_t end) {
    c10::AutoGradMode workspace_kept(train);  // oneDNN's layer keeps its workspace only with gradients on
    for (int64_t i = begin; i < end; ++i) {
      const Part& p = parts[i];
      const Tensor* w = &weights.at(4 * p.direction);
      const Tensor x = inputs[p.direction].narrow(0, p.lo, p.n).transpose(0, 1).contiguous();  // (S, n, E)
      auto out = at::mkldnn_rnn_layer(x, w[0], w[1], w[2], w[3], zero_state(p.n, hidden, x),
                                      zero_state(p.n, hidden, x), false, {}, LSTM_MODE, hidden, 1, true, false,
                                      false, train);
      saved[SAVED * i] = x;
      saved[SAVED * i + 1] = std::get<0>(out);  // (S, n, H)
      saved[SAVED * i + 2] = std::get<1>(out);
      saved[SAVED * i + 3] = std::get<2>(out);
      saved[SAVED * i + 4] = std::get<3>(out);
    }
  });
  std::vector<Tensor> results;
  for (int64_t d = 0; d < directions; ++d) {
    std::vector<Tensor> pieces;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (parts[i].direction == d) pieces.push_back(saved[SAVED * i + 1]);
    }
    results.push_back((pieces.size() == 1 ? pieces[0] : at::cat(pieces, 1)).transpose(0, 1));  // (B, S, H)
  }
  results.insert(results.end(), saved.begin(), saved.end());
  return results;
}

// saved: what forward() kept; grads: the D gradients (B, S, H) of its outputs.
// Returns, for each direction in turn, the gradients of its input (B, S, E), W_ih, W_hh, b_ih, b_hh.
std::vector<Tensor> backward(const std::vector<Tensor>& saved, const std::vector<Tensor>& weights,
                             const std::vector<Tensor>& grads, int64_t hidden, int64_t parts_per_direction) {
  const int64_t directions = grads.size(), batch = grads.at(0).size(0);
  const std::vector<Part> parts = split(directions, batch, parts_per_direction);
  std::vector<Tensor> part_grads(parts.size() * 5);
  at::parallel_for(0, parts.size(), 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const Part& p = parts[i];
      const Tensor* w = &weights.at(4 * p.direction);
      const Tensor* s = &saved.at(SAVED * i);
      const Tensor grad = grads[p.direction].narrow(0, p.lo, p.n).transpose(0, 1).contiguous();  // (S, n, H)
      auto out = at::mkldnn_rnn_layer_backward(s[0], w[0], w[1], w[2], w[3], zero_state(p.n, hidden, s[0]),
                                               zero_state(p.n, hidden, s[0]), s[1], s[2], s[3], grad, Tensor(),
                                               Tensor(), false, LSTM_MODE, hidden, 1, true, true, false, {}, false,
                                               s[4]);
      part_grads[5 * i] = std::get<0>(out);  // (S, n, E)
      part_grads[5 * i + 1] = std::get<1>(out);
      part_grads[5 * i + 2] = std::get<2>(out);
      part_grads[5 * i + 3] = std::get<3>(out);
      part_grads[5 * i + 4] = std::get<4>(out);
    }
  });
  std::vector<Tensor> results;
  for (int64_t d = 0; d < directions; ++d) {
    std::vector<Tensor> inputs;
    Tensor sums[4];
    for (size_t i = 0; i < parts.size(); ++i) {
      if (parts[i].direction != d) continue;
      inputs.push_back(part_grads[5 * i]);
      for (int k = 0; k < 4; ++k) {
        const Tensor& g = part_grads[5 * i + 1 + k];
        sums[k] = sums[k].defined() ? sums[k].add_(g) : g;
      }
    }
    results.push_back((inputs.size() == 1 ? inputs[0] : at::cat(inputs, 1)).transpose(0, 1));  // (B, S, E)
    results.insert(results.end(), sums, sums + 4);
  }
  return results;
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, module) {
  module.def("forward", &forward, "the directions of one LSTM layer, forward, one thread each");
  module.def("backward", &backward, "the directions of one LSTM layer, backward, one thread each");
}
