"""Paraşüt's official API description (Swagger 2.0, ``swagger_subset.json``) and a checker that holds requests and
answers to it.

Source: the "Paraşüt - API V4" Swagger 2.0 document (``info.version`` 4.0.0) published by Paraşüt at
apidocs.parasut.com, as copied in the public repository yigitkonur/parasut-node-sdk-mcp, ``spec/swagger.yaml`` at
commit d2477ed55e4eed6e8a38da2799564ab840256d04 (2024-10-01). ``swagger_subset.json`` keeps the operations the
portal uses and every definition they reference, with the prose and code samples removed; its ``_source`` says so.

What is checked, stricter than a JSON:API server may be, so the adapter never leans on anything undocumented:

- request bodies: types, ``enum``, ``required``, ``format: date`` (``YYYY-MM-DD``); a property the description does
  not name, or one it marks ``readOnly``, is refused;
- query strings: only the parameters the operation declares; ``page[size]`` within its ``maximum``; ``include`` and
  ``sort`` only with the names its "Available:" list gives;
- answers: the same types and enums, every property named by the description; ``null`` is accepted for properties
  that are not required (Swagger 2.0 cannot say "nullable" and Paraşüt sends nulls for empty fields).

``ERRATA`` lists where the description contradicts what Paraşüt sends, with the reason.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

SPEC_FILE = Path(__file__).with_name("swagger_subset.json")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# (definition, property) → the schema used instead of the description's, and why.
ERRATA: dict[tuple[str, str], tuple[dict[str, Any], str]] = {
    ("PaymentAttributes", "currency"): (
        {"type": "string", "enum": ["TRL", "USD", "EUR", "GBP"]},
        "the description types a payment's currency as a number; every invoice, account and transaction names its "
        "currency by code (TRL, USD…), and so does a payment",
    ),
}


class SpecError(ValueError):
    """A request or an answer the description does not allow; ``path`` points at the first fault."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(f"{path or '(root)'}: {message}")
        self.path = path
        self.detail = message


@cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC_FILE.read_text(encoding="utf-8"))


def operation(template: str, method: str) -> dict[str, Any]:
    """The description of ``method`` on the path ``template`` (``/{company_id}/sales_invoices/{id}``)."""
    try:
        return spec()["paths"][template][method.lower()]
    except KeyError:
        raise SpecError(f"{method.upper()} {template} is not in the description") from None


def _resolve(schema: dict[str, Any]) -> tuple[dict[str, Any], str]:
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return spec()["definitions"][name], name
    return schema, ""


