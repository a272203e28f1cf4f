"""The agency API as an ASGI application, for a host to mount or serve (rule H1).

:func:`create_app` builds a Starlette application (the ``asgi`` extra) that serves
``POST /api/<call>`` through :func:`resell_core.agency_api.http.handle`, the same path as
the standard library's handler, and ``GET /openapi.json``. Each request presents an
agency's API key as ``Authorization: Bearer <key>``; the host's :data:`ApiKeys` lookup says
which agency it stands for. Every answer is the call's JSON object with the HTTP status
of its code (:func:`resell_core.agency_api.openapi.http_status`). The calls run in
Starlette's thread pool, as the portal's commands block on storage.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

try:
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route
except ModuleNotFoundError as missing:  # pragma: no cover - exercised without the extra
    raise ModuleNotFoundError(
        "resell_core.agency_api.asgi needs Starlette: install resell-core[asgi]",
        name=missing.name,
    ) from missing

from resell_core.agency_api.calls import Failure
from resell_core.agency_api.handlers import INTERNAL_ERROR, INVALID_REQUEST, AgencyApi
from resell_core.agency_api.http import MAX_BODY, PREFIX, handle
from resell_core.agency_api.keys import ApiKeys, bearer_key
from resell_core.agency_api.openapi import TOO_LARGE, UNSUPPORTED_MEDIA, http_status, openapi
from resell_core.errors import AccessDenied, NotFound
from resell_core.serialization import unstructure

__all__ = ["OPENAPI_PATH", "create_app"]

OPENAPI_PATH = "/openapi.json"
"""Where the application serves its OpenAPI document."""


def _coded(status: int, code: str, message: str) -> Response:
    return _json(status, unstructure(Failure(error_code=code, result_message=message)))


def _json(status: int, answer: Any) -> Response:
    # json.dumps escapes non-ASCII: an answer may echo text that UTF-8 cannot encode.
    body = json.dumps(answer).encode("ascii")
    return Response(body, status_code=status, media_type="application/json")


def _is_json(content_type: str | None) -> bool:
    if content_type is None:
        return True
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def _body(request: Request, max_body: int) -> bytes | None:
    """Read the body, or None as soon as it is longer than ``max_body`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(
    api: AgencyApi,
    keys: ApiKeys,
    *,
    max_body: int = MAX_BODY,
    version: str = "1",
) -> Starlette:
    """Build the ASGI application of the agency API.

    Args:
        api: The agency API to serve.
        keys: The host's lookup from an API key to the agency it stands for (or None), e.g.
            :class:`resell_core.agency_api.keys.StaticApiKeys`. It runs in the thread pool,
            so it may read the host's database.
        max_body: The largest request body accepted, in bytes (413 beyond).
        version: The API's version in the OpenAPI document.

    Returns:
        A Starlette application serving ``POST /api/<call>`` and ``GET /openapi.json``;
        mount it in the host's own application (``Mount("/partner", app)``) or serve it.
        A missing or wrong key is 401 ``access_denied``; a body over ``max_body`` 413 and
        one not sent as JSON 415, both ``invalid_request``; an unknown path 404
        ``not_found``, another method 405; a call's failure the status of its code.
    """

    async def call(request: Request) -> Response:
        key = bearer_key(request.headers.get("authorization"))
        try:
            agency_id = None if key is None else await run_in_threadpool(keys, key)
        except Exception:  # the host's lookup failed: refuse, never leak a traceback
            return _coded(
                HTTPStatus.INTERNAL_SERVER_ERROR, INTERNAL_ERROR, "the API key could not be checked"
            )
        if agency_id is None:
            response = _coded(
                HTTPStatus.UNAUTHORIZED,
                AccessDenied.code,
                "send an agency's API key as 'Authorization: Bearer <key>'",
            )
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        if not _is_json(request.headers.get("content-type")):
            return _coded(UNSUPPORTED_MEDIA, INVALID_REQUEST, "send the body as application/json")
        declared = request.headers.get("content-length", "0")
        if declared.isdigit() and int(declared) > max_body:
            return _coded(TOO_LARGE, INVALID_REQUEST, f"send at most {max_body} bytes")
        body = await _body(request, max_body)
        if body is None:
            return _coded(TOO_LARGE, INVALID_REQUEST, f"send at most {max_body} bytes")
        name = request.path_params["call"]
        status, answer = await run_in_threadpool(handle, api, PREFIX + name, body, agency_id)
        return _json(http_status(answer) if status is HTTPStatus.OK else status, answer)

    async def document(request: Request) -> Response:
        server = request.scope.get("root_path") or "/"
        return _json(HTTPStatus.OK, openapi(prefix=PREFIX, server_url=server, version=version))

    async def refused(request: Request, error: Exception) -> Response:
        status = error.status_code if isinstance(error, HTTPException) else 500
        if status == HTTPStatus.NOT_FOUND:
            return _coded(status, NotFound.code, f"calls are served under {PREFIX}")
        if status == HTTPStatus.METHOD_NOT_ALLOWED:
            return _coded(status, INVALID_REQUEST, f"send calls as POST, {OPENAPI_PATH} as GET")
        return _coded(status, INVALID_REQUEST, "the request was refused")

    return Starlette(
        routes=[
            Route(PREFIX + "{call}", call, methods=["POST"]),
            Route(OPENAPI_PATH, document, methods=["GET"]),
        ],
        exception_handlers={HTTPException: refused},
    )
