"""The staff pages: what people asked that the bot could not answer, and teaching it.

Mounted by create_app under /staff. Every route needs STAFF_TOKEN (bearer header or the login
cookie); without STAFF_TOKEN the pages are off (503). All user text goes through Jinja2 autoescape.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import BaseRoute, Route

from index.teachings import TeachingError, TeachingStore
from state import SecretKey

from . import data
from . import texts as T
from .auth import LoginThrottle, Session, StaffAuth
from .view import PREFIX, chart, environment

__all__ = ["staff_routes"]

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
OVERVIEW_DAYS = 14
UNANSWERED_DAYS = 30
#: groups listed on the unanswered page (the CSV and JSON exports have them all)
PAGE_GROUPS = 200
#: groups in each list of answers to review (low confidence; marked not useful)
REVIEW_GROUPS = 50

Handler = Callable[[Request, Session], Awaitable[Response]]


def _by(session: Session) -> str:
    """Who taught, as the teachings list shows it (there are no staff accounts, only the token)."""
    return "staff web" if session.via == "cookie" else "staff api"


def _day(raw: str | None, default: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else default
    except ValueError:
        return default


def _client(request: Request) -> str:
    """The caller's address (uvicorn puts X-Forwarded-For here only when the request came from
    one of KHOMUN_TRUSTED_PROXIES)."""
    return request.client.host if request.client else "unknown"


class StaffPages:
    def __init__(self, services: Any) -> None:
        self.services = services
        self.settings = services.settings
        self.secret: SecretKey = services.secret
        self.auth = StaffAuth(self.settings.staff_token, self.secret, self.settings.state_db)
        self.throttle = LoginThrottle(db=self.settings.state_db, key=self.secret)
        self.env = environment()
        teachings = getattr(services.engine, "teachings", None)
        self.store = teachings if isinstance(teachings, TeachingStore) else None

    def teachings(self) -> TeachingStore:
        if self.store is None:  # the engine was built without one: teach into the state DB anyway
            self.store = TeachingStore(self.settings.state_db)
        return self.store

    # -- plumbing ------------------------------------------------------------------------------
    def render(
        self, name: str, request: Request, session: Session | None, status: int = 200, **ctx: Any
    ) -> Response:
        html = self.env.get_template(name).render(request=request, session=session, **ctx)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def guard(self, handler: Handler, kind: str = "html") -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            if not self.auth.enabled:
                return PlainTextResponse(T.DISABLED, status_code=503)
            session = self.auth.session(request)  # a valid credential is never throttled
            if session is None:
                if request.headers.get("authorization", "").lower().startswith("bearer "):
                    wait = self.throttle.wait(_client(request))
                    if wait:  # a guess while guessing is locked
                        return self._locked(request, wait, kind)
                    self._failed(request)  # a wrong token, not just a missing session
                if kind == "html" and request.method == "GET":
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse(f"{PREFIX}/login?{urlencode({'next': target})}", 303)
                return PlainTextResponse(T.UNAUTHORIZED, status_code=401)
            if request.method == "POST":
                form = await request.form()
                if not self.auth.csrf_ok(session, str(form.get("csrf", ""))):
                    return PlainTextResponse(T.CSRF_FAILED, status_code=403)
            return await handler(request, session)

        return endpoint

    def db(self):
        return data.connect(self.settings.state_db)

    def _query(self, fn: Callable[..., Any], *args: Any) -> Any:
        db = self.db()
        try:
            return fn(db, *args)
        finally:
            db.close()

    def _failed(self, request: Request) -> None:
        client = _client(request)
        self.throttle.failed(client)
        if self.throttle.wait(client):
            log.warning(
                "staff login locked after repeated wrong tokens",
                extra={"client": self.secret.hash_id("log", "web", client)},
            )

    def _locked(self, request: Request, wait: int, kind: str) -> Response:
        minutes = max(1, round(wait / 60))
        headers = {"Retry-After": str(wait)}
        if kind == "html":
            response = self.render(
                "login.html", request, None, 429, next="", error=T.LOGIN_LOCKED.format(minutes=minutes)
            )
            response.headers.update(headers)
            return response
        return PlainTextResponse(T.LOGIN_LOCKED.format(minutes=minutes), status_code=429, headers=headers)

    # -- login ---------------------------------------------------------------------------------
    async def login(self, request: Request) -> Response:
        if not self.auth.enabled:
            return PlainTextResponse(T.DISABLED, status_code=503)
        nxt = request.query_params.get("next", "")
        error = ""
        if request.method == "POST":
            wait = self.throttle.wait(_client(request))
            if wait:
                return self._locked(request, wait, "html")
            form = await request.form()
            nxt = str(form.get("next", ""))
            if self.auth.check_token(str(form.get("token", ""))):
                safe = nxt if nxt.startswith(PREFIX + "/") and not nxt.startswith("//") else PREFIX + "/"
                response = RedirectResponse(safe, 303)
                secure = request.url.scheme == "https" or self.settings.public_url.startswith("https://")
                self.auth.login(response, secure=secure)
                return response
            error = T.LOGIN_WRONG
            self._failed(request)
        status = 401 if error else 200
        return self.render("login.html", request, None, status, next=nxt, error=error)

    async def logout(self, request: Request, session: Session) -> Response:
        response = RedirectResponse(f"{PREFIX}/login", 303)
        self.auth.logout(session, response)
        return response

    # -- pages ---------------------------------------------------------------------------------
    def _overview_data(self) -> dict[str, Any]:
        today = datetime.now(data.BANGKOK).date()
        window = data.Window.days(today - timedelta(days=OVERVIEW_DAYS - 1), today)
        db = self.db()
        try:
            days = data.daily_counts(db, window)
            return {
                "chart": chart(days),
                "totals": data.totals(db, window),
                "top": data.top_queries(db, window, 10),
                "groups": data.unanswered_groups(db, window, 10),
            }
        finally:
            db.close()

    async def overview(self, request: Request, session: Session) -> Response:
        ctx = await run_in_threadpool(self._overview_data)
        return self.render("overview.html", request, session, **ctx)

    def _window(self, request: Request) -> data.Window:
        today = datetime.now(data.BANGKOK).date()
        first = _day(request.query_params.get("from"), today - timedelta(days=UNANSWERED_DAYS - 1))
        last = _day(request.query_params.get("to"), today)
        return data.Window.days(first, last, request.query_params.get("platform", ""))

    def _platforms(self, db: Any) -> list[str]:
        return [r[0] for r in db.execute("SELECT DISTINCT platform FROM journal ORDER BY 1")]

    def _reviews(self, window: data.Window) -> tuple[list[data.Group], list[data.Group], dict[str, str]]:
        """Answers to look at again (low confidence; marked not useful) and their datasets' titles."""
        low = self._query(data.review_groups, window, "low", REVIEW_GROUPS)
        not_useful = self._query(data.review_groups, window, "not_useful", REVIEW_GROUPS)
        names = list(dict.fromkeys(n for g in low + not_useful for n in g.top_results))
        titles = {d.name: d.title for d in self.services.engine.get_many(names)}
        return low, not_useful, titles

    async def unanswered(self, request: Request, session: Session) -> Response:
        window = self._window(request)
        groups, total = await run_in_threadpool(self._query, data.unanswered_page, window, PAGE_GROUPS)
        platforms = await run_in_threadpool(self._query, self._platforms)
        low, not_useful, titles = await run_in_threadpool(self._reviews, window)
        return self.render(
            "unanswered.html",
            request,
            session,
            groups=groups,
            low=low,
            not_useful=not_useful,
            titles=titles,
            more=T.MORE_GROUPS.format(shown=len(groups), total=total) if total > len(groups) else "",
            platforms=platforms,
            first=window.start.astimezone(data.BANGKOK).date().isoformat(),
            last=(window.end - timedelta(days=1)).astimezone(data.BANGKOK).date().isoformat(),
            platform=window.platform,
            query=request.url.query,
            teach_link=lambda g: (
                f"{PREFIX}/teach?" + urlencode([("q", g.label)] + [("key", k) for k in g.keys])
            ),
        )

    async def unanswered_csv(self, request: Request, session: Session) -> Response:
        groups = await run_in_threadpool(self._query, data.unanswered_groups, self._window(request))
        stamp = datetime.now(UTC).strftime("%Y%m%d")
        return Response(
            data.groups_csv(groups).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="khomun-unanswered-{stamp}.csv"'},
        )

    async def unanswered_json(self, request: Request, session: Session) -> Response:
        groups = await run_in_threadpool(self._query, data.unanswered_groups, self._window(request))
        return JSONResponse(
            [
                {
                    "label": g.label,
                    "keys": g.keys,
                    "count": g.count,
                    "first_seen": g.first_seen,
                    "last_seen": g.last_seen,
                    "platforms": dict(g.platforms),
                    "examples": g.example_texts,
                }
                for g in groups
            ]
        )

    def _candidates(self, text: str, keys: list[str]) -> list[Any]:
        """Datasets to offer: the search for the text, else for each word of the group's keys."""
        engine = self.services.engine
        hits = list(engine.search(text, limit=10).hits) if text else []
        if not hits:
            for word in dict.fromkeys(w for k in keys for w in k.split()):
                hits += [h for h in engine.search(word, limit=5).hits if h.name not in {x.name for x in hits}]
        return hits[:15]

    async def teach(self, request: Request, session: Session) -> Response:
        keys = [k for k in request.query_params.getlist("key") if k.strip()]
        example = request.query_params.get("q", "")
        free = request.query_params.get("search", "").strip()
        hits = await run_in_threadpool(self._candidates, free or example, [] if free else keys)
        return self.render("teach.html", request, session, keys=keys, example=example, free=free, hits=hits)

    async def teach_pin(self, request: Request, session: Session) -> Response:
        form = await request.form()
        keys = [str(k) for k in form.getlist("key") if str(k).strip()]
        names = [str(n) for n in form.getlist("name")]
        example = str(form.get("example", ""))
        if not keys or not names:
            return PlainTextResponse(T.TEACH_PICK_ONE, status_code=400)
        store = self.teachings()
        try:
            for key in keys:
                await run_in_threadpool(store.pin, key, names, example, _by(session))
        except TeachingError as err:
            return PlainTextResponse(str(err), status_code=400)
        return RedirectResponse(f"{PREFIX}/teachings?done=saved", 303)

    async def teach_synonym(self, request: Request, session: Session) -> Response:
        form = await request.form()
        terms = [t for t in re.split(r"[,\n،]", str(form.get("terms", ""))) if t.strip()]
        try:
            await run_in_threadpool(
                self.teachings().add_synonym, str(form.get("word", "")), terms, _by(session)
            )
        except TeachingError as err:
            return PlainTextResponse(str(err), status_code=400)
        return RedirectResponse(f"{PREFIX}/teachings?done=saved", 303)

    async def teachings_page(self, request: Request, session: Session) -> Response:
        items = await run_in_threadpool(self.teachings().active)
        names = list(dict.fromkeys(n for t in items if t.kind == "pin" for n in t.values))
        found = await run_in_threadpool(self.services.engine.get_many, names)
        titles = {d.name: d.title for d in found}
        done = {"saved": T.SAVED, "undone": T.UNDONE}.get(request.query_params.get("done", ""), "")
        return self.render("teachings.html", request, session, items=items, titles=titles, done=done)

    async def undo(self, request: Request, session: Session) -> Response:
        form = await request.form()
        kind = str(form.get("kind", ""))
        try:
            ident = int(str(form.get("id", "")))
            await run_in_threadpool(self.teachings().undo, kind, ident)
        except (TeachingError, ValueError) as err:
            return PlainTextResponse(str(err), status_code=400)
        return RedirectResponse(f"{PREFIX}/teachings?done=undone", 303)

    async def css(self, request: Request) -> Response:
        return Response((HERE / "static" / "staff.css").read_bytes(), media_type="text/css")


