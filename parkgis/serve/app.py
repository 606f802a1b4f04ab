"""The web app of ``parkgis serve``: map, search, parcels, figures, briefings and status edits.

Built on Starlette. Pages are rendered by :mod:`parkgis.serve.templates`
(autoescape), the park is read through :class:`parkgis.serve.state.ParkState`
(the one reading), and an edit is recorded as ``parkgis status set`` records
it, with the signed-in user as ``by``. Open maps follow edits of values in
place (``/api/changes``, :mod:`parkgis.serve.live`).

Security:

- sessions in a signed cookie (:mod:`itsdangerous`; ``HttpOnly``,
  ``SameSite=Lax``, ``Secure`` when the request came over HTTPS), 12 hours;
- a CSRF token in the session, required on every POST (form field ``csrf``
  or header ``X-CSRF-Token``);
- sign-in limited to 5 failures per 5 minutes per user name and per client
  address (then 429 with ``Retry-After``);
- roles (:mod:`parkgis.serve.users`): nothing without signing in unless the
  app is ``public`` (anonymous read-only), no edit without the editor or
  admin role (403), private fields only for admins and users given them.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import hmac
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from parkgis.errors import ParkgisError
from parkgis.serve.live import map_changes, public_park
from parkgis.serve.live import map_page as live_map
from parkgis.serve.state import ParkState, Snapshot
from parkgis.serve.templates import render
from parkgis.serve.users import User, authenticate, find_user

__all__ = ["LoginLimiter", "create_app"]

_COOKIE = "parkgis_session"
_LANG_COOKIE = "parkgis_lang"
_SESSION_S = 12 * 3600
_SEARCH_LIMIT = 50
_EDIT_FIELDS = ("acquisition_status", "acquisition_step", "title_status")
_PART_FILES = (".geojson", ".json", ".gpkg", ".txt", ".kml", ".kmz", ".zip")
_PART_BYTES = 50 << 20  # the largest survey file taken for a split
_NEIGHBOURS = 30  # neighbours offered on the merge form
_EXPORTS = [
    ("kmz", "KMZ (Google Earth, 奥维)"),
    ("txt", "界址点坐标 TXT"),
    ("dxf", "DXF (CAD)"),
    ("gpkg", "GeoPackage"),
    ("xlsx", "Excel (.xlsx)"),
]
_EXPORT_KINDS = {
    "kmz": "application/vnd.google-earth.kmz",
    "txt": "text/plain; charset=gbk",
    "dxf": "application/dxf",
    "gpkg": "application/geopackage+sqlite3",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'{eval}; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
    "frame-ancestors 'self'; form-action 'self'; base-uri 'none'"
)
_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", _CSP.format(eval="").encode()),
]
_MAP_CSP = _CSP.format(eval=" 'unsafe-eval'")
"""The map page's policy: its measuring tool (leaflet-measure, vendored) compiles its
templates with ``eval``; the map's scripts are inline already, so no other source opens."""


