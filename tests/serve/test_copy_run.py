"""Serving a run with the copy mechanism: names never seen in training come back in the reply and
label the attention, as ``Run.predict`` writes them."""

from __future__ import annotations

import yaml

from multis2s.cli import main
from multis2s.run import Run
from tests.core.copy_task import config, write_task
from tests.serve.conftest import client_of, predictor_of


def test_copied_names_reach_the_reply_and_the_attention_labels(tmp_path, one_thread):
    path = tmp_path / "copy.yaml"
    path.write_text(yaml.safe_dump(config(write_task(tmp_path / "data", train=400, test=20), copy=True, steps=80)))
    assert main(["train", str(path), "-o", str(tmp_path / "run")]) == 0
    request = "say hello to zorvik"
    (expected,) = Run.from_folder(tmp_path / "run").predict([request])
    assert "zorvik" in expected.oovs and expected.text == "hello zorvik"
    with client_of(predictor_of(tmp_path / "run")) as client:
        reply = client.post("/predict", json={"text": request}).json()
    assert reply["text"] == reply["outputs"][0] == "hello zorvik"
    assert reply["attention"]["source"]["target_labels"] == ["hello", "zorvik", "<eos>"]
