"""The copy mechanism (pointer-generator): the mixed distribution, search with extended ids, the
data side's extended vocabulary, and a tiny model that copies names it never saw."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
import yaml

from multis2s.cli import main
from multis2s.config import parse_config
from multis2s.data.copy_source import collate_copy_ids, extend
from multis2s.data.target import TargetField
from multis2s.data.vocabulary import BOS_ID, UNK_ID, Vocabulary
from multis2s.errors import ConfigError
from multis2s.loss import sequence_loss
from multis2s.model.copy import COPY_SOURCE, copy_log_probs
from multis2s.run import Run
from multis2s.search.beam import BeamSearch
from multis2s.search.greedy import GreedySearch
from multis2s.search.hypothesis import MaxLength
from multis2s_text.tokenizers import WordTokenizer
from tests.core.copy_task import config as task_config
from tests.core.copy_task import write_task
from tests.core.tiny import VOCAB, batch, model

COPY_IDS = torch.tensor([[4, VOCAB, VOCAB + 1, 4, 5], [VOCAB, 6, 7, 0, 0]])
"""Row 0 holds two source words outside the vocabulary (ids V, V+1), row 1 one (id V); row 1 is padded."""


def copy_model(dec_kind: str):
    net = model("rnn", dec_kind)
    net.decoder.attach_copy("source")
    return net.eval()


def copy_batch():
    sources, lengths, _ = batch()
    sources[COPY_SOURCE] = COPY_IDS
    targets_in = torch.tensor([[BOS_ID, 5, VOCAB, VOCAB + 1], [BOS_ID, VOCAB, 9, 10]])
    return sources, lengths, targets_in


@pytest.mark.parametrize("dec_kind", ["rnn", "transformer"])
def test_the_distribution_covers_the_extended_vocabulary_and_sums_to_one(dec_kind):
    net = copy_model(dec_kind)
    log_probs = net(*copy_batch()).log_probs
    assert log_probs.shape == (2, 4, VOCAB + 2) and log_probs.dtype == torch.float32
    torch.testing.assert_close(log_probs.exp().sum(dim=-1), torch.ones(2, 4))
    assert torch.isfinite(log_probs[0]).all(), "row 0 has both extended words"
    assert torch.isinf(log_probs[1, :, VOCAB + 1]).all(), "row 1 has no second source OOV"


@pytest.mark.parametrize("dec_kind", ["rnn", "transformer"])
def test_step_by_step_equals_teacher_forced_with_copy(dec_kind):
    net = copy_model(dec_kind)
    sources, lengths, targets_in = copy_batch()
    full = net(sources, lengths, targets_in).log_probs
    streams = net.encode(sources, lengths)
    memory, state = net.decoder.prepare(streams), net.decoder.initial_state(streams)
    for t in range(targets_in.size(1)):
        tokens = targets_in[:, t]
        hidden, attention, state = net.decoder.step(net.decoder.inputs(tokens), memory, state)
        step = net.decoder.log_probs(hidden, tokens, attention, memory)
        finite = torch.isfinite(full[:, t])
        torch.testing.assert_close(step[finite], full[:, t][finite], atol=1e-5, rtol=1e-4)


def test_with_the_switch_at_zero_the_distribution_is_the_attention_mass_of_each_word():
    attention = torch.tensor([[[0.1, 0.2, 0.3, 0.4, 0.0]], [[0.5, 0.25, 0.25, 0.0, 0.0]]])  # (B, 1, S)
    mask = torch.tensor([[True] * 5, [True, True, True, False, False]])
    log_vocab = torch.randn(2, 1, VOCAB).log_softmax(-1)
    mixed = copy_log_probs(log_vocab, torch.full((2, 1), -math.inf), attention, COPY_IDS, mask).exp()
    expected = torch.zeros(2, 1, VOCAB + 2)
    expected[0, 0, 4], expected[0, 0, VOCAB], expected[0, 0, VOCAB + 1], expected[0, 0, 5] = 0.5, 0.2, 0.3, 0.0
    expected[1, 0, VOCAB], expected[1, 0, 6], expected[1, 0, 7] = 0.5, 0.25, 0.25
    torch.testing.assert_close(mixed, expected)


def test_padding_positions_get_no_copy_mass_and_a_row_without_the_stream_keeps_the_vocabulary():
    attention = torch.tensor([[[0.5, 0.5, 0.9, 0.9]], [[0.3, 0.3, 0.2, 0.2]]])  # pads of row 0 carry weight
    copy_ids = torch.tensor([[4, 5, 6, 7], [4, 5, 6, 7]])
    mask = torch.tensor([[True, True, False, False], [False, False, False, False]])
    log_vocab = torch.randn(2, 1, VOCAB).log_softmax(-1)
    mixed = copy_log_probs(log_vocab, torch.full((2, 1), -math.inf), attention, copy_ids, mask).exp()
    assert float(mixed[0, 0, 6]) == 0.0 and float(mixed[0, 0, 7]) == 0.0
    torch.testing.assert_close(mixed[0, 0, 4] + mixed[0, 0, 5], torch.tensor(1.0))
    torch.testing.assert_close(mixed[1], log_vocab[1].exp())


def test_the_loss_and_its_gradients_are_finite_with_label_smoothing_and_scheduled_sampling():
    net = copy_model("rnn").train()
    sources, lengths, targets_in = copy_batch()
    targets_out = torch.cat([targets_in[:, 1:], torch.tensor([[3], [3]])], dim=1)
    log_probs = net(sources, lengths, targets_in, teacher_forcing=0.5).log_probs
    loss, count = sequence_loss(log_probs, targets_out, pad_id=0, label_smoothing=0.1, vocab_size=VOCAB)
    loss.backward()
    assert count == 8 and torch.isfinite(loss)
    assert all(torch.isfinite(p.grad).all() for p in net.parameters() if p.grad is not None)
    assert net.decoder.copy.switch.weight.grad.abs().sum() > 0


def test_the_fused_decoder_loop_trains_the_copy_switch_and_attention_as_stepping_does():
    """The copy loss reaches the attention through the fused op's alignment gradient."""
    net = copy_model("rnn").double().train()
    sources, lengths, targets_in = copy_batch()
    targets_out = torch.cat([targets_in[:, 1:], torch.tensor([[3], [3]])], dim=1)
    streams = net.encode(sources, lengths)
    assert net.decoder.fusable(net.decoder.prepare(streams))
    sequence_loss(net(sources, lengths, targets_in).log_probs, targets_out, pad_id=0)[0].backward()
    fused = {name: p.grad.clone() for name, p in net.named_parameters()}
    net.zero_grad()
    streams = net.encode(sources, lengths)
    memory, state = net.decoder.prepare(streams), net.decoder.initial_state(streams)
    attentional, attention = net.decoder.stepped(net.decoder.embedding(net.decoder.inputs(targets_in)), memory, state)
    log_probs = net.decoder.log_probs(attentional, targets_in, attention, memory)
    sequence_loss(log_probs, targets_out, pad_id=0)[0].backward()
    for name, p in net.named_parameters():
        torch.testing.assert_close(p.grad, fused[name], msg=name)


