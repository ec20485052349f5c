"""A ``POST /predict`` request's fields → each stream's item and the search parameters.

Fields come from a JSON object or a multipart form. A one-stream run takes its stream's name, or
``text`` (a text stream) / ``file`` (a stream that reads files); a run of several streams takes one
field per stream, at least one. A stream that reads files takes only uploads (never a path on the
server), a text stream only text. ``beam`` and ``n_best`` come from the fields or the query string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from multis2s.serve.uploads import BadRequest

MAX_BEAM = 32
"""The largest ``beam`` and ``n_best`` a request may ask for."""

MAX_TEXT_CHARS = 100_000
"""The longest text a request may send for a stream."""


@dataclass(frozen=True)
class Upload:
    """An uploaded file's name (as the client gave it) and bytes."""

    filename: str | None
    data: bytes


@dataclass(frozen=True)
class Request:
    """What to decode: stream → text or upload; how: ``beam`` (None = the config's search), ``n_best``."""

    items: dict[str, str | Upload]
    beam: int | None
    n_best: int


def parse_request(fields: Mapping[str, Any], query: Mapping[str, str], streams: dict[str, dict[str, Any]]
                  ) -> Request:
    """The request in ``fields`` for a run with ``streams`` (name → ``{"reads_files", …}``); raises
    :class:`BadRequest` with the reason."""
    fields = dict(fields)
    beam = _count(fields.pop("beam", query.get("beam")), "beam")
    n_best = _count(fields.pop("n_best", query.get("n_best")), "n_best")
    items = {_stream_of(name, streams): value for name, value in fields.items()}
    if not items:
        raise BadRequest(f"no input: send {_expected(streams)}")
    for stream, value in items.items():
        _check_item(stream, value, streams[stream]["reads_files"])
    return Request(items, beam, 1 if n_best is None else n_best)


def _stream_of(field: str, streams: dict[str, dict[str, Any]]) -> str:
    if field in streams:
        return field
    if len(streams) == 1:
        (name, about), = streams.items()
        if field == ("file" if about["reads_files"] else "text"):
            return name
    raise BadRequest(f"unknown field {field[:60]!r}: send {_expected(streams)}")


def _expected(streams: dict[str, dict[str, Any]]) -> str:
    if len(streams) == 1:
        about = next(iter(streams.values()))
        return "an uploaded file in the field 'file'" if about["reads_files"] else "the field 'text'"
    return "one field per stream: " + ", ".join(f"{name!r} ({'a file' if about['reads_files'] else 'text'})"
                                                for name, about in streams.items())


def _check_item(stream: str, value: Any, reads_files: bool) -> None:
    if reads_files and not isinstance(value, Upload):
        raise BadRequest(f"stream {stream!r} reads files: upload one as multipart form data "
                         "(the server never reads a path it is sent)")
    if not reads_files and not isinstance(value, str):
        raise BadRequest(f"stream {stream!r} reads text: send the text, not a file")
    if isinstance(value, str) and not value.strip():
        raise BadRequest(f"stream {stream!r}: the text is empty")
    if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
        raise BadRequest(f"stream {stream!r}: the text is longer than {MAX_TEXT_CHARS} characters")


def _count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise BadRequest(f"{name} must be a whole number from 1 to {MAX_BEAM}, got {str(value)[:40]!r}")
    number = int(value)
    if not 1 <= number <= MAX_BEAM:
        raise BadRequest(f"{name} must be a whole number from 1 to {MAX_BEAM}, got {number}")
    return number
