"""Counselling at the desk: counsellors (name, service, place, linked account), their weekly
hours as a week grid, time off (the people affected are listed before it is confirmed), the
week's appointments with attendance; a counsellor linked to an account sees their own day.

The rules are bot/booking/counselling.py, the ones the bot's counselling forms call: slots follow
the hours and time off at once, and people whose appointment is called off get the bot's
notice (a reminder row in the request's transaction, sent after the commit). The rules record
who changed what (counselling_changes, from the desk and the bot alike); the counsellor's page
shows it in the reader's language and time zone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.booking import attendance, counselling
from bot.booking import rules as booking
from bot.booking.models import Attendance, CounsellingChange
from bot.booking.telegram.screens import SERVICE_NAMES
from bot.booking.web import times
from bot.booking.web.staff import refuse, staff_form
from bot.i18n.formatting import fmt_clock, fmt_datetime, fmt_day, weekday_names
from bot.kit.errors import NotFound
from bot.kit.texts import N_
from bot.people import rules as people
from bot.people.models import Role, User
from bot.people.names import CITY_NAMES
from bot.people.profile import CITIES
from bot.web.server import (
    PREFIX,
    Desk,
    Posted,
    Signed,
    Undo,
    desk_form,
    desk_of,
    redirect,
    remember_locale,
    url_id,
)

BASE = f"{PREFIX}/counselling"
ONLINE = "online"
SLOT_CHOICES = (30, 45, 60, 90)
# The bot's words for them (bot/booking/telegram/staff_counselling.py).
REASONS = {"holiday": N_("Holiday"), "sick": N_("Sick day"), "other": N_("Other")}


# What each recorded change is called on the counsellor's page.
CHANGES = {
    "created": N_("Counsellor added"),
    "edited": N_("Details changed"),
    "active": N_("Taking appointments again"),
    "paused": N_("Paused"),
    "linked": N_("Linked to an account"),
    "unlinked": N_("No longer linked to an account"),
    "hours_added": N_("Weekly hours added"),
    "hours_removed": N_("Weekly hours removed"),
    "time_off": N_("Time off added"),
    "time_off_removed": N_("Time off removed"),
    "attendance": N_("Attendance marked"),
}
MARKS = {"attended": N_("Came"), "no_show": N_("Did not come"), "unmarked": N_("Not marked")}


def _number(raw: object) -> int | None:
    text = str(raw or "")
    return int(text) if text.isdigit() and len(text) < 12 else None


def _day(raw: object) -> date | None:
    try:
        return date.fromisoformat(str(raw or "")[:10])
    except ValueError:
        return None


def _clock(raw: object) -> time | None:
    try:
        return datetime.strptime(str(raw or "").strip(), "%H:%M").time()
    except ValueError:
        return None


def _names(locale: str) -> dict[str, Any]:
    return {
        "service_names": SERVICE_NAMES,
        "services": counselling.SERVICES,
        "city_names": CITY_NAMES,
        "cities": CITIES,
        "online": ONLINE,
        "reasons": REASONS,
        "weekdays": weekday_names(locale),
        "slot_choices": SLOT_CHOICES,
        "base": BASE,
        "clock": lambda value: fmt_clock(value, locale),
        "day_name": lambda value: fmt_day(value, locale),
        "marks": (Attendance.ATTENDED, Attendance.NO_SHOW),
    }


def _change_detail(desk: Desk, change: CounsellingChange, locale: str) -> str:
    """The recorded detail in the reader's words (see counselling.hours_detail and
    time_off_detail for how the rules write it); empty when there is none or it is unreadable."""

    def say(text: str) -> str:
        return str(desk.i18n.gettext(text, locale=locale))

    parts = change.detail.split()
    try:
        if change.action in ("hours_added", "hours_removed") and len(parts) == 4:
            start, end = time.fromisoformat(parts[1]), time.fromisoformat(parts[2])
            minutes = int(parts[3])
            length = desk.i18n.gettext("{n} minute", "{n} minutes", minutes, locale=locale)
            return (
                f"{weekday_names(locale)[int(parts[0]) % 7]} {fmt_clock(start, locale)}–"
                f"{fmt_clock(end, locale)} · {str(length).format(n=minutes)}"
            )
        if change.action in ("time_off", "time_off_removed") and len(parts) == 3:
            first, last = date.fromisoformat(parts[0]), date.fromisoformat(parts[1])
            reason = say(REASONS[parts[2]]) if parts[2] in REASONS else parts[2]
            return f"{fmt_day(first, locale)} – {fmt_day(last, locale)} · {reason}"
        if change.action == "attendance" and len(parts) == 2:
            return say(MARKS.get(parts[1], N_("Not marked")))
    except ValueError:
        return ""
    return ""


def _changes(
    desk: Desk, found: list[tuple[CounsellingChange, User | None]], locale: str, tz: str
) -> list[dict[str, str | None]]:
    return [
        {
            "when": fmt_datetime(change.created_at, locale, tz),
            "who": (person.display_name or "") if person is not None else None,
            "what": str(desk.i18n.gettext(CHANGES.get(change.action, "Changes"), locale=locale)),
            "detail": _change_detail(desk, change, locale),
        }
        for change, person in found
    ]


def _tz(request: web.Request, signed: Signed) -> str:
    return people.timezone_of(signed.user, desk_of(request).settings.timezone)


def _times(request: web.Request, signed: Signed, zone: str | None = None) -> dict[str, Any]:
    """`at(moment, zone)`: a counsellor's appointment in their clock, named when it is not the
    reader's; `zone_note`: " (Sofia time)" after the counsellor's hours, or ""."""
    desk, tz, locale = desk_of(request), _tz(request, signed), signed.user.locale

    def at(value: datetime | None, where: str | None = None) -> str:
        return times.at(desk, value, where or zone or tz, tz, locale)

    return {"at": at, "zone_note": times.zone_note(desk, zone or tz, tz, locale)}


async def counsellors(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    async with desk.signed_in(request) as signed:
        remember_locale(request, signed.user.locale)
        if signed.user.role != Role.STAFF:
            if await counselling.linked_counsellors(signed.session, signed.user):
                return redirect(f"{BASE}/mine")
            return refuse(request, signed) or redirect(f"{BASE}/mine")
        found = await counselling.all_counsellors(signed.session, signed.user)
        accounts = await counselling.linkable(signed.session, signed.user)
        return desk.render(
            request,
            "booking/counsellors.html",
            signed.user.locale,
            signed=signed,
            counsellors=found,
            accounts=accounts,
            problem=request.query.get("problem", "")[:16],
            mine=bool(await counselling.linked_counsellors(signed.session, signed.user)),
            **_names(signed.user.locale),
        )


@staff_form
async def create(p: Posted) -> web.StreamResponse:
    posted = p.form
    city = str(posted.get("city", ""))
    online = city == ONLINE
    place = " ".join(str(posted.get("place", "")).split())[:300] or None
    try:
        made = await counselling.create_counsellor(
            p.signed.session,
            p.signed.user,
            service=str(posted.get("service", "")),
            name=str(posted.get("name", ""))[:200],
            user_id=_number(posted.get("account")),
            city=None if online else (city or "?"),
            address=None if online else place,
            online_url=place if online else None,
            # Hours are kept in the place's clock (online: the staff member's), as the
            # bot's counsellor form does.
            timezone=counselling.town_zone(city, _tz(p.request, p.signed)),
            now=p.desk.clock.now(),
        )
    except ValueError:
        return redirect(f"{BASE}?problem=fields")
    return redirect(f"{BASE}/{made.id}")


async def counsellor_page(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    counsellor_id = url_id(request)
    async with desk.signed_in(request) as signed:
        if (refused := refuse(request, signed)) is not None:
            return refused
        found = await counselling.counsellor(signed.session, signed.user, counsellor_id)
        plan = await counselling.schedule(signed.session, counsellor_id)
        zone = ZoneInfo(found.timezone)
        today = desk.clock.now().astimezone(zone).date()
        first = _day(request.query.get("week")) or today
        first = first - timedelta(days=first.weekday())
        appointments = await counselling.bookings_between(
            signed.session, signed.user, counsellor_id, first, 7
        )
        days = [first + timedelta(days=n) for n in range(7)]
        by_day: dict[date, list[Any]] = {day: [] for day in days}
        for item, person, _c in appointments:
            by_day.setdefault(item.starts_at.astimezone(zone).date(), []).append((item, person))
        accounts = await counselling.linkable(signed.session, signed.user)
        history = await counselling.history(signed.session, signed.user, counsellor_id)
        reader_tz = signed.user.timezone or desk.settings.timezone
        return desk.render(
            request,
            "booking/counsellor.html",
            signed.user.locale,
            signed=signed,
            c=found,
            plan=plan,
            grid=[[h for h in plan.hours if h.weekday == n] for n in range(7)],
            days=days,
            by_day=by_day,
            now=desk.clock.now(),
            tz=found.timezone,
            **_times(request, signed, found.timezone),
            prev_week=(first - timedelta(days=7)).isoformat(),
            next_week=(first + timedelta(days=7)).isoformat(),
            accounts=accounts,
            changes=_changes(desk, history, signed.user.locale, reader_tz),
            done=request.query.get("done", "")[:16],
            problem=request.query.get("problem", "")[:16],
            back=f"{BASE}/{counsellor_id}?" + urlencode({"week": first.isoformat()}),
            **_names(signed.user.locale),
        )


def _back(counsellor_id: int, **query: str) -> web.Response:
    return redirect(f"{BASE}/{counsellor_id}?" + urlencode(query))


@staff_form
async def link_account(p: Posted) -> web.StreamResponse:
    account = _number(p.form.get("account"))
    await counselling.link(p.signed.session, p.signed.user, p.id, account, p.desk.clock.now())
    return _back(p.id, done="saved")


@staff_form
async def add_hours(p: Posted) -> web.StreamResponse:
    counsellor_id, posted = p.id, p.form
    await counselling.counsellor(p.signed.session, p.signed.user, counsellor_id)
    weekday = _number(posted.get("weekday"))
    start, end = _clock(posted.get("start")), _clock(posted.get("end"))
    minutes = _number(posted.get("slot"))
    if weekday is None or start is None or end is None or minutes is None:
        return _back(counsellor_id, problem="hours")
    ctx = booking.context_for(p.desk.settings, p.desk.clock)
    try:
        await counselling.add_hours(
            p.signed.session, p.signed.user, counsellor_id, weekday, start, end, minutes, ctx
        )
    except ValueError:
        return _back(counsellor_id, problem="hours")
    return _back(counsellor_id, done="saved")


@staff_form
async def remove_hours(p: Posted) -> web.StreamResponse:
    hours_id = p.ids["hid"]
    plan = await counselling.schedule(p.signed.session, p.id)
    if hours_id not in {h.id for h in plan.hours}:
        raise NotFound("hours")  # another counsellor's, or made up
    ctx = booking.context_for(p.desk.settings, p.desk.clock)
    await counselling.remove_hours(p.signed.session, p.signed.user, hours_id, ctx)
    return _back(p.id, done="saved")


@staff_form
async def time_off(p: Posted) -> web.StreamResponse:
    """First press: the people whose appointments it calls off; the second confirms."""
    counsellor_id, posted, signed = p.id, p.form, p.signed
    found = await counselling.counsellor(signed.session, signed.user, counsellor_id)
    first, last = _day(posted.get("first")), _day(posted.get("last"))
    reason = str(posted.get("reason", ""))
    ctx = booking.context_for(p.desk.settings, p.desk.clock)
    today = ctx.now.astimezone(ZoneInfo(found.timezone)).date()
    if first is None or reason not in counselling.TIME_OFF_REASONS or first < today:
        return _back(counsellor_id, problem="time_off")
    last = last or first
    if last < first:
        return _back(counsellor_id, problem="time_off")
    if posted.get("confirm") != "yes":
        affected = await counselling.affected_by_time_off(
            signed.session, signed.user, counsellor_id, first, last, ctx.now
        )
        return p.desk.render(
            p.request,
            "booking/time_off.html",
            signed.user.locale,
            signed=signed,
            c=found,
            first=first,
            last=last,
            reason=reason,
            affected=affected,
            tz=found.timezone,
            **_times(p.request, signed, found.timezone),
            **_names(signed.user.locale),
        )
    await counselling.add_time_off(
        signed.session, signed.user, counsellor_id, first, last, reason, ctx
    )
    return _back(counsellor_id, done="time_off")


@staff_form
async def remove_time_off(p: Posted) -> web.StreamResponse:
    off_id = p.ids["tid"]
    plan = await counselling.schedule(p.signed.session, p.id)
    if off_id not in {t.id for t in plan.time_off}:
        raise NotFound("time off")
    ctx = booking.context_for(p.desk.settings, p.desk.clock)
    await counselling.remove_time_off(p.signed.session, p.signed.user, off_id, ctx)
    return _back(p.id, done="saved")


async def my_day(request: web.Request) -> web.StreamResponse:
    """A counsellor's own appointments of one day (staff or a mentor linked to a counsellor)."""
    desk = desk_of(request)
    async with desk.signed_in(request) as signed:
        remember_locale(request, signed.user.locale)
        mine = await counselling.linked_counsellors(signed.session, signed.user)
        if not mine:
            return refuse(request, signed) or redirect(BASE)
        tz = _tz(request, signed)
        # Today by the counsellor's place, as their times are (each named when not the reader's).
        today, _zone = await counselling.counsellor_today(
            signed.session, signed.user, desk.clock.now()
        )
        day = _day(request.query.get("day")) or today
        found = await counselling.day_bookings(signed.session, signed.user, day)
        return desk.render(
            request,
            "booking/my_day.html",
            signed.user.locale,
            signed=signed,
            day=day,
            items=found,
            now=desk.clock.now(),
            tz=tz,
            **_times(request, signed),
            prev_day=(day - timedelta(days=1)).isoformat(),
            next_day=(day + timedelta(days=1)).isoformat(),
            back=f"{BASE}/mine?" + urlencode({"day": day.isoformat()}),
            **_names(signed.user.locale),
        )


