// Dropout on the CPU with masks made by hashing each element's position, compiled: the kernel of
// multis2s.model.dropout, whose Python version (the same hash in PyTorch operations) is the
// reference; tests/core/test_dropout.py compares them.
//
// Element i of a call with seed s is kept when the top 24 bits of splitmix64's finaliser of
// s + (i + 1)·γ (γ the golden-ratio increment) are at least round(p·2²⁴); kept elements are scaled
// by 1 / (1 − p), the others are zero. No state, so the elements are split over the intra-op
// threads freely and the backward pass remakes the forward's mask from the seed. PyTorch's own CPU
// dropout draws every mask element from one Mersenne twister in turn, several times slower
// (BENCHMARKS.md, issue 10).

#include <torch/extension.h>

#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>

#include <cstdint>

using at::Tensor;

namespace {

constexpr uint64_t GOLDEN = 0x9E3779B97F4A7C15ULL;
constexpr int64_t GRAIN = 1 << 14;

// y[i] = x[i] · scale where element lo + i is kept, 0 elsewhere, for i in [0, n). The product is
// taken in Math (float for bfloat16 and float16, as PyTorch's own multiplication by a number takes
// it) and rounded once to Scalar. Cloned for AVX-512 and AVX2, whose 64-bit multiplies take eight
// and four elements at a time.
template <typename Scalar, typename Math>
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void masked(const Scalar* x, Scalar* y, int64_t lo, int64_t n, uint64_t seed, uint32_t threshold, Math scale) {
  for (int64_t i = 0; i < n; ++i) {
    uint64_t z = seed + static_cast<uint64_t>(lo + i + 1) * GOLDEN;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    y[i] = static_cast<uint32_t>(z >> 40) >= threshold ? static_cast<Scalar>(static_cast<Math>(x[i]) * scale)
                                                      : Scalar(0);
  }
}

}  // namespace

Tensor hashed_dropout(const Tensor& input, int64_t seed, double p) {
  // input: a float32, float64, bfloat16 or float16 CPU tensor; seed: any int64; p in [0, 1). Returns
  // a new contiguous tensor of input's shape.
  TORCH_CHECK(input.device().is_cpu(), "hashed_dropout: a CPU tensor is needed");
  TORCH_CHECK(p >= 0.0 && p < 1.0, "hashed_dropout: p must be in [0, 1), got ", p);
  const Tensor x = input.contiguous();
  Tensor y = at::empty_like(x);
  const uint32_t threshold = static_cast<uint32_t>(p * (1 << 24) + 0.5);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, x.scalar_type(), "hashed_dropout", [&] {
    using math_t = at::opmath_type<scalar_t>;
    const scalar_t* xs = x.const_data_ptr<scalar_t>();
    scalar_t* ys = y.data_ptr<scalar_t>();
    const auto scale = static_cast<math_t>(1.0 / (1.0 - p));
    at::parallel_for(0, x.numel(), GRAIN, [&](int64_t begin, int64_t end) {
      masked<scalar_t, math_t>(xs + begin, ys + begin, begin, end - begin, static_cast<uint64_t>(seed), threshold,
                               scale);
    });
  });
  return y;
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, module) {
  module.def("hashed_dropout", &hashed_dropout, "x · mask / (1 − p), the mask hashed from seed and position",
             pybind11::call_guard<pybind11::gil_scoped_release>());
}
