"""Request bodies read under a size limit, and uploaded files as temporary files the pipelines read.

A body is refused (:class:`TooLarge`) as soon as its declared ``Content-Length`` or the bytes
actually received pass the limit, before any of it is parsed; an accepted body is parsed from
memory. Uploads are written into one temporary folder per request, removed when it is answered.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from starlette.requests import Request

SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}$")
"""The part of an uploaded file name that is kept (pipelines tell formats apart by suffix)."""


class TooLarge(Exception):
    """A request body over the upload limit."""


class BadRequest(Exception):
    """A request the server cannot take; its message is the one-line reason sent back."""


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, at most ``limit`` bytes; raises :class:`TooLarge` past it."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise BadRequest(f"bad Content-Length header {declared[:40]!r}")
        if int(declared) > limit:
            raise TooLarge(f"the request declares {int(declared)} bytes; the limit is {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"the request is over the limit of {limit} bytes")
    return bytes(body)


def replayed(request: Request, body: bytes) -> Request:
    """A request like ``request`` whose body is ``body``, already read (so that it can be parsed)."""
    sent = False

    async def receive() -> dict:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


class UploadFolder:
    """A temporary folder for one request's uploads; a context manager that removes it."""

    def __init__(self) -> None:
        self.path: Path | None = None

    def __enter__(self) -> "UploadFolder":
        self.path = Path(tempfile.mkdtemp(prefix="multis2s-upload-"))
        return self

    def __exit__(self, *exc_info) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)

    def save(self, stream: str, filename: str | None, data: bytes) -> str:
        """Write ``data`` as ``<stream><suffix of filename>``; the path, for the pipeline to read."""
        if not data:
            raise BadRequest(f"field {stream!r}: the uploaded file {filename or ''!r} is empty")
        match = SUFFIX.search(filename or "")
        path = self.path / f"{re.sub(r'[^A-Za-z0-9_-]', '_', stream)}{match.group(0).lower() if match else ''}"
        path.write_bytes(data)
        return str(path)
