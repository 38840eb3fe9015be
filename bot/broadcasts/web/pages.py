"""Announcements at the desk (staff only): compose with a preview per language group, choose the
people with a live count, send now or schedule, then watch the delivery and download who did not
get it. The console only writes rows; the bot's sender delivers them, as for the bot's composer.

A photo is uploaded once to the author's own chat (after reading the form, with no database
transaction open) and the file Telegram keeps is what every reader gets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile
from aiohttp import web
from multidict import MultiDictProxy

from bot.booking import workshops as booking_workshops
from bot.booking.models import Workshop
from bot.broadcasts import audience as conditions
from bot.broadcasts import console
from bot.broadcasts import rules as broadcasts
from bot.broadcasts.models import EVERYONE, BroadcastStatus, ButtonKind
from bot.broadcasts.telegram import announcement
from bot.i18n.formatting import fmt_datetime, fmt_time, zone_label
from bot.i18n.locales import BG, EN, LANGUAGE_NAMES, LOCALES, SR_CYRL
from bot.kit.errors import NotAllowed, NotFound
from bot.kit.texts import N_, esc
from bot.people import profile
from bot.people.models import Role, User
from bot.people.names import CITY_NAMES, PROGRAMME_NAMES
from bot.web.server import (
    PREFIX,
    Desk,
    Posted,
    Signed,
    check_form,
    desk_form,
    desk_of,
    redirect,
    remember_locale,
    url_id,
)

log = logging.getLogger(__name__)

BASE = f"{PREFIX}/announcements"
TEXT_LOCALES = (SR_CYRL, BG, EN)
# The clock most readers of a language live by (English: nobody's in particular).
HOME_ZONES = {SR_CYRL: profile.BELGRADE, BG: profile.SOFIA}
ROLE_NAMES = {Role.YOUTH: N_("Young people"), Role.MENTOR: N_("Mentors"), Role.STAFF: N_("Staff")}
AT_FORMAT = "%Y-%m-%dT%H:%M"
HERE = Path(__file__).parent
STATUS_NAMES = {
    BroadcastStatus.DRAFT: N_("Draft"),
    BroadcastStatus.SCHEDULED: N_("Scheduled"),
    BroadcastStatus.SENDING: N_("Sending"),
    BroadcastStatus.DONE: N_("Sent"),
    BroadcastStatus.CANCELLED: N_("Cancelled"),
}


@dataclass
class FormState:
    """The form as the author left it, to show it again."""

    mode: str = "each"  # one text for everyone, or one per language
    texts: dict[str, str] = field(default_factory=dict)  # "all", "sr", "bg", "en"
    filters: conditions.Filters = field(default_factory=conditions.Filters)
    button: str = ""  # "", "url", "workshop"
    url: str = ""
    button_ws: str = ""
    when: str = "now"
    at: str = ""
    has_photo: bool = False


def _text(form: MultiDictProxy[Any], key: str, limit: int = 20000) -> str:
    value = form.get(key, "")
    return value[:limit] if isinstance(value, str) else ""


FILTER_FIELDS = ("role", "lang", "town", "prog", "mentor", "ws", "seat")
TEXT_LANGUAGES = {SR_CYRL: "Српски", BG: "Български", EN: "English"}


def parse_form(form: MultiDictProxy[Any], tz: str) -> tuple[FormState, console.Composed, bool]:
    """The form, what it asks for, and whether the time could be read."""
    button = _text(form, "button", 16)
    state = FormState(
        mode="one" if _text(form, "mode") == "one" else "each",
        texts={k: _text(form, f"text_{k}").replace("\r\n", "\n") for k in ("all", *TEXT_LOCALES)},
        filters=conditions.parse({k: _text(form, k, 64) for k in FILTER_FIELDS}),
        button=button if button in ("url", "workshop") else "",
        url=_text(form, "url", 600).strip(),
        button_ws=_text(form, "button_ws", 12),
        when="later" if _text(form, "when") == "later" else "now",
        at=_text(form, "at", 32),
        has_photo=_photo_field(form) is not None or _text(form, "photo_chosen", 4) == "1",
    )
    composed, readable = compose(state, tz)
    return state, composed, readable


def compose(state: FormState, tz: str) -> tuple[console.Composed, bool]:
    """What the form asks for, and whether its time could be read."""
    if state.mode == "one":
        texts = {EVERYONE: state.texts["all"]} if state.texts["all"].strip() else {}
    else:
        texts = {k: state.texts[k] for k in TEXT_LOCALES if state.texts[k].strip()}
    kind = {"url": ButtonKind.URL, "workshop": ButtonKind.WORKSHOP}.get(state.button)
    value = state.url if kind == ButtonKind.URL else state.button_ws
    send_at: datetime | None = None
    readable = True
    if state.when == "later":
        try:
            local = datetime.strptime(state.at, AT_FORMAT).replace(tzinfo=ZoneInfo(tz))
            send_at = local.astimezone(UTC)
        except ValueError:
            readable = False
    composed = console.Composed(texts, state.filters, kind, value, state.has_photo, send_at)
    return composed, readable


def _photo_field(form: MultiDictProxy[Any]) -> web.FileField | None:
    photo = form.get("photo")
    if isinstance(photo, web.FileField) and photo.filename:
        return photo
    return None


def author_tz(desk: Desk, user: User) -> str:
    return user.timezone or desk.settings.timezone


def workshop_time(
    desk: Desk, locale: str, tz: str
) -> Callable[[Workshop | broadcasts.WorkshopChoice], str]:
    """A workshop's start by its own clock, the place named when it is not the reader's (as
    the bot and the workshop pages show it)."""

    def at(workshop: Workshop | broadcasts.WorkshopChoice) -> str:
        zone = booking_workshops.zone_of(workshop, tz)
        shown = fmt_datetime(workshop.starts_at, locale, zone)
        if zone == tz:
            return shown
        return f"{shown} " + desk.i18n.gettext("({place} time)", locale=locale).format(
            place=zone_label(zone, locale)
        )

    return at


@dataclass
class Shown:
    """What the compose page shows besides the form: count, previews, problems."""

    by_locale: dict[str, int]
    previews: list[console.Preview]
    problems: list[str]


async def _shown(
    desk: Desk, signed: Signed, state: FormState, composed: console.Composed, readable: bool
) -> Shown:
    now = desk.clock.now()
    verdict = await console.check(signed.session, signed.user, composed, now)
    problems, by_locale = verdict.problems, verdict.by_locale
    if not readable:
        problems.append("when")
    speaker = broadcasts.announcement_signature(signed.user, composed.filters.programme)
    shown = console.previews(composed.texts, state.has_photo, by_locale, _bylines(desk, speaker))
    return Shown(by_locale, shown, problems)


def _bylines(desk: Desk, speaker: broadcasts.Signature) -> dict[str, str]:
    """The sender's first line in each reader's language, as the bot will write it."""
    lines = {}
    with desk.i18n.context():
        for locale in LOCALES:
            with desk.i18n.use_locale(locale):
                lines[locale] = announcement.signed(speaker)
    return lines


async def _render_compose(
    request: web.Request,
    desk: Desk,
    signed: Signed,
    state: FormState,
    shown: Shown | None,
    *,
    status: int = 200,
    notice: str = "",
) -> web.Response:
    session, actor = signed.session, signed.user
    now = desk.clock.now()
    tz = author_tz(desk, actor)
    offered = await console.workshops_to_offer(session, actor, now)
    mentors = await console.mentors(session, actor)
    return desk.render(
        request,
        "broadcasts/compose.html",
        actor.locale,
        status=status,
        signed=signed,
        form=state,
        shown=shown,
        notice=notice,
        workshops=offered,
        mentors=mentors,
        zone=zone_label(tz, actor.locale),
        earliest=datetime.fromtimestamp(console.earliest(now).timestamp(), ZoneInfo(tz)).strftime(
            AT_FORMAT
        ),
        wdate=lambda value: fmt_datetime(value, actor.locale, tz),
        wat=workshop_time(desk, actor.locale, tz),
        script=_script(request),
        **_names(),
    )


def _names() -> dict[str, Any]:
    return {
        "role_names": ROLE_NAMES,
        "programme_names": PROGRAMME_NAMES,
        "city_names": CITY_NAMES,
        "roles": list(Role),
        "programmes": profile.PROGRAMMES,
        "cities": profile.CITIES,
        "text_languages": TEXT_LANGUAGES,
        "language_names": LANGUAGE_NAMES,
        "seats": list(conditions.Seat),
        "max_text": broadcasts.MAX_TEXT,
        "max_caption": broadcasts.MAX_CAPTION,
        "status_names": STATUS_NAMES,
    }


def _script(request: web.Request) -> str:
    return str(request.app.router["announce_static"].url_for(filename="announce.js"))


async def list_page(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    async with desk.signed_in(request) as signed:
        remember_locale(request, signed.user.locale)
        found = await console.listed(signed.session, signed.user)
        return desk.render(
            request,
            "broadcasts/list.html",
            signed.user.locale,
            signed=signed,
            announcements=found,
            audience=lambda b: _audience_words(desk, signed.user.locale, b.audience_filters),
            **_names(),
        )


def _audience_words(desk: Desk, locale: str, stored: str | None) -> str:
    filters = conditions.decode(stored)
    gettext = desk.i18n.gettext
    parts = []
    if filters.role in ROLE_NAMES:
        parts.append(gettext(ROLE_NAMES[Role(filters.role)], locale=locale))
    if filters.language is not None:
        parts.append(LANGUAGE_NAMES.get(filters.language, filters.language).split(" (")[0])
    if filters.town in CITY_NAMES:
        parts.append(gettext(CITY_NAMES[filters.town or ""], locale=locale))
    if filters.programme in PROGRAMME_NAMES:
        parts.append(gettext(PROGRAMME_NAMES[filters.programme or ""], locale=locale))
    if filters.mentor is not None:
        parts.append(gettext("young people of one mentor", locale=locale))
    if filters.workshop is not None:
        parts.append(gettext("people of one workshop", locale=locale))
    return ", ".join(parts) or gettext("everyone", locale=locale)


async def new_page(request: web.Request) -> web.StreamResponse:
    """The empty form, or one filled in for a workshop (?workshop=id from its page)."""
    desk = desk_of(request)
    raw = request.query.get("workshop", "")
    async with desk.signed_in(request) as signed:
        remember_locale(request, signed.user.locale)
        console.require_staff(signed.user)
        state = FormState()
        shown = None
        if raw:
            if not raw.isdigit() or len(raw) > 11:
                raise NotFound("workshop")
            state = await _for_workshop(desk, signed, int(raw))
            composed, readable = compose(state, author_tz(desk, signed.user))
            shown = await _shown(desk, signed, state, composed, readable)
        return await _render_compose(request, desk, signed, state, shown)


async def _for_workshop(desk: Desk, signed: Signed, workshop_id: int) -> FormState:
    """Its title, time, place and description in each language, its "Book a seat" button, and
    its town, language and programme as the people to tell."""
    announced = await console.workshop_to_announce(signed.session, signed.user, workshop_id)
    workshop = announced.workshop
    # The workshop's own clock (16:00 in Sofia is 16:00 there), as the bot shows it.
    zone = booking_workshops.zone_of(workshop, author_tz(desk, signed.user))
    texts: dict[str, str] = {"all": ""}
    for locale in TEXT_LOCALES:
        title, description = console.workshop_text(announced, locale)
        gettext = desk.i18n.gettext
        when = gettext("{start}–{end}", locale=locale).format(
            start=fmt_datetime(workshop.starts_at, locale, zone),
            end=fmt_time(workshop.ends_at, locale, zone),
        )
        # One text reaches readers of a language wherever they live: the place is named
        # unless it keeps the clock most of them do (Serbian readers: Belgrade's).
        if zone != HOME_ZONES.get(locale):
            when += " " + gettext("({place} time)", locale=locale).format(
                place=zone_label(zone, locale)
            )
        if workshop.city is None:
            place = "💻 " + gettext(N_("Online"), locale=locale)
        else:
            town = gettext(CITY_NAMES.get(workshop.city, workshop.city), locale=locale)
            place = "📍 " + ", ".join([town] + ([workshop.address] if workshop.address else []))
        lines = [f"<b>{esc(title)}</b>", f"📅 {esc(when)}", esc(place)]
        body = "\n".join(lines)
        if description:
            body += "\n\n" + esc(description)
        texts[locale] = body
    return FormState(
        mode="each",
        texts=texts,
        filters=announced.filters,
        button="workshop",
        button_ws=str(workshop.id),
    )


async def _read_form(request: web.Request) -> MultiDictProxy[Any] | None:
    """The posted form; None when it is larger than the desk takes (a big photo)."""
    try:
        return await request.post()
    except web.HTTPRequestEntityTooLarge:
        return None


async def compose_post(request: web.Request) -> web.StreamResponse:
    """Count, Preview (without JavaScript) or Send/Schedule."""
    desk = desk_of(request)
    form = await _read_form(request)
    async with desk.signed_in(request) as signed:
        remember_locale(request, signed.user.locale)
        if form is None:
            # The CSRF token cannot be read either: nothing is done, the author is told.
            console.require_staff(signed.user)
            return await _render_compose(
                request, desk, signed, FormState(), None, status=413, notice="photo_big"
            )
        check_form(request, signed, form)
        console.require_staff(signed.user)
        tz = author_tz(desk, signed.user)
        state, composed, readable = parse_form(form, tz)
        photo = _photo_field(form)
        data = photo.file.read(console.MAX_PHOTO + 1) if photo is not None else b""
        shown = await _shown(desk, signed, state, composed, readable)
        if photo is not None and console.photo_kind(data) is None:
            shown.problems.append("photo")
        if form.get("do") != "send" or shown.problems:
            status = 422 if form.get("do") == "send" else 200
            return await _render_compose(request, desk, signed, state, shown, status=status)
        author = (signed.user.telegram_id, signed.user.locale)
    file_id = None
    if data:
        file_id = await _upload_photo(desk, author, data)
        if file_id is None:
            async with desk.signed_in(request) as signed:
                shown.problems.append("photo")
                return await _render_compose(request, desk, signed, state, shown, status=422)
    try:
        async with desk.signed_in(request) as signed:
            made = await console.create(
                signed.session, signed.user, composed, desk.clock.now(), file_id
            )
            broadcast_id = made.id
    except (broadcasts.Empty, broadcasts.TooLong, NotAllowed):
        # Something changed since the check (the last reader left, a time passed): the rows
        # were rolled back with the exception; the form says what is wrong now.
        async with desk.signed_in(request) as signed:
            shown = await _shown(desk, signed, state, composed, readable)
            return await _render_compose(request, desk, signed, state, shown, status=422)
    return redirect(f"{BASE}/{broadcast_id}")


async def _upload_photo(desk: Desk, author: tuple[int, str], data: bytes) -> str | None:
    """Sends the photo to the author's own chat once; Telegram's file is then sent to everyone."""
    chat_id, locale = author
    kind = console.photo_kind(data) or "jpg"
    caption = desk.i18n.gettext("🖼 The photo of your announcement from the desk.", locale=locale)
    try:
        message = await desk.bot.send_photo(
            chat_id, BufferedInputFile(data, filename=f"announcement.{kind}"), caption=caption
        )
    except TelegramAPIError as exc:
        log.info("announcement photo refused: %s", exc.message)
        return None
    return message.photo[-1].file_id if message.photo else None


async def check_json(request: web.Request) -> web.StreamResponse:
    """The live count and previews while the author types and chooses (the page's script)."""
    desk = desk_of(request)
    form = await _read_form(request)
    async with desk.signed_in(request) as signed:
        remember_locale(request, signed.user.locale)
        if form is None:
            raise NotFound("too large")
        check_form(request, signed, form)
        console.require_staff(signed.user)
        state, composed, readable = parse_form(form, author_tz(desk, signed.user))
        shown = await _shown(desk, signed, state, composed, readable)
        fragment = desk.render(
            request,
            "broadcasts/_shown.html",
            signed.user.locale,
            signed=signed,
            form=state,
            shown=shown,
            **_names(),
        )
        return web.json_response(
            {"total": sum(shown.by_locale.values()), "html": fragment.text},
            headers={"Cache-Control": "no-store"},
        )


async def detail_page(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    broadcast_id = url_id(request)
    async with desk.signed_in(request) as signed:
        remember_locale(request, signed.user.locale)
        found = await console.page(signed.session, signed.user, broadcast_id)
        progress = await console.progress(signed.session, signed.user, broadcast_id)
        tz = author_tz(desk, signed.user)
        return desk.render(
            request,
            "broadcasts/detail.html",
            signed.user.locale,
            signed=signed,
            page=found,
            progress=progress,
            previews=console.previews(
                found.texts,
                found.broadcast.photo_file_id is not None,
                {},
                _bylines(desk, await broadcasts.signature(signed.session, found.broadcast)),
            ),
            audience=_audience_words(desk, signed.user.locale, found.broadcast.audience_filters)
            if found.broadcast.audience_filters is not None
            else None,
            statuses=BroadcastStatus,
            stoppable=found.broadcast.status in STOPPABLE,
            done=request.query.get("done"),
            wdate=lambda value: fmt_datetime(value, signed.user.locale, tz) if value else "—",
            wat=workshop_time(desk, signed.user.locale, tz),
            zone=zone_label(tz, signed.user.locale),
            script=_script(request),
            **_names(),
        )


STOPPABLE = (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING)


async def stop_page(request: web.Request) -> web.StreamResponse:
    """Asks first: cancelling or stopping cannot be undone."""
    desk = desk_of(request)
    broadcast_id = url_id(request)
    async with desk.signed_in(request) as signed:
        remember_locale(request, signed.user.locale)
        found = await console.page(signed.session, signed.user, broadcast_id)
        if found.broadcast.status not in STOPPABLE:
            return redirect(f"{BASE}/{broadcast_id}")
        progress = await console.progress(signed.session, signed.user, broadcast_id)
        tz = author_tz(desk, signed.user)
        return desk.render(
            request,
            "broadcasts/stop.html",
            signed.user.locale,
            signed=signed,
            page=found,
            progress=progress,
            statuses=BroadcastStatus,
            wdate=lambda value: fmt_datetime(value, signed.user.locale, tz) if value else "—",
            zone=zone_label(tz, signed.user.locale),
            **_names(),
        )


@desk_form()
async def stop_post(p: Posted) -> web.StreamResponse:
    """Cancel (scheduled) or stop (sending) through the bot's rule; who did it is recorded."""
    session, actor = p.signed.session, p.signed.user
    found = await console.visible(session, actor, p.id)
    if found.status not in STOPPABLE:  # it finished, or someone else pressed first
        return redirect(f"{BASE}/{p.id}?done=already")
    stopped = await console.stop(session, actor, p.id, p.desk.clock.now())
    done = "cancelled" if stopped.status == BroadcastStatus.CANCELLED else "stopped"
    return redirect(f"{BASE}/{p.id}?done={done}")


async def progress_json(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    broadcast_id = url_id(request)
    async with desk.signed_in(request) as signed:
        found = await console.progress(signed.session, signed.user, broadcast_id)
        name = STATUS_NAMES.get(BroadcastStatus(str(found["status"])), "Sent")
        found["status_text"] = desk.i18n.gettext(name, locale=signed.user.locale)
    return web.json_response(found, headers={"Cache-Control": "no-store"})


async def failures_csv(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    broadcast_id = url_id(request)
    async with desk.signed_in(request) as signed:
        missed = await console.failures(signed.session, signed.user, broadcast_id)
        body = console.failures_csv(missed)
    return web.Response(
        body=body,
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": (
                f'attachment; filename="putokaz-not-delivered-{broadcast_id}.csv"'
            )
        },
    )


def add_routes(app: web.Application) -> None:
    app.router.add_static(
        f"{PREFIX}/static/announcements/",
        HERE / "static",
        append_version=True,
        name="announce_static",
    )
    app.router.add_get(BASE, list_page)
    app.router.add_get(f"{BASE}/new", new_page)
    app.router.add_post(f"{BASE}/new", compose_post)
    app.router.add_post(f"{BASE}/check", check_json)
    app.router.add_get(f"{BASE}/{{id:\\d+}}", detail_page)
    app.router.add_get(f"{BASE}/{{id:\\d+}}/stop", stop_page)
    app.router.add_post(f"{BASE}/{{id:\\d+}}/stop", stop_post)
    app.router.add_get(f"{BASE}/{{id:\\d+}}/progress", progress_json)
    app.router.add_get(f"{BASE}/{{id:\\d+}}/failures.csv", failures_csv)