def staff_routes(services: Any, pages: StaffPages | None = None) -> list[BaseRoute]:
    """Routes to mount at /staff; ``services`` has .settings and .engine (with .teachings).
    ``pages`` lets the app guard /metrics with the same token and the same throttle."""
    p = pages if pages is not None else StaffPages(services)
    return [
        Route("/", p.guard(p.overview), name="staff_overview"),
        Route("/login", p.login, methods=["GET", "POST"], name="staff_login"),
        Route("/logout", p.guard(p.logout), methods=["POST"], name="staff_logout"),
        Route("/unanswered", p.guard(p.unanswered), name="staff_unanswered"),
        Route("/unanswered.csv", p.guard(p.unanswered_csv, "data"), name="staff_unanswered_csv"),
        Route("/unanswered.json", p.guard(p.unanswered_json, "data"), name="staff_unanswered_json"),
        Route("/teach", p.guard(p.teach), name="staff_teach"),
        Route("/teach/pin", p.guard(p.teach_pin), methods=["POST"], name="staff_teach_pin"),
        Route("/teach/synonym", p.guard(p.teach_synonym), methods=["POST"], name="staff_teach_synonym"),
        Route("/teachings", p.guard(p.teachings_page), name="staff_teachings"),
        Route("/teachings/undo", p.guard(p.undo), methods=["POST"], name="staff_undo"),
        Route("/staff.css", p.css, name="staff_css"),
    ]