@desk_form()  # staff, or the counsellor whose appointment it is (the rule checks which)
async def mark(p: Posted) -> web.StreamResponse:
    back = str(p.form.get("back", ""))
    if not back.startswith(f"{BASE}/") or "//" in back or len(back) > 200:
        back = BASE
    booking_id = _number(p.form.get("booking"))
    value = str(p.form.get("value", ""))
    if booking_id is None or value not in (Attendance.ATTENDED, Attendance.NO_SHOW):
        raise NotFound("booking")
    session, actor = p.signed.session, p.signed.user
    await counselling.counselling_booking(session, actor, booking_id)
    try:
        await attendance.mark(session, actor, booking_id, value, p.desk.clock.now())
    except ValueError as exc:  # it has not begun yet
        raise Undo(redirect(back + ("&" if "?" in back else "?") + "problem=early")) from exc
    return redirect(back)


def add_routes(app: web.Application) -> None:
    app.router.add_get(BASE, counsellors)
    app.router.add_post(BASE, create)
    app.router.add_get(f"{BASE}/mine", my_day)
    app.router.add_post(f"{BASE}/attendance", mark)
    app.router.add_get(f"{BASE}/{{id:\\d+}}", counsellor_page)
    app.router.add_post(f"{BASE}/{{id:\\d+}}/account", link_account)
    app.router.add_post(f"{BASE}/{{id:\\d+}}/hours", add_hours)
    app.router.add_post(f"{BASE}/{{id:\\d+}}/hours/{{hid:\\d+}}/remove", remove_hours)
    app.router.add_post(f"{BASE}/{{id:\\d+}}/time-off", time_off)
    app.router.add_post(f"{BASE}/{{id:\\d+}}/time-off/{{tid:\\d+}}/remove", remove_time_off)
