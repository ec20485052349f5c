"""Joint CTC + attention: the prefix scorer against a brute-force sum over alignments, the joint beam
score of a hypothesis recomputed from both parts, CTC-only greedy, training with a CTC head, the
CTC weight's ramp."""

from __future__ import annotations

import itertools
import json
import math

import pytest
import torch
import torch.nn.functional as F

from multis2s.cli import main
from multis2s.config import ModelConfig
from multis2s.data.vocabulary import BOS_ID, EOS_ID
from multis2s.errors import ConfigError
from multis2s.model.ctc import BLANK_ID, CTCHead, CTCOutput, CTCPrefixScorer, ctc_loss_sum
from multis2s.search.beam import BeamSearch
from multis2s.search.ctc_greedy import CTCGreedySearch
from multis2s.search.hypothesis import MaxLength
from multis2s.train.schedule import ctc_mix
from tests.core.test_search import rows_stepped
from tests.core.tiny import VOCAB, batch, model


def _collapse(path: tuple[int, ...]) -> list[int]:
    out, previous = [], None
    for label in path:
        if label != previous and label != BLANK_ID:
            out.append(label)
        previous = label
    return out


def _brute_force(log_probs: torch.Tensor, length: int, prefix: list[int], *, exact: bool) -> float:
    """log of the summed probability of every alignment of ``length`` steps whose collapsed labels are
    ``prefix`` (``exact``) or begin with it."""
    total = 0.0
    for path in itertools.product(range(log_probs.size(1)), repeat=length):
        labels = _collapse(path)
        if (labels == prefix) if exact else (labels[: len(prefix)] == prefix):
            total += math.exp(sum(float(log_probs[t, label]) for t, label in enumerate(path)))
    return math.log(total) if total > 0 else float("-inf")


def test_the_prefix_scorer_equals_a_sum_over_every_alignment():
    torch.manual_seed(0)
    vocab, steps = 6, 4
    log_probs = torch.randn(2, steps, vocab).log_softmax(dim=-1)
    lengths = torch.tensor([4, 3])  # the second row is padded: its last step must count for nothing
    scorer = CTCPrefixScorer(CTCOutput(log_probs, lengths))
    prefixes: list[list[int]] = [[], []]
    candidates = torch.tensor([[4, 5, EOS_ID], [4, 5, EOS_ID]])
    for chosen in ([4, 5], [4, 4], [5, 4]):
        psi = scorer.score(candidates)
        for row in range(2):
            length = int(lengths[row])
            expected = [_brute_force(log_probs[row], length, prefixes[row] + [c], exact=False) for c in (4, 5)]
            expected.append(_brute_force(log_probs[row], length, prefixes[row], exact=True))
            assert psi[row].tolist() == pytest.approx(expected, abs=1e-5), (row, prefixes[row])
        columns = torch.tensor([[4, 5].index(c) for c in chosen])
        scorer.select(torch.arange(2), columns, psi[torch.arange(2), columns])
        for row, c in enumerate(chosen):
            prefixes[row].append(c)


def test_the_ctc_loss_reads_the_labels_before_eos():
    torch.manual_seed(1)
    output = CTCOutput(torch.randn(2, 6, 7).log_softmax(dim=-1), torch.tensor([6, 4]))
    targets_out = torch.tensor([[4, 5, 5, EOS_ID], [6, EOS_ID, 0, 0]])
    expected = F.ctc_loss(output.log_probs.transpose(0, 1), torch.tensor([4, 5, 5, 6]), output.lengths,
                          torch.tensor([3, 1]), blank=BLANK_ID, reduction="sum")
    torch.testing.assert_close(ctc_loss_sum(output, targets_out), expected)


def _with_head(dec_kind: str = "rnn"):
    net = model("rnn", dec_kind)
    torch.manual_seed(5)
    net.ctc = CTCHead(memory_dim=net.encoder.output_dims["source"], vocab_size=VOCAB).eval()
    net.ctc_stream = "source"
    return net


@pytest.mark.parametrize("dec_kind", ["rnn", "transformer"])
def test_a_joint_beam_score_is_the_mix_of_attention_and_ctc_log_probabilities(dec_kind):
    net, weight = _with_head(dec_kind), 0.4
    sources, lengths, _ = batch()
    found = BeamSearch(beam=3, ctc_weight=weight)(net, sources, lengths, max_length=MaxLength(2.0, 3))
    for row, hypotheses in enumerate(found):
        best = hypotheses[0]
        tokens = torch.tensor([[BOS_ID, *best.tokens]])
        one = {"source": sources["source"][row:row + 1, : int(lengths["source"][row])]}
        with torch.no_grad():
            prediction = net(one, {"source": lengths["source"][row:row + 1]}, tokens)
        gold = torch.tensor(best.tokens + [EOS_ID])
        attention = float(prediction.log_probs[0].gather(1, gold.unsqueeze(1)).sum())
        ctc = -float(ctc_loss_sum(prediction.ctc, gold.unsqueeze(0)))
        assert best.score == pytest.approx((1 - weight) * attention + weight * ctc, abs=1e-4)



