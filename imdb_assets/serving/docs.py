"""/docs from a Swagger UI shipped in a Python package (swagger-ui-bundle-v2), not from a CDN.

FastAPI's default /docs page loads Swagger UI from the internet, so behind a firewall (or offline)
it is blank. Swagger UI 5 is needed for the OpenAPI 3.1 schemas FastAPI writes.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS_PATH = "/docs-assets"


def add_offline_docs(app: FastAPI, docs_path: str = "/docs") -> None:
    """Serve Swagger UI for the app's /openapi.json at `docs_path`; the app must have docs_url=None."""
    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get(docs_path, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API docs",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        )
