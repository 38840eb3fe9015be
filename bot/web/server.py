"""The desk's server part: the bot's own aiohttp application, its pages' language and layout,
the session cookie, CSRF on every form, and polite error pages.

Feature pages (bot/<feature>/web/) add their routes through `Desk`; they call the features'
rules, never the tables. Nothing here is fetched from the internet: templates and static files
ship in the package.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from aiogram import Bot
from aiogram.utils.i18n import I18n
from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.assessment.questionnaire import Questionnaires
from bot.booking.models import Counsellor
from bot.clock import Clock
from bot.config import Settings
from bot.db.engine import SessionFactory
from bot.i18n.formatting import fmt_change, fmt_date, fmt_datetime, fmt_number
from bot.i18n.locales import LANGUAGE_NAMES, guess_locale, is_known
from bot.kit.errors import NotAllowed, NotFound
from bot.people import desk_access
from bot.people.models import Role, User

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
PREFIX = "/desk"
COOKIE = "putokaz_desk"
SECURITY_HEADERS = {
    # Everything from here; inline scripts and styles are not run. Telegram may frame the
    # pages as a Mini App in its web clients.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'self' https://web.telegram.org"
    ),
    "X-Content-Type-Options": "nosniff",
    # A sign-in link's token never travels on to another site.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def accept_locale(request: web.Request) -> str:
    """Before sign-in: the browser's first language that Putokaz speaks, else English."""
    for part in request.headers.get("Accept-Language", "").split(","):
        code = part.split(";")[0].strip()
        if code.lower().startswith("sr") and "latn" in code.lower():
            return "sr_Latn"
        if code and guess_locale(code) != "en":
            return guess_locale(code)
        if code.lower().startswith("en"):
            return "en"
    return "en"


@dataclass
class Signed:
    """The signed-in person of a request and the request's unit of work."""

    session: AsyncSession
    user: User
    token: str
    # Linked to a counsellor's hours: the nav shows them Counselling (staff see it anyway).
    counsellor: bool = False

    @property
    def csrf(self) -> str:
        return desk_access.csrf_token(self.token)


@dataclass
class Desk:
    settings: Settings
    sessions: SessionFactory
    clock: Clock
    i18n: I18n
    bot: Bot
    questionnaires: Questionnaires
    templates: jinja2.Environment = field(init=False)

    def __post_init__(self) -> None:
        loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(HERE / "templates")]
        for feature in ("people", "plans", "booking", "broadcasts", "reports"):
            loaders.append(
                jinja2.PrefixLoader(
                    {feature: jinja2.FileSystemLoader(HERE.parent / feature / "web" / "templates")}
                )
            )
        self.templates = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    @property
    def idle(self) -> timedelta:
        return timedelta(hours=self.settings.web_session_idle_hours)

    # Rendering

    def render(
        self,
        request: web.Request,
        template: str,
        locale: str,
        *,
        status: int = 200,
        signed: Signed | None = None,
        **values: Any,
    ) -> web.Response:
        if not is_known(locale):
            locale = "en"
        tz = self.settings.timezone

        def gettext(text: str) -> str:
            return self.i18n.gettext(text, locale=locale)

        def ngettext(singular: str, plural: str, n: int) -> str:
            return self.i18n.gettext(singular, plural, n, locale=locale)

        html = self.templates.get_template(template).render(
            _=gettext,
            ngettext=ngettext,
            locale=locale,
            html_lang=locale.replace("_", "-"),
            prefix=PREFIX,
            me=signed.user if signed else None,
            sees_counselling=signed.counsellor if signed else False,
            csrf=signed.csrf if signed else "",
            date=lambda value: fmt_date(value, locale, tz) if value else "—",
            datetime=lambda value: fmt_datetime(value, locale, tz) if value else "—",
            # Numbers as the language writes them ("3,5" in Serbian and Bulgarian).
            number=lambda value, digits=None: fmt_number(value, locale, digits),
            change=lambda value, digits=1: fmt_change(value, locale, digits),
            language_name=lambda code: LANGUAGE_NAMES.get(code, code),
            path=request.path,
            static=lambda name: str(request.app.router["desk_static"].url_for(filename=name)),
            **values,
        )
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    def not_found(self, request: web.Request, locale: str) -> web.Response:
        return self.render(request, "not_found.html", locale, status=404)

    # Sessions

    @asynccontextmanager
    async def signed_in(self, request: web.Request) -> AsyncIterator[Signed]:
        """The request's unit of work with its signed-in person; a page for everyone else.

        Commits at the end. Nothing that waits on Telegram may run inside it.
        """
        token = request.cookies.get(COOKIE)
        async with self.sessions.begin() as session:
            user = await desk_access.signed_in_user(session, token, self.clock.now(), self.idle)
            if user is None or token is None:
                await session.commit()
                raise SignInFirst()
            counsellor = user.role == Role.STAFF or bool(
                await session.scalar(select(exists().where(Counsellor.user_id == user.id)))
            )
            yield Signed(session, user, token, counsellor)

    def set_cookie(self, response: web.StreamResponse, token: str) -> None:
        response.set_cookie(
            COOKIE,
            token,
            path=PREFIX,
            httponly=True,
            samesite="Lax",
            secure=self.settings.desk_https,
        )

    def clear_cookie(self, response: web.StreamResponse) -> None:
        response.del_cookie(COOKIE, path=PREFIX)