def _merged(schema: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """``schema`` with ``$ref`` followed and ``allOf`` merged into one object schema (and its definition name)."""
    schema, name = _resolve(schema)
    if "allOf" not in schema:
        return schema, name
    properties: dict[str, Any] = {}
    required: list[str] = []
    owners: dict[str, str] = {}
    for part in schema["allOf"]:
        sub, sub_name = _merged(part)
        for key, value in (sub.get("properties") or {}).items():
            properties[key] = value
            owners[key] = sub_name or name
        required += sub.get("required") or []
    return {"type": "object", "properties": properties, "required": required, "x-owners": owners}, name


def check(schema: dict[str, Any], value: Any, *, request: bool, path: str = "") -> None:
    """Refuse ``value`` with ``SpecError`` when ``schema`` does not allow it (``request``: a body sent to
    Paraşüt; else an answer from it)."""
    schema, name = _merged(schema)
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    if kind == "object":
        if not isinstance(value, dict):
            raise SpecError(f"expected an object, got {type(value).__name__}", path)
        properties = schema.get("properties")
        if properties is None:
            return  # a free-form object (``attributes: {type: object}`` of included records)
        for key in schema.get("required") or []:
            # Offers "require" an ``item_type`` the description never defines for them: only defined names count.
            if key in properties and value.get(key) is None:
                raise SpecError(f"required property {key!r} is missing", path)
        owners = schema.get("x-owners") or {}
        for key, item in value.items():
            sub = properties.get(key)
            if sub is None:
                raise SpecError(f"property {key!r} is not in the description", f"{path}.{key}")
            owner = owners.get(key, name)
            if (owner, key) in ERRATA:
                sub = ERRATA[(owner, key)][0]
            if request and _resolve(sub)[0].get("readOnly"):
                raise SpecError(f"property {key!r} is read-only", f"{path}.{key}")
            if item is None:
                if request:
                    raise SpecError("null is not a value", f"{path}.{key}")
                continue
            check(sub, item, request=request, path=f"{path}.{key}")
        return
    if kind == "array":
        if not isinstance(value, list):
            raise SpecError(f"expected an array, got {type(value).__name__}", path)
        for index, item in enumerate(value):
            check(schema.get("items") or {}, item, request=request, path=f"{path}[{index}]")
        return
    if kind == "string":
        if not isinstance(value, str):
            raise SpecError(f"expected a string, got {value!r}", path)
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise SpecError(f"longer than {schema['maxLength']}", path)
        if request and schema.get("format") == "date" and not DATE.match(value):
            raise SpecError(f"expected a date YYYY-MM-DD, got {value!r}", path)
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(f"expected an integer, got {value!r}", path)
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(f"expected a number, got {value!r}", path)
    elif kind == "boolean" and not isinstance(value, bool):
        raise SpecError(f"expected true or false, got {value!r}", path)
    if "enum" in schema and value not in schema["enum"]:
        raise SpecError(f"{value!r} is not one of {', '.join(map(str, schema['enum']))}", path)


def _available(description: str | None) -> set[str] | None:
    """The names an "Available: *a, b*" description allows (None: it does not list them)."""
    found = re.search(r"Available:\s*\*?([^*\n]+)", description or "")
    if not found:
        return None
    return {name.strip().strip("'") for name in found.group(1).split(",") if name.strip()}


def check_query(template: str, method: str, query: dict[str, str]) -> None:
    """Refuse a query string the operation does not declare (names, ``page[size]`` bounds, ``include``/``sort``)."""
    params = {param["name"]: param for param in operation(template, method).get("parameters", [])}
    for key, value in query.items():
        param = params.get(key)
        if param is None or param.get("in") != "query":
            raise SpecError(f"query parameter {key!r} is not in the description of {method.upper()} {template}")
        if param.get("type") == "integer":
            if not value.lstrip("-").isdigit():
                raise SpecError(f"{key} must be an integer, got {value!r}")
            number = int(value)
            if "maximum" in param and number > param["maximum"]:
                raise SpecError(f"{key} must be at most {param['maximum']}, got {number}")
            if "minimum" in param and number < param["minimum"]:
                raise SpecError(f"{key} must be at least {param['minimum']}, got {number}")
        if param.get("type") == "boolean" and value not in ("true", "false"):
            raise SpecError(f"{key} must be true or false, got {value!r}")
        allowed = _available(param.get("description"))
        if allowed is not None and key in ("include", "sort"):
            for name in value.split(","):
                if name.strip().lstrip("-") not in allowed:
                    raise SpecError(f"{key} {name!r} is not available; available: {', '.join(sorted(allowed))}")


def body_schema(template: str, method: str) -> dict[str, Any]:
    for param in operation(template, method).get("parameters", []):
        if param.get("in") == "body":
            return param["schema"]
    raise SpecError(f"{method.upper()} {template} takes no body")


def response_schema(template: str, method: str, status: int) -> dict[str, Any] | None:
    responses = operation(template, method).get("responses", {})
    answer = responses.get(str(status))
    if answer is None:
        raise SpecError(f"{method.upper()} {template} does not answer {status}")
    return answer.get("schema")


__all__ = ["ERRATA", "SpecError", "body_schema", "check", "check_query", "operation", "response_schema", "spec"]
