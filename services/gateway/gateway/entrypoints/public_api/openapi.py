"""The OpenAPI description of the gateway's API: errors as they really are (problem+json,
each status listed, no catch-all). The shapes of what the gateway passes on from the internal
APIs are in `passed_on`."""

from __future__ import annotations

import http
from collections.abc import Callable
from typing import Any

from flask_smorest import Api
from sanctuary import fields as f
from sanctuary.problems import PROBLEM

from gateway.entrypoints.schemas import ProblemSchema

# What each error status means on this API; every documented error is a problem document.
MEANING = {
    400: "The body is not JSON, or a header or query parameter is malformed",
    401: "No or wrong bearer token",
    403: "The link's token does not fit this registration, or the coordinator's account is off",
    404: "Nothing with this id",
    409: "Not allowed in its present state",
    413: "Body over 64 KiB",
    415: "Body not sent as JSON",
    422: "A field is invalid; each one is named in `errors`",
    429: "Too many requests from this address; retry after `Retry-After` seconds",
    408: "The body did not arrive in time (WEB_READ_SECONDS between two of its parts)",
    503: "A service behind the gateway, or its database, is not answering; retry after "
    "`Retry-After` seconds",
}


class DocumentedApi(Api):
    """flask-smorest's Api whose error responses say application/problem+json, as they are,
    and with no `default` response, so that every status an operation answers is listed."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # type: ignore[assignment]

    def _init_spec(self, *args: Any, **kwargs: Any) -> None:
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(precise_rules)

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            if status >= 400:
                self.spec.components.response(status.name, _problem(status.phrase), lazy=True)


# The rules of the shared fields that apispec cannot read from them, so that generated
# "valid" bodies are valid: a slot's shape, a UK postcode, lists without repeats.
SLOT = {
    "type": "object",
    "properties": {
        "day": {"type": "string", "enum": list(f.DAYS)},
        "part": {"type": "string", "enum": list(f.PARTS)},
    },
    "required": ["day", "part"],
    "additionalProperties": False,
}
POSTCODE = r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$"


def precise_rules(_converter: Any, field: Any, **_: Any) -> dict[str, Any]:
    """An apispec attribute function: the JSON Schema of the rules above."""
    if isinstance(field, f.Slot):
        return SLOT
    if isinstance(field, f.Postcode):
        return {"pattern": POSTCODE}
    named = {getattr(rule, "__name__", "") for rule in field.validators}
    return {"uniqueItems": True} if "_distinct" in named else {}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": ProblemSchema}}}


def documented(blp: Any, *codes: int, **doc: Any) -> Callable[[Any], Any]:
    """`blp.doc` listing these error statuses (with MEANING as their descriptions). Every
    operation may find its database away (503), and one that takes a body (413) may find
    its client too slow to send it (408): those are listed for all of them here."""
    listed = {*codes, 503, *((408,) if 413 in codes else ())}
    responses = {str(code): _problem(MEANING[code]) for code in sorted(listed)}
    responses.update(doc.pop("responses", {}))
    return blp.doc(responses=responses, **doc)  # type: ignore[no-any-return]


def ok(schema: Any, status: int = 200, description: str = "OK") -> dict[str, Any]:
    """A success response in JSON, for `documented(..., responses=...)`."""
    return {
        str(status): {
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


def body(schema: Any, required: bool = False) -> dict[str, Any]:
    """A JSON request body, for `documented(..., requestBody=...)`."""
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def query(name: str, values: tuple[str, ...], description: str) -> dict[str, Any]:
    """An optional query parameter taking one of `values`."""
    return {
        "in": "query",
        "name": name,
        "required": False,
        "schema": {"type": "string", "enum": list(values)},
        "description": description,
    }
