"""``model.encoders`` from a config: two streams train, evaluate and predict; bad configs are named.

The module is also a throwaway plugin (named in the config's ``plugins``): a dataset whose
examples carry two text items, the symbols for the stream reading ``text`` and the same symbols
reversed for the stream reading the ``hint`` modality, keyed by the stream names it is given.
"""

from __future__ import annotations

import json
import random

import pytest
import yaml

from multis2s.cli import main
from multis2s.data.example import Example
from multis2s.plugins import hookimpl
from multis2s_text.pipeline import TextPipeline


class TwoViews:
    """Copy-task examples whose source holds the symbols twice: in order and reversed."""

    def __init__(self, *, size: int, streams: dict[str, str]) -> None:
        self.size, self.streams = size, streams

    def split(self, name: str) -> list[Example]:
        rng = random.Random(name)
        examples = []
        for index in range(self.size if name == "train" else 12):
            symbols = [rng.choice("abcdef") for _ in range(rng.randint(2, 5))]
            items = {"text": " ".join(symbols), "hint": " ".join(reversed(symbols))}
            if name == "test" and index % 3 == 0:
                del items["hint"]
            source = {name: items[modality] for name, modality in self.streams.items() if modality in items}
            examples.append(Example(source, " ".join(symbols), f"{name}:{index + 1}"))
        return examples

    def read(self, path):
        raise NotImplementedError


class HintPipeline(TextPipeline):
    modality = "hint"


@hookimpl
def register_datasets(register):
    register("two_views", TwoViews, modality="text+hint", help="test data with two text views")


@hookimpl
def register_modalities(register):
    register("hint", HintPipeline, modality="hint", help="text pipeline for the hint view")


@hookimpl
def register_encoders(register):
    from multis2s_text.encoders import RNNEncoder

    register("hint_rnn", RNNEncoder, modality="hint", help="RNN encoder over the hint view")


CONFIG = {
    "seed": 2,
    "device": "cpu",
    "plugins": [__name__],
    "data": {"dataset": {"type": "two_views", "size": 160}, "batch_size": 16,
             "source": {"ours": {"lowercase": True}}},
    "model": {
        "encoders": {
            "ours": {"type": "rnn", "cell": "gru", "embedding_dim": 8, "hidden_dim": 8, "dropout": 0.0},
            "theirs": {"type": "hint_rnn", "cell": "gru", "embedding_dim": 8, "hidden_dim": 8, "dropout": 0.0},
        },
        "stream_dropout": 0.3,
        "decoder": {"type": "rnn", "cell": "gru", "embedding_dim": 8, "hidden_dim": 16,
                    "attention": {"type": "additive", "dim": 8}, "dropout": 0.0, "fusion": "gate"},
    },
    "train": {"lr": 0.01, "max_steps": 30, "validate_every": 15, "log_every": 10, "progress": False},
    "eval": {"metrics": ["exact_match"], "batch_size": 8},
}


def write(tmp_path, config) -> str:
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_two_streams_train_evaluate_and_predict(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["run", write(tmp_path, CONFIG), "-o", str(run)]) == 0
    results = json.loads((run / "results.json").read_text())
    assert results["num_examples"] == 12 and "exact_match" in results["metrics"]
    capsys.readouterr()
    trust = "--trust-plugins"  # the config names this test module as a plugin
    assert main(["predict", str(run), "ours=a b c,theirs=c b a", "ours=d e", trust]) == 0
    assert capsys.readouterr().out.count("\n") == 2  # one line per input, empty outputs included
    assert main(["predict", str(run), "a b c", trust]) == 2
    assert "expected stream=item pairs" in capsys.readouterr().err
    assert main(["predict", str(run), "text=a b c", trust]) == 2
    assert "unknown stream(s) 'text'; this model reads ours, theirs" in capsys.readouterr().err
    assert main(["attention", str(run), "ours=a b c,theirs=c b a", "--out", str(tmp_path / "att.png"), trust]) == 0
    assert (tmp_path / "att.ours.png").stat().st_size > 0 and (tmp_path / "att.theirs.png").stat().st_size > 0
    assert main(["attention", str(run), "ours=a b c", "--out", str(tmp_path / "one.png"), trust]) == 0
    assert (tmp_path / "one.ours.png").exists() and not (tmp_path / "one.theirs.png").exists()


@pytest.mark.parametrize("change, message", [
    (lambda c: c["model"].update(encoder={"type": "rnn"}), "give either 'encoder' (one) or 'encoders'"),
    (lambda c: c["model"]["encoders"].pop("theirs"), "model.stream_dropout: needs at least two streams"),
    (lambda c: c["data"]["source"].update(mine={}), "data.source.mine: unknown key"),
    (lambda c: c["model"]["encoders"]["ours"].update(type="rnnn"), "model.encoders.ours.type: unknown encoder"),
    (lambda c: c["model"]["encoders"]["theirs"].update(type="cnn"),
     "'two_views' gives text+hint sources but encoder 'cnn' reads image"),
    (lambda c: c["model"].update(stream_dropout=1.5), "model.stream_dropout: must be in [0, 1)"),
    (lambda c: (c["model"].update(stream_loss_weight=0.3, stream_dropout=0.0), c["model"]["encoders"].pop("theirs")),
     "model.stream_loss_weight: needs at least two streams"),
    (lambda c: c["model"]["decoder"].update(fusion="sum"), "model.decoder.fusion: 'sum' is not one of"),
])
def test_bad_several_encoder_configs_are_named(tmp_path, capsys, change, message):
    config = yaml.safe_load(yaml.safe_dump(CONFIG))
    change(config)
    assert main(["train", write(tmp_path, config), "-o", str(tmp_path / "bad")]) == 2
    assert message in capsys.readouterr().err


def test_stream_loss_weight_changes_the_training_loss(tmp_path):
    def first_loss(weight: float) -> float:
        config = yaml.safe_load(yaml.safe_dump(CONFIG))
        config["model"].update(stream_dropout=0.0, stream_loss_weight=weight)
        config["train"].update(max_steps=1, log_every=1, validate_every=1, tensorboard=False)
        run = tmp_path / f"w{weight}"
        assert main(["train", write(tmp_path, config), "-o", str(run)]) == 0
        records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        return next(r["loss"] for r in records if r["split"] == "train")

    joint, mixed = first_loss(0.0), first_loss(0.5)
    assert mixed != pytest.approx(joint, rel=1e-4), "the per-stream losses are part of the training loss"
