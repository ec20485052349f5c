"""Greedy and beam search: beam 1 equals greedy, n-best is ordered, lengths are bounded, methods are registered."""

from __future__ import annotations

import pytest
import torch

from multis2s.data.vocabulary import EOS_ID
from multis2s.plugins import load_registry
from multis2s.search.beam import BeamSearch
from multis2s.search.greedy import GreedySearch
from multis2s.search.hypothesis import MaxLength
from tests.core.tiny import batch, model

LIMIT = MaxLength(2.0, 3)


@pytest.mark.parametrize("dec_kind", ["rnn", "transformer"])
def test_beam_one_equals_greedy(dec_kind):
    net = model("rnn", dec_kind)
    sources, lengths, _ = batch()
    greedy = GreedySearch()(net, sources, lengths, max_length=LIMIT)
    beam = BeamSearch(beam=1)(net, sources, lengths, max_length=LIMIT)
    for g, b in zip(greedy, beam):
        assert g[0].tokens == b[0].tokens
        assert g[0].score == pytest.approx(b[0].score, abs=1e-5)
        torch.testing.assert_close(g[0].attention["source"], b[0].attention["source"])


@pytest.mark.parametrize("dec_kind", ["rnn", "transformer"])
def test_beam_nbest_is_sorted_and_no_worse_than_greedy(dec_kind):
    net = model("rnn", dec_kind)
    sources, lengths, _ = batch()
    greedy = GreedySearch()(net, sources, lengths, max_length=LIMIT)
    found = BeamSearch(beam=4, n_best=3)(net, sources, lengths, max_length=LIMIT)
    for g, hyps in zip(greedy, found):
        scores = [h.score for h in hyps]
        assert len(hyps) == 3 and scores == sorted(scores, reverse=True)
        assert scores[0] >= g[0].score - 1e-5
        assert len({tuple(h.tokens) for h in hyps}) == 3


def test_max_length_is_relative_to_the_source():
    net = model("rnn", "rnn")
    sources, lengths, _ = batch()
    for hyps in BeamSearch(beam=3)(net, sources, lengths, max_length=MaxLength(0.5, 1)):
        assert len(hyps[0].tokens) <= 3
    greedy = GreedySearch()(net, sources, lengths, max_length=MaxLength(0.0, 2))
    assert all(len(h[0].tokens) <= 1 for h in greedy)


def test_attention_covers_only_the_real_source():
    net = model("rnn", "transformer")
    sources, lengths, _ = batch()
    for hyps, length in zip(BeamSearch(beam=2)(net, sources, lengths, max_length=LIMIT), lengths["source"].tolist()):
        attention = hyps[0].attention["source"]
        assert attention.shape[1] == length
        assert attention.shape[0] == len(hyps[0].tokens) + 1 or len(hyps[0].tokens) > 0


def test_beam_search_rejects_bad_sizes():
    with pytest.raises(ValueError, match="beam must be >= 1"):
        BeamSearch(beam=0)
    with pytest.raises(ValueError, match="n_best"):
        BeamSearch(beam=2, n_best=3)


def test_register_searches_hook_provides_greedy_and_beam():
    registry = load_registry()
    assert registry.get("searches", "greedy").factory is GreedySearch
    assert registry.get("searches", "beam").factory is BeamSearch
    assert registry.get("searches", "beam").plugin == "core"


@pytest.mark.parametrize("search", [GreedySearch(), BeamSearch(beam=3, n_best=2)], ids=["greedy", "beam"])
def test_items_leaving_the_batch_early_change_no_other_item(search):
    """Rows that finish drop out of the batch; every item's hypotheses equal those of searching it alone."""
    net = model("rnn", "rnn", input_feeding=True)
    sources = {"source": torch.tensor([[4, 5, 6, 7, 8, 9, 10], [9, 4, 0, 0, 0, 0, 0], [5, 6, 7, 8, 0, 0, 0]])}
    lengths = {"source": torch.tensor([7, 2, 4])}
    together = search(net, sources, lengths, max_length=MaxLength(1.0, 1))
    assert len({len(h[0].tokens) for h in together}) > 1  # the items stop at different steps
    for row, hypotheses in enumerate(together):
        alone = search(net, {"source": sources["source"][row:row + 1, : int(lengths["source"][row])]},
                       {"source": lengths["source"][row:row + 1]}, max_length=MaxLength(1.0, 1))[0]
        assert [h.tokens for h in hypotheses] == [h.tokens for h in alone]
        for mine, reference in zip(hypotheses, alone):
            assert mine.score == pytest.approx(reference.score, abs=1e-5)
            torch.testing.assert_close(mine.attention["source"], reference.attention["source"])


@pytest.mark.parametrize("length_penalty", [0.0, 1.0])
@pytest.mark.parametrize("eos_bias", [0.0, 0.3], ids=["long", "ending-at-once"])
def test_a_search_for_fewer_than_beam_hypotheses_stops_once_they_are_certain_and_finds_the_same(
        length_penalty, eos_bias):
    """An item stops when its n_best best finished hypotheses beat what its live beams could still
    reach, not when it has ``beam`` of them: the hypotheses returned are those the longer search
    returns. With EOS favoured (the hypotheses end at the first step), the one-best search lets the
    items go at once."""
    net = model("rnn", "rnn")
    with torch.no_grad():
        net.decoder.output.project.bias[EOS_ID] += eos_bias
    sources = {"source": torch.tensor([[4, 5, 6, 7, 8, 9, 10], [9, 4, 0, 0, 0, 0, 0], [5, 6, 7, 8, 0, 0, 0]])}
    lengths = {"source": torch.tensor([7, 2, 4])}
    steps = rows_stepped(net)
    rows, found = [], {}  # decoder rows stepped, per search
    for n_best in (1, 2, 4):
        steps.clear()
        found[n_best] = BeamSearch(beam=4, n_best=n_best, length_penalty=length_penalty)(
            net, sources, lengths, max_length=MaxLength(2.0, 3))
        rows.append(sum(steps))
    for n_best in (1, 2):
        for fewer, all_of_them in zip(found[n_best], found[4]):
            assert [h.tokens for h in fewer] == [h.tokens for h in all_of_them[:n_best]]
            assert [h.score for h in fewer] == pytest.approx([h.score for h in all_of_them[:n_best]])
    assert rows[0] <= rows[1] <= rows[2]
    if eos_bias:
        assert rows[0] < rows[2]



def rows_stepped(net) -> list[int]:
    """The decoder rows of each step the searches of ``net`` run from now on (appended as they run)."""
    rows = []
    decoder_step = net.decoder.step

    def counted(tokens, *args):
        rows.append(tokens.size(0))
        return decoder_step(tokens, *args)

    net.decoder.step = counted
    return rows


def test_the_first_beam_step_runs_one_row_per_item_where_its_beams_are_one_hypothesis():
    """An item's beams are all the same hypothesis at the first step, so it runs on one decoder row
    per item, and the next on K."""
    net = model("rnn", "rnn")
    sources, lengths, _ = batch()
    rows = rows_stepped(net)
    found = BeamSearch(beam=3)(net, sources, lengths, max_length=LIMIT)
    assert rows[:2] == [2, 6]
    assert all(hypotheses for hypotheses in found)
