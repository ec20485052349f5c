"""Tiny trained runs (text copy task, image captioning) for the server tests, and ways to serve them."""

from __future__ import annotations

import json
import socket
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from multis2s.cli import main

pytest.importorskip("starlette", reason="the serve extra is not installed: pip install 'multis2s[serve]'")

CAPTIONING = Path(__file__).resolve().parents[2] / "configs" / "captioning.yaml"
TINY_CAPTIONING = ["device=cpu", "data.batch_size=8", "model.encoder.channels=[8,16]", "model.decoder.embedding_dim=8",
                   "model.decoder.hidden_dim=16", "model.decoder.attention.dim=8", "train.max_steps=4",
                   "train.warmup_steps=0", "train.validate_every=2", "train.progress=false",
                   "eval.max_length_offset=6", "eval.batch_size=8", "threads=1"]


@pytest.fixture(scope="session")
def text_run(tmp_path_factory) -> Path:
    """A tiny copy-task run folder (one text stream)."""
    from tests.conftest import TINY

    folder = tmp_path_factory.mktemp("serve_text")
    config = folder / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    assert main(["train", str(config), "-o", str(folder / "run"), "threads=1"]) == 0
    return folder / "run"


@pytest.fixture(scope="session")
def scenes(tmp_path_factory) -> dict[str, Path]:
    """A tiny generated captioning data set: caption JSON path per split."""
    from multis2s_vision.scenes import write_scenes

    return write_scenes(tmp_path_factory.mktemp("serve_scenes") / "scenes", num_train=10, num_dev=4, num_test=4,
                        seed=5, progress=False)


@pytest.fixture(scope="session")
def image_run(tmp_path_factory, scenes) -> Path:
    """A tiny captioning run folder (one image stream)."""
    dataset = json.dumps({"type": "coco", **{split: str(path) for split, path in scenes.items()}})
    run = tmp_path_factory.mktemp("serve_image") / "run"
    assert main(["train", str(CAPTIONING), "-o", str(run), f"data.dataset={dataset}", *TINY_CAPTIONING]) == 0
    return run


@pytest.fixture(scope="session")
def test_image(scenes) -> Path:
    """One generated test scene (a PNG file)."""
    document = json.loads(scenes["test"].read_text())
    return scenes["test"].parent / document["images"][0]["file_name"]


def predictor_of(run_dir: Path):
    from multis2s.run import Run
    from multis2s.serve.predictor import Predictor

    return Predictor(Run.from_folder(run_dir))


@contextmanager
def client_of(predictor, **settings):
    """A test client of the app serving ``predictor`` (its lifespan, and so its batcher, running)."""
    with warnings.catch_warnings():  # starlette's note that a later TestClient moves from httpx to httpx2
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from multis2s.serve.app import ServeSettings, build_app

    with TestClient(build_app(predictor, ServeSettings(**settings))) as client:
        yield client


@contextmanager
def live_server(predictor, **settings):
    """The app served by uvicorn on a free loopback port, in a thread: yields its base URL."""
    import uvicorn

    from multis2s.serve.app import ServeSettings, build_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(build_app(predictor, ServeSettings(**settings)), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            thread.join(0.05)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