@pytest.mark.parametrize("dec_kind", ["rnn", "transformer"])
def test_beam_one_equals_greedy_and_extended_ids_come_out(dec_kind):
    net = copy_model(dec_kind)
    with torch.no_grad():  # make copying win: the switch always points
        net.decoder.copy.switch.bias.fill_(-30.0)
    sources, lengths, _ = copy_batch()
    limit = MaxLength(1.0, 2)
    greedy = GreedySearch()(net, sources, lengths, max_length=limit)
    beam = BeamSearch(beam=1)(net, sources, lengths, max_length=limit)
    assert [h[0].tokens for h in greedy] == [h[0].tokens for h in beam]
    for g, b in zip(greedy, beam):
        assert g[0].score == pytest.approx(b[0].score, abs=1e-4)
    assert set(greedy[0][0].tokens) <= {4, 5, VOCAB, VOCAB + 1} and set(greedy[1][0].tokens) <= {6, 7, VOCAB}
    wide = BeamSearch(beam=3, n_best=3)(net, sources, lengths, max_length=limit)
    assert all(len(item) == 3 for item in wide)
    assert all(t < VOCAB + 1 for h in wide[1] for t in h.tokens), "row 1 never emits an id it lacks"


def test_source_oovs_get_extended_ids_and_targets_and_decoding_use_them():
    vocabulary = Vocabulary(["hello", "at"])
    copied = extend(["say", "hello", "to", "ana", "ana"], vocabulary)
    size = len(vocabulary)
    assert copied.oovs == ("say", "to", "ana")
    assert copied.ids.tolist() == [size, 4, size + 1, size + 2, size + 2]
    field = TargetField(WordTokenizer(), vocabulary, copy_stream="source")
    ids = field.encode("hello ana at bob", copied.oovs)
    assert ids[1:-1] == [4, size + 2, 5, UNK_ID], "a word outside both stays <unk>"
    assert field.encode("hello ana")[1:-1] == [4, UNK_ID], "without oovs nothing is extended"
    assert field.decode(ids, copied.oovs) == "hello ana at <unk>"
    padded = collate_copy_ids([copied, None], 6)
    assert padded.tolist() == [copied.ids.tolist() + [0], [0] * 6]


