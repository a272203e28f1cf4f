"""The agency API's OpenAPI 3.1 document and the HTTP status of each coded result (H1).

:func:`openapi` describes ``POST <prefix><call>`` for every call, built from the very JSON
Schemas of :func:`resell_core.agency_api.schema` (OpenAPI 3.1 uses JSON Schema 2020-12,
so they go in ``components.schemas`` unchanged, only their ``$ref``\\ s re-pointed).
:func:`http_status` gives a call's answer its HTTP status from its ``error_code``
(:data:`STATUSES`); neither needs a web framework.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from resell_core.agency_api.calls import CALLS, Failure
from resell_core.agency_api.handlers import INTERNAL_ERROR, INVALID_REQUEST, UNKNOWN_ACTION
from resell_core.agency_api.schema import DIALECT, schema
from resell_core.errors import (
    AccessDenied,
    AlreadyExists,
    CatalogError,
    ConfigurationError,
    Conflict,
    CreditNotAllowed,
    CurrencyMismatch,
    DuplicateName,
    FloatNotAllowed,
    IdempotencyConflict,
    InsufficientCredit,
    InvalidInput,
    InvalidTransition,
    MissingExtra,
    NotFound,
    PaymentError,
    PaymentInFlight,
    ProfileInUse,
    ResellError,
    SandboxNotConvertible,
    SchemaVersionError,
    StorageUnavailable,
    VersionConflict,
)

__all__ = [
    "OPENAPI_VERSION",
    "STATUSES",
    "TOO_LARGE",
    "UNSUPPORTED_MEDIA",
    "http_status",
    "openapi",
]

OPENAPI_VERSION = "3.1.0"
"""The OpenAPI version of the document."""

TOO_LARGE = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
"""The status of a body over the size limit (its ``error_code`` is ``invalid_request``)."""

UNSUPPORTED_MEDIA = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
"""The status of a body that is not sent as JSON (``invalid_request``)."""

_S = HTTPStatus
STATUSES: Mapping[str, HTTPStatus] = {
    INVALID_REQUEST: _S.BAD_REQUEST,
    UNKNOWN_ACTION: _S.NOT_FOUND,
    INTERNAL_ERROR: _S.INTERNAL_SERVER_ERROR,
    ResellError.code: _S.BAD_REQUEST,
    InvalidInput.code: _S.UNPROCESSABLE_ENTITY,
    CatalogError.code: _S.UNPROCESSABLE_ENTITY,
    FloatNotAllowed.code: _S.UNPROCESSABLE_ENTITY,
    CurrencyMismatch.code: _S.UNPROCESSABLE_ENTITY,
    ConfigurationError.code: _S.UNPROCESSABLE_ENTITY,
    NotFound.code: _S.NOT_FOUND,
    Conflict.code: _S.CONFLICT,
    VersionConflict.code: _S.CONFLICT,
    DuplicateName.code: _S.CONFLICT,
    IdempotencyConflict.code: _S.CONFLICT,
    AlreadyExists.code: _S.CONFLICT,
    ProfileInUse.code: _S.CONFLICT,
    InvalidTransition.code: _S.CONFLICT,
    SandboxNotConvertible.code: _S.CONFLICT,
    InsufficientCredit.code: _S.CONFLICT,
    CreditNotAllowed.code: _S.CONFLICT,
    AccessDenied.code: _S.FORBIDDEN,
    PaymentError.code: _S.PAYMENT_REQUIRED,
    PaymentInFlight.code: _S.CONFLICT,
    SchemaVersionError.code: _S.SERVICE_UNAVAILABLE,
    StorageUnavailable.code: _S.SERVICE_UNAVAILABLE,
    MissingExtra.code: _S.NOT_IMPLEMENTED,
}
"""The HTTP status of each failure's ``error_code``: 400 a request of the wrong shape, 422
a value the rules refuse, 404 nothing of that name, 409 a state or a balance that does not
allow it, 403 a sign-on the account refuses, 402 a declined payment, 503 storage that is
down; any other code is 400."""


def http_status(answer: Mapping[str, Any]) -> HTTPStatus:
    """Return the HTTP status of a call's answer: 200 for a success, else its code's.

    >>> http_status({"result_code": 0, "error_code": "not_found"})
    <HTTPStatus.NOT_FOUND: 404>
    """
    if answer.get("result_code") == 1:
        return HTTPStatus.OK
    return STATUSES.get(str(answer.get("error_code")), HTTPStatus.BAD_REQUEST)


_COMPONENTS = "#/components/schemas/"


def _repointed(node: Any) -> Any:
    """A copy of a schema with every ``#/$defs/X`` reference as ``#/components/schemas/X``."""
    if isinstance(node, dict):
        return {
            key: value.replace("#/$defs/", _COMPONENTS)
            if key == "$ref" and isinstance(value, str)
            else _repointed(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_repointed(item) for item in node]
    return node


def _json(schema_ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _COMPONENTS + schema_ref}}},
    }


