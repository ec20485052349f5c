"""The text plugin: its encoders follow the contract, its pipeline takes tokenizers from the registry,
its readers name bad lines or skip and count them."""

from __future__ import annotations

import pytest
import torch

from multis2s import options
from multis2s.errors import ConfigError, DataError
from multis2s.plugins import load_registry
from multis2s_text.datasets import ParallelFiles
from multis2s_text.encoders import RNNEncoder, TransformerTextEncoder
from multis2s_text.pipeline import TextPipeline
from multis2s_text.tokenizers import CharTokenizer

VOCAB = 11


def encoder(kind: str):
    if kind == "rnn":
        return RNNEncoder(vocab_size=VOCAB, pad_id=0, cell="lstm", embedding_dim=8, hidden_dim=6, dropout=0.0)
    return TransformerTextEncoder(vocab_size=VOCAB, pad_id=0, model_dim=12, heads=2, layers=2, ff_dim=16, dropout=0.0)


@pytest.mark.parametrize("kind", ["rnn", "transformer"])
def test_encoder_outputs_follow_the_contract_and_ignore_padding(kind):
    sources, lengths = torch.tensor([[4, 5, 6, 7, 8], [9, 4, 5, 0, 0]]), torch.tensor([5, 3])
    net = encoder(kind).eval()
    out = net(sources, lengths)
    assert out.memory.shape[:2] == (2, 5) and out.memory_mask.dtype == torch.bool
    assert out.memory_mask.tolist() == [[True] * 5, [True] * 3 + [False] * 2]
    assert torch.all(out.memory[1, 3:] == 0)
    alone = net(sources[1:, :3], lengths[1:])
    torch.testing.assert_close(out.memory[1, :3], alone.memory[0], atol=1e-5, rtol=1e-4)


def test_bad_encoder_options_raise_value_error():
    with pytest.raises(ValueError, match="cell 'lstmm'"):
        RNNEncoder(vocab_size=VOCAB, pad_id=0, cell="lstmm")
    with pytest.raises(ValueError, match="not divisible by 5 heads"):
        TransformerTextEncoder(vocab_size=VOCAB, pad_id=0, model_dim=12, heads=5)


def test_the_text_pipeline_takes_any_registered_tokenizer():
    registry = load_registry()
    pipeline = options.build(TextPipeline, {"tokenizer": "char", "lowercase": True}, where="data.source",
                             registry=registry)
    assert isinstance(pipeline.tokenizer, CharTokenizer)
    assert pipeline.tokens("Ab c") == ["a", "b", "▁", "c"]
    with pytest.raises(ConfigError, match='data.source.tokenizer.type: unknown tokenizer "bytes"'):
        options.build(TextPipeline, {"tokenizer": "bytes"}, where="data.source", registry=registry)


def test_parallel_files_name_a_bad_line_or_skip_and_count_it(tmp_path, capsys):
    data = tmp_path / "train.tsv"
    data.write_text("a b\tb a\nno tab here\nc\t \nd e\te d\n")
    with pytest.raises(DataError, match=f"{data}:2: expected source<TAB>target, found no tab"):
        ParallelFiles(train=data).split("train")
    kept = ParallelFiles(train=data, skip_bad=True).split("train")
    assert [e.source for e in kept] == ["a b", "d e"]
    assert f"skipped 2 bad items of 4 in {data} (first: {data}:2: expected" in capsys.readouterr().err
    pair = tmp_path / "pair"
    (tmp_path / "pair.src").write_text("x y\nz\n")
    (tmp_path / "pair.tgt").write_text("y x\n\n")
    with pytest.raises(DataError, match=f"{tmp_path / 'pair.tgt'}:2: empty target"):
        ParallelFiles(train=pair, format="lines").split("train")
    assert len(ParallelFiles(train=pair, format="lines", skip_bad=True).split("train")) == 1


def test_skip_bad_reaches_the_text_reader_from_the_config(tmp_path, capsys):
    from multis2s.cli import main
    from tests.conftest import TINY
    import yaml

    data = tmp_path / "train.tsv"
    data.write_text("".join(f"s{i % 6} s{(i + 1) % 6}\ts{i % 6} s{(i + 1) % 6}\n" for i in range(40)) + "broken\n")
    config = yaml.safe_load(yaml.safe_dump(TINY))
    config["data"].update(dataset={"type": "parallel", "train": str(data), "dev": str(data)}, skip_bad=True)
    config["train"]["max_steps"] = 2
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["train", str(path), "-o", str(tmp_path / "run")]) == 0
    assert "skipped 1 bad items of 41" in capsys.readouterr().err