class SignInFirst(Exception):
    """No open session: the page says how to get a sign-in link."""


class Refused(Exception):
    """A form without its CSRF token, or posted from another site."""


DESK_KEY = web.AppKey("desk", Desk)
# The signed-in person's language, for an error page raised after sign-in.
LOCALE_KEY = web.RequestKey("locale", str)


def remember_locale(request: web.Request, locale: str) -> None:
    request[LOCALE_KEY] = locale


def redirect(location: str) -> web.Response:
    """See other: after a form, the browser asks for the page again (a reload posts nothing)."""
    return web.Response(status=303, headers={"Location": location})


def desk_of(request: web.Request) -> Desk:
    return request.app[DESK_KEY]


def check_form(request: web.Request, signed: Signed, form: Any) -> None:
    """Every POST of a signed-in person carries the session's CSRF token."""
    if not desk_access.csrf_ok(signed.token, form.get("csrf")):
        raise Refused()


MAX_ID = 2**31 - 1  # the tables' ids are 32-bit


def url_id(request: web.Request, key: str = "id") -> int:
    """An id from the address. One no row can have is a missing page: PostgreSQL would refuse
    it as a query's argument."""
    raw = request.match_info[key]
    number = int(raw) if len(raw) <= len(str(MAX_ID)) else MAX_ID + 1
    if number > MAX_ID:
        raise NotFound(key)
    return number


def staff_only(request: web.Request, signed: Signed, page: str) -> web.Response | None:
    """None for staff. A mentor may use the desk but not a staff page: `page` with 403, a
    polite page rather than an error."""
    if signed.user.role == Role.STAFF:
        return None
    return desk_of(request).render(request, page, signed.user.locale, status=403, signed=signed)


FormData = MultiDictProxy[str | bytes | bytearray | web.FileField]


@dataclass(frozen=True)
class Posted:
    """A desk form as its handler gets it: signed in, its CSRF token checked, inside the
    request's unit of work. `ids` are the numbers in the address (each route's part is one)."""

    request: web.Request
    desk: Desk
    signed: Signed
    form: FormData
    ids: dict[str, int]

    @property
    def id(self) -> int:
        return self.ids["id"]


class Undo(Exception):
    """A form handler's way out: what it wrote is rolled back and `answer` is sent."""

    def __init__(self, answer: web.StreamResponse) -> None:
        super().__init__()
        self.answer = answer


# What a form's handler returns: the answer, or what to do once its unit of work is committed
# (a Bot API call waits for no open transaction) that gives the answer.
AfterCommit = Callable[[], Awaitable[web.StreamResponse]]
FormHandler = Callable[[Posted], Awaitable[web.StreamResponse | AfterCommit]]


def desk_form(staff_page: str | None = None) -> Callable[[FormHandler], Handler]:
    """The start every desk form's POST shares: the ids from the address (a missing page for
    one no row can have), the posted form, the signed-in person (any error page then in their
    language), staff only where a `staff_page` is given (what anyone else gets), and the CSRF
    token. The handler runs in the request's unit of work; it may raise `Undo`, or return
    what to do after the commit."""

    def wrap(body: FormHandler) -> Handler:
        @functools.wraps(body)
        async def handler(request: web.Request) -> web.StreamResponse:
            desk = desk_of(request)
            ids = {key: url_id(request, key) for key in request.match_info}
            form = await request.post()
            try:
                async with desk.signed_in(request) as signed:
                    remember_locale(request, signed.user.locale)
                    if staff_page is not None:
                        refused = staff_only(request, signed, staff_page)
                        if refused is not None:
                            return refused
                    check_form(request, signed, form)
                    answer = await body(Posted(request, desk, signed, form, ids))
            except Undo as undo:
                return undo.answer
            return answer if isinstance(answer, web.StreamResponse) else await answer()

        return handler

    return wrap


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


@web.middleware
async def boundary(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on every answer; localized pages for a refusal, a missing page or a
    missing session."""
    desk = desk_of(request)
    if not request.path.startswith(PREFIX):
        return await handler(request)
    locale = accept_locale(request)
    try:
        if request.method == "POST" and not _same_origin(request):
            raise Refused()
        response = await handler(request)
    except SignInFirst:
        response = desk.render(request, "signed_out.html", locale, status=401)
        desk.clear_cookie(response)
    except Refused:
        response = desk.render(request, "refused.html", locale, status=403)
    except (NotFound, NotAllowed):
        response = desk.not_found(request, request.get(LOCALE_KEY, locale))
    except web.HTTPNotFound:
        response = desk.not_found(request, request.get(LOCALE_KEY, locale))
    except web.HTTPMethodNotAllowed:
        response = desk.not_found(request, locale)
    for name, value in SECURITY_HEADERS.items():
        # A handler that chose how its answer is cached (a private, revalidated chart) keeps it.
        if name != "Cache-Control" or name not in response.headers:
            response.headers[name] = value
    return response


async def start(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serves `app`; the port it got (0 asks for any free one)."""
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = int(sockets[0].getsockname()[1]) if sockets else port
    return runner, bound
