"""The desk's assembly: one application with the server part's middleware, the sign-in routes
and each feature's pages (as bot/dispatcher.py joins the bot's routers)."""

from __future__ import annotations

from aiohttp import web

from bot.booking.web import pages as booking_pages
from bot.broadcasts.web import pages as announcement_pages
from bot.people.web import pages as people_pages
from bot.plans.web import pages as plan_pages
from bot.reports.web import pages as report_pages
from bot.web import signin
from bot.web.server import DESK_KEY, HERE, PREFIX, Desk, boundary


def create_app(desk: Desk, *, client_max_size: int = 1024**2) -> web.Application:
    """The bot's web application with the desk in it; the webhook is added by bot/app.py."""
    app = web.Application(middlewares=[boundary], client_max_size=client_max_size)
    app[DESK_KEY] = desk
    app.router.add_static(
        f"{PREFIX}/static/", HERE / "static", append_version=True, name="desk_static"
    )
    signin.add_routes(app)
    people_pages.add_routes(app)
    plan_pages.add_routes(app)
    announcement_pages.add_routes(app)
    booking_pages.add_routes(app)
    report_pages.add_routes(app)
    return app
