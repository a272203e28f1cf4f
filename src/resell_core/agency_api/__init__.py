"""The agency API: the vendor's reseller calls over the partner portal (rule API1).

:class:`AgencyApi` has one method per call (``account_add``, ``account_edit``, …,
``singlesignon``) and :meth:`AgencyApi.call` to route by name; each takes the calling
agency and plain JSON-able parameters and returns a plain JSON-able answer with
``result_code``. :func:`schema` describes every call as JSON Schema; plans travel as plan
ids (:func:`plan_id`, :func:`parse_plan_id`). :mod:`resell_core.agency_api.http` serves
the calls over HTTP with the standard library alone; :mod:`resell_core.agency_api.asgi`
(the ``asgi`` extra) as a mountable ASGI application with one API key per agency
(:class:`StaticApiKeys`) and the :func:`openapi` document. See ``docs/agency-api.md``.
"""

from resell_core.agency_api.calls import CALLS, PAGE_SIZE, Call
from resell_core.agency_api.handlers import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    UNKNOWN_ACTION,
    AgencyApi,
)
from resell_core.agency_api.keys import ApiKeys, StaticApiKeys, bearer_key
from resell_core.agency_api.openapi import STATUSES, http_status, openapi
from resell_core.agency_api.plans import PLAN_ID_PATTERN, parse_plan_id, plan_id
from resell_core.agency_api.schema import check, request_schema, schema

__all__ = [
    "CALLS",
    "INTERNAL_ERROR",
    "INVALID_REQUEST",
    "PAGE_SIZE",
    "PLAN_ID_PATTERN",
    "STATUSES",
    "UNKNOWN_ACTION",
    "AgencyApi",
    "ApiKeys",
    "Call",
    "StaticApiKeys",
    "bearer_key",
    "check",
    "http_status",
    "openapi",
    "parse_plan_id",
    "plan_id",
    "request_schema",
    "schema",
]