class LoginLimiter:
    """Failed sign-ins counted per key (user name, client address) in a sliding window.

    Parameters
    ----------
    limit
        Failures allowed in ``window_s``; the next attempt is refused.
    window_s
        The window, in seconds.

    Examples
    --------
    >>> limiter = LoginLimiter(limit=2, window_s=60)
    >>> for _ in range(2):
    ...     limiter.fail(["user:a"], now=0.0)
    >>> limiter.retry_after(["user:a"], now=1.0)
    59
    >>> limiter.retry_after(["user:a"], now=61.0) is None
    True
    """

    def __init__(self, *, limit: int = 5, window_s: float = 300.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, keys: list[str], *, now: float | None = None) -> int | None:
        """Seconds until a key is free again when one is at its limit, else None."""
        now = time.monotonic() if now is None else now
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._trim(key, now)
                if len(times) >= self.limit:
                    wait = max(wait, times[0] + self.window_s - now)
        return max(1, int(wait)) if wait > 0 else None

    def fail(self, keys: list[str], *, now: float | None = None) -> None:
        """Count a failure against each key."""
        now = time.monotonic() if now is None else now
        with self._lock:
            for key in keys:
                self._trim(key, now).append(now)

    def clear(self, key: str) -> None:
        """Forget a key's failures (after a successful sign-in)."""
        with self._lock:
            self._failures.pop(key, None)

    def _trim(self, key: str, now: float) -> collections.deque[float]:
        times = self._failures.setdefault(key, collections.deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times


def create_app(
    park_path: str | os.PathLike[str],
    *,
    public: bool = False,
    root_path: str = "",
    secret_key: str | None = None,
    poll_seconds: float = 3.0,
    login_limit: int = 5,
    login_window_s: float = 300.0,
) -> Callable[..., Awaitable[None]]:
    """The ASGI app serving a park.

    Parameters
    ----------
    park_path
        A park GeoPackage, a store URL, or an older park folder (read-only:
        users cannot be kept in it, so it is served only with ``public``).
    public
        Anonymous visitors may read (never edit, never see private fields).
    root_path
        The path the app is served under behind a reverse proxy (``/park``),
        whether the proxy strips it or not.
    secret_key
        Signs the session cookies; by default ``$PARKGIS_SECRET``, else a
        random key (sessions then end when the server restarts).
    poll_seconds
        How often an open map asks whether the park has changed.
    login_limit, login_window_s
        Failed sign-ins allowed per user name and per client address in the
        window (default 5 in 5 minutes).

    Raises
    ------
    InputError
        When the park cannot be read.
    """
    from itsdangerous import BadSignature, URLSafeTimedSerializer
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import (
        HTMLResponse,
        JSONResponse,
        RedirectResponse,
        Response,
    )
    from starlette.routing import Route

    state = ParkState(park_path)
    state.current()  # an unreadable park stops the server before it listens
    key = secret_key or os.environ.get("PARKGIS_SECRET") or secrets.token_hex(32)
    signer = URLSafeTimedSerializer(key, salt="parkgis-session")
    limiter = LoginLimiter(limit=login_limit, window_s=login_window_s)
    root = root_path.rstrip("/")

    # ------------------------------------------------------------------ per request

    class Ctx:
        """What a request carries: its session, user, language and snapshot."""

        def __init__(self, request: Request) -> None:
            self.request = request
            self.session: dict[str, Any] = {}
            raw = request.cookies.get(_COOKIE)
            if raw:
                try:
                    self.session = dict(signer.loads(raw, max_age=_SESSION_S))
                except BadSignature:
                    self.session = {}
            self.dirty = False
            self.user: User | None = None
            name = self.session.get("u")
            if name:
                self.user = find_user(state.path, str(name))
                if self.user is None:  # removed since: signed out
                    self.session.pop("u", None)
                    self.dirty = True
            asked = request.query_params.get("lang")
            self.lang_asked = asked if asked in ("zh", "en") else None
            cookie = request.cookies.get(_LANG_COOKIE)
            self.lang = self.lang_asked or (cookie if cookie in ("zh", "en") else "zh")

        @property
        def csrf(self) -> str:
            token = self.session.get("csrf")
            if not token:
                token = secrets.token_urlsafe(32)
                self.session["csrf"] = token
                self.dirty = True
            return str(token)

        @property
        def sees_private(self) -> bool:
            return self.user is not None and self.user.sees_private

        @property
        def may_read(self) -> bool:
            return self.user is not None or public

        def t(self, zh: str, en: str) -> str:
            return zh if self.lang == "zh" else en

        def finish(self, response: Response) -> Response:
            secure = self.request.url.scheme == "https"
            if self.dirty:
                response.set_cookie(
                    _COOKIE,
                    signer.dumps(self.session),
                    max_age=_SESSION_S,
                    path=(root or "") + "/",
                    httponly=True,
                    samesite="lax",
                    secure=secure,
                )
            if self.lang_asked:
                response.set_cookie(
                    _LANG_COOKIE, self.lang, max_age=365 * 86400, path=(root or "") + "/",
                    httponly=True, samesite="lax", secure=secure,
                )  # fmt: skip
            return response

        def page(
            self, template: str, snap: Snapshot, status: int = 200, **context: Any
        ) -> Response:
            context.setdefault("page_title", "")
            context.setdefault("query", "")
            html = render(
                template,
                lang=self.lang,
                root=root,
                user=self.user,
                csrf=self.csrf,
                version=_tag(snap),
                park_title=snap.park.manifest.display_name,
                **context,
            )
            return self.finish(HTMLResponse(html, status_code=status))

        def csrf_ok(self, form: Any) -> bool:
            given = self.request.headers.get("x-csrf-token") or (form or {}).get("csrf") or ""
            token = self.session.get("csrf")
            return bool(token) and hmac.compare_digest(str(given), str(token))

    async def open_ctx(request: Request, *, fresh: bool = True) -> tuple[Ctx, Snapshot]:
        ctx = await run_in_threadpool(Ctx, request)
        snap = await run_in_threadpool(state.current if fresh else state.latest)
        return ctx, snap

    def wants_json(request: Request) -> bool:
        return "application/json" in request.headers.get("accept", "")

    def unauthorised() -> Response:
        """The answer to a tool (JSON, a download) asking without signing in."""
        return JSONResponse({"error": "sign in first"}, status_code=401)

    def sign_in_first(ctx: Ctx, snap: Snapshot) -> Response:
        if wants_json(ctx.request) or ctx.request.url.path.endswith((".csv", ".xlsx")):
            return ctx.finish(unauthorised())
        target = ctx.request.url.path
        if ctx.request.url.query:
            target += "?" + ctx.request.url.query
        return ctx.finish(
            RedirectResponse(f"{root}/login?next={quote(target, safe='')}", status_code=303)
        )

    def refuse(ctx: Ctx, snap: Snapshot, status: int, zh: str, en: str) -> Response:
        if wants_json(ctx.request):
            return ctx.finish(JSONResponse({"error": ctx.t(zh, en)}, status_code=status))
        return ctx.page("error.html", snap, status, page_title=str(status), error=ctx.t(zh, en))

    def not_modified(request: Request, snap: Snapshot) -> Response | None:
        etag = f'"{_tag(snap)}"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return None

    # ------------------------------------------------------------------ reading pages

    async def home(request: Request) -> Response:
        ctx, snap = await open_ctx(request)
        if not ctx.may_read:
            return sign_in_first(ctx, snap)
        reading = snap.reading
        return ctx.page(
            "map.html",
            snap,
            page_title=ctx.t("地图", "Map"),
            summary=_summary(snap, ctx.lang),
            problems_line=reading.summary(ctx.lang),
            notes=reading.note_texts(ctx.lang),
            poll_ms=int(poll_seconds * 1000),
        )

    async def map_page(request: Request) -> Response:
        """The map, drawn once per generation (attribute edits reach it by ``/api/changes``)."""
        ctx, snap = await open_ctx(request)
        if not ctx.may_read:
            return sign_in_first(ctx, snap)
        page = await run_in_threadpool(live_map, snap, ctx.lang, ctx.sees_private)
        if request.headers.get("if-none-match") == page.etag:
            return Response(status_code=304, headers={"ETag": page.etag})
        headers = {
            "ETag": page.etag,
            "Cache-Control": "no-cache",
            "Content-Security-Policy": _MAP_CSP,
        }
        return ctx.finish(HTMLResponse(page.html, headers=headers))

    async def api_changes(request: Request) -> Response:
        """What an open map changes to show the park now (see :mod:`parkgis.serve.live`)."""
        ctx, snap = await open_ctx(request)
        if not ctx.may_read:
            return unauthorised()
        page = request.query_params.get("page", "")
        try:
            since = int(request.query_params.get("since", ""))
        except ValueError:
            since = -1
        body = await run_in_threadpool(
            lambda: map_changes(snap, page=page, since=since, lang=ctx.lang,
                                private=ctx.sees_private)
        )  # fmt: skip
        body["version"] = _tag(snap)
        return JSONResponse(body, headers={"Cache-Control": "no-cache"})

    async def api_version(request: Request) -> Response:
        ctx, snap = await open_ctx(request)
        if not ctx.may_read:
            return unauthorised()
        cached = not_modified(request, snap)
        if cached is not None:
            return cached
        return JSONResponse({"version": _tag(snap)}, headers={"ETag": f'"{_tag(snap)}"'})

    async def api_summary(request: Request) -> Response:
        ctx, snap = await open_ctx(request)
        if not ctx.may_read:
            return unauthorised()
        cached = not_modified(request, snap)
        if cached is not None:
            return cached
        body = {"version": _tag(snap), "summary": _summary(snap, ctx.lang)}
        return JSONResponse(body, headers={"ETag": f'"{_tag(snap)}"', "Cache-Control": "no-cache"})

    async def search(request: Request) -> Response:
        ctx, snap = await open_ctx(request)
        if not ctx.may_read:
            return sign_in_first(ctx, snap)
        query = request.query_params.get("q", "").strip()
        results = _search(snap, query, lang=ctx.lang, private=ctx.sees_private)
        if wants_json(request):
            return ctx.finish(JSONResponse({"query": query, "results": results}))
        return ctx.page(
            "search.html", snap, page_title=ctx.t("搜索", "Search"), query=query, results=results
        )

    async def parcel(request: Request) -> Response:
        ctx, snap = await open_ctx(request)
        if not ctx.may_read:
            return sign_in_first(ctx, snap)
        pid = request.path_params["pid"]
        message = None
        if request.query_params.get("recorded"):
            message = ctx.t("已记录变更", "Change recorded")
        return await run_in_threadpool(parcel_response, ctx, snap, pid, message, None, 200)

    def parcel_response(
        ctx: Ctx, snap: Snapshot, pid: str, message: str | None, error: str | None, status: int
    ) -> Response:
        info = _parcel_info(snap, pid, lang=ctx.lang, private=ctx.sees_private)
        if info is None:
            return refuse(ctx, snap, 404, f"没有地块 {pid!r}", f"no parcel {pid!r} in this park")
        if wants_json(ctx.request):
            body = {k: v for k, v in info.items() if k != "history"}
            body["history"] = info["history"]["records"]
            return ctx.finish(JSONResponse(_jsonable(body), status_code=status))
        can_edit = ctx.user is not None and ctx.user.can_edit and state.writable
        return ctx.page(
            "parcel.html",
            snap,
            status,
            page_title=pid,
            message=message,
            error=error,
            can_edit=can_edit,
            neighbours=_neighbours(snap, pid) if can_edit else [],
            edit_fields=[(f, _field_label(f, ctx.lang)) for f in _EDIT_FIELDS],
            edit_values=_edit_values(ctx.lang),
            project_choices=_project_choices(snap),
            today=dt.date.today().isoformat(),
            **info,
        )

    async def figures_index(request: Request) -> Response:
        ctx, snap = await open_ctx(request)
        if not ctx.may_read:
            return sign_in_first(ctx, snap)
        return ctx.page(
            "figures.html", snap, page_title=ctx.t("统计表", "Figures"),
            figure_list=_figure_list(ctx.lang), tables=[], notes=[], refused=None,
        )  # fmt: skip

    async def figure_page(request: Request) -> Response:
        from parkgis.serve.figures import FIGURES, figure_csv, figure_xlsx

        ctx, snap = await open_ctx(request)
        if not ctx.may_read:
            return sign_in_first(ctx, snap)
        name = request.path_params["name"]
        code, _, suffix = name.partition(".")
        if code not in FIGURES or suffix not in ("", "csv", "xlsx"):
            return refuse(ctx, snap, 404, f"没有统计表 {name!r}", f"no figures {name!r}")
        today = _today(request)
        fig = await run_in_threadpool(
            snap.derived, ("figure", code, ctx.lang, today, ctx.sees_private),
            lambda: _figure(snap, code, today, ctx.lang, ctx.sees_private),
        )  # fmt: skip
        if suffix and fig.refused:
            return refuse(ctx, snap, 409, fig.refused, fig.refused)
        if suffix == "csv":
            data = await run_in_threadpool(figure_csv, fig, ctx.lang)
            return ctx.finish(_download(data, f"{code}.csv", "text/csv; charset=utf-8"))
        if suffix == "xlsx":
            data = await run_in_threadpool(figure_xlsx, fig, ctx.lang)
            kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            return ctx.finish(_download(data, f"{code}.xlsx", kind))
        tables = [(title, _shown(frame, ctx.lang)) for title, frame in fig.tables]
        zh, en = FIGURES[code]
        return ctx.page(
            "figures.html", snap, page_title=ctx.t(zh, en), figure_list=_figure_list(ctx.lang),
            tables=tables, notes=fig.notes, refused=fig.refused,
        )  # fmt: skip

    async def brief_page(request: Request) -> Response:
        ctx, snap = await open_ctx(request)
        if not ctx.may_read:
            return sign_in_first(ctx, snap)
        return ctx.page(
            "brief.html", snap, page_title=ctx.t("简报", "Briefing"),
            brief_formats=_brief_formats(), export_formats=_EXPORTS,
        )  # fmt: skip

    async def brief_download(request: Request) -> Response:
        ctx, snap = await open_ctx(request)
        if not ctx.may_read:
            return sign_in_first(ctx, snap)
        fmt = request.query_params.get("format", "docx")
        formats = [code for code, _ in _brief_formats()]
        if fmt not in formats:
            return refuse(ctx, snap, 400, f"格式须为 {'、'.join(formats)} 之一",
                          f"format: one of {', '.join(formats)}")  # fmt: skip
        ids = [p.strip() for p in request.query_params.get("parcels", "").split(",") if p.strip()]
        try:
            data = await run_in_threadpool(
                _brief_bytes, snap, fmt, ids, ctx.lang, ctx.sees_private, _today(request)
            )
        except ParkgisError as exc:
            return refuse(ctx, snap, 400, exc.text("zh"), exc.text("en"))
        kinds = {
            "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "html": "text/html; charset=utf-8",
            "pdf": "application/pdf",
        }
        name = f"{snap.park.manifest.name}_brief.{fmt}"
        return ctx.finish(_download(data, name, kinds[fmt]))

    async def brief_export(request: Request) -> Response:
        ctx, snap = await open_ctx(request)
        if not ctx.may_read:
            return sign_in_first(ctx, snap)
        fmt = request.query_params.get("format", "")
        if fmt not in dict(_EXPORTS):
            codes = ", ".join(code for code, _ in _EXPORTS)
            return refuse(ctx, snap, 400, f"导出格式须为 {codes} 之一", f"format: one of {codes}")
        ids = [p.strip() for p in request.query_params.get("parcels", "").split(",") if p.strip()]
        try:
            data = await run_in_threadpool(
                _export_bytes, snap, fmt, ids, ctx.lang, ctx.sees_private, _today(request)
            )
        except ParkgisError as exc:
            return refuse(ctx, snap, 400, exc.text("zh"), exc.text("en"))
        name = f"{snap.park.manifest.name}_parcels.{fmt}"
        return ctx.finish(_download(data, name, _EXPORT_KINDS[fmt]))

    async def problems(request: Request) -> Response:
        ctx, snap = await open_ctx(request)
        if not ctx.may_read:
            return sign_in_first(ctx, snap)
        rows = [
            {"severity": p.severity, "code": p.code, "text": p.text(ctx.lang)}
            for p in snap.reading.problems
        ]
        return ctx.page("problems.html", snap, page_title=ctx.t("数据问题", "Problems"),
                        problems=rows)  # fmt: skip

    # ------------------------------------------------------------------ edits

    async def edit(
        request: Request, check: Callable[[Ctx, Any, dt.date, str, str | None], Any]
    ) -> Response:
        """An edit: signed in, editor, CSRF, date not in the future, a note; then ``check``.

        ``check(ctx, form, day, note, evidence)`` returns the error text, or
        the function that records the change (run in a worker thread). The
        body (an uploaded file) is read only for a signed-in editor, and the
        file is closed when the answer is made.
        """
        ctx, snap = await open_ctx(request, fresh=False)  # the store checks the change itself
        if ctx.user is None:
            return refuse(ctx, snap, 401 if not public else 403, "请先登录", "sign in first")
        if not ctx.user.can_edit:
            return refuse(ctx, snap, 403, "您的角色不能记录变更（需要编辑或管理员）",
                          "your role may not record changes (editor or admin needed)")  # fmt: skip
        length = request.headers.get("content-length") or "0"
        if length.isdigit() and int(length) > _PART_BYTES + (1 << 20):
            mb = _PART_BYTES >> 20
            return refuse(ctx, snap, 413, f"上传内容超过 {mb} MB", f"the upload exceeds {mb} MB")
        async with request.form(max_files=1) as form:
            return await edited(request, ctx, snap, form, check)

    async def edited(
        request: Request,
        ctx: Ctx,
        snap: Snapshot,
        form: Any,
        check: Callable[[Ctx, Any, dt.date, str, str | None], Any],
    ) -> Response:
        if not ctx.csrf_ok(form):
            return refuse(ctx, snap, 403, "请求缺少有效的 CSRF 令牌；请刷新页面后重试",
                          "missing or wrong CSRF token; reload the page and try again")  # fmt: skip
        if not state.writable:
            from parkgis.io.store import folder_write_error

            err = folder_write_error(Path(state.path))
            return refuse(ctx, snap, 409, err.text("zh"), err.text("en"))
        pid = request.path_params["pid"]
        note = str(form.get("note", "")).strip()
        evidence = str(form.get("evidence", "")).strip() or None
        error: Any = None
        day = None
        try:
            day = dt.date.fromisoformat(str(form.get("date", "")).strip())
        except ValueError:
            error = ctx.t("日期须写作 YYYY-MM-DD", "write the date as YYYY-MM-DD")
        if error is None and day is not None and day > dt.date.today():
            error = ctx.t(f"日期 {day} 在将来；只记录已发生的变更",
                          f"the date {day} is in the future; record what has happened")  # fmt: skip
        if error is None and not note:
            error = ctx.t("请填写说明（必填）", "a note is required")
        if error is None:
            assert day is not None
            error = check(ctx, form, day, note, evidence)
        if callable(error):
            try:
                events = await run_in_threadpool(error)
            except ParkgisError as exc:
                error = exc.text(ctx.lang)
            else:
                if wants_json(request):
                    rows = [e.to_record() for e in events]
                    return ctx.finish(JSONResponse({"events": rows}))
                seq = events[-1].seq if events else 0
                target = f"{root}/parcel/{quote(pid, safe='')}?recorded={seq}"
                born = [e.entity_id for e in events if e.field == "added"]
                if born:  # a split or a merge: the (first) new parcel
                    target = f"{root}/parcel/{quote(born[0], safe='')}?recorded={seq}"
                elif any(e.field == "retired" for e in events):
                    target = f"{root}/?retired={quote(pid, safe='')}"
                return ctx.finish(RedirectResponse(target, status_code=303))
        if wants_json(request):
            return ctx.finish(JSONResponse({"error": error}, status_code=400))
        snap = await run_in_threadpool(state.current)
        return await run_in_threadpool(parcel_response, ctx, snap, pid, None, error, 400)

    async def record_status(request: Request) -> Response:
        from parkgis.model.history import StatusChange

        def check(ctx: Ctx, form: Any, day: dt.date, note: str, evidence: str | None) -> Any:
            field = str(form.get("field", ""))
            value = str(form.get("value", "")).strip()
            if field not in _EDIT_FIELDS:
                return ctx.t(f"不能在此修改 {field!r}", f"{field!r} cannot be changed here")
            if not value:
                return ctx.t("请给出新值", "give the new value")
            assert ctx.user is not None
            change = StatusChange(
                request.path_params["pid"], field, value, date=day, by=ctx.user.name,
                entity="parcel", note=note, evidence=evidence,
                force=form.get("force") in ("1", "on", "true"),
            )  # fmt: skip
            return lambda: state.record([change])

        return await edit(request, check)

    async def record_project(request: Request) -> Response:
        def check(ctx: Ctx, form: Any, day: dt.date, note: str, evidence: str | None) -> Any:
            value = str(form.get("project_id", "")).strip() or None
            assert ctx.user is not None
            by = ctx.user.name
            pid = request.path_params["pid"]
            return lambda: state.record_parcel(
                pid, "project_id", value, date=day, by=by, note=note, evidence=evidence
            )

        return await edit(request, check)

    async def record_retired(request: Request) -> Response:
        def check(ctx: Ctx, form: Any, day: dt.date, note: str, evidence: str | None) -> Any:
            if form.get("confirm") not in ("1", "on", "true"):
                return ctx.t("请勾选确认注销", "tick the box to confirm the retirement")
            assert ctx.user is not None
            by = ctx.user.name
            pid = request.path_params["pid"]
            return lambda: state.record_parcel(
                pid, "retired", "true", date=day, by=by, note=note, evidence=evidence
            )

        return await edit(request, check)

    async def record_merge(request: Request) -> Response:
        def check(ctx: Ctx, form: Any, day: dt.date, note: str, evidence: str | None) -> Any:
            from parkgis.model.reshape import merge_parcels

            pid = request.path_params["pid"]
            others = [str(v).strip() for v in form.getlist("with")]
            others += [p for p in _split_ids(str(form.get("with_ids", ""))) if p not in others]
            ids = [pid, *[p for p in others if p and p != pid]]
            if len(ids) < 2:
                return ctx.t("请选择至少一宗与之合并的相邻地块", "choose at least one neighbouring "
                             "parcel to merge with")  # fmt: skip
            new_id = str(form.get("new_id", "")).strip()
            if not new_id:
                return ctx.t("请填写合并后的宗地号（新编号）", "give the merged parcel's id")
            name = str(form.get("new_name", "")).strip() or None
            assert ctx.user is not None
            by = ctx.user.name
            return lambda: state.record_reshape(
                lambda park: merge_parcels(park, ids, new_id, name=name),
                date=day, by=by, note=note, evidence=evidence,
            )  # fmt: skip

        return await edit(request, check)

    async def record_split(request: Request) -> Response:
        def check(ctx: Ctx, form: Any, day: dt.date, note: str, evidence: str | None) -> Any:
            upload = form.get("parts")
            name = str(getattr(upload, "filename", "") or "")
            suffix = Path(name).suffix.lower()
            if not name or suffix not in _PART_FILES:
                kinds = ", ".join(_PART_FILES)
                return ctx.t(f"请上传分宗测量成果文件（{kinds}）",
                             f"upload the survey of the parts ({kinds})")  # fmt: skip
            crs = str(form.get("crs", "")).strip() or None
            assert ctx.user is not None
            by = ctx.user.name
            pid = request.path_params["pid"]

            def record() -> Any:
                from parkgis.model.reshape import split_parcel

                parts = _read_parts(upload.file, suffix, crs)
                return state.record_reshape(
                    lambda park: split_parcel(park, pid, parts),
                    date=day, by=by, note=note, evidence=evidence,
                )  # fmt: skip

            return record

        return await edit(request, check)

    # ------------------------------------------------------------------ sign-in

    async def login(request: Request) -> Response:
        ctx, snap = await open_ctx(request, fresh=False)
        nxt = _local(request.query_params.get("next", ""), root)
        if request.method == "GET":
            return ctx.page("login.html", snap, page_title=ctx.t("登录", "Sign in"), next=nxt,
                            error=None)  # fmt: skip
        form = await request.form()
        nxt = _local(str(form.get("next", "")), root)
        if not ctx.csrf_ok(form):
            return refuse(ctx, snap, 403, "请求缺少有效的 CSRF 令牌；请刷新页面后重试",
                          "missing or wrong CSRF token; reload the page and try again")  # fmt: skip
        name = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        client = request.client.host if request.client else "?"
        keys = [f"user:{name}", f"ip:{client}"]
        wait = limiter.retry_after(keys)
        if wait is not None:
            response = ctx.page(
                "login.html", snap, 429, page_title=ctx.t("登录", "Sign in"), next=nxt,
                error=ctx.t(f"登录失败次数过多；请 {wait} 秒后再试",
                            f"too many failed sign-ins; try again in {wait} s"),
            )  # fmt: skip
            response.headers["Retry-After"] = str(wait)
            return response
        user = await run_in_threadpool(authenticate, state.path, name, password)
        if user is None:
            limiter.fail(keys)
            return ctx.page(
                "login.html", snap, 401, page_title=ctx.t("登录", "Sign in"), next=nxt,
                error=ctx.t("用户名或密码不正确", "wrong user name or password"),
            )  # fmt: skip
        limiter.clear(f"user:{name}")
        ctx.session = {"u": user.name, "csrf": secrets.token_urlsafe(32)}  # a new session
        ctx.dirty = True
        return ctx.finish(RedirectResponse(nxt or f"{root}/", status_code=303))

    async def logout(request: Request) -> Response:
        ctx, snap = await open_ctx(request, fresh=False)
        form = await request.form()
        if not ctx.csrf_ok(form):
            return refuse(ctx, snap, 403, "请求缺少有效的 CSRF 令牌", "missing or wrong CSRF token")
        ctx.session = {}
        ctx.dirty = True
        return ctx.finish(RedirectResponse(f"{root}/login", status_code=303))

    routes = [
        Route("/", home),
        Route("/map.html", map_page),
        Route("/api/version", api_version),
        Route("/api/summary", api_summary),
        Route("/api/changes", api_changes),
        Route("/search", search),
        Route("/parcel/{pid:path}/status", record_status, methods=["POST"]),
        Route("/parcel/{pid:path}/project", record_project, methods=["POST"]),
        Route("/parcel/{pid:path}/retire", record_retired, methods=["POST"]),
        Route("/parcel/{pid:path}/merge", record_merge, methods=["POST"]),
        Route("/parcel/{pid:path}/split", record_split, methods=["POST"]),
        Route("/parcel/{pid:path}", parcel),
        Route("/figures", figures_index),
        Route("/figures/{name}", figure_page),
        Route("/brief", brief_page),
        Route("/brief/download", brief_download),
        Route("/brief/export", brief_export),
        Route("/problems", problems),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.park = state
    app.state.limiter = limiter
    return _Wrapped(app, root)


class _Wrapped:
    """The app under ``root_path``, with the security headers on every response."""

    def __init__(self, app: Any, root: str) -> None:
        self.app = app
        self.root = root
        self.state = app.state

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket") and self.root:
            scope = {**scope, "root_path": self.root}

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _HEADERS if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --------------------------------------------------------------------------- helpers


def _tag(snap: Snapshot) -> str:
    return hashlib.sha1(snap.version.encode("utf-8")).hexdigest()[:16]


def _local(target: str, root: str) -> str:
    """A redirect target only when it is a path of this app (no other host)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target if not root or target.startswith(root) else root + target
    return ""


def _today(request: Any) -> dt.date:
    value = request.query_params.get("today")
    if value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    return dt.date.today()


def _download(data: bytes, name: str, kind: str) -> Any:
    from starlette.responses import Response

    disposition = f"attachment; filename=\"{_ascii(name)}\"; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=kind, headers={"Content-Disposition": disposition})


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)


def _field_label(name: str, lang: str) -> str:
    from parkgis.model.schema import field_label

    return field_label(name, lang)


def _value_label(field: str, value: Any, lang: str) -> Any:
    from parkgis.model.vocab import VOCABULARIES

    if value is None or (isinstance(value, float) and value != value):
        return None
    vocab = VOCABULARIES.get(field)
    if vocab is not None and isinstance(value, str) and value in vocab:
        return vocab.label(value, lang=lang)
    return value


def _edit_values(lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    from parkgis.model.vocab import VOCABULARIES

    return [
        (_field_label(f, lang), [(t.code, t.label(lang)) for t in VOCABULARIES[f]])
        for f in _EDIT_FIELDS
    ]


def _summary(snap: Snapshot, lang: str) -> list[dict[str, Any]]:
    """Parcels and mu by acquisition status, in the chain's order (what the legend counts)."""

    def make() -> list[dict[str, Any]]:
        from parkgis.model.vocab import ACQUISITION

        terms = list(ACQUISITION)
        codes = snap.status_codes()  # kept current by edits applied in memory
        area = snap.reading.area_mu.to_numpy(dtype=float)
        counts = np.bincount(codes, minlength=len(terms) + 1)
        sums = np.bincount(codes, weights=area, minlength=len(terms) + 1)
        rows = []
        for k, term in enumerate(terms):
            if counts[k]:
                rows.append({"code": term.code, "label": term.label(lang), "colour": term.colour,
                             "count": int(counts[k]), "mu": round(float(sums[k]), 2)})  # fmt: skip
        if counts[len(terms)]:
            rows.append({"code": "", "label": "其他" if lang == "zh" else "other",
                         "colour": "#cccccc", "count": int(counts[len(terms)]),
                         "mu": round(float(sums[len(terms)]), 2)})  # fmt: skip
        return rows

    return list(snap.derived(("summary", lang), make))


def _search(snap: Snapshot, query: str, *, lang: str, private: bool) -> list[dict[str, Any]]:
    """Parcels whose id, name, project (id or name) or — for ``private`` — owner fields match."""
    if not query:
        return []
    park = snap.park
    parcels = park.parcels
    needle = query.casefold()
    fields = [c for c in ("parcel_id", "name", "project_id") if c in parcels.columns]
    if private:
        fields += [c for c in park.manifest.private_fields if c in parcels.columns]
    projects = park.projects
    names: dict[str, str] = {}
    if "project_id" in projects.columns and "name" in projects.columns:
        names = {
            str(k): str(v)
            for k, v in zip(projects["project_id"], projects["name"], strict=True)
            if v is not None
        }
    columns = {c: parcels[c].astype(object).to_numpy() for c in fields}
    project_ids = columns.get("project_id")
    out = []
    for i in range(len(parcels)):
        matched = [c for c in fields if _has(columns[c][i], needle)]
        pid_project = project_ids[i] if project_ids is not None else None
        project_name = names.get(str(pid_project), "") if pid_project is not None else ""
        if project_name and needle in project_name.casefold():
            matched.append("project")
        if not matched:
            continue
        row = parcels.iloc[i]
        out.append(
            {
                "parcel_id": str(row.get("parcel_id", "")),
                "name": _text(row.get("name")),
                "status": _value_label("acquisition_status", row.get("acquisition_status"), lang),
                "project": " ".join(x for x in (_text(pid_project), project_name) if x),
                "matched": ", ".join(
                    _field_label(m, lang) if m != "project" else _field_label("project_id", lang)
                    for m in matched
                ),
            }
        )
        if len(out) >= _SEARCH_LIMIT:
            break
    return out


def _has(value: Any, needle: str) -> bool:
    return (
        value is not None
        and not (isinstance(value, float) and value != value)
        and (needle in str(value).casefold())
    )


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def _parcel_info(snap: Snapshot, pid: str, *, lang: str, private: bool) -> dict[str, Any] | None:
    """What the parcel page shows, or None for a parcel not in the park."""
    return snap.derived(
        ("parcel", pid, lang, private), lambda: _make_parcel(snap, pid, lang, private)
    )


def _make_parcel(snap: Snapshot, pid: str, lang: str, private: bool) -> dict[str, Any] | None:
    from parkgis.model.history import events_frame, events_of
    from parkgis.model.vocab import RESERVE_ROLE

    reading = snap.reading
    park = reading.park
    parcels = park.parcels
    at, measured_at = snap.positions()  # kept with the snapshot: no scan of the layer
    if pid not in at:
        return None
    row = parcels.iloc[at[pid]]
    hidden = set() if private else set(park.manifest.private_fields)
    fields = [
        (_field_label(c, lang), _value_label(c, row[c], lang))
        for c in parcels.columns
        if c != parcels.geometry.name and c not in hidden
    ]
    figures: list[tuple[str, Any]] = [
        (_field_label("declared_area_mu", lang), _number(row.get("declared_area_mu")))
    ]
    notes = []
    if pid in measured_at:
        where = measured_at[pid]
        land = snap.figures()  # of the whole park, made once per reading (parkgis.serve.land)
        figures.append((_field_label("area_mu", lang), float(reading.area_mu.iloc[where])))
        try:
            mine = land.of(where)
        except ParkgisError as exc:
            mine, notes = None, [*notes, exc.text(lang)]
        if mine is not None:
            role = mine["role"]
            figures += [
                (_field_label("constrained_mu", lang), float(mine["constrained_mu"])),
                (_field_label("net_mu", lang), float(mine["net_mu"])),
                (_field_label("role", lang),
                 RESERVE_ROLE.label(role, lang=lang) if role in RESERVE_ROLE else role),
                (_field_label("supply_mu", lang), float(mine["supply_mu"])),
                (_field_label("allocated_mu", lang), float(mine["allocated_mu"])),
            ]  # fmt: skip
        elif land.error is not None:
            notes.append(
                ("净用地与储备数字无法计算：" if lang == "zh" else
                 "net buildable and reserve figures cannot be given: ") + land.error.text(lang)
            )  # fmt: skip
    for note in reading.notes:
        if pid in note.parcel_ids:
            notes.append(note.text(lang))
    project = []
    project_id = _text(row.get("project_id"))
    projects = park.projects
    if project_id:
        found = snap.project_rows().get(project_id, [])
        if found:
            p = projects.iloc[found[0]]
            project = [
                (_field_label(c, lang), _value_label(c, p[c], lang)) for c in projects.columns
            ]
    events = events_frame(events_of(snap.events_of(pid)))
    records = events.to_dict(orient="records")
    shown = [
        [
            e["seq"],
            _field_label(str(e["field"]), lang),
            _value_label(str(e["field"]), e["from"], lang),
            _value_label(str(e["field"]), e["to"], lang),
            e["date"],
            e["by"],
            e["note"],
            e["evidence"],
            e["recorded_at"],
        ]
        for e in records
    ]
    headers = ["#", *[_field_label(c, lang) for c in ("field", "from", "to", "date", "by", "note",
                                                    "evidence", "recorded_at")]]  # fmt: skip
    return {
        "parcel_id": pid,
        "name": _text(row.get("name")),
        "fields": fields,
        "figures": figures,
        "parcel_notes": notes,
        "project": project,
        "history": {"headers": headers, "rows": shown, "records": records},
    }


def _number(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if out != out else out


def _project_choices(snap: Snapshot) -> list[tuple[str, str]]:
    """The park's projects as (id, "id name"), for the assignment form."""

    def make() -> list[tuple[str, str]]:
        projects = snap.park.projects
        if "project_id" not in projects.columns:
            return []
        names = projects["name"] if "name" in projects.columns else [None] * len(projects)
        return [
            (str(k), " ".join(x for x in (str(k), _text(n)) if x))
            for k, n in zip(projects["project_id"], names, strict=True)
            if _text(k)
        ]

    return list(snap.derived("projects", make))


def _brief_formats() -> list[tuple[str, str]]:
    """The briefing formats offered: Word and HTML, and PDF when WeasyPrint can be used."""
    formats = [("docx", "Word (.docx)"), ("html", "HTML")]
    try:
        from parkgis.brief.pdf import require_weasyprint

        require_weasyprint()
    except (ImportError, ParkgisError):
        return formats
    return [*formats, ("pdf", "PDF")]


def _neighbours(snap: Snapshot, pid: str) -> list[tuple[str, str]]:
    """The parcels that share a stretch of boundary with ``pid`` (for the merge form)."""
    import shapely

    _, measured_at = snap.positions()
    if pid not in measured_at:
        return []
    parcels = snap.reading.measured.parcels
    geoms = np.asarray(parcels.geometry.array, dtype=object)
    tree = snap.derived("sindex", lambda: shapely.STRtree(geoms))
    me = geoms[measured_at[pid]]
    out = []
    for k in sorted(int(i) for i in tree.query(me, predicate="intersects")):
        if k != measured_at[pid] and shapely.relate_pattern(me, geoms[k], "****1****"):
            row = parcels.iloc[k]
            out.append((_text(row.get("parcel_id")), _text(row.get("name"))))
    return out[:_NEIGHBOURS]


def _split_ids(text: str) -> list[str]:
    from parkgis.land.allocation import split_ids

    return split_ids(text)


def _read_parts(file: Any, suffix: str, crs: str | None) -> Any:
    """The parts of a split from an uploaded survey file, read as ``parkgis import`` reads one.

    Raises
    ------
    DataError
        For a feature that cannot be read (a part missed would be land missed),
        or a file without ids.
    """
    import shutil

    from parkgis.errors import DataError
    from parkgis.io.loose import read_split_parts

    with tempfile.TemporaryDirectory(prefix="parkgis-split-") as folder:
        path = Path(folder) / f"parts{suffix}"
        with open(path, "wb") as out:
            file.seek(0)
            shutil.copyfileobj(file, out, length=1 << 20)
            if out.tell() > _PART_BYTES:
                mb = _PART_BYTES >> 20
                raise DataError(f"the survey file is larger than {mb} MB",
                                zh=f"分宗文件超过 {mb} MB")  # fmt: skip
        return read_split_parts(path, crs=crs)


def _export_bytes(
    snap: Snapshot, fmt: str, ids: list[str], lang: str, private: bool, today: dt.date
) -> bytes:
    """The selected parcels (all when ``ids`` is empty) as ``parkgis export`` writes them."""
    from parkgis.check.reading import FIGURE_TABLES
    from parkgis.cli.checked import RefusedError
    from parkgis.io.export import export_reading

    reading = snap.reading
    blocking = reading.blocking(FIGURE_TABLES.get("export", FIGURE_TABLES["brief"]))
    if blocking:
        raise RefusedError(reading, "export", blocking)
    with tempfile.TemporaryDirectory(prefix="parkgis-export-") as folder:
        path = Path(folder) / f"parcels.{fmt}"
        export_reading(
            reading, path, parcel_ids=ids, include_private=private, lang=lang, produced_on=today
        )
        return path.read_bytes()


def _figure_list(lang: str) -> list[tuple[str, str]]:
    from parkgis.serve.figures import FIGURES

    return [(code, zh if lang == "zh" else en) for code, (zh, en) in FIGURES.items()]


def _figure(snap: Snapshot, code: str, today: dt.date, lang: str, private: bool) -> Any:
    from parkgis.serve.figures import figure

    return figure(code, snap.reading, today=today, lang=lang)


def _shown(frame: pd.DataFrame, lang: str) -> dict[str, Any]:
    """A table for a page: headers and codes as labels (as CSV and Excel have them)."""
    from parkgis.cli.land import _for_tools

    table = _for_tools(frame, lang)
    rows = [
        [None if (isinstance(v, float) and v != v) or v is pd.NA else v for v in r]
        for r in table.astype(object).itertuples(index=False, name=None)
    ]
    return {"headers": [str(c) for c in table.columns], "rows": rows}


def _brief_bytes(
    snap: Snapshot, fmt: str, ids: list[str], lang: str, private: bool, today: dt.date
) -> bytes:
    from parkgis.brief import brief_content, write_brief
    from parkgis.check.reading import FIGURE_TABLES
    from parkgis.cli.checked import RefusedError

    reading = snap.reading
    blocking = reading.blocking(FIGURE_TABLES["brief"])
    if blocking:
        raise RefusedError(reading, "brief", blocking)
    content = brief_content(
        public_park(reading.measured, private),
        today=today,
        parcels=ids or None,
        lang=lang,
        include_private=private,
        data_notes=reading.note_texts(lang),
    )
    with tempfile.TemporaryDirectory(prefix="parkgis-brief-") as folder:
        path = write_brief(content, Path(folder) / f"brief.{fmt}")
        return path.read_bytes()


def _jsonable(value: Any) -> Any:
    from parkgis.cli.common import to_jsonable

    return to_jsonable(value)
