"""Request fields → stream items and search parameters, for one stream and for several."""

from __future__ import annotations

import pytest

from multis2s.serve.inputs import MAX_BEAM, Upload, parse_request
from multis2s.serve.uploads import BadRequest

AV = {"audio": {"reads_files": True}, "video": {"reads_files": True}, "notes": {"reads_files": False}}
WAV = Upload("a.wav", b"RIFF")


def test_several_streams_take_one_field_each_and_may_leave_some_out():
    request = parse_request({"audio": WAV, "notes": "hello", "n_best": "2"}, {"beam": "3"}, AV)
    assert request.items == {"audio": WAV, "notes": "hello"} and (request.beam, request.n_best) == (3, 2)


def test_fields_win_over_the_query_and_defaults_are_the_configs():
    assert parse_request({"audio": WAV, "beam": 2}, {"beam": "5"}, AV).beam == 2
    request = parse_request({"video": Upload("v.mp4", b"x")}, {}, AV)
    assert (request.beam, request.n_best) == (None, 1)


@pytest.mark.parametrize("fields, words", [
    ({}, ("no input", "'audio' (a file)", "'notes' (text)")),
    ({"file": WAV}, ("unknown field 'file'", "one field per stream")),
    ({"audio": "/etc/passwd"}, ("stream 'audio' reads files", "never reads a path")),
    ({"notes": WAV}, ("stream 'notes' reads text",)),
    ({"audio": WAV, "beam": str(MAX_BEAM + 1)}, ("beam must be a whole number from 1 to 32",)),
    ({"audio": WAV, "beam": True}, ("beam",)),
    ({"audio": WAV, "n_best": "-1"}, ("n_best",)),
    ({"notes": "x" * 100_001}, ("longer than 100000 characters",)),
])
def test_bad_fields_name_the_problem(fields, words):
    with pytest.raises(BadRequest) as error:
        parse_request(fields, {}, AV)
    for word in words:
        assert word in str(error.value)


def test_one_stream_answers_to_its_name_or_to_text_or_file():
    assert parse_request({"text": "a b"}, {}, {"src": {"reads_files": False}}).items == {"src": "a b"}
    assert parse_request({"src": "a b"}, {}, {"src": {"reads_files": False}}).items == {"src": "a b"}
    assert parse_request({"file": WAV}, {}, {"speech": {"reads_files": True}}).items == {"speech": WAV}
    with pytest.raises(BadRequest, match="unknown field 'file'"):
        parse_request({"file": WAV}, {}, {"src": {"reads_files": False}})
