"""Workshops and counselling hours are staff's. A mentor may use the desk: on these pages they
get a polite page saying so (403), not an error."""

from __future__ import annotations

from aiohttp import web

from bot.web.server import Signed, desk_form, remember_locale, staff_only

PAGE = "booking/staff_only.html"
staff_form = desk_form(PAGE)


def refuse(request: web.Request, signed: Signed) -> web.Response | None:
    """None for staff, else the page; the language of any later error page is the reader's."""
    remember_locale(request, signed.user.locale)
    return staff_only(request, signed, PAGE)
