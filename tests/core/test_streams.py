"""Encoder streams into one decoder: per-stream masks honoured, absent streams ignored, search agrees."""

from __future__ import annotations

import pytest
import torch

from multis2s.model.streams import StreamEncoders
from multis2s.search.beam import BeamSearch
from multis2s.search.greedy import GreedySearch
from multis2s.search.hypothesis import MaxLength
from tests.core.tiny import (VOCAB, AttentionEncoder, RecurrentEncoder, assert_step_by_step_equals_teacher_forced,
                             batch, model, two_stream_batch)

STREAMS = ("first", "second")
DECODERS = [("rnn", dict(attention=a, input_feeding=f, fusion=fusion))
            for a in ("additive", "general", "multihead", "location") for f in (True, False)
            for fusion in ("concat", "gate")] + [("transformer", dict(fusion="concat")),
                                                  ("transformer", dict(fusion="gate"))]


def two_stream_model(dec_kind: str, **options):
    return model(dec_kind=dec_kind, streams=STREAMS, **options)


@pytest.mark.parametrize("dec_kind, options", DECODERS)
def test_each_streams_padding_is_never_attended(dec_kind, options):
    net = two_stream_model(dec_kind, **options)
    sources, lengths, targets_in = two_stream_batch()
    log_probs, attention = net(sources, lengths, targets_in)[:2]
    first, second = attention["first"], attention["second"]
    assert first.shape == (2, 4, 5) and second.shape == (2, 4, 4)
    assert torch.all(first[1, :, 3:] == 0) and torch.all(second[0, :, 2:] == 0)
    torch.testing.assert_close(first.sum(-1), torch.ones(2, 4))
    torch.testing.assert_close(second.sum(-1), torch.ones(2, 4))
    garbage = {"first": sources["first"].clone(), "second": sources["second"].clone()}
    garbage["first"][1, 3:] = 7
    garbage["second"][0, 2:] = 9
    log_probs_garbage = net(garbage, lengths, targets_in).log_probs
    torch.testing.assert_close(log_probs, log_probs_garbage)


