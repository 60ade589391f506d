"""/docs (Swagger UI) and /redoc from assets SafeRound serves itself (no CDN: intranets have no internet),
and an OpenAPI that documents the error body the server really sends, {detail, code, params}, with the
4xx answers each operation can give."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(__file__).resolve().parent / "assets"
ASSETS_URL = "/docs/assets"

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["detail", "code", "params"],
    "properties": {
        "detail": {"type": "string", "description": "a sentence for a person, in the Accept-Language language"},
        "code": {"type": "string", "description": "what went wrong, from rulebook/messages.py"},
        "params": {"type": "object", "description": "the values the sentence names", "additionalProperties": True},
    },
    "additionalProperties": True,
}

WHY = {
    "400": "The request is malformed.",
    "401": "Not signed in, or the token no longer counts.",
    "403": "Your role may not do this.",
    "404": "No such record, or one outside your scope (both look the same).",
    "409": "Conflicts with what is stored (another body under this id, a state that does not allow it).",
    "412": "The hazard changed since the version you sent; the body carries the current one.",
    "413": "The body or image is too large.",
    "415": "Not an accepted image format.",
    "422": "A field is missing or not valid; params.errors names each.",
    "429": "Too many attempts; Retry-After says when to try again.",
    "503": "Busy; nothing was saved. Retry-After says when to try again.",
}


def _codes_for(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    codes = {"400", "422", "503"}
    if operation.get("security"):
        codes |= {"401", "403"}
    if "/auth/" in path or path.endswith("/intake/external"):  # a password, a refresh token, a signature
        codes.add("401")
    if "{" in path:
        codes.add("404")
    if method in ("put", "post", "patch", "delete"):
        codes |= {"409", "413"}
    if "/transitions/" in path:
        codes.add("412")
    if path.endswith("/auth/token") or path.endswith(".pdf") or path.startswith("/api/v1/reports/"):
        codes.add("429")
    if "/photos/" in path and method == "put":
        codes.add("415")
    return sorted(codes)


def documented_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in _codes_for(path, method, operation):
                responses[code] = {"description": WHY[code], "content": error_ref}
    app.openapi_schema = schema
    return schema


def install_api_docs(app: FastAPI, openapi_url: str) -> None:
    app.openapi = lambda: documented_openapi(app)  # type: ignore[method-assign]
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="api-docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} · 接口文档",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} · 接口文档",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
            with_google_fonts=False,
        )
