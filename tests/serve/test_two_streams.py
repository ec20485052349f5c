"""Serving a two-stream run: one field per stream, a stream may be left out, and the reply carries
the attention of each stream given, as ``Run.predict`` decodes it."""

from __future__ import annotations

from multis2s.cli import main
from multis2s.run import Run
from multis2s.serve.predictor import Predictor
from tests.cli.test_multi_stream_config import CONFIG, write
from tests.serve.conftest import client_of


def test_one_field_per_stream_and_a_stream_left_out(tmp_path, one_thread):
    run_dir = tmp_path / "run"
    assert main(["train", write(tmp_path, CONFIG), "-o", str(run_dir), "train.max_steps=15"]) == 0
    run = Run.from_folder(run_dir, trust_plugins=True)  # the config names a test module as its plugin
    both, one = run.predict([{"ours": "a b c", "theirs": "c b a"}, {"ours": "d e"}])
    with client_of(Predictor(run)) as client:
        info = client.get("/info").json()
        assert sorted(stream["name"] for stream in info["streams"]) == ["ours", "theirs"]
        reply = client.post("/predict", data={"ours": "a b c", "theirs": "c b a"}).json()
        assert reply["text"] == both.text and sorted(reply["attention"]) == ["ours", "theirs"]
        assert len(reply["attention"]["theirs"]["source_labels"]) == 3
        alone = client.post("/predict", json={"ours": "d e"}).json()
        assert alone["text"] == one.text and list(alone["attention"]) == ["ours"]
        refused = client.post("/predict", json={"text": "a b"})
        assert refused.status_code == 400 and "unknown field 'text'" in refused.json()["error"]