def test_a_joint_beam_runs_its_beams_rows_from_the_first_step():
    """The CTC prefix scorer holds K rows per item from the start, so a joint search does not run
    its first step on one row per item as an attention-only search does."""
    net = _with_head("rnn")
    sources, lengths, _ = batch()
    rows = rows_stepped(net)
    BeamSearch(beam=3, ctc_weight=0.4)(net, sources, lengths, max_length=MaxLength(2.0, 3))
    assert rows[:2] == [6, 6]

def test_ctc_greedy_is_the_collapsed_best_path_and_a_head_is_required():
    net = _with_head()
    sources, lengths, _ = batch()
    found = CTCGreedySearch()(net, sources, lengths, max_length=MaxLength(2.0, 3))
    with torch.no_grad():
        output = net.ctc_output(net.encode(sources, lengths))
    for row, hypotheses in enumerate(found):
        path = tuple(output.log_probs[row, : int(output.lengths[row])].argmax(dim=-1).tolist())
        assert hypotheses[0].tokens == [t for t in _collapse(path) if t not in (BOS_ID, EOS_ID)]
        assert hypotheses[0].attention["source"].shape == (len(hypotheses[0].tokens), int(output.lengths[row]))
    plain = model()
    with pytest.raises(ConfigError, match="needs a model with a CTC head"):
        CTCGreedySearch()(plain, sources, lengths, max_length=MaxLength(2.0, 3))
    with pytest.raises(ConfigError, match="this model has no CTC head"):
        BeamSearch(beam=2, ctc_weight=0.3)(plain, sources, lengths, max_length=MaxLength(2.0, 3))


def test_joint_training_and_every_ctc_decoding_from_the_command_line(tiny_config, tmp_path, capsys):
    from multis2s.run import Run

    run = tmp_path / "run"
    assert main(["run", str(tiny_config), "-o", str(run), "model.ctc_weight=0.3", "train.max_steps=12",
                 "eval.search={type: beam, beam: 3, ctc_weight: 0.5}"]) == 0
    assert "exact_match" in capsys.readouterr().out
    trained = Run.from_folder(run)
    assert trained.model.ctc is not None and trained.model.ctc_stream == "source"
    results = trained.evaluate(trained.examples("test"), split="test", search=CTCGreedySearch())
    assert results.num_examples == 12 and 0 <= results.metrics["exact_match"] <= 100
    assert main(["train", str(tiny_config), "-o", str(tmp_path / "bad"), "model.ctc_weight=0.3",
                 "model.ctc_stream=video"]) == 2
    assert "model.ctc_stream: 'video' is not a stream; the streams are source" in capsys.readouterr().err


def test_the_ctc_weight_ramps_up_linearly_over_ctc_ramp_steps():
    ramped = ModelConfig(encoders={}, decoder=None, ctc_weight=0.4, ctc_ramp_steps=8)
    assert [ctc_mix(ramped, step) for step in (0, 2, 4, 8, 100)] == pytest.approx([0.0, 0.1, 0.2, 0.4, 0.4])
    assert ctc_mix(ModelConfig(encoders={}, decoder=None, ctc_weight=0.4), 0) == 0.4


def test_a_ramped_ctc_weight_trains_the_first_update_on_the_attention_loss_alone(tiny_config, tmp_path, capsys):
    def first_loss(name: str, *overrides: str) -> float:
        run = tmp_path / name
        assert main(["train", str(tiny_config), "-o", str(run), "train.max_steps=1", "train.log_every=1",
                     *overrides]) == 0
        records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        return next(r["loss"] for r in records if r["split"] == "train")

    # the same model, weights and batch at any weight w > 0: loss(w) = (1 − w) · attention + w · CTC,
    # so the attention loss alone is 2 · loss(0.25) − loss(0.5)
    half, quarter = first_loss("half", "model.ctc_weight=0.5"), first_loss("quarter", "model.ctc_weight=0.25")
    ramped = first_loss("ramped", "model.ctc_weight=0.5", "model.ctc_ramp_steps=100")
    assert ramped == pytest.approx(2 * quarter - half, rel=1e-5)
    assert abs(ramped - half) > 0.1
    assert main(["train", str(tiny_config), "-o", str(tmp_path / "bad"), "model.ctc_ramp_steps=100"]) == 2
    assert "model.ctc_ramp_steps: ramps the CTC loss's weight up; set model.ctc_weight > 0 too" in \
        capsys.readouterr().err
