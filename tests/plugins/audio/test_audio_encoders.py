"""Behavioural tests of the audio encoders: shapes, subsampled lengths, padding invariance, extremes."""

import pytest
import torch

from multis2s_audio.encoders import ConvLSTMEncoder, ConvTransformerEncoder, PyramidalLSTMEncoder
from multis2s_audio.subsampling import ConvSubsampling, stack_frame_pairs

F = 20


def make(name: str, **options):
    if name == "conv_lstm":
        return ConvLSTMEncoder(input_dim=F, channels=4, hidden_dim=8, layers=2, dropout=0.1, **options)
    if name == "pblstm":
        return PyramidalLSTMEncoder(input_dim=F, hidden_dim=8, levels=2, dropout=0.1, **options)
    return ConvTransformerEncoder(input_dim=F, channels=4, model_dim=16, heads=2, layers=2, ff_dim=32, dropout=0.1,
                                  **options)


def expected_length(name: str, frames: int) -> int:
    """The subsampled length, computed step by step from the documented per-layer formulas."""
    if name == "pblstm":
        for _ in range(2):
            frames = (frames + 1) // 2
        return frames
    for _ in range(2):
        frames = (frames + 2 * 1 - 3) // 2 + 1
    return frames


ENCODERS = ["conv_lstm", "pblstm", "conv_transformer"]


@pytest.fixture(autouse=True)
def seeded(one_thread):
    torch.manual_seed(0)


@pytest.mark.parametrize("name", ENCODERS)
def test_shapes_and_subsampled_lengths(name):
    encoder = make(name).eval()
    lengths = torch.tensor([37, 10, 1, 24])
    inputs = torch.randn(4, 37, F)
    out = encoder(inputs, lengths)
    new_lengths = [expected_length(name, int(n)) for n in lengths]
    assert out.memory.shape == (4, max(new_lengths), encoder.output_dim)
    assert out.memory_mask.dtype == torch.bool
    assert out.memory_mask.sum(1).tolist() == new_lengths
    if name == "conv_transformer":
        assert out.final_state is None and encoder.state_dim == 0
    else:
        assert out.final_state.shape == (4, encoder.state_dim)
    assert torch.all(out.memory[~out.memory_mask] == 0)


@pytest.mark.parametrize("name", ENCODERS)
def test_utterance_alone_equals_utterance_in_padded_batch(name):
    encoder = make(name).eval()
    long, short = torch.randn(41, F), torch.randn(23, F)
    batch = torch.zeros(2, 41, F)
    batch[0], batch[1, :23] = long, short
    batch[1, 23:] = 1e3  # garbage in the padding must not leak into real positions
    together = encoder(batch, torch.tensor([41, 23]))
    alone = encoder(short.unsqueeze(0), torch.tensor([23]))
    steps = int(alone.memory_mask.sum())
    assert together.memory_mask[1].sum() == steps
    torch.testing.assert_close(together.memory[1, :steps], alone.memory[0], atol=1e-5, rtol=1e-5)
    if alone.final_state is not None:
        torch.testing.assert_close(together.final_state[1], alone.final_state[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ENCODERS)
@pytest.mark.parametrize("frames", [1, 10, 6000])
def test_tiny_and_long_clips_run(name, frames):
    encoder = make(name).eval()
    with torch.no_grad():
        out = encoder(torch.randn(1, frames, F), torch.tensor([frames]))
    assert out.memory.shape[1] == expected_length(name, frames) >= 1
    assert torch.isfinite(out.memory).all()


def test_training_mode_backpropagates_to_the_input():
    encoder = make("conv_lstm").train()
    inputs = torch.randn(2, 30, F, requires_grad=True)
    encoder(inputs, torch.tensor([30, 12])).memory.sum().backward()
    assert inputs.grad[0].abs().sum() > 0
    assert torch.all(inputs.grad[1, 12:] == 0)


def test_conv_subsampling_formula_and_zeroed_padding():
    sub = ConvSubsampling(input_dim=80, channels=3)
    assert sub.output_dim == 3 * 20
    out, lengths = sub(torch.randn(3, 100, 80), torch.tensor([100, 7, 2]))
    assert lengths.tolist() == [25, 2, 1]
    assert out.shape == (3, 25, 60)
    assert torch.all(out[1, 2:] == 0) and torch.all(out[2, 1:] == 0)


def test_conv_subsampling_by_eight_halves_time_and_bins_once_more_and_zeroes_padding():
    sub = ConvSubsampling(input_dim=80, channels=3, factor=8)
    assert sub.output_dim == 3 * 10
    x = torch.randn(3, 100, 80)
    out, lengths = sub(x, torch.tensor([100, 7, 2]))
    assert lengths.tolist() == [13, 1, 1]
    assert out.shape == (3, 13, 30)
    assert torch.all(out[1, 1:] == 0) and torch.all(out[2, 1:] == 0)
    changed = x.clone()
    changed[1, 7:] = 5.0  # padding of the second row: its one output frame stays the same
    assert torch.equal(sub(changed, torch.tensor([100, 7, 2]))[0][1], out[1])


def test_conv_subsampling_refuses_other_factors():
    with pytest.raises(ValueError, match="subsampling must be one of 4, 8, got 6"):
        ConvSubsampling(input_dim=80, channels=3, factor=6)


def test_frame_pairs_handle_odd_lengths_and_ignore_padding():
    x = torch.arange(1.0, 6.0).view(1, 5, 1).repeat(2, 1, 1)
    pairs, lengths = stack_frame_pairs(x, torch.tensor([5, 3]))
    assert lengths.tolist() == [3, 2]
    assert pairs[0].tolist() == [[1.0, 2.0], [3.0, 4.0], [5.0, 0.0]]
    assert pairs[1].tolist() == [[1.0, 2.0], [3.0, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize("factory, options", [
    (ConvLSTMEncoder, {"hidden_dim": 0}),
    (ConvLSTMEncoder, {"dropout": 1.5}),
    (PyramidalLSTMEncoder, {"levels": -1}),
    (ConvTransformerEncoder, {"model_dim": 30, "heads": 4}),
    (ConvTransformerEncoder, {"model_dim": 15, "heads": 5}),
])
def test_bad_options_raise_value_error(factory, options):
    with pytest.raises(ValueError):
        factory(input_dim=F, **options)
