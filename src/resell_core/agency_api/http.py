"""Serve the agency API over HTTP with the standard library alone (``http.server`` + ``json``).

``POST /api/<call>`` with the call's parameters as a JSON object; the answer is the call's
JSON object, HTTP 200 whatever its ``result_code`` (as the vendor's API). The host decides
who is calling: :func:`make_handler` takes a function from the request's headers to the
calling agency's id (None refuses the request with 401 and ``access_denied``).

Decimal numbers in the body are read as text (``12.50`` arrives as ``"12.50"``), so no
float ever reaches the library.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any

from resell_core.agency_api.calls import Failure
from resell_core.agency_api.handlers import INVALID_REQUEST, AgencyApi
from resell_core.errors import AccessDenied
from resell_core.serialization import unstructure

__all__ = ["MAX_BODY", "PREFIX", "handle", "make_handler"]

PREFIX = "/api/"
"""Where the calls are served: ``POST /api/account_add``."""

MAX_BODY = 1_000_000
"""The largest request body accepted, in bytes."""

Authenticate = Callable[[Mapping[str, str]], str | None]
"""The host's check of a request's headers: the calling agency's id, or None."""


def _failure(code: str, message: str) -> dict[str, Any]:
    answer: dict[str, Any] = unstructure(Failure(error_code=code, result_message=message))
    return answer


def handle(
    api: AgencyApi, path: str, body: bytes, agency_id: str | None
) -> tuple[HTTPStatus, dict[str, Any]]:
    """Answer one ``POST`` request: its HTTP status and JSON object.

    Args:
        api: The agency API.
        path: The request's path (``/api/<call>``).
        body: The request's body, a JSON object of the call's parameters (may be empty).
        agency_id: The calling agency as the host authenticated it, or None.

    Returns:
        404 for a path outside ``/api/``, 401 without an agency, 400 for a body that is not
        JSON, 200 with the call's answer otherwise (an unknown call is ``unknown_action``).
    """
    if not path.startswith(PREFIX):
        return HTTPStatus.NOT_FOUND, _failure("not_found", f"calls are served under {PREFIX}")
    if agency_id is None:
        return HTTPStatus.UNAUTHORIZED, _failure(
            AccessDenied.code, "the request does not say which agency is calling"
        )
    try:
        params = json.loads(body or b"{}", parse_float=str)
    except (ValueError, RecursionError):
        return HTTPStatus.BAD_REQUEST, _failure(
            INVALID_REQUEST, "the body is not JSON: send the parameters as a JSON object"
        )
    return HTTPStatus.OK, api.call(path.removeprefix(PREFIX), agency_id, params)


def make_handler(api: AgencyApi, authenticate: Authenticate) -> type[BaseHTTPRequestHandler]:
    """Build a request handler class for :class:`http.server.ThreadingHTTPServer`.

    Args:
        api: The agency API to serve.
        authenticate: The host's check of the request headers, returning the calling
            agency's id or None (e.g. a lookup of an ``Authorization: Bearer`` token).

    Returns:
        A handler class serving ``POST /api/<call>``.
    """

    class AgencyApiHandler(BaseHTTPRequestHandler):
        """Serves the agency API's calls."""

        def do_POST(self) -> None:
            """Answer one call."""
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length < 0:
                status = HTTPStatus.BAD_REQUEST
                answer = _failure(INVALID_REQUEST, "send a Content-Length of the JSON body")
            elif length > MAX_BODY:
                status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
                answer = _failure(INVALID_REQUEST, f"send at most {MAX_BODY} bytes")
            else:
                body = self.rfile.read(length)
                agency_id = authenticate({k.lower(): v for k, v in self.headers.items()})
                status, answer = handle(api, self.path, body, agency_id)
            data = json.dumps(answer).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the host's logs quiet; a host logs through its own middleware."""

    return AgencyApiHandler
