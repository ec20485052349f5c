"""Greedy and beam search: beam 1 equals greedy, n-best is ordered, lengths are bounded."""

from __future__ import annotations

import pytest
import torch

from multis2s.search import beam_search, greedy_search, search
from tests.test_model import batch, model


@pytest.mark.parametrize("dec_kind", ["rnn", "transformer"])
def test_beam_one_equals_greedy(dec_kind):
    net = model("rnn", dec_kind)
    sources, lengths, _ = batch()
    greedy = greedy_search(net, sources, lengths, max_length_ratio=2.0, max_length_offset=3)
    beam = beam_search(net, sources, lengths, beam=1, max_length_ratio=2.0, max_length_offset=3)
    for g, b in zip(greedy, beam):
        assert g[0].tokens == b[0].tokens
        assert g[0].score == pytest.approx(b[0].score, abs=1e-5)
        torch.testing.assert_close(g[0].attention, b[0].attention)


@pytest.mark.parametrize("dec_kind", ["rnn", "transformer"])
def test_beam_nbest_is_sorted_and_no_worse_than_greedy(dec_kind):
    net = model("rnn", dec_kind)
    sources, lengths, _ = batch()
    greedy = greedy_search(net, sources, lengths, max_length_ratio=2.0, max_length_offset=3)
    found = beam_search(net, sources, lengths, beam=4, n_best=3, max_length_ratio=2.0, max_length_offset=3)
    for g, hyps in zip(greedy, found):
        scores = [h.score for h in hyps]
        assert len(hyps) == 3 and scores == sorted(scores, reverse=True)
        assert scores[0] >= g[0].score - 1e-5
        assert len({tuple(h.tokens) for h in hyps}) == 3


def test_max_length_is_relative_to_the_source():
    net = model("rnn", "rnn")
    sources, lengths, _ = batch()
    for hyps in search(net, sources, lengths, beam=3, max_length_ratio=0.5, max_length_offset=1):
        assert len(hyps[0].tokens) <= 3
    greedy = greedy_search(net, sources, lengths, max_length_ratio=0.0, max_length_offset=2)
    assert all(len(h[0].tokens) <= 1 for h in greedy)


def test_attention_covers_only_the_real_source():
    net = model("rnn", "transformer")
    sources, lengths, _ = batch()
    for hyps, length in zip(search(net, sources, lengths, beam=2), lengths.tolist()):
        assert hyps[0].attention.shape[1] == length
        assert hyps[0].attention.shape[0] == len(hyps[0].tokens) + 1 or len(hyps[0].tokens) > 0


def test_search_rejects_bad_sizes():
    net = model()
    sources, lengths, _ = batch()
    with pytest.raises(ValueError, match="beam must be >= 1"):
        search(net, sources, lengths, beam=0)
    with pytest.raises(ValueError, match="n_best"):
        search(net, sources, lengths, beam=2, n_best=3)
