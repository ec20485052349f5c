"""Dropout with hashed CPU masks (multis2s.model.dropout): the compiled kernel equals the Python
version, the masks keep 1 − p of the elements independently, the backward pass uses the forward's
mask, and a seeded call repeats on any thread count."""

from __future__ import annotations

import pytest
import torch

from multis2s.model import native
from multis2s.model.dropout import Dropout, HashedDropout, dropout, kept


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16, torch.float16])
def test_the_compiled_kernel_gives_the_values_of_the_python_version(threads, dtype, monkeypatch):
    assert native.compiled("hashed_dropout") is not None
    x = torch.randn(40, 30, 50, dtype=dtype).transpose(0, 2)  # not contiguous: masked in row-major order
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for p, seed in [(0.1, 0), (0.5, 12345), (0.3, 2**63 - 2)]:
            monkeypatch.setenv(native.SWITCH, "0")
            expected = HashedDropout.apply(x, p, seed)
            monkeypatch.setenv(native.SWITCH, "1")
            got = HashedDropout.apply(x, p, seed)
            assert torch.equal(got, expected), (p, seed)
            assert torch.equal(got, torch.where(kept(x.numel(), p, seed).view(x.shape), x * (1 / (1 - p)), 0))
    finally:
        torch.set_num_threads(previous)


def test_a_mask_keeps_one_minus_p_of_the_elements_independently_of_position_and_call():
    count, p = 400_000, 0.3
    first, second = kept(count, p, 1).float(), kept(count, p, 2).float()
    spread = (p * (1 - p) / count) ** 0.5
    assert abs(first.mean().item() - (1 - p)) < 5 * spread
    centred, other = first - first.mean(), second - second.mean()
    for name, a, b in [("neighbours", centred[:-1], centred[1:]), ("rows of 64 apart", centred[:-64], centred[64:]),
                       ("two seeds", centred, other)]:
        correlation = (a * b).mean() / (a.std() * b.std())
        assert abs(correlation.item()) < 0.01, name


def test_kept_elements_are_scaled_by_one_over_one_minus_p_and_the_others_are_zero():
    x = torch.rand(64, 20, 256) + 0.5
    y = dropout(x, 0.25)
    dropped = y == 0
    assert torch.equal(y[~dropped], (x * (1 / 0.75))[~dropped])
    assert 0.2 < dropped.float().mean().item() < 0.3


def test_the_gradient_goes_through_the_forwards_mask_only():
    x = torch.ones(8, 9, 10, requires_grad=True)
    y = dropout(x, 0.4)
    upstream = torch.randn_like(y)
    y.backward(upstream)
    assert torch.equal(x.grad, torch.where(y != 0, upstream * (1 / 0.6), 0.0))
    x64 = torch.randn(5, 7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: HashedDropout.apply(t, 0.4, 99), (x64,))
    assert torch.autograd.gradgradcheck(lambda t: HashedDropout.apply(t, 0.4, 99), (x64,))


def test_a_seeded_call_repeats_on_any_thread_count_and_the_next_call_draws_another_mask():
    x = torch.randn(33, 1000)
    previous = torch.get_num_threads()
    masks = []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            torch.manual_seed(7)
            masks.append((dropout(x, 0.2) != 0, dropout(x, 0.2) != 0))
    finally:
        torch.set_num_threads(previous)
    assert torch.equal(masks[0][0], masks[1][0]) and torch.equal(masks[0][1], masks[1][1])
    assert not torch.equal(masks[0][0], masks[0][1])


def test_evaluation_and_p_zero_give_the_input_back_and_a_bad_p_is_refused_as_by_pytorch():
    x = torch.randn(4, 5)
    layer = Dropout(0.3).eval()
    assert layer(x) is x
    assert dropout(x, 0.0) is x and dropout(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        dropout(x, 1.5)
    assert torch.equal(dropout(x, 1.0), torch.zeros_like(x))


def test_integers_are_refused_as_by_pytorch():
    with pytest.raises(RuntimeError):
        dropout(torch.ones(3, dtype=torch.int64), 0.5)