def test_a_decoder_that_does_not_say_its_memory_sizes_cannot_copy():
    net = model("rnn", "rnn")
    net.decoder.value_dims = {}
    with pytest.raises(ValueError, match="does not say the memory size of stream 'source'"):
        net.decoder.attach_copy("source")


@pytest.mark.parametrize("override, message", [
    ("model.copy_stream=other", "model.copy_stream: 'other' is not a stream"),
    ("model.copy_stream=source", "set model.copy: true"),
    ("model.ctc_weight=0.3", "model.copy: not with model.ctc_weight"),
])
def test_bad_copy_options_are_refused_in_one_line(tiny_config, override, message):
    data = yaml.safe_load(tiny_config.read_text())
    data["model"]["copy"] = override != "model.copy_stream=source"
    key, value = override.split("=")
    data["model"][key.split(".")[1]] = float(value) if key.endswith("weight") else value
    with pytest.raises(ConfigError, match=message):
        parse_config(data, "tiny.yaml")


def test_copying_from_a_stream_that_is_not_text_is_refused(capsys):
    config = Path(__file__).resolve().parents[2] / "configs" / "captioning.yaml"
    assert main(["config", str(config), "model.copy=true"]) == 2
    assert "model.copy: stream 'source' reads image; copying needs a stream of text tokens" in capsys.readouterr().err


def _train(tmp_path, paths, *, copy: bool, steps: int, decoder: str = "rnn") -> Run:
    path = tmp_path / f"copy_{copy}_{decoder}.yaml"
    path.write_text(yaml.safe_dump(task_config(paths, copy=copy, steps=steps, decoder=decoder)))
    run = Run.from_config(path, run_dir=tmp_path / f"run_{copy}_{decoder}")
    assert run.train()
    return run


def test_a_tiny_model_copies_names_and_numbers_it_never_saw_only_with_copy_on(tmp_path, one_thread, capsys):
    paths = write_task(tmp_path / "data", train=300, test=40)
    accuracy = {}
    for copy in (True, False):
        run = _train(tmp_path, paths, copy=copy, steps=80)
        accuracy[copy] = run.evaluate(run.examples("test"), split="test").metrics["exact_match"]
    assert accuracy[True] >= 90.0 and accuracy[False] == 0.0, accuracy
    saved = Run.from_folder(tmp_path / "run_True_rnn")  # checkpoint → predict, greedy and beam
    for beam in (1, 3):
        (decoded,) = saved.predict(["say hello to zuzuvo"], search=saved.search(beam=beam))
        assert decoded.text == "hello zuzuvo" and decoded.oovs == ("say", "to", "zuzuvo")
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "run_True_rnn"), "call kokiri at 98765", "--n-best", "2"]) == 0
    first = capsys.readouterr().out.splitlines()[0].split("\t")
    assert first[0] == "1" and first[2] == "calling kokiri at 98765"


@pytest.mark.slow
def test_the_transformer_decoder_copies_names_it_never_saw(tmp_path, one_thread):
    paths = write_task(tmp_path / "data", train=300, test=40)
    run = _train(tmp_path, paths, copy=True, steps=300, decoder="transformer")
    assert run.evaluate(run.examples("test"), split="test").metrics["exact_match"] >= 90.0
