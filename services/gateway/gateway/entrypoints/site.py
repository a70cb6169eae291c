"""What every public page of the gateway shares: the reader's language, CSRF on forms,
security headers, rate limits on public POSTs and HTML error pages.

The JSON API keeps its own answers (problem+json) and is exempt from CSRF: a browser
cannot send a cross-site `application/json` POST without CORS, which we never allow, and
coordinator calls carry a bearer token. A blueprint that must take cross-site form POSTs
(the RFC 8058 one-click unsubscribe) sets `csrf_exempt = True` on itself.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
)
from flask_babel import Babel, get_locale
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from sanctuary.problems import http_problem, unexpected_problem
from sanctuary.vocabulary import DEFAULT_LOCALE, RIGHT_TO_LEFT, Locale
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway.adapters import rate_limits
from gateway.config import GatewayConfig
from gateway.entrypoints.sessions import EncryptedSessionInterface

# Each language the pages and emails are written in: its own name, and its direction.
LANGUAGES: dict[Locale, tuple[str, str]] = {
    locale: (name, "rtl" if locale in RIGHT_TO_LEFT else "ltr")
    for locale, name in ((Locale.EN, "English"), (Locale.AR, "العربية"), (Locale.UK, "Українська"))
}
LANGUAGE_COOKIE = "lang"
YEAR = 365 * 24 * 3600

# Scripts, styles and images only from our own origin: no inline code, no third party.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}

csrf = CSRFProtect()
blp = Blueprint("site", __name__)


def choose_language() -> str:
    """The language the reader chose (remembered in a cookie), else their browser's."""
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LOCALE


def language() -> str:
    """The language of the page being rendered."""
    return str(get_locale() or DEFAULT_LOCALE)


def local_path(target: str | None) -> str:
    """`target` if it is a path on this site, else the home page: no open redirect."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        # Browsers and urlsplit drop tabs and newlines ("/\t/evil" becomes "//evil"), and
        # read a backslash as a slash: none of these belongs in a path of ours.
        or any(c < " " or c in "\\\x7f" for c in target)
        or urlsplit(target).netloc
    ):
        return "/"
    return target


@blp.get("/favicon.ico")
def favicon() -> Response:
    """Every browser asks for it at the site's root, whatever the pages link (favicon.svg)."""
    return current_app.send_static_file("favicon.ico")


@blp.get("/language/<code>")
def switch_language(code: str) -> Response:
    """The language switch: remember the choice and go back to the page it was made on."""
    if code not in LANGUAGES:
        abort(404)
    response = redirect(local_path(request.args.get("next")), code=303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=YEAR,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


def _page_context() -> dict[str, object]:
    code = language()
    return {
        "languages": LANGUAGES,
        "lang": code,
        "text_direction": LANGUAGES.get(code, LANGUAGES[DEFAULT_LOCALE])[1],
    }


def install(app: Flask, config: GatewayConfig, public: Iterable[Blueprint]) -> Limiter:
    """Set up the shared parts of every page on `app`; rate-limit POSTs to `public`."""
    if config.proxy_hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=config.proxy_hops, x_proto=config.proxy_hops
        )
    # One secret to manage: the session key is derived from LINK_SECRET.
    app.secret_key = hmac.new(
        config.link_secret.encode(), b"gateway-session", hashlib.sha256
    ).hexdigest()
    app.session_interface = EncryptedSessionInterface()
    app.config.update(
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=config.cookie_secure,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    Babel(app, locale_selector=choose_language)
    app.context_processor(_page_context)
    csrf.init_app(app)
    for blueprint in app.blueprints.values():
        if getattr(blueprint, "csrf_exempt", False):
            csrf.exempt(blueprint)
    Talisman(
        app,
        force_https=False,  # TLS ends at the proxy in front; HSTS is sent on HTTPS requests
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="same-origin",
        session_cookie_secure=config.cookie_secure,
        session_cookie_http_only=True,
    )
    app.after_request(_retry_after_only_on_refusals)  # before the limiter's: runs after it
    limiter = Limiter(
        get_remote_address,
        app=app,
        **_limit_storage(app, config),
        headers_enabled=True,
        # A Redis outage must not turn the sign-up form into an error page.
        swallow_errors=True,
        in_memory_fallback_enabled=bool(config.redis_url),
    )
    if config.public_rate_limit:
        for blueprint in public:
            limiter.shared_limit(config.public_rate_limit, scope="public-post", methods=["POST"])(
                blueprint
            )
    app.register_error_handler(HTTPException, _error)
    app.register_error_handler(Exception, _crash)
    return limiter


def _retry_after_only_on_refusals(response: Response) -> Response:
    """The limiter writes Retry-After on every answer it counts, and a 202 carrying one
    tells a polling client to wait a minute: only a refusal keeps it. (Flask runs the
    after-request hooks last registered first, so this one is registered before it.)"""
    if response.status_code not in (429, 503):
        response.headers.pop("Retry-After", None)
    return response


def _limit_storage(app: Flask, config: GatewayConfig) -> dict[str, Any]:
    """Redis when given (shared by every web process, fast); else the gateway's own database,
    never a process's memory: a restarted worker must not forget a limit (ADR 32)."""
    if config.redis_url:
        return {"storage_uri": config.redis_url}
    return {
        "storage_uri": f"{rate_limits.SCHEME}://",
        "storage_options": {"engine": app.extensions["service"].engine},
    }


def _wants_page() -> bool:
    # Pages answer in HTML, in the reader's language; the API and probes in problem+json.
    return not request.path.startswith("/api/") and request.accept_mimetypes.accept_html


def _error(exc: HTTPException) -> Response | tuple[str, int, dict[str, str]]:
    if not _wants_page():
        return http_problem(exc)
    status = exc.code or 500
    waiting = {k: v for k, v in exc.get_headers() if k == "Retry-After"}
    return render_template("error.html", status=status), status, waiting


def _crash(exc: Exception) -> Response | tuple[str, int]:
    response = unexpected_problem(exc)  # logs the traceback for the operator
    if not _wants_page():
        return response
    return render_template("error.html", status=500), 500
