"""The HTTP service (Starlette, run by uvicorn): the routes, the token check and the body limit.

``GET /health``; ``GET /models`` and ``GET /models/{name}``: what each model takes and its
threshold; ``POST /models/{name}/score``: scores, flags and, on request, maps, spans or
contributions (:mod:`aedetect.serving.served`). Every error is JSON ``{"error": ..., "expected":
...}``: 401 without the token, 404 for an unknown model, 413 over a limit, 422 for a body the
model cannot take.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from aedetect.serving.batcher import MicroBatcher
from aedetect.serving.served import Limits, RequestError, ServedModel, Upload

OPTIONS = {"maps", "spans", "contributions"}
OPEN_PATHS = {"/health"}  # answered without the token


class BodyTooLarge(Exception):
    pass


def _error(status: int, message: str, expected=None, headers=None) -> JSONResponse:
    body = {"error": message} | ({"expected": expected} if expected is not None else {})
    return JSONResponse(body, status_code=status, headers=headers)


class Guard:
    """ASGI middleware: the bearer token (compared in constant time) and the body size limit."""

    def __init__(self, app, token: str | None, body_bytes: int):
        self.app, self.token, self.body_bytes = app, token, body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if self.token is not None and scope["path"] not in OPEN_PATHS:
            given = headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode()):
                response = _error(401, "missing or wrong token: send the header 'Authorization: Bearer "
                                  "TOKEN'", headers={"WWW-Authenticate": "Bearer"})
                return await response(scope, receive, send)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.body_bytes:
            return await _error(413, f"the body holds {int(length):,} bytes; at most {self.body_bytes:,}")(
                scope, receive, send)
        received = 0

        async def limited():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.body_bytes:
                raise BodyTooLarge
            return message

        return await self.app(scope, limited, send)


def build_app(models: list[ServedModel], *, limits: Limits | None = None, token: str | None = None,
              max_batch: int = 64, max_wait: float = 0.005):
    """The ASGI application serving ``models`` (names must differ), behind the token check (when
    ``token`` is given) and the body limit."""
    limits = limits or Limits()
    by_name = {m.name: m for m in models}
    if len(by_name) != len(models):
        raise ValueError("two models share a name: give each folder its own name")
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aedetect-score")
    mapped = {m.name: 0 for m in models}  # requests with maps= (scored outside the micro-batches)
    batchers = {m.name: MicroBatcher(m.score, m.join, executor, max_batch=max_batch, max_wait=max_wait)
                for m in models}

    @asynccontextmanager
    async def lifespan(app):
        for b in batchers.values():
            b.start()
        yield
        for b in batchers.values():
            await b.stop()
        executor.shutdown(wait=True)

    def model_for(request: Request) -> ServedModel:
        name = request.path_params["name"]
        if name not in by_name:
            raise RequestError(404, f"no model {name!r}; models: {sorted(by_name)}")
        return by_name[name]

    async def health(request: Request):
        return JSONResponse({"status": "ok", "models": len(models)})

    def described(m: ServedModel) -> dict:
        b = batchers[m.name]
        return {**m.describe(), "served": {"requests": b.requests, "batches": b.batches,
                                           "with_maps": mapped[m.name]}}

    async def list_models(request: Request):
        return JSONResponse([described(m) for m in models])

    async def describe(request: Request):
        return JSONResponse(described(model_for(request)))

    async def score(request: Request):
        served = model_for(request)
        options = dict(request.query_params)
        unknown = set(options) - OPTIONS
        if unknown:
            raise RequestError(422, f"unknown option(s) {sorted(unknown)}; known: {sorted(OPTIONS)}")
        served.check_options(options)
        inputs = await _inputs(request, served, limits)
        loop = asyncio.get_running_loop()
        if options.get("maps"):  # scores and maps from one pass, outside the micro-batches
            mapped[served.name] += 1
            scores, extras = await loop.run_in_executor(executor, served.scores_and_maps, inputs,
                                                        options["maps"])
        else:
            scores = await batchers[served.name].submit(inputs, served.count(inputs))
            extras = await loop.run_in_executor(executor, served.extras, inputs, options) if options else {}
        threshold = float(served.detector.threshold_)
        return JSONResponse({"model": served.name, "threshold": threshold,
                             "scores": [float(s) for s in scores],
                             "flagged": [bool(s > threshold) for s in scores], **extras})

    async def request_error(request, err: RequestError):
        return _error(err.status, err.message, err.expected)

    async def too_large(request, err):
        return _error(413, f"the body is larger than {limits.body_bytes:,} bytes")

    async def http_error(request, err: HTTPException):
        return _error(err.status_code, str(err.detail))

    async def server_error(request, err: Exception):  # logged by uvicorn with its traceback
        return _error(500, f"the service failed on this request ({type(err).__name__}); see its log")

    app = Starlette(
        routes=[Route("/health", health), Route("/models", list_models), Route("/models/{name}", describe),
                Route("/models/{name}/score", score, methods=["POST"])],
        exception_handlers={RequestError: request_error, BodyTooLarge: too_large, HTTPException: http_error,
                            Exception: server_error},
        lifespan=lifespan)
    app.state.batchers = batchers
    return Guard(app, token, limits.body_bytes)


async def _inputs(request: Request, served: ServedModel, limits: Limits):
    """The model's input from the request body, by its content type; decoding (JSON, images, audio,
    CSV) runs on a helper thread, so the service keeps accepting requests meanwhile."""
    loop = asyncio.get_running_loop()
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        form = await request.form(max_files=limits.samples, max_fields=100, max_part_size=limits.body_bytes)
        files = [Upload(v.filename or k, await v.read()) for k, v in form.multi_items()
                 if isinstance(v, UploadFile)]
        return await loop.run_in_executor(None, served.parse_files, files, limits)
    body = await request.body()
    if ctype == "text/csv":
        if served.kind != "table":
            raise RequestError(422, f"a CSV body needs a table model; {served.name} is a {served.kind} "
                               "model")
        return await loop.run_in_executor(None, served.parse_csv, body, limits)
    if ctype != "application/json":
        raise RequestError(422, f"content type {ctype!r}: send application/json, multipart/form-data "
                           "(files) or text/csv (tables)")
    return await loop.run_in_executor(None, _parse_json, served, body, limits)


def _parse_json(served: ServedModel, body: bytes, limits: Limits):
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise RequestError(422, f"the body is not valid JSON ({err})") from None
    return served.parse_json(parsed, limits)
