"""A place's moments on the desk, as the bot shows them: in the place's own clock (a workshop's
town, a counsellor's zone), with the place named when the reader lives by another clock."""

from __future__ import annotations

from datetime import datetime

from bot.i18n.formatting import fmt_datetime, zone_label
from bot.web.server import Desk


def zone_note(desk: Desk, zone: str, tz: str, locale: str) -> str:
    """ " (Sofia time)" when `zone` is not the reader's `tz`, else "": the bot's words
    (bot.booking.telegram.screens.zone_note) looked up in the desk's catalog."""
    if zone == tz:
        return ""
    return " " + desk.i18n.gettext("({place} time)", locale=locale).format(
        place=zone_label(zone, locale)
    )


def at(desk: Desk, value: datetime | None, zone: str, tz: str, locale: str) -> str:
    if value is None:
        return "—"
    return fmt_datetime(value, locale, zone) + zone_note(desk, zone, tz, locale)
