"""The HTTP API on tiny trained runs: replies equal what ``Run`` decodes, and every bad request is a
4xx with a one-line JSON reason."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.serve.conftest import client_of, predictor_of


@pytest.fixture(scope="module")
def text_predictor(text_run):
    return predictor_of(text_run)


@pytest.fixture(scope="module")
def image_predictor(image_run):
    return predictor_of(image_run)


@pytest.fixture
def text_client(text_predictor):
    with client_of(text_predictor) as client:
        yield client


@pytest.fixture
def image_client(image_predictor):
    with client_of(image_predictor) as client:
        yield client


def assert_refused(response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and "\n" not in body["error"] and body["error"]
    for word in words:
        assert word in body["error"], body["error"]


def test_health_and_info(text_client, text_predictor):
    assert text_client.get("/health").json() == {"status": "ok"}
    info = text_client.get("/info").json()
    assert info["streams"] == [{"name": "source", "modality": "text", "reads_files": False}]
    assert info["target_vocab_size"] == len(text_predictor.run.target.vocabulary) > 4
    assert info["config"]["encoders"] == {"source": "rnn"} and info["config"]["decoder"] == "rnn"
    assert info["limits"]["max_upload_bytes"] == 20 * 1024 * 1024


def test_text_prediction_equals_run_predict_with_attention(text_client, text_predictor):
    reply = text_client.post("/predict", json={"text": "s1 s2 s3"}).json()
    run = text_predictor.run
    (expected,) = run.predict(["s1 s2 s3"], search=run.search())
    assert reply["text"] == expected.text and reply["outputs"] == [expected.text]
    assert reply["scores"] == [pytest.approx(expected.hypotheses[0].score, abs=1e-5)]
    attention = reply["attention"]["source"]
    assert attention["source_labels"] == ["s1", "s2", "s3"]
    assert attention["target_labels"] == run.target.tokens(expected.hypotheses[0].tokens) + ["<eos>"]
    assert len(attention["weights"]) == len(attention["target_labels"])
    assert all(len(row) == 3 and sum(row) == pytest.approx(1.0, abs=1e-3) for row in attention["weights"])


def test_n_best_and_beam_from_query_or_form(text_client, text_predictor):
    reply = text_client.post("/predict?beam=4&n_best=3", data={"text": "s1 s2"}).json()
    run = text_predictor.run
    (expected,) = run.predict(["s1 s2"], search=run.search(beam=4, n_best=3))
    assert reply["outputs"] == [run.target.decode(h.tokens) for h in expected.hypotheses]
    assert len(reply["outputs"]) == 3 and reply["scores"] == sorted(reply["scores"], reverse=True)
    assert text_client.post("/predict", json={"text": "s1 s2", "beam": 4, "n_best": 3}).json() == reply
    assert text_client.post("/predict", data={"source": "s1 s2", "beam": "4", "n_best": "3"}).json() == reply


@pytest.mark.parametrize("request_args, status, words", [
    ({"json": {"text": "s1", "beam": 0}}, 400, ("beam", "from 1 to 32", "got 0")),
    ({"json": {"text": "s1", "n_best": "many"}}, 400, ("n_best",)),
    ({"json": {"text": "s1", "beam": 1000}}, 400, ("beam",)),
    ({"json": {"txt": "s1"}}, 400, ("unknown field 'txt'", "'text'")),
    ({"json": {}}, 400, ("no input",)),
    ({"json": {"text": "   "}}, 400, ("empty",)),
    ({"json": {"text": 3}}, 400, ("reads text",)),
    ({"json": ["s1"]}, 400, ("JSON body must be an object",)),
    ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, ("not valid JSON",)),
    ({"content": b"\xff\xfe", "headers": {"content-type": "application/json"}}, 400, ("not valid JSON",)),
    ({"content": b"s1 s2", "headers": {"content-type": "text/plain"}}, 415, ("multipart/form-data",)),
    ({"files": {"text": ("x.wav", b"RIFF....garbage")}}, 400, ("reads text", "not a file")),
    ({"files": {"text": ("a.txt", b"s1")}, "data": {"text": "s1"}}, 400, ("more than once",)),
    ({"content": b"--x\r\nbroken", "headers": {"content-type": "multipart/form-data; boundary=x"}}, 400, ()),
])
def test_bad_text_requests_are_one_line_4xx(text_client, request_args, status, words):
    assert_refused(text_client.post("/predict", **request_args), status, *words)


def test_body_over_the_limit_is_413_declared_or_sent(text_predictor):
    with client_of(text_predictor, max_upload_bytes=1000) as client:
        assert_refused(client.post("/predict", json={"text": "s1 " * 400}), 413, "declares 1211 bytes")
        chunked = iter([b'{"text": "', b"s1 " * 400, b'"}'])  # no Content-Length: counted as it arrives
        assert_refused(client.post("/predict", content=chunked, headers={"content-type": "application/json"}), 413,
                       "over the limit of 1000 bytes")
        huge = client.post("/predict", content=b"{}", headers={"content-type": "application/json",
                                                                 "content-length": str(10 ** 12)})
        assert_refused(huge, 413, "declares 1000000000000 bytes")
        assert client.post("/predict", json={"text": "s1 s2"}).status_code == 200


def test_unknown_routes_and_methods_are_json(text_client):
    assert_refused(text_client.get("/predict"), 405)
    assert_refused(text_client.get("/nowhere"), 404)


def test_page_and_its_files_are_served(text_client):
    page = text_client.get("/")
    assert page.status_code == 200 and "/page/page.js" in page.text and "<canvas" not in page.text
    assert "drawAttention" in text_client.get("/page/page.js").text
    assert text_client.get("/page/page.css").status_code == 200


def uploads_left() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("multis2s-upload-*")}


def test_image_upload_is_decoded_like_run_predict_and_removed_after(image_client, image_predictor, test_image):
    before = uploads_left()
    response = image_client.post("/predict", files={"file": ("scene.png", test_image.read_bytes(), "image/png")})
    assert response.status_code == 200, response.text
    reply = response.json()
    run = image_predictor.run
    (expected,) = run.predict([str(test_image)], search=run.search())
    assert reply["outputs"] == [expected.text]
    attention = reply["attention"]["source"]
    assert attention["modality"] == "image" and attention["source_labels"] is None
    assert len(attention["weights"]) == len(attention["target_labels"])
    assert len(attention["weights"][0]) == expected.hypotheses[0].attention["source"].size(1)
    assert uploads_left() == before


@pytest.mark.parametrize("request_args, status, words", [
    ({"files": {"file": ("empty.png", b"", "image/png")}}, 400, ("empty",)),
    ({"files": {"file": ("noise.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "image/png")}}, 422,
     ("'noise.png'",)),
    ({"files": {"file": ("noise.wav", b"RIFF\x24\x00\x00\x00WAVEfmt garbage", "audio/wav")}}, 422,
     ("'noise.wav'",)),
    ({"json": {"file": "/etc/passwd"}}, 400, ("reads files", "never reads a path")),
    ({"json": {"text": "a red circle"}}, 400, ("unknown field 'text'", "'file'")),
    ({"files": {"image_file": ("a.png", b"x", "image/png")}}, 400, ("unknown field 'image_file'",)),
])
def test_bad_uploads_are_one_line_4xx_and_leave_no_files(image_client, request_args, status, words):
    before = uploads_left()
    response = image_client.post("/predict", **request_args)
    assert_refused(response, status, *words)
    assert "multis2s-upload" not in response.text and "''" not in response.text
    assert not response.text.startswith('{"error":"input')
    assert uploads_left() == before
    assert image_client.get("/health").status_code == 200


def test_upload_cache_is_off_so_a_reused_path_is_read_again(image_predictor):
    assert getattr(image_predictor.run.streams.pipelines["source"], "cache", None) is None


def test_serve_without_the_extra_says_what_to_install(monkeypatch, capsys, tmp_path):
    import importlib.util

    from multis2s.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a))
    assert main(["serve", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "pip install 'multis2s[serve]'" in error


@pytest.mark.parametrize("option", [["--max-upload-mb", "0"], ["--batch-wait-ms", "-1"], ["--max-batch", "0"]])
def test_serve_refuses_bad_options_in_one_line(option, capsys, tmp_path):
    from multis2s.cli import main

    assert main(["serve", str(tmp_path), *option]) == 2
    assert capsys.readouterr().err.startswith("error: --max-upload-mb must be > 0")
