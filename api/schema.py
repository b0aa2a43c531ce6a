"""The OpenAPI schema's parts that drf-spectacular cannot infer: how the API's authentications are described, and
the check that every operation is documented (a summary, a description and a described success response)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "b2b_<prefix>_<secret>",
            "description": "An API key created by the dealer's admin on the portal's API keys page.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BrowsableSessionAuthentication"
    name = "portalSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid", "description": "Signed in to the portal."}


HTTP_METHODS = ("get", "put", "patch", "post", "delete")


def undocumented_operations(schema: dict) -> list[str]:
    """The operations of ``schema`` that lack a summary, a description, or a success response with a described
    body (a PDF counts), as "METHOD path: what is missing"."""
    missing = []
    for path, item in schema.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            lacks = [part for part in ("summary", "description") if not (operation.get(part) or "").strip()]
            successes = {code: r for code, r in operation.get("responses", {}).items() if str(code).startswith("2")}
            if not successes or not all(
                any(media.get("schema") for media in response.get("content", {}).values())
                for response in successes.values()
            ):
                lacks.append("success response")
            if lacks:
                missing.append(f"{method.upper()} {path}: {', '.join(lacks)}")
    return missing
