"""The dashboard: findings, a finding's page with Confirm / Dismiss, the baseline, feeds, the landscape.

Server-rendered HTML (Flask with Jinja2 templates, autoescaped; no script at all, and a
Content-Security-Policy that allows none). It reads through the store and acts through the
same functions as the Telegram buttons (:class:`watcher.app.botcommands.BotHandler`), so Confirm
adds a baseline version exactly as the button does.
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import Flask, abort, flash, redirect, render_template, request, session, url_for
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Response

from watcher.app.botcommands import BotHandler
from watcher.app.queries import baseline_versions, item_by_id, story_items
from watcher.errors import ConfigError
from watcher.notify.items import StoryItem, reason
from watcher.notify.landscape import LANDSCAPE_DAYS, deal_bars
from watcher.notify.render import attribute_label, format_time, kind_label, safe_url, view_of_item
from watcher.types import FindingKind
from watcher.web.auth import CSRF_FIELD, bearer, check_exposure, new_csrf_token, same_secret

if TYPE_CHECKING:
    from watcher.app.root import Watcher

log = logging.getLogger(__name__)

PERIODS = {"1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30),
           "90d": timedelta(days=90), "all": None}  # fmt: skip
DEAL_STATUSES = ("signed", "planned", "in talks", "reported")
REVIEWS = {"open": ("active", "confirmed"), "confirmed": ("confirmed",), "dismissed": ("dismissed",),
           "all": ("active", "confirmed", "dismissed")}  # fmt: skip
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")  # fmt: skip
PUBLIC = frozenset({"login", "static"})


def create_app(w: Watcher, *, token: str | None = None, secret_key: bytes | None = None) -> Flask:
    """The dashboard over a Watcher; ``token`` protects every page when given."""
    app = Flask(__name__)
    app.secret_key = secret_key or secrets.token_bytes(32)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict", MAX_CONTENT_LENGTH=64_000
    )
    app.jinja_env.globals.update(csrf_field=CSRF_FIELD, when=lambda d: format_time(d, w.settings.tz) or "")
    app.jinja_env.filters.update(kind_label=lambda k: kind_label(FindingKind(k))[1].capitalize(),
                                 attribute=attribute_label, href=safe_url)  # fmt: skip
    handler = BotHandler(w)

    @app.before_request
    def guard() -> Response | None:
        if token and request.endpoint not in PUBLIC and not _authorised(token):
            return Response(render_template("login.html", next=request.path, failed=False), 401)
        if (
            request.method == "POST"
            and request.endpoint != "login"
            and not same_secret(request.form.get(CSRF_FIELD), session.get("csrf"))
        ):
            abort(403, "missing or wrong CSRF token: reload the page and try again")
        return None

    @app.context_processor
    def csrf() -> dict[str, Any]:
        if "csrf" not in session:
            session["csrf"] = new_csrf_token()
        return {"csrf_token": session["csrf"], "protected": bool(token)}

    @app.after_request
    def headers(resp: Response) -> Response:
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if request.method == "POST":
            if token and same_secret(request.form.get("token"), token):
                session["auth"] = _mark(token)
                nxt = request.form.get("next") or "/"
                return redirect(nxt if nxt.startswith("/") and not nxt.startswith("//") else "/")
            return Response(
                render_template("login.html", next=request.form.get("next", "/"), failed=True), 401
            )
        return render_template("login.html", next=request.args.get("next", "/"), failed=False)

    @app.get("/")
    def index() -> Any:
        return redirect(url_for("findings"))

    @app.get("/findings")
    def findings() -> Any:
        f = _filters(w.clock())
        items = story_items(w.store, kinds=(f["kind"],) if f["kind"] else (), since=f["since"],
                            party=f["company"] or None, deal_status=f["status"] or None,
                            reviews=REVIEWS[f["review"]], limit=200, with_text=False)  # fmt: skip
        return render_template("findings.html", items=[_row(i) for i in items], f=f, kinds=list(FindingKind),
                               statuses=DEAL_STATUSES, periods=list(PERIODS), reviews=list(REVIEWS))  # fmt: skip

    @app.get("/findings/<int:finding_id>")
    def finding(finding_id: int) -> Any:
        item = item_by_id(w.store, finding_id)
        if item is None:
            abort(404, f"no finding #{finding_id}")
        fact = w.baseline.get(item.finding.baseline_fact) if item.finding.baseline_fact else None
        origin = w.outbox.origin_of(item.finding.baseline_fact)
        return render_template("finding.html", item=item, row=_row(item), fact=fact, origin=origin,
                               why=reason(item.finding, origin))  # fmt: skip

    @app.post("/findings/<int:finding_id>/confirm")
    def confirm(finding_id: int) -> Any:
        flash(handler.confirm(finding_id))
        return redirect(url_for("finding", finding_id=finding_id))

    @app.post("/findings/<int:finding_id>/dismiss")
    def dismiss(finding_id: int) -> Any:
        flash(handler.dismiss(finding_id))
        return redirect(url_for("finding", finding_id=finding_id))

    @app.get("/baseline")
    def baseline() -> Any:
        from watcher.baseline.facts import find_tensions

        facts = sorted(w.baseline.facts, key=lambda f: (f.attribute, f.id))
        return render_template("baseline.html", facts=facts, versions=baseline_versions(w.store),
                               tensions=find_tensions(w.baseline.facts), version=w.baseline.version,
                               origin=w.outbox.origin_of)  # fmt: skip

    @app.get("/feeds")
    def feeds() -> Any:
        rows = [f for f in w.store.feed_rows() if not f.name.startswith("backfill:")]
        return render_template("feeds.html", feeds=rows, now=w.clock())

    @app.get("/landscape")
    def landscape() -> Any:
        end = w.clock()
        start = end - timedelta(days=LANDSCAPE_DAYS)
        items = story_items(
            w.store, kinds=(str(FindingKind.NEW_DEAL),), since=start, limit=500, with_text=False
        )
        views = [view_of_item(i) for i in items]
        bars = deal_bars(views, end - timedelta(days=7), limit=40)
        return render_template("landscape.html", bars=bars, days=LANDSCAPE_DAYS)

    return app


def _authorised(token: str) -> bool:
    if same_secret(bearer(request.headers.get("Authorization")), token):
        return True
    return same_secret(session.get("auth"), _mark(token))


def _mark(token: str) -> str:
    """What the session cookie holds after a login: a hash of the token, not the token."""
    import hashlib

    return hashlib.sha256(b"watcher-web:" + token.encode()).hexdigest()


def _filters(now: datetime) -> dict[str, Any]:
    args = request.args
    kind = args.get("kind", "")
    kind = kind if kind in {str(k) for k in FindingKind} else ""
    period = args.get("period", "30d") if args.get("period", "30d") in PERIODS else "30d"
    review = args.get("review", "open") if args.get("review", "open") in REVIEWS else "open"
    span = PERIODS[period]
    return {"kind": kind, "company": args.get("company", "").strip()[:100],
            "status": args.get("status", "") if args.get("status", "") in DEAL_STATUSES else "",
            "period": period, "review": review,
            "since": now - span if span is not None else None}  # fmt: skip


def _row(item: StoryItem) -> dict[str, Any]:
    f = item.finding
    value = f.new_value or "n/a"
    if f.kind == FindingKind.CONTRADICTION and f.baseline_value:
        value += f" (baseline {f.baseline_value})"
    return {"id": item.id, "kind": str(f.kind), "parties": " & ".join(f.parties) or "unnamed companies",
            "attribute": attribute_label(f.attribute), "value": value, "status": f.status or "",
            "review": item.review, "first_seen": item.first_seen, "sources": item.sources,
            "title": item.sources[0].title, "confidence": f"{f.confidence:.2f}"}  # fmt: skip


class WebServer:
    """The dashboard served by werkzeug's threaded server in a daemon thread."""

    def __init__(self, w: Watcher, host: str, port: int, token: str | None) -> None:
        check_exposure(host, token)
        self.app = create_app(w, token=token)
        try:
            self._server: BaseWSGIServer = make_server(host, port, self.app, threaded=True)
        except (OSError, SystemExit) as exc:  # werkzeug calls sys.exit on a port in use
            raise ConfigError(
                f"the dashboard cannot listen on {host}:{port} ({exc if isinstance(exc, OSError) else 'in use'}): "
                "choose another WATCHER_WEB_PORT (or --port)"
            ) from None
        self.host, self.port = host, self._server.server_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> WebServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="web", daemon=True)
        self._thread.start()
        log.info("dashboard on %s", self.url)
        return self

    def serve_forever(self) -> None:
        log.info("dashboard on %s (Ctrl-C stops it)", self.url)
        self._server.serve_forever()

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def start_web(w: Watcher) -> WebServer | None:
    """The dashboard for `watcher run` (WATCHER_WEB_PORT; 0 = off). A port in use is logged, not fatal."""
    s = w.settings
    if not s.web_port:
        return None
    token = s.web_token.get_secret_value() if s.web_token else None
    try:
        return WebServer(w, s.web_host, s.web_port, token).start()
    except ConfigError as exc:  # polling and alerts go on without the dashboard
        log.error("dashboard not started: %s", exc)
        return None
