"""``model.init``: a new training starts from an earlier run's model or from its encoder."""

from __future__ import annotations

import shutil

import pytest
import torch
import yaml

from multis2s.checkpoint import Checkpoint
from multis2s.cli import main
from tests.cli.test_multi_stream_config import CONFIG as TWO_STREAMS
from tests.conftest import TINY

STILL = ["train.lr=1e-12", "train.max_steps=1", "train.warmup_steps=0"]
"""One update at a learning rate too small to move a weight: the run keeps the weights it started from."""


def _config(tmp_path, name: str, config: dict) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def _last(run) -> Checkpoint:
    return Checkpoint.load(run / "checkpoints" / "last.pt")


def _assert_same(mine: dict, theirs: dict) -> None:
    assert mine.keys() == theirs.keys()
    for name in mine:
        torch.testing.assert_close(mine[name], theirs[name], rtol=0, atol=1e-9, msg=name)


def test_a_run_starts_from_the_whole_model_and_vocabulary_of_another(tmp_path, capsys):
    earlier, later = tmp_path / "earlier", tmp_path / "later"
    assert main(["train", _config(tmp_path, "tiny", TINY), "-o", str(earlier), "train.max_steps=12"]) == 0
    started = {**TINY, "seed": 4, "model": {**TINY["model"], "init": {"model": "earlier"}},
               "data": {**TINY["data"], "dataset": {**TINY["data"]["dataset"], "vocabulary": 4}}}
    capsys.readouterr()
    assert main(["train", _config(tmp_path, "started", started), "-o", str(later), *STILL]) == 0
    said = capsys.readouterr().err  # "earlier" is relative to the config file's folder
    assert f"initialised model.init.model: {len(_last(earlier).model)} tensors from {earlier}" in said
    _assert_same(_last(later).model, _last(earlier).model)
    assert _last(later).target == _last(earlier).target, "the earlier run's vocabulary comes with its weights"
    assert _last(later).sources == _last(earlier).sources
    assert main(["evaluate", str(later), "--split", "dev"]) == 0, "the saved config (absolute path) reads back"


def test_a_stream_starts_from_the_encoder_of_a_one_stream_run(tmp_path):
    alone, both = tmp_path / "alone", tmp_path / "both"
    one_stream = {**TWO_STREAMS, "model": {"encoder": TWO_STREAMS["model"]["encoders"]["ours"],
                                           "decoder": {**TWO_STREAMS["model"]["decoder"], "fusion": None}},
                  "data": {**TWO_STREAMS["data"], "source": {"lowercase": True}}}
    assert main(["train", _config(tmp_path, "alone", one_stream), "-o", str(alone), "train.max_steps=8"]) == 0
    assert main(["train", _config(tmp_path, "both", TWO_STREAMS), "-o", str(both), *STILL,
                 f"model.init.encoders.ours={alone}"]) == 0
    theirs, mine = _last(alone), _last(both)
    _assert_same({n[len("encoder.encoders.ours."):]: t for n, t in mine.model.items()
                  if n.startswith("encoder.encoders.ours.")},
                 {n[len("encoder.encoders.source."):]: t for n, t in theirs.model.items()
                  if n.startswith("encoder.encoders.source.")})
    assert mine.sources["ours"] == theirs.sources["source"], "the stream's pipeline comes with its encoder"
    fresh = tmp_path / "fresh"
    assert main(["train", _config(tmp_path, "both", TWO_STREAMS), "-o", str(fresh), *STILL]) == 0
    _assert_same({n: t for n, t in mine.model.items() if n.startswith("encoder.encoders.theirs.")},
                 {n: t for n, t in _last(fresh).model.items() if n.startswith("encoder.encoders.theirs.")})


@pytest.mark.parametrize("overrides, message", [
    (["model.init.encoders.nobody={run}"], "model.init.encoders: 'nobody' is not a stream; the streams are source"),
    (["model.init.model={missing}"], "is neither a run folder nor a checkpoint file"),
    (["model.init.model={run}", "model.encoder.hidden_dim=6"],
     "model.init.model: {checkpoint} does not fit this model: decoder.attention.attentions.source.key.weight "
     "(8, 16) where this model has (8, 12), "),
    (["model.init.model={run}", "model.decoder.attention={{type: dot}}"],
     "model.init.model: {checkpoint} does not fit this model: has decoder.attention"),
])
def test_initial_weights_that_do_not_fit_are_named(tmp_path, capsys, overrides, message):
    run = tmp_path / "earlier"
    config = _config(tmp_path, "tiny", TINY)
    assert main(["train", config, "-o", str(run), "train.max_steps=3"]) == 0
    capsys.readouterr()
    given = [o.format(run=run, missing=tmp_path / "missing") for o in overrides]
    assert main(["train", config, "-o", str(tmp_path / "later"), *STILL, *given]) == 2
    assert message.format(checkpoint=run / "checkpoints" / "best.pt") in capsys.readouterr().err


def test_a_resumed_run_keeps_its_own_weights(tmp_path):
    earlier, run, twin = tmp_path / "earlier", tmp_path / "run", tmp_path / "twin"
    config = _config(tmp_path, "tiny", TINY)
    assert main(["train", config, "-o", str(earlier), "train.max_steps=6"]) == 0
    assert main(["train", config, "-o", str(run), "train.max_steps=3", "seed=5"]) == 0
    shutil.copytree(run, twin)
    assert main(["train", config, "-o", str(run), "--resume", "--force", "seed=5", "train.max_steps=5",
                 f"model.init.model={earlier}"]) == 0
    assert main(["train", config, "-o", str(twin), "--resume", "seed=5", "train.max_steps=5"]) == 0
    _assert_same(_last(run).model, _last(twin).model)


def test_a_run_saved_before_model_init_existed_resumes_without_force(tmp_path):
    run, config = tmp_path / "run", _config(tmp_path, "tiny", TINY)
    assert main(["train", config, "-o", str(run), "train.max_steps=3"]) == 0
    last = _last(run)
    del last.config["model"]["init"]
    last.save(run / "checkpoints" / "last.pt")
    assert main(["train", config, "-o", str(run), "--resume", "train.max_steps=4"]) == 0
