"""The dashboard's pages: HTTP in, server-rendered HTML out (no JavaScript), through `handlers.dashboard`.

Logging in is two steps on purpose: `GET /login/TOKEN` only shows a button, and the button's
`POST` uses the link. A link preview or a mail scanner that fetches the URL therefore never
spends it. Using it sets the session cookie (HttpOnly, SameSite=Lax, Max-Age of the session;
Secure when NHACVIEC_WEB_URL is https or the request came over HTTPS — through a trusted proxy's
X-Forwarded-Proto, see `bot.web.app`). Tries are rate-limited per client address.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.core.i18n import _, current_language, ngettext, use_language
from bot.core.reminders.chart_svg import COLOURS, digest_chart_svg
from bot.core.reminders.digest import STATES, percent, state_labels
from bot.core.reminders.messages import days_phrase, format_date
from bot.web.app import create_app
from bot.web.limits import RateLimit
from handlers import dashboard as service
from handlers.context import AppContext

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
COOKIE = "nhacviec_session"
LINK_TRIES = (10, 60.0)  # at most 10 link openings a minute per client address
PAGE_ROWS = 100  # a list shows this many occurrences a page: a phone page stays small


@dataclass(frozen=True)
class Paged:
    """One page of a long list, with the links to its neighbours (the query kept)."""

    rows: list[Any]
    page: int
    pages: int
    total: int
    previous: str | None
    next: str | None


def paged(rows: list[Any], request: Request) -> Paged:
    pages = max(1, -(-len(rows) // PAGE_ROWS))
    raw = request.query_params.get("page", "1")
    page = min(max(int(raw) if raw.isdigit() and len(raw) < 6 else 1, 1), pages)

    def link(number: int) -> str:
        params = {k: v for k, v in request.query_params.items() if k != "page"}
        params["page"] = str(number)
        return request.url.path + "?" + urlencode(params)

    return Paged(
        rows[(page - 1) * PAGE_ROWS : page * PAGE_ROWS],
        page,
        pages,
        len(rows),
        link(page - 1) if page > 1 else None,
        link(page + 1) if page < pages else None,
    )


def short_labels() -> dict[str, str]:
    """The four states in a phone-wide table's headers (the full names are in the cards above
    and in each header's tooltip)."""
    return {
        "done_on_time": _("Xong đúng hạn"),
        "done_late": _("Xong quá hạn"),
        "open_on_time": _("Trong hạn"),
        "open_late": _("Quá hạn"),
    }


