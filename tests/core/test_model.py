"""Encoders and decoders: padding is never attended, step-by-step equals teacher forcing, bad options raise."""

from __future__ import annotations

import pytest
import torch

from multis2s.model.attention import AdditiveAttention, DotAttention, LocationAttention
from multis2s.model.decoder import Decoder
from multis2s.model.rnn_decoder import RNNDecoder
from tests.core.tiny import ATTENTION_OPTIONS, VOCAB, assert_step_by_step_equals_teacher_forced, batch, decoder, model

DECODERS = [("rnn", dict(attention=a, input_feeding=f)) for a in ATTENTION_OPTIONS if a != "dot"
            for f in (True, False)] + [("rnn", dict(attention="dot", hidden_dim=6)), ("transformer", {})]


@pytest.mark.parametrize("enc_kind", ["rnn", "transformer"])
@pytest.mark.parametrize("dec_kind, options", DECODERS)
def test_padding_is_never_attended_and_changes_nothing(enc_kind, dec_kind, options):
    if enc_kind == "transformer" and options.get("attention") == "dot":
        options = {**options, "hidden_dim": 12}
    net = model(enc_kind, dec_kind, **options)
    sources, lengths, targets_in = batch()
    log_probs, attention = net(sources, lengths, targets_in)[:2]
    weights = attention["source"]
    assert log_probs.shape == (2, 4, VOCAB) and weights.shape == (2, 4, 5)
    torch.testing.assert_close(log_probs.exp().sum(-1), torch.ones(2, 4))
    assert torch.all(weights[1, :, 3:] == 0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 4))
    garbage = sources["source"].clone()
    garbage[1, 3:] = 7
    log_probs_garbage = net({"source": garbage}, lengths, targets_in).log_probs
    torch.testing.assert_close(log_probs[1], log_probs_garbage[1])
    alone = net({"source": sources["source"][1:, :3]}, {"source": lengths["source"][1:]}, targets_in[1:]).log_probs
    torch.testing.assert_close(log_probs[1], alone[0], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("dec_kind, options", DECODERS)
def test_step_by_step_equals_teacher_forced(dec_kind, options):
    assert_step_by_step_equals_teacher_forced(model("rnn", dec_kind, **options), *batch())


@pytest.mark.parametrize("dec_kind", ["rnn", "transformer"])
def test_free_running_feeds_predictions(dec_kind):
    net = model("rnn", dec_kind)
    sources, lengths, targets_in = batch()
    forced = net(sources, lengths, targets_in, teacher_forcing=1.0).log_probs
    free = net(sources, lengths, targets_in, teacher_forcing=0.0).log_probs
    torch.testing.assert_close(forced[:, 0], free[:, 0])
    assert not torch.allclose(forced[:, 1:], free[:, 1:])


@pytest.mark.parametrize("dec_kind", ["rnn", "transformer"])
def test_scheduled_sampling_is_the_same_for_every_decoder(dec_kind):
    """Free running feeds each step the previous step's own greedy token, through the base class."""
    net = model("rnn", dec_kind)
    sources, lengths, targets_in = batch()
    free = net(sources, lengths, targets_in, teacher_forcing=0.0).log_probs
    fed = targets_in.clone()
    fed[:, 1:] = free[:, :-1].argmax(dim=-1)
    forced = net(sources, lengths, fed, teacher_forcing=1.0).log_probs
    torch.testing.assert_close(free, forced, atol=1e-5, rtol=1e-4)


def test_tied_embeddings_share_one_weight_in_both_decoders():
    for kind, options in (("rnn", dict(hidden_dim=8, tie_embeddings=True)), ("transformer", dict(tie_embeddings=True))):
        net = model("rnn", kind, **options)
        assert isinstance(net.decoder, Decoder)
        assert net.decoder.output.project.weight is net.decoder.embedding.weight


def test_bad_options_raise_value_error():
    dims = {"source": 6}
    with pytest.raises(ValueError, match=r"dot attention needs the decoder hidden size \(16\) to equal"):
        decoder("rnn", dims, 6, attention="dot", hidden_dim=16)
    with pytest.raises(ValueError, match="tie_embeddings needs embedding_dim"):
        decoder("rnn", dims, 6, tie_embeddings=True)
    with pytest.raises(ValueError, match="cell 'lstmm'"):
        decoder("rnn", dims, 6, cell="lstmm")
    with pytest.raises(ValueError, match="kernel must be odd"):
        LocationAttention(query_dim=4, memory_dim=4, kernel=4)
    with pytest.raises(ValueError, match="fusion applies to several encoder streams"):
        decoder("rnn", dims, 6, fusion="gate")
    with pytest.raises(ValueError, match="fusion applies to several encoder streams"):
        decoder("transformer", dims, 6, fusion="concat")


def test_each_attention_kind_holds_only_its_own_options():
    assert not hasattr(DotAttention(query_dim=4, memory_dim=4), "key")
    additive = AdditiveAttention(query_dim=4, memory_dim=6, dim=3)
    assert additive.key.out_features == 3 and not hasattr(additive, "location_conv")
    with pytest.raises(TypeError):
        DotAttention(query_dim=4, memory_dim=4, dim=3)


def test_default_attention_is_additive():
    net = RNNDecoder(vocab_size=VOCAB, pad_id=0, memory_dims={"source": 6}, state_dim=6)
    assert isinstance(net.attention.attentions["source"], AdditiveAttention)