@pytest.mark.parametrize("dec_kind, options", DECODERS)
def test_a_stream_absent_from_a_row_is_ignored_there(dec_kind, options):
    net = two_stream_model(dec_kind, **options)
    sources, lengths, targets_in = two_stream_batch()
    lengths = {"first": lengths["first"], "second": torch.tensor([0, 4])}
    log_probs, attention = net(sources, lengths, targets_in)[:2]
    assert torch.isfinite(log_probs).all()
    assert torch.all(attention["second"][0] == 0)
    changed = {"first": sources["first"], "second": torch.tensor([[10, 10, 10, 10], [8, 9, 10, 4]])}
    torch.testing.assert_close(net(changed, lengths, targets_in)[0], log_probs)
    only_first = net({"first": sources["first"]}, {"first": lengths["first"]}, targets_in)[0]
    torch.testing.assert_close(only_first[0], log_probs[0], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("dec_kind, options", [d for d in DECODERS if not d[1].get("input_feeding")])
def test_step_by_step_equals_teacher_forced_over_two_streams(dec_kind, options):
    assert_step_by_step_equals_teacher_forced(two_stream_model(dec_kind, **options), *two_stream_batch())


@pytest.mark.parametrize("dec_kind, options", [("rnn", dict(fusion="gate")), ("transformer", dict(fusion="concat"))])
def test_beam_one_equals_greedy_over_two_streams(dec_kind, options):
    net = two_stream_model(dec_kind, **options)
    sources, lengths, _ = two_stream_batch()
    limit = MaxLength(1.0, 3)
    greedy = GreedySearch()(net, sources, lengths, max_length=limit)
    beam = BeamSearch(beam=1)(net, sources, lengths, max_length=limit)
    for row, (g, b) in enumerate(zip(greedy, beam)):
        assert g[0].tokens == b[0].tokens
        for name in STREAMS:
            torch.testing.assert_close(g[0].attention[name], b[0].attention[name])
            assert g[0].attention[name].shape[1] == int(lengths[name][row])


def test_one_stream_has_no_fusion_layer():
    for dec_kind in ("rnn", "transformer"):
        one = model(dec_kind=dec_kind)
        assert not any("fusion" in name for name, _ in one.named_parameters()), dec_kind
        two = two_stream_model(dec_kind, fusion="gate")
        assert any("fusion" in name for name, _ in two.named_parameters()), dec_kind


def test_one_stream_is_the_encoder_itself():
    """A one-stream model's outputs equal those of its encoder run alone: the streams add nothing."""
    net = model("rnn", "rnn")
    sources, lengths, _ = batch()
    streams = net.encode(sources, lengths)
    alone = net.encoder.encoders["source"](sources["source"], lengths["source"])
    torch.testing.assert_close(streams.outputs["source"].memory, alone.memory)
    assert torch.equal(streams.outputs["source"].memory_mask, alone.memory_mask)
    torch.testing.assert_close(streams.final_state, alone.final_state)


def test_two_streams_of_one_kind_are_two_streams():
    """Streams are keyed by name: two encoders of the same kind each get their own attention and weights."""
    torch.manual_seed(0)
    net = model(dec_kind="rnn", streams=("cam_left", "cam_right"))
    sources, lengths, targets_in = two_stream_batch()
    sources = {"cam_left": sources["first"], "cam_right": sources["second"]}
    lengths = {"cam_left": lengths["first"], "cam_right": lengths["second"]}
    attention = net(sources, lengths, targets_in).attention
    assert set(attention) == {"cam_left", "cam_right"}
    assert set(net.decoder.attention.attentions) == {"cam_left", "cam_right"}


def test_stream_dropout_hides_one_stream_per_dropped_row_in_training_only():
    multi = StreamEncoders(encoders={"first": RecurrentEncoder(), "second": AttentionEncoder()}, stream_dropout=0.5)
    sources = {"first": torch.randint(1, VOCAB, (400, 3)), "second": torch.randint(1, VOCAB, (400, 2))}
    lengths = {"first": torch.full((400,), 3), "second": torch.full((400,), 2)}
    torch.manual_seed(0)
    multi.train()
    outputs = multi(sources, lengths).outputs
    present = torch.stack([o.memory_mask.any(dim=1) for o in outputs.values()])  # (2, B)
    assert present.any(dim=0).all(), "a row never loses every stream"
    hidden_share = float((~present).any(dim=0).float().mean())
    assert 0.4 < hidden_share < 0.6
    multi.eval()
    assert all(o.memory_mask.all() for o in multi(sources, lengths).outputs.values())


@pytest.mark.parametrize("dec_kind, options", [("rnn", dict(attention="additive", input_feeding=True, fusion="gate")),
                                               ("rnn", dict(attention="location", fusion="concat")),
                                               ("transformer", dict(fusion="gate"))])
def test_stream_losses_decode_each_stream_alone_over_the_rows_that_have_it(dec_kind, options):
    net = two_stream_model(dec_kind, **options)
    net.stream_losses = True
    sources, lengths, targets_in = two_stream_batch()
    lengths = {"first": lengths["first"], "second": torch.tensor([0, 4])}  # row 0 lacks 'second'
    assert net(sources, lengths, targets_in).alone is None, "evaluation decodes the streams together only"
    net.train()  # the tiny parts have no dropout: training and evaluation compute the same function
    alone = net(sources, lengths, targets_in).alone
    (first, first_rows), (second, second_rows) = alone["first"], alone["second"]
    assert first_rows.tolist() == [0, 1] and second_rows.tolist() == [1]
    net.eval()
    only_first = net({"first": sources["first"]}, {"first": lengths["first"]}, targets_in).log_probs
    only_second = net({"second": sources["second"][1:]}, {"second": lengths["second"][1:]}, targets_in[1:]).log_probs
    torch.testing.assert_close(first, only_first)
    torch.testing.assert_close(second, only_second)
    together = net(sources, lengths, targets_in).log_probs
    assert not torch.allclose(together[1], first[1], atol=1e-3), "row 1 has both streams: together is not alone"


def test_stream_encoders_reject_bad_options():
    with pytest.raises(ValueError, match="stream_dropout needs at least two encoder streams"):
        StreamEncoders(encoders={"only": RecurrentEncoder()}, stream_dropout=0.2)
    with pytest.raises(ValueError, match="stream_dropout must be in"):
        StreamEncoders(encoders={"a": RecurrentEncoder(), "b": RecurrentEncoder()}, stream_dropout=1.0)
    with pytest.raises(ValueError, match="fusion 'sum' is not one of"):
        two_stream_model("rnn", fusion="sum")
