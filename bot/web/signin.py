"""Signing in to the desk without a password: the single-use link from /console, or Telegram's
signed initData when the desk opens as a Mini App; and signing out.

Opening a link shows a button first and only its press (a POST) uses the link, so a preview or
a mail scanner that fetches the address cannot spend it.
"""

from __future__ import annotations

from datetime import UTC

from aiogram.utils.web_app import safe_parse_webapp_init_data
from aiohttp import web

from bot.people import desk_access
from bot.web.server import (
    PREFIX,
    Refused,
    SignInFirst,
    accept_locale,
    check_form,
    desk_of,
    redirect,
)

HOME = f"{PREFIX}/people"
MAX_INIT_DATA = 4096


async def home(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    async with desk.signed_in(request):
        pass
    return redirect(HOME)


async def link_page(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    token = request.query.get("t", "")
    async with desk.sessions() as session:
        locale = await desk_access.link_locale(session, token, desk.clock.now())
    if locale is None:
        return desk.render(request, "link_used.html", accept_locale(request), status=400)
    return desk.render(request, "sign_in.html", locale, token=token)


async def use_link(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    form = await request.post()
    token = str(form.get("t", ""))
    async with desk.sessions.begin() as session:
        signed = await desk_access.redeem_link(session, token, desk.clock.now())
    if signed is None:
        return desk.render(request, "link_used.html", accept_locale(request), status=400)
    response = redirect(HOME)
    desk.set_cookie(response, signed.token)
    return response


async def mini_app_page(request: web.Request) -> web.StreamResponse:
    """Telegram opens this inside its app; the page's script posts initData back to us."""
    return desk_of(request).render(request, "mini_app.html", accept_locale(request))


async def mini_app_sign_in(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    form = await request.post()
    init_data = str(form.get("init_data", ""))
    if not init_data or len(init_data) > MAX_INIT_DATA:
        raise Refused()
    try:
        data = safe_parse_webapp_init_data(desk.bot.token, init_data)
    except ValueError as exc:
        raise Refused() from exc
    if data.user is None:
        raise Refused()
    signed_at = data.auth_date if data.auth_date.tzinfo else data.auth_date.replace(tzinfo=UTC)
    async with desk.sessions.begin() as session:
        signed = await desk_access.sign_in_mini_app(
            session, data.user.id, signed_at, desk.clock.now()
        )
    if signed is None:
        raise SignInFirst()
    response = redirect(HOME)
    desk.set_cookie(response, signed.token)
    return response


async def sign_out(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    form = await request.post()
    async with desk.signed_in(request) as signed:
        check_form(request, signed, form)
        locale = signed.user.locale
        await desk_access.sign_out(signed.session, signed.token)
    response = desk.render(request, "signed_out.html", locale, bye=True)
    desk.clear_cookie(response)
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get(PREFIX, home)
    app.router.add_get(f"{PREFIX}/", home)
    app.router.add_get(f"{PREFIX}/signin", link_page)
    app.router.add_post(f"{PREFIX}/signin", use_link)
    app.router.add_get(f"{PREFIX}/app", mini_app_page)
    app.router.add_post(f"{PREFIX}/app", mini_app_sign_in)
    app.router.add_post(f"{PREFIX}/signout", sign_out)
