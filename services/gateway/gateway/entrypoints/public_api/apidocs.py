"""The browsable API page at /api/docs: Swagger UI, served from our own origin.

The strict Content-Security-Policy allows scripts and styles from 'self' only, so the page
has no inline code: Swagger UI's files (swagger-ui-dist, vendored under
static/apidocs/) and the script that starts it (apidocs.js) are plain static files, and the
page hands the script the document's URL in a data attribute.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for

blp = Blueprint(
    "apidocs",
    "gateway",  # the static files are the package's, beside its templates
    url_prefix="/api/docs",
    static_folder="static/apidocs",
    static_url_path="/assets",
)


@blp.get("/")
def page() -> str:
    """Swagger UI reading this gateway's OpenAPI document (/api/docs redirects here)."""
    return render_template(
        "apidocs.html",
        title=current_app.config["API_TITLE"],
        spec_url=url_for("api-docs.openapi_json"),
    )
