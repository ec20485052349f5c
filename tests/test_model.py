"""Encoders and decoders: padding is never attended, step-by-step equals teacher forcing, bad options raise."""

from __future__ import annotations

import pytest
import torch

from multis2s.data.vocabulary import BOS_ID
from multis2s.model.attention import ATTENTION_KINDS
from multis2s.model.rnn_decoder import RNNDecoder
from multis2s.model.seq2seq import Seq2Seq
from multis2s.model.transformer_decoder import TransformerDecoder
from multis2s_text.encoders import RNNEncoder, TransformerTextEncoder

VOCAB = 11


def encoder(kind: str):
    if kind == "rnn":
        return RNNEncoder(vocab_size=VOCAB, pad_id=0, cell="lstm", embedding_dim=8, hidden_dim=6, dropout=0.0)
    return TransformerTextEncoder(vocab_size=VOCAB, pad_id=0, model_dim=12, heads=2, layers=2, ff_dim=16, dropout=0.0)


def decoder(kind: str, enc, **options):
    common = dict(vocab_size=VOCAB, pad_id=0, memory_dim=enc.output_dim, state_dim=enc.state_dim)
    if kind == "transformer":
        return TransformerDecoder(**common, model_dim=12, heads=2, layers=2, ff_dim=16, dropout=0.0)
    return RNNDecoder(**common, embedding_dim=8, hidden_dim=options.pop("hidden_dim", 12), attention_dim=8,
                      heads=2, dropout=0.0, **options)


def model(enc_kind="rnn", dec_kind="rnn", **options) -> Seq2Seq:
    torch.manual_seed(0)
    enc = encoder(enc_kind)
    return Seq2Seq(encoder=enc, decoder=decoder(dec_kind, enc, **options)).eval()


def batch():
    """Two sources, the second padded; targets start with BOS."""
    sources = torch.tensor([[4, 5, 6, 7, 8], [9, 4, 5, 0, 0]])
    lengths = torch.tensor([5, 3])
    targets_in = torch.tensor([[BOS_ID, 5, 6, 7], [BOS_ID, 8, 9, 10]])
    return sources, lengths, targets_in


DECODERS = [("rnn", dict(attention=a, input_feeding=f)) for a in ATTENTION_KINDS if a != "dot"
            for f in (True, False)] + [("rnn", dict(attention="dot", hidden_dim=12)), ("transformer", {})]


@pytest.mark.parametrize("enc_kind", ["rnn", "transformer"])
@pytest.mark.parametrize("dec_kind, options", DECODERS)
def test_padding_is_never_attended_and_changes_nothing(enc_kind, dec_kind, options):
    net = model(enc_kind, dec_kind, **options)
    sources, lengths, targets_in = batch()
    logits, attention = net(sources, lengths, targets_in)
    assert attention.shape == (2, 4, 5)
    assert torch.all(attention[1, :, 3:] == 0)
    torch.testing.assert_close(attention.sum(-1), torch.ones(2, 4))
    garbage = sources.clone()
    garbage[1, 3:] = 7
    logits_garbage, _ = net(garbage, lengths, targets_in)
    torch.testing.assert_close(logits[1], logits_garbage[1])
    alone, _ = net(sources[1:, :3], lengths[1:], targets_in[1:])
    torch.testing.assert_close(logits[1], alone[0], atol=1e-5, rtol=1e-4)


def assert_step_by_step_equals_teacher_forced(net: Seq2Seq, sources, lengths, targets_in) -> None:
    """Decoding ``targets_in`` one step at a time gives the teacher-forced logits and attention."""
    full_logits, full_attention = net(sources, lengths, targets_in)
    encoded = net.encode(sources, lengths)
    memory, state = net.decoder.prepare(encoded), net.decoder.initial_state(encoded)
    for t in range(targets_in.size(1)):
        logits, attention, state = net.decoder.step(targets_in[:, t], memory, state)
        torch.testing.assert_close(logits, full_logits[:, t], atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(attention, full_attention[:, t], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("dec_kind, options", DECODERS)
def test_step_by_step_equals_teacher_forced(dec_kind, options):
    assert_step_by_step_equals_teacher_forced(model("rnn", dec_kind, **options), *batch())


@pytest.mark.parametrize("dec_kind", ["rnn", "transformer"])
def test_free_running_feeds_predictions(dec_kind):
    net = model("rnn", dec_kind)
    sources, lengths, targets_in = batch()
    forced, _ = net(sources, lengths, targets_in, teacher_forcing=1.0)
    free, _ = net(sources, lengths, targets_in, teacher_forcing=0.0)
    torch.testing.assert_close(forced[:, 0], free[:, 0])
    assert not torch.allclose(forced[:, 1:], free[:, 1:])


def test_bad_options_raise_value_error():
    enc = encoder("rnn")
    with pytest.raises(ValueError, match="attention 'luong' is not one of"):
        decoder("rnn", enc, attention="luong")
    with pytest.raises(ValueError, match=r"dot attention needs the decoder hidden size \(16\) to equal"):
        decoder("rnn", enc, attention="dot", hidden_dim=16)
    with pytest.raises(ValueError, match="tie_embeddings needs embedding_dim"):
        decoder("rnn", enc, tie_embeddings=True)
    with pytest.raises(ValueError, match="cell 'lstmm'"):
        RNNEncoder(vocab_size=VOCAB, pad_id=0, cell="lstmm")
    with pytest.raises(ValueError, match="not divisible by 5 heads"):
        TransformerTextEncoder(vocab_size=VOCAB, pad_id=0, model_dim=12, heads=5)


def test_encoder_outputs_follow_the_contract():
    sources, lengths, _ = batch()
    for kind in ("rnn", "transformer"):
        out = encoder(kind).eval()(sources, lengths)
        assert out.memory.shape[:2] == (2, 5) and out.memory_mask.dtype == torch.bool
        assert out.memory_mask.tolist() == [[True] * 5, [True] * 3 + [False] * 2]
        assert torch.all(out.memory[1, 3:] == 0)
