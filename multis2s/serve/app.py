"""The HTTP API over a :class:`~multis2s.serve.predictor.Predictor`, as a Starlette (ASGI) app.

``GET /`` the page, ``GET /health``, ``GET /info``, ``POST /predict``. The app only parses
requests and answers; decoding happens in the batcher's worker thread. Every refusal is a 4xx
whose body is one line of JSON, ``{"error": "..."}``: 400 a malformed request, 413 a body over the
upload limit, 415 a body neither JSON nor a form, 422 an input the run cannot read (an
undecodable file, a text with nothing the model knows).
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from multis2s.errors import Multis2sError
from multis2s.serve.batching import Batcher
from multis2s.serve.inputs import Upload, parse_request
from multis2s.serve.predictor import Predictor
from multis2s.serve.uploads import BadRequest, TooLarge, UploadFolder, read_body, replayed

PAGE = Path(__file__).with_name("page")
MAX_FORM_FIELDS = 32


@dataclass(frozen=True)
class ServeSettings:
    """Upload limit, and batching: wait up to ``batch_wait_ms`` for ``max_batch`` requests (0 = off)."""

    max_upload_bytes: int = 20 * 1024 * 1024
    batch_wait_ms: float = 5.0
    max_batch: int = 16


def error(status: int, message: str) -> JSONResponse:
    """A refusal: ``{"error": message}`` on one line."""
    return JSONResponse({"error": " ".join(message.split())}, status_code=status)


def build_app(predictor: Predictor, settings: ServeSettings = ServeSettings()) -> Starlette:
    """The app serving ``predictor``; its lifespan starts and stops the batcher."""
    batcher = Batcher(lambda key, sources: predictor.predict(sources, beam=key[0], n_best=key[1]),
                      max_wait=settings.batch_wait_ms / 1000, max_size=settings.max_batch)
    info = {**predictor.info(), "limits": asdict(settings)}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await batcher.start()
        yield
        await batcher.stop()

    async def page(request: Request) -> FileResponse:
        return FileResponse(PAGE / "index.html")

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def describe(request: Request) -> JSONResponse:
        return JSONResponse(info)

    async def predict(request: Request) -> JSONResponse:
        uploaded: dict[str, str] = {}  # temporary path -> the name the client gave the file
        try:
            body = await read_body(request, settings.max_upload_bytes)
            fields = await _fields(request, body)
            parsed = parse_request(fields, request.query_params, predictor.streams)
            with UploadFolder() as folder:
                source = dict(parsed.items)
                for stream, value in parsed.items.items():
                    if isinstance(value, Upload):
                        source[stream] = folder.save(stream, value.filename, value.data)
                        uploaded[source[stream]] = value.filename or stream
                reply = await batcher.submit((parsed.beam, parsed.n_best), source)
        except TooLarge as exc:
            return error(413, str(exc))
        except UnsupportedBody as exc:
            return error(415, str(exc))
        except BadRequest as exc:
            return error(400, str(exc))
        except Multis2sError as exc:
            return error(422, _as_sent(str(exc), uploaded))
        return JSONResponse(reply)

    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail))

    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        return error(500, f"internal error: {type(exc).__name__}: {exc}")

    routes = [Route("/", page), Route("/health", health), Route("/info", describe),
              Route("/predict", predict, methods=["POST"]), Mount("/page", StaticFiles(directory=PAGE), name="page")]
    return Starlette(routes=routes, lifespan=lifespan,
                     exception_handlers={HTTPException: http_error, Exception: internal_error})


def _as_sent(message: str, uploaded: dict[str, str]) -> str:
    """A decoding error as the client knows its input: uploads by their names, not their temporary paths."""
    for path, name in uploaded.items():
        message = message.replace(repr(path), repr(name)).replace(path, repr(name))
    return re.sub(r"^input \d+: ", "", message)


class UnsupportedBody(BadRequest):
    """A body that is neither JSON nor a form."""


async def _fields(request: Request, body: bytes) -> dict[str, Any]:
    """The request's fields: a JSON object's keys, or a form's fields (uploads as :class:`Upload`)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            fields = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BadRequest("the body is not valid JSON") from None
        if not isinstance(fields, dict):
            raise BadRequest('the JSON body must be an object, e.g. {"text": "..."}')
        return fields
    if kind not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raise UnsupportedBody(f"send JSON (application/json) or a form (multipart/form-data), not {kind or 'no type'}")
    try:
        form = await replayed(request, body).form(max_files=MAX_FORM_FIELDS, max_fields=MAX_FORM_FIELDS,
                                                  max_part_size=len(body) + 1)
    except (MultiPartException, HTTPException) as exc:
        raise BadRequest(f"malformed form: {getattr(exc, 'message', None) or getattr(exc, 'detail', exc)}") from None
    fields: dict[str, Any] = {}
    for name, value in form.multi_items():
        if name in fields:
            raise BadRequest(f"field {name[:60]!r} is given more than once")
        fields[name] = Upload(value.filename, await value.read()) if isinstance(value, UploadFile) else value
    await form.close()
    return fields
