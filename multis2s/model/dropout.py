"""Dropout whose CPU masks are hashed from a seed and each element's position.

PyTorch's CPU dropout draws every mask element from one Mersenne twister in turn: about 3 ms for
a (64, 20, 256) activation on this project's machine, more than an LSTM layer over it, and four
such calls took some 10 % of an update of the anchor model (BENCHMARKS.md, issue 10). Here a call
draws one 63-bit seed from PyTorch's generator, and element i (in row-major order) is kept when
the top 24 bits of splitmix64's finaliser of seed + (i + 1)·γ are at least round(p·2²⁴), γ the
golden-ratio increment; kept elements are scaled by 1 / (1 − p). The mask is a pure function of
the seed, so elements are split over threads freely, the backward pass remakes the forward's mask
(nothing is saved), and a seeded run is the same on any thread count and on resume (the seed comes
from the generator whose state checkpoints keep).

The compiled kernel (``csrc/hashed_dropout.cpp``, :mod:`multis2s.model.native`) does float32,
float64, bfloat16 (what CPU bf16 autocast hands it) and float16; the Python version below computes
the same values with PyTorch's integer operations (where the kernel is not built). Off the CPU,
and while ``torch.compile`` traces, the device's own dropout is used.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from multis2s.model import native

GOLDEN = 0x9E3779B97F4A7C15
MIX = (0xBF58476D1CE4E5B9, 0x94D049BB133111EB)
BITS = 24  # of each element's hash that are compared with the threshold
COMPILED_DTYPES = (torch.float32, torch.float64, torch.bfloat16, torch.float16)


def dropout(x: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    """``F.dropout`` with hashed masks on the CPU: x (any shape) → a tensor of its shape."""
    if not training or p == 0.0 or x.numel() == 0:
        return x
    if (not 0.0 < p < 1.0 or x.device.type != "cpu" or not x.is_floating_point()
            or torch.compiler.is_compiling()):
        return F.dropout(x, p, training=True)  # which also says what is wrong with p
    seed = int(torch.randint(2**63 - 1, (), dtype=torch.int64))
    return HashedDropout.apply(x, p, seed)


class Dropout(nn.Dropout):
    """``nn.Dropout`` with :func:`dropout`'s hashed CPU masks (the same attributes, no state)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x, self.p, self.training)


class HashedDropout(torch.autograd.Function):
    """(x, p, seed) → x · mask / (1 − p); the gradient is the same function of the output's gradient."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, p: float, seed: int) -> torch.Tensor:
        ctx.p, ctx.seed = p, seed
        return masked(x, p, seed)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return HashedDropout.apply(grad, ctx.p, ctx.seed), None, None


def masked(x: torch.Tensor, p: float, seed: int) -> torch.Tensor:
    """x (CPU, any shape) · mask / (1 − p) as a new contiguous tensor, compiled where it can be."""
    kernel = native.compiled("hashed_dropout") if x.dtype in COMPILED_DTYPES else None
    if kernel is not None:
        return kernel.hashed_dropout(x, seed, p)
    return torch.where(kept(x.numel(), p, seed).view(x.shape), x * (1.0 / (1.0 - p)), 0.0).contiguous()


def kept(count: int, p: float, seed: int) -> torch.Tensor:
    """The mask (count,) bool of a call with ``seed``: the compiled kernel's, in PyTorch's int64
    operations (their products wrap as uint64's do; right shifts are made logical)."""
    z = torch.arange(1, count + 1, dtype=torch.int64).mul_(_signed(GOLDEN)).add_(_signed(seed))
    for shift, factor in zip((30, 27), MIX):
        z = z.bitwise_xor_(_shifted(z, shift)).mul_(_signed(factor))
    z = z.bitwise_xor_(_shifted(z, 31))
    return _shifted(z, 64 - BITS) >= int(p * (1 << BITS) + 0.5)


def _shifted(z: torch.Tensor, bits: int) -> torch.Tensor:
    """z >> bits with zeros shifted in, as for uint64."""
    return (z >> bits).bitwise_and_((1 << (64 - bits)) - 1)


def _signed(value: int) -> int:
    """A uint64 value as the int64 of the same bits."""
    return value - (1 << 64) if value >= 1 << 63 else value