def _failures() -> dict[str, Any]:
    described = {
        _S.BAD_REQUEST: "A request of the wrong shape (invalid_request): every bad field",
        _S.UNAUTHORIZED: "No API key, or one that stands for no agency (access_denied)",
        _S.PAYMENT_REQUIRED: "The payment was declined",
        _S.FORBIDDEN: "The account refuses it (access_denied)",
        _S.NOT_FOUND: "No such account in the calling agency, or no such call",
        _S.CONFLICT: "The account's status or the agency's credit does not allow it",
        TOO_LARGE: "The body is over the size limit",
        UNSUPPORTED_MEDIA: "The body is not sent as application/json",
        _S.UNPROCESSABLE_ENTITY: "A value the rules refuse (invalid_input): every bad field",
        _S.INTERNAL_SERVER_ERROR: "A defect behind the API; nothing was changed",
        _S.SERVICE_UNAVAILABLE: "Storage is unavailable; nothing was changed",
    }
    return {
        str(status.value): _json(Failure.__name__, f"{text}.")
        for status, text in sorted(described.items())
    }


def openapi(
    *, prefix: str = "/api/", server_url: str = "/", version: str = "1", title: str | None = None
) -> dict[str, Any]:
    """Describe the agency API served over HTTP as an OpenAPI 3.1 document.

    Args:
        prefix: Where the calls are served (``POST <prefix><call>``).
        server_url: The URL the paths are relative to (where the application is mounted).
        version: The version of the API the document describes (``info.version``).
        title: The document's title; the JSON Schema's title by default.

    Returns:
        A fresh JSON-able dict: one ``POST`` operation per call, its ``operationId`` the
        call's name, its request and answer (and, for each HTTP status, a failure) by
        ``$ref`` into ``components.schemas``, which holds the calls' JSON Schemas; every
        call needs an agency's API key as a bearer token.

    >>> openapi()["paths"]["/api/account_status"]["post"]["operationId"]
    'account_status'
    """
    published = schema()
    failures = _failures()
    paths: dict[str, Any] = {}
    for name, call in CALLS.items():
        request = published["$defs"][call.request.__name__]
        paths[prefix + name] = {
            "post": {
                "operationId": name,
                "summary": call.summary,
                "requestBody": {
                    "required": bool(request["required"]),
                    "content": {
                        "application/json": {
                            "schema": {"$ref": _COMPONENTS + call.request.__name__}
                        }
                    },
                },
                "responses": {
                    "200": _json(call.answer.__name__, "The call's answer (result_code 1)."),
                    **failures,
                },
            }
        }
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": DIALECT,
        "info": {
            "title": title or published["title"],
            "version": version,
            "description": "POST a call's parameters as a JSON object, with an agency's "
            "API key as a bearer token; every answer carries result_code, and a failure "
            "a stable error_code.",
        },
        "servers": [{"url": server_url}],
        "security": [{"agencyKey": []}],
        "paths": paths,
        "components": {
            "schemas": _repointed(published["$defs"]),
            "securitySchemes": {
                "agencyKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key that stands for one agency.",
                }
            },
        },
    }
