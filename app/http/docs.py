"""Self-hosted interactive API docs: Swagger UI at ``/docs`` and ReDoc at ``/redoc``.

FastAPI's built-in pages load their JavaScript and CSS from a CDN, ReDoc pulls Google Fonts and
both fetch a favicon from fastapi.tiangolo.com. Here every asset comes from our own origin
(``app/http/docs_assets/``, vendored by ``scripts/vendor-docs-assets.sh``), so the docs:

* work offline and on networks that block CDNs;
* leak no visitor traffic to third parties;
* run under a strict Content-Security-Policy, which each docs page sends itself: only same-origin
  scripts plus the hash of the page's one inline bootstrap script, no ``unsafe-eval``.

The app must be created with ``docs_url=None, redoc_url=None`` so FastAPI's CDN pages are not
registered as well; then call :func:`mount_docs`.
"""

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_ASSETS_DIR = Path(__file__).resolve().parent / "docs_assets"
DOCS_ASSETS_PATH = "/docs-assets"
SWAGGER_UI_PATH = "/docs"
REDOC_PATH = "/redoc"

# An empty inline icon: the browser neither fetches a remote favicon nor probes /favicon.ico.
_FAVICON_URL = "data:,"

# Swagger UI posts the spec URL to validator.swagger.io to draw a badge unless this is null.
_SWAGGER_UI_OFFLINE_PARAMETERS: dict[str, object] = {"validatorUrl": None}

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def mount_docs(app: FastAPI) -> None:
    """Serve the vendored docs assets and the ``/docs`` and ``/redoc`` pages that use them.

    Mounts ``app/http/docs_assets/`` at ``/docs-assets`` (route name ``docs-assets``) and adds the
    two pages, plus Swagger UI's OAuth2 redirect page when the app defines one, all hidden from
    the OpenAPI schema. Does nothing when the app has no OpenAPI schema (``openapi_url=None``),
    as FastAPI itself does.
    """
    openapi_url = app.openapi_url
    if openapi_url is None:
        return

    app.mount(DOCS_ASSETS_PATH, StaticFiles(directory=DOCS_ASSETS_DIR), name="docs-assets")
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url
    swagger_ui_parameters = {**_SWAGGER_UI_OFFLINE_PARAMETERS, **(app.swagger_ui_parameters or {})}

    # Explicit operation ids keep the app's generate_unique_id_function (which may insist on
    # tags) away from these schema-less routes.
    @app.get(SWAGGER_UI_PATH, include_in_schema=False, operation_id="docs-swagger-ui")
    async def swagger_ui_html(request: Request) -> HTMLResponse:
        root = _root_path(request)
        return _with_csp(
            get_swagger_ui_html(
                openapi_url=root + openapi_url,
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{root}{DOCS_ASSETS_PATH}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{DOCS_ASSETS_PATH}/swagger-ui.css",
                swagger_favicon_url=_FAVICON_URL,
                oauth2_redirect_url=root + oauth2_redirect_url if oauth2_redirect_url else None,
                init_oauth=app.swagger_ui_init_oauth,
                swagger_ui_parameters=swagger_ui_parameters,
            )
        )

    if oauth2_redirect_url:

        @app.get(oauth2_redirect_url, include_in_schema=False, operation_id="docs-oauth2-redirect")
        async def swagger_ui_oauth2_redirect_html() -> HTMLResponse:
            return _with_csp(get_swagger_ui_oauth2_redirect_html())

    @app.get(REDOC_PATH, include_in_schema=False, operation_id="docs-redoc")
    async def redoc_html(request: Request) -> HTMLResponse:
        root = _root_path(request)
        return _with_csp(
            get_redoc_html(
                openapi_url=root + openapi_url,
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{DOCS_ASSETS_PATH}/redoc.standalone.js",
                redoc_favicon_url=_FAVICON_URL,
                with_google_fonts=False,
            )
        )


def docs_content_security_policy(html: str) -> str:
    """The CSP a docs page needs: same-origin everything, plus its own inline scripts by hash.

    ``style-src 'unsafe-inline'`` is required because Swagger UI sets ``style`` attributes and
    ReDoc injects ``<style>`` elements at run time; ReDoc runs its search index in a ``blob:``
    worker. No other origin is allowed, so a page that tries to reach a CDN fails loudly.
    """
    script_hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(html)
    )
    directives = [
        "default-src 'none'",
        f"script-src 'self' {script_hashes}".rstrip(),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
    return "; ".join(directives)


def _with_csp(response: HTMLResponse) -> HTMLResponse:
    response.headers["Content-Security-Policy"] = docs_content_security_policy(
        bytes(response.body).decode()
    )
    return response


def _root_path(request: Request) -> str:
    """The prefix a proxy mounted us under, so asset URLs still resolve behind it."""
    root_path: str = request.scope.get("root_path", "")
    return root_path.rstrip("/")
