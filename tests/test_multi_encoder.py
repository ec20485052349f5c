"""Several encoders into one decoder: per-stream masks honoured, absent streams ignored, search agrees."""

from __future__ import annotations

import pytest
import torch

from multis2s.data.vocabulary import BOS_ID
from multis2s.model.multi_encoder import MultiEncoder
from multis2s.model.rnn_decoder import RNNDecoder
from multis2s.model.seq2seq import Seq2Seq
from multis2s.model.transformer_decoder import TransformerDecoder
from multis2s.search import beam_search, greedy_search
from tests.test_model import VOCAB, assert_step_by_step_equals_teacher_forced, encoder

DECODERS = [("rnn", dict(attention=a, input_feeding=f, fusion=fusion))
            for a in ("additive", "general", "multihead", "location") for f in (True, False)
            for fusion in ("concat", "gate")] + [("transformer", dict(fusion="concat")),
                                                  ("transformer", dict(fusion="gate"))]


def two_stream_model(dec_kind: str, **options) -> Seq2Seq:
    torch.manual_seed(0)
    multi = MultiEncoder(encoders={"first": encoder("rnn"), "second": encoder("transformer")})
    common = dict(vocab_size=VOCAB, pad_id=0, memory_dim=multi.output_dim, state_dim=multi.state_dim)
    if dec_kind == "transformer":
        dec = TransformerDecoder(**common, model_dim=12, heads=2, layers=2, ff_dim=16, dropout=0.0, **options)
    else:
        dec = RNNDecoder(**common, embedding_dim=8, hidden_dim=12, attention_dim=8, heads=2, dropout=0.0, **options)
    return Seq2Seq(encoder=multi, decoder=dec).eval()


def two_stream_batch():
    """Stream 'first': lengths 5 and 3; stream 'second': lengths 2 and 4."""
    sources = {"first": torch.tensor([[4, 5, 6, 7, 8], [9, 4, 5, 0, 0]]),
               "second": torch.tensor([[6, 7, 0, 0], [8, 9, 10, 4]])}
    lengths = {"first": torch.tensor([5, 3]), "second": torch.tensor([2, 4])}
    targets_in = torch.tensor([[BOS_ID, 5, 6, 7], [BOS_ID, 8, 9, 10]])
    return sources, lengths, targets_in


@pytest.mark.parametrize("dec_kind, options", DECODERS)
def test_each_streams_padding_is_never_attended(dec_kind, options):
    net = two_stream_model(dec_kind, **options)
    sources, lengths, targets_in = two_stream_batch()
    logits, attention = net(sources, lengths, targets_in)
    assert attention.shape == (2, 4, 5 + 4)
    first, second = attention[..., :5], attention[..., 5:]
    assert torch.all(first[1, :, 3:] == 0) and torch.all(second[0, :, 2:] == 0)
    torch.testing.assert_close(first.sum(-1), torch.ones(2, 4))
    torch.testing.assert_close(second.sum(-1), torch.ones(2, 4))
    garbage = {"first": sources["first"].clone(), "second": sources["second"].clone()}
    garbage["first"][1, 3:] = 7
    garbage["second"][0, 2:] = 9
    logits_garbage, _ = net(garbage, lengths, targets_in)
    torch.testing.assert_close(logits, logits_garbage)


@pytest.mark.parametrize("dec_kind, options", DECODERS)
def test_a_stream_absent_from_a_row_is_ignored_there(dec_kind, options):
    net = two_stream_model(dec_kind, **options)
    sources, lengths, targets_in = two_stream_batch()
    lengths = {"first": lengths["first"], "second": torch.tensor([0, 4])}
    logits, attention = net(sources, lengths, targets_in)
    assert torch.isfinite(logits).all()
    assert torch.all(attention[0, :, 5:] == 0)
    changed = {"first": sources["first"], "second": torch.tensor([[10, 10, 10, 10], [8, 9, 10, 4]])}
    torch.testing.assert_close(net(changed, lengths, targets_in)[0], logits)
    only_first = net({"first": sources["first"]}, {"first": lengths["first"]}, targets_in)[0]
    torch.testing.assert_close(only_first[0], logits[0], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("dec_kind, options", [d for d in DECODERS if not d[1].get("input_feeding")])
def test_step_by_step_equals_teacher_forced_over_two_streams(dec_kind, options):
    assert_step_by_step_equals_teacher_forced(two_stream_model(dec_kind, **options), *two_stream_batch())


@pytest.mark.parametrize("dec_kind, options", [("rnn", dict(fusion="gate")), ("transformer", dict(fusion="concat"))])
def test_beam_one_equals_greedy_over_two_streams(dec_kind, options):
    net = two_stream_model(dec_kind, **options)
    sources, lengths, _ = two_stream_batch()
    greedy = greedy_search(net, sources, lengths, max_length_ratio=1.0, max_length_offset=3)
    beam = beam_search(net, sources, lengths, beam=1, max_length_ratio=1.0, max_length_offset=3)
    for row, (g, b) in enumerate(zip(greedy, beam)):
        assert g[0].tokens == b[0].tokens
        torch.testing.assert_close(g[0].attention, b[0].attention)
        real = int(lengths["first"][row] + lengths["second"][row])
        assert g[0].attention.shape[1] == real


def test_stream_dropout_hides_one_stream_per_dropped_row_in_training_only():
    multi = MultiEncoder(encoders={"first": encoder("rnn"), "second": encoder("transformer")}, stream_dropout=0.5)
    sources = {"first": torch.randint(1, VOCAB, (400, 3)), "second": torch.randint(1, VOCAB, (400, 2))}
    lengths = {"first": torch.full((400,), 3), "second": torch.full((400,), 2)}
    torch.manual_seed(0)
    multi.train()
    streams = multi(sources, lengths).streams
    present = torch.stack([s.memory_mask.any(dim=1) for s in streams])  # (2, B)
    assert present.any(dim=0).all(), "a row never loses every stream"
    hidden_share = float((~present).any(dim=0).float().mean())
    assert 0.4 < hidden_share < 0.6
    multi.eval()
    assert all(s.memory_mask.all() for s in multi(sources, lengths).streams)


def test_multi_encoder_rejects_bad_options():
    with pytest.raises(ValueError, match="at least two streams"):
        MultiEncoder(encoders={"only": encoder("rnn")})
    with pytest.raises(ValueError, match="stream_dropout must be in"):
        MultiEncoder(encoders={"a": encoder("rnn"), "b": encoder("rnn")}, stream_dropout=1.0)
    with pytest.raises(ValueError, match="fusion 'sum' is not one of"):
        two_stream_model("rnn", fusion="sum")