def environment() -> Environment:
    """Templates autoescape everything (plan text is shown as text, never as HTML); `_` and
    `ngettext` are the catalogs' (bot.core.i18n), so pages speak the viewer's language."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(("html",)),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        _=_,
        ngettext=ngettext,
        STATES=STATES,
        COLOURS=COLOURS,
        state_labels=state_labels,
        short_labels=short_labels,
        percent=percent,
    )
    env.globals.update(quick_periods=quick_periods, chart=lambda digest: Markup(digest_chart_svg(digest)))
    env.filters.update(day=format_date, days=days_phrase)
    return env


@dataclass
class Dashboard:
    """The pages of one process, over its handlers' context."""

    ctx: AppContext
    secure_cookies: bool = False
    limiter: RateLimit | None = None

    def __post_init__(self) -> None:
        self.env = environment()
        self.limiter = self.limiter or RateLimit(*LINK_TRIES)

    # -- plumbing ------------------------------------------------------------------------------

    def page(self, name: str, *, status: int = 200, language: str | None = None, **values: Any) -> HTMLResponse:
        with use_language(language):
            html = self.env.get_template(name).render(today=self.ctx.today(), lang=current_language(), **values)
        return HTMLResponse(html, status_code=status)

    def sentence(self, text_of: Callable[[], str], status: int, *, language: str | None = None) -> HTMLResponse:
        """An error or notice page: one sentence (made in the page's language), no detail."""
        with use_language(language):
            text = text_of()
        return self.page("message.html", status=status, language=language, message=text, viewer=None)

    def error_page(self, request: Request, status: int) -> Response:
        messages = {
            404: lambda: _("Không có trang này (hoặc nó nằm ngoài phạm vi của bạn)."),
            405: lambda: _("Trang này không nhận yêu cầu kiểu đó."),
            500: lambda: _("Xin lỗi, đã có lỗi khi tạo trang này. Vui lòng thử lại sau."),
        }
        return self.sentence(messages.get(status, messages[500]), status if status in messages else 500)

    def _client(self, request: Request) -> str:
        return request.client.host if request.client else "?"

    def _secure(self, request: Request) -> bool:
        return self.secure_cookies or request.url.scheme == "https"

    async def viewer(self, request: Request) -> service.Viewer | None:
        return await service.session_viewer(self.ctx, request.cookies.get(COOKIE))

    def no_session(self) -> HTMLResponse:
        return self.sentence(
            lambda: _("Bạn chưa đăng nhập hoặc phiên đã hết hạn. Gõ /web trong chat với Nhắc Việc để nhận liên kết mới."),
            401,
        )

    # -- logging in and out -------------------------------------------------------------------

    def _link_refused(self, state: service.LinkState) -> HTMLResponse:
        if state.used:
            return self.sentence(lambda: _("Liên kết này đã được dùng. Gõ /web trong chat để nhận liên kết mới."), 410)
        if state.expired:
            return self.sentence(lambda: _("Liên kết này đã hết hạn (10 phút). Gõ /web trong chat để nhận liên kết mới."), 410)
        return self.sentence(lambda: _("Liên kết không đúng. Gõ /web trong chat để nhận liên kết mới."), 404)

    def _too_many(self) -> HTMLResponse:
        response = self.sentence(lambda: _("Bạn đã thử quá nhiều lần. Hãy đợi một phút rồi thử lại."), 429)
        response.headers["retry-after"] = "60"
        return response

    async def login_form(self, request: Request) -> Response:
        assert self.limiter is not None
        if not self.limiter.allow(self._client(request)):
            return self._too_many()
        token = request.path_params["token"]
        state = await service.link_state(self.ctx, token)
        if not state.known or state.used or state.expired:
            return self._link_refused(state)
        return self.page("login.html", token=token, viewer=None)

    async def login(self, request: Request) -> Response:
        assert self.limiter is not None
        if not self.limiter.allow(self._client(request)):
            return self._too_many()
        found = await service.redeem_link(self.ctx, request.path_params["token"])
        if isinstance(found, service.LinkState):
            return self._link_refused(found)
        response = RedirectResponse("/", status_code=303)
        seconds = int((found.expires_at - self.ctx.now()).total_seconds())
        response.set_cookie(
            COOKIE,
            found.session_token,
            max_age=max(seconds, 0),
            path="/",
            httponly=True,
            samesite="lax",
            secure=self._secure(request),
        )
        return response

    async def logout(self, request: Request) -> Response:
        await service.logout(self.ctx, request.cookies.get(COOKIE))
        response = self.sentence(lambda: _("Đã đăng xuất."), 200)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=self._secure(request))
        return response

    # -- pages --------------------------------------------------------------------------------

    async def _common(self, request: Request, viewer: service.Viewer) -> dict[str, Any]:
        filters = service.parse_filters(request.query_params)
        return {
            "viewer": viewer,
            "filters": filters,
            "choices": await service.plan_choices(self.ctx, viewer),
            "query": request.url.query,
            "path": request.url.path,
        }

    async def overview(self, request: Request) -> Response:
        viewer = await self.viewer(request)
        if viewer is None:
            return self.no_session()
        values = await self._common(request, viewer)
        found = await service.overview(self.ctx, viewer, values["filters"])
        return self.page(
            "overview.html",
            language=viewer.language,
            overview=found,
            **values,
        )

    async def unit(self, request: Request) -> Response:
        viewer = await self.viewer(request)
        if viewer is None:
            return self.no_session()
        values = await self._common(request, viewer)
        found = await service.unit_page(self.ctx, viewer, request.path_params["unit_id"], values["filters"])
        if found is None:
            return self.error_page(request, 404)
        return self.page("unit.html", language=viewer.language, unit=found, list=paged(found.rows, request), **values)

    async def due(self, request: Request) -> Response:
        viewer = await self.viewer(request)
        if viewer is None:
            return self.no_session()
        overdue = request.url.path.rstrip("/").endswith("overdue")
        values = await self._common(request, viewer)
        rows = await service.due_list(self.ctx, viewer, values["filters"], overdue=overdue)
        return self.page("due.html", language=viewer.language, list=paged(rows, request), overdue=overdue, **values)

    async def task(self, request: Request) -> Response:
        viewer = await self.viewer(request)
        if viewer is None:
            return self.no_session()
        found = await service.task_page(self.ctx, viewer, request.path_params["occurrence_id"])
        if found is None:
            return self.error_page(request, 404)
        return self.page("task.html", language=viewer.language, viewer=viewer, page=found, query="")

    async def plans(self, request: Request) -> Response:
        viewer = await self.viewer(request)
        if viewer is None:
            return self.no_session()
        values = await self._common(request, viewer)
        plans = await service.plans_of(self.ctx, viewer)
        return self.page("plans.html", language=viewer.language, plans=plans, **values)

    async def report(self, request: Request) -> Response:
        viewer = await self.viewer(request)
        if viewer is None:
            return self.no_session()
        filters = service.parse_filters(request.query_params)
        found = await service.report_file(
            self.ctx, viewer, request.path_params["agency_id"], filters, request.path_params["fmt"]
        )
        if found is None:
            return self.error_page(request, 404)
        return Response(
            found.content,
            media_type=found.media_type,
            headers={"content-disposition": f'attachment; filename="{found.name}"'},
        )

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.overview),
            Route("/unit/{unit_id:int}", self.unit),
            Route("/overdue", self.due),
            Route("/soon", self.due),
            Route("/plans", self.plans),
            Route("/task/{occurrence_id:int}", self.task),
            Route("/report/{agency_id:int}.{fmt:str}", self.report),
            Route("/login/{token:str}", self.login_form, methods=["GET"]),
            Route("/login/{token:str}", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]


def quick_periods(today: date) -> list[tuple[str, date, date]]:
    """Ready-made periods for the filter (this month, this quarter, this year)."""
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    quarter_start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    quarter_end_month = quarter_start.month + 2
    quarter_next = (
        date(today.year + 1, 1, 1) if quarter_end_month == 12 else date(today.year, quarter_end_month + 1, 1)
    )
    return [
        (_("Tháng này"), month_start, next_month - timedelta(days=1)),
        (_("Quý này"), quarter_start, quarter_next - timedelta(days=1)),
        (_("Năm nay"), date(today.year, 1, 1), date(today.year, 12, 31)),
    ]


def dashboard_app(ctx: AppContext, *, limiter: RateLimit | None = None) -> Any:
    """The whole web app of a process: today the dashboard (issue 30 adds its webhooks here)."""
    settings = ctx.settings
    secure = bool(settings.nhacviec_web_url and settings.nhacviec_web_url.startswith("https://"))
    board = Dashboard(ctx, secure_cookies=secure, limiter=limiter)
    return create_app(board.routes(), error_page=board.error_page, proxies=settings.web_proxies)
