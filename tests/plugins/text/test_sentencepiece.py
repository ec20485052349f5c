"""The sentencepiece tokenizer and the tokenizer contract's optional fit / state step."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import torch
import yaml

from multis2s.assembly import build_target, resolve
from multis2s.checkpoint import Checkpoint
from multis2s.cli import main
from multis2s.config import load_config
from multis2s.data.example import Example
from multis2s.data.target import TargetField, learns
from multis2s.data.vocabulary import Vocabulary
from multis2s.errors import ConfigError
from multis2s.plugins import load_registry
from multis2s_text.pipeline import TextPipeline
from multis2s_text.tokenizers import CharTokenizer, SentencePieceTokenizer, WordTokenizer
from tests.conftest import TINY

SUBJECTS = ["the red car", "a small dog", "my old friend", "the green tree", "her tall brother"]
VERBS = ["sees", "likes", "follows", "finds"]
SOURCES = [f"{s} {v} {o}" for s in SUBJECTS for v in VERBS for o in SUBJECTS]
TARGETS = [" ".join(reversed(s.split())) for s in SOURCES]


def fitted(texts: list[str] = SOURCES, **options) -> SentencePieceTokenizer:
    tokenizer = SentencePieceTokenizer(**options)
    tokenizer.fit(texts)
    return tokenizer


@pytest.mark.parametrize("model_type", ["unigram", "bpe"])
def test_fit_is_deterministic_and_the_pieces_are_subwords(model_type):
    first, second = fitted(model_type=model_type, vocab_size=30), fitted(model_type=model_type, vocab_size=30)
    assert first.state() == second.state()
    assert first.pieces() == second.pieces() and len(first.pieces()) == 30
    assert first.pieces()[0] == "<unk>"
    assert any(not piece.startswith("▁") and len(piece) > 1 for piece in first.pieces())  # word-inner pieces


@pytest.mark.parametrize("model_type", ["unigram", "bpe"])
def test_detokenize_inverts_tokenize(model_type):
    tokenizer = fitted(model_type=model_type, vocab_size=30)
    for text in SOURCES[:20] + ["the  dog   sees a tree", "unseen zebra words", "x"]:
        tokens = tokenizer.tokenize(text)
        assert tokenizer.detokenize(tokens) == " ".join(text.split())
    assert len(tokenizer.tokenize("her tall brother")) < len("her tall brother")


def test_options_change_the_model_and_a_bad_model_type_raises():
    assert fitted(model_type="unigram", vocab_size=30).pieces() != fitted(model_type="bpe", vocab_size=30).pieces()
    assert fitted(vocab_size=25).pieces() != fitted(vocab_size=30).pieces()
    with pytest.raises(ValueError, match="model_type"):
        SentencePieceTokenizer(model_type="wordpiece")


def test_state_is_bytes_that_a_weights_only_load_accepts():
    tokenizer = fitted(vocab_size=30)
    buffer = io.BytesIO()
    torch.save({"tokenizer": tokenizer.state()}, buffer)
    buffer.seek(0)
    restored = SentencePieceTokenizer()
    restored.load_state(torch.load(buffer, weights_only=True)["tokenizer"])
    assert isinstance(tokenizer.state()["model"], bytes)
    assert restored.pieces() == tokenizer.pieces()
    assert restored.tokenize(SOURCES[7]) == tokenizer.tokenize(SOURCES[7])


def test_the_target_field_fits_the_tokenizer_before_its_vocabulary_and_saves_it():
    field = TargetField(SentencePieceTokenizer(vocab_size=30), Vocabulary([]))
    field.fit(TARGETS, min_freq=1, max_size=None)
    assert set(field.vocabulary.tokens[4:]) <= set(field.tokenizer.pieces())
    state = field.state()
    again = TargetField(SentencePieceTokenizer(vocab_size=30), Vocabulary([]))
    again.load_state(state)
    ids = again.encode(TARGETS[3])
    assert again.decode(ids[1:]) == TARGETS[3] == field.decode(field.encode(TARGETS[3])[1:])
    with pytest.raises(ConfigError, match="holds no trained tokenizer"):
        again.load_state({"vocabulary": state["vocabulary"]})


def test_a_vocab_size_too_large_or_too_small_is_one_line_naming_the_key():
    field = TargetField(SentencePieceTokenizer(vocab_size=5000), Vocabulary([]))
    with pytest.raises(ConfigError) as raised:
        field.fit(TARGETS, min_freq=1, max_size=None)
    message = str(raised.value)
    assert message.startswith("data.target.tokenizer.vocab_size: 5000 is more pieces than the training text allows")
    assert "\n" not in message
    pipeline = TextPipeline(tokenizer=lambda: SentencePieceTokenizer(model_type="bpe", vocab_size=3))
    with pytest.raises(ConfigError, match=r"^data\.source\.tokenizer\.vocab_size: 3 is fewer pieces"):
        pipeline.fit([Example(s, t) for s, t in zip(SOURCES, TARGETS)])


def test_word_and_char_learn_nothing_and_keep_their_state_format():
    assert not learns(WordTokenizer()) and not learns(CharTokenizer()) and learns(SentencePieceTokenizer())
    field = TargetField(WordTokenizer(), Vocabulary([]))
    field.fit(TARGETS, min_freq=1, max_size=None)
    assert set(field.state()) == {"vocabulary"}
    pipeline = TextPipeline(tokenizer=CharTokenizer)
    pipeline.fit([Example(s, t) for s, t in zip(SOURCES, TARGETS)])
    assert set(pipeline.state()) == {"vocabulary"}


def test_registered_with_documented_options():
    registry = load_registry()
    for name in ("sentencepiece", "shared"):
        item = registry.get("tokenizers", name)
        assert item.help and item.factory.__doc__ and "Args:" in item.factory.__doc__


def write_corpus(folder: Path) -> Path:
    data = folder / "train.tsv"
    data.write_text("".join(f"{s}\t{t}\n" for s, t in zip(SOURCES, TARGETS)))
    return data


def tiny_text_config(folder: Path, target_tokenizer, source_tokenizer) -> Path:
    config = yaml.safe_load(yaml.safe_dump(TINY))
    data = write_corpus(folder)
    config["threads"] = 1
    config["data"].update(dataset={"type": "parallel", "train": str(data), "dev": str(data)},
                          source={"tokenizer": source_tokenizer}, target={"tokenizer": target_tokenizer})
    config["train"].update(max_steps=3, validate_every=3)
    config["eval"]["metrics"] = ["exact_match"]
    path = folder / "sp.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_trained_run_saves_its_models_in_the_checkpoint_and_predict_needs_no_other_file(tmp_path, capsys):
    path = tiny_text_config(tmp_path, {"type": "sentencepiece", "vocab_size": 30},
                            {"type": "sentencepiece", "model_type": "bpe", "vocab_size": 50})
    run = tmp_path / "run"
    assert main(["train", str(path), "-o", str(run)]) == 0
    saved = Checkpoint.load(run / "checkpoints" / "best.pt")
    assert isinstance(saved.target["tokenizer"]["model"], bytes)
    assert isinstance(saved.sources["source"]["tokenizer"]["model"], bytes)
    assert not [p for p in run.rglob("*") if p.suffix in (".model", ".vocab")]
    path.unlink()
    (tmp_path / "train.tsv").unlink()  # the run folder alone is enough
    capsys.readouterr()
    assert main(["predict", str(run), "the red car sees a small dog"]) == 0
    printed = capsys.readouterr().out
    assert main(["predict", str(run), "the red car sees a small dog"]) == 0
    assert capsys.readouterr().out == printed


def test_a_too_large_vocab_size_stops_the_run_with_one_line(tmp_path, capsys):
    path = tiny_text_config(tmp_path, {"type": "sentencepiece", "vocab_size": 5000}, "word")
    assert main(["train", str(path), "-o", str(tmp_path / "run")]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "data.target.tokenizer.vocab_size: 5000" in err
    assert not (tmp_path / "run").exists()


def test_shared_gives_one_model_for_both_sides(tmp_path):
    path = tiny_text_config(tmp_path, {"type": "shared"}, {"type": "sentencepiece", "vocab_size": 36})
    registry = load_registry()
    config, streams = resolve(load_config(path), registry, str(path))
    with pytest.raises(ConfigError, match="without the source streams"):
        build_target(config, registry, str(path))
    target = build_target(config, registry, str(path), streams)
    pipeline = streams.pipelines["source"]
    examples = [Example(s, t + " zqx") for s, t in zip(SOURCES, TARGETS)]  # "zqx": target-side text only
    streams.fit(examples)
    target.fit([e.target for e in examples], min_freq=1, max_size=None)
    assert target.tokenizer.tokenize("zqx") == pipeline.tokenizer.tokenize("zqx")
    assert "q" in "".join(pipeline.tokenizer.pieces())  # learned on the targets too
    assert "q" in "".join(target.vocabulary.tokens) and "q" not in "".join(pipeline.vocabulary.tokens)
    assert set(target.state()) == {"vocabulary"} and "tokenizer" in pipeline.state()
    config2, streams2 = resolve(load_config(path), registry, str(path))
    target2 = build_target(config2, registry, str(path), streams2)
    streams2.load_state(streams.state())
    target2.load_state(target.state())
    assert target2.decode(target.encode(examples[5].target)[1:]) == examples[5].target


def test_shared_names_a_stream_without_a_tokenizer(tmp_path):
    path = tiny_text_config(tmp_path, {"type": "shared", "stream": "video"}, "word")
    registry = load_registry()
    config, streams = resolve(load_config(path), registry, str(path))
    with pytest.raises(ConfigError, match=r"data\.target\.tokenizer\.stream: no source stream 'video'"):
        build_target(config, registry, str(path), streams)


def test_a_shared_tokenizer_trains_predicts_and_resumes_from_the_command_line(tmp_path, capsys):
    path = tiny_text_config(tmp_path, {"type": "shared"}, {"type": "sentencepiece", "vocab_size": 36})
    run = tmp_path / "run"
    assert main(["train", str(path), "-o", str(run)]) == 0
    saved = Checkpoint.load(run / "checkpoints" / "last.pt")
    assert set(saved.target) == {"vocabulary"} and "tokenizer" in saved.sources["source"]
    capsys.readouterr()
    assert main(["predict", str(run), "the red car sees a small dog"]) == 0
    assert capsys.readouterr().out.count("\n") == 1
    assert main(["train", str(path), "-o", str(run), "--resume", "train.max_steps=6"]) == 0
