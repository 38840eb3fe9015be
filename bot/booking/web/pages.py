"""Workshops at the desk: the list (filters, fill level, pages counted in the database), the
create and edit form, a workshop's page (participants, waitlist, attendance, exports, history),
cancelling, and the YAML/CSV import with a dry run first.

Staff only: a mentor who opens these pages gets a polite page saying so. Each handler parses,
calls the rules of bot/booking (the same the bot's staff screens call) and renders. Nothing here
sends a Telegram message: the rules write the booking notices (cancelled, fewer seats, a seat
given) as rows of the reminders table in the request's transaction, and the bot's reminder
sender delivers them once it is committed, in each person's language.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiMapping

from bot.booking import attendance, workshop_import, workshops
from bot.booking import rules as booking
from bot.booking.models import Attendance, BookingStatus, WorkshopStatus
from bot.booking.telegram.screens import KIND_NAMES
from bot.booking.web import counselling as counselling_pages
from bot.booking.web import times
from bot.booking.web.staff import refuse, staff_form
from bot.i18n.formatting import zone_label
from bot.i18n.latin import to_latin
from bot.i18n.locales import BG, EN, SR_CYRL
from bot.kit.data_files import Limits, Problem
from bot.kit.errors import NotFound
from bot.people import rules as people
from bot.people.models import User
from bot.people.names import CITY_NAMES, PROGRAMME_NAMES
from bot.people.profile import CITIES, PROGRAMMES
from bot.plans.reminders import to_utc
from bot.web.server import (
    PREFIX,
    AfterCommit,
    Desk,
    FormData,
    Posted,
    Signed,
    Undo,
    desk_of,
    redirect,
    remember_locale,
    url_id,
)

BASE = f"{PREFIX}/workshops"
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # <input type="datetime-local">
# The upload comes back with the confirmation as base64 in a hidden field: the file, its
# encoding and the form must fit the desk's request limit (1 MiB).
UPLOAD_LIMIT = 600 * 1024
WEB_LIMITS = Limits(max_bytes=UPLOAD_LIMIT, max_rows=workshop_import.LIMITS.max_rows)
TEXT_LANGUAGES = (SR_CYRL, BG, EN)


def _names() -> dict[str, Any]:
    return {
        "kind_names": KIND_NAMES,
        "kinds": workshops.KINDS,
        "city_names": CITY_NAMES,
        "cities": CITIES,
        "programme_names": PROGRAMME_NAMES,
        "programmes": PROGRAMMES,
        "online": workshops.ONLINE,
        "text_languages": TEXT_LANGUAGES,
        "base": BASE,
    }


def _number(raw: object) -> int | None:
    text = str(raw or "")
    return int(text) if text.isdigit() and len(text) < 12 else None


def _tz(desk: Desk, signed: Signed) -> str:
    return people.timezone_of(signed.user, desk.settings.timezone)


def _local(value: datetime, tz: str) -> str:
    return value.astimezone(ZoneInfo(tz)).strftime(LOCAL_INPUT)


def _times(desk: Desk, signed: Signed) -> dict[str, Any]:
    """What the templates show a workshop's moments with: in the workshop's own clock (its
    town's, or the author's for online), the zone named when it is not the staff member's."""
    tz, locale = _tz(desk, signed), signed.user.locale

    def at(workshop: Any, value: datetime | None) -> str:
        return times.at(desk, value, workshops.zone_of(workshop, tz), tz, locale)

    return {"at": at, "my_zone": zone_label(tz, locale)}


# The list


def parse_filters(query: MultiMapping[str]) -> tuple[workshops.Filters, int, dict[str, str]]:
    """The filters from the address; anything unknown is ignored, never an error."""
    city = query.get("town", "")
    kind = query.get("type", "")
    programme = query.get("programme", "")
    filters = workshops.Filters(
        city=city if city in CITIES or city == workshops.ONLINE else "",
        kind=kind if kind in workshops.KINDS else "",
        programme=programme if programme in PROGRAMMES else "",
        past=query.get("when") == "past",
    )
    page = query.get("page", "1")
    number = int(page) - 1 if page.isdigit() and len(page) < 7 else 0
    kept = {
        "town": filters.city,
        "type": filters.kind,
        "programme": filters.programme,
        "when": "past" if filters.past else "",
    }
    return filters, number, {k: v for k, v in kept.items() if v}


async def workshop_list(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    filters, page, kept = parse_filters(request.query)
    async with desk.signed_in(request) as signed:
        if (refused := refuse(request, signed)) is not None:
            return refused
        listing = await workshops.desk_listing(
            signed.session, signed.user, filters, page, desk.clock.now()
        )

        def page_url(number: int) -> str:
            return f"{BASE}?" + urlencode({**kept, "page": number + 1})

        return desk.render(
            request,
            "booking/list.html",
            signed.user.locale,
            signed=signed,
            listing=listing,
            **_times(desk, signed),
            kept=kept,
            page_url=page_url,
            **_names(),
        )


# The form


@dataclass
class Form:
    """What the form shows: the raw values typed, and a problem per field."""

    values: dict[str, str]
    languages: set[str]
    problems: dict[str, str] = field(default_factory=dict)
    zone: str = ""  # the zone its times are in, once the town is known


FIELDS = (
    "kind", "title", "description", "city", "address", "online_url", "starts", "ends",
    "capacity", "closes", "programme",
    *(f"{what}_{code}" for code in TEXT_LANGUAGES for what in ("title", "description")),
)  # fmt: skip


def _blank_form(now: datetime, tz: str) -> Form:
    start = (
        (now + timedelta(days=7))
        .astimezone(ZoneInfo(tz))
        .replace(hour=14, minute=0, second=0, microsecond=0)
    )
    values = dict.fromkeys(FIELDS, "")
    values.update(
        kind=workshops.KINDS[0],
        starts=start.strftime(LOCAL_INPUT),
        ends=(start + timedelta(hours=2)).strftime(LOCAL_INPUT),
        closes=(start - workshops.DEFAULT_CUTOFF).strftime(LOCAL_INPUT),
        capacity="12",
    )
    return Form(values, set(), zone=tz)


def _form_of(
    workshop: Any, texts: list[Any], staff_tz: str
) -> Form:  # Workshop, WorkshopText: loaded rows
    """The workshop's times as its own clock shows them: what staff type back is read so."""
    tz = workshops.zone_of(workshop, staff_tz)
    values = dict.fromkeys(FIELDS, "")
    values.update(
        kind=workshop.kind,
        title=workshop.title,
        description=workshop.description or "",
        city=workshop.city or workshops.ONLINE,
        address=workshop.address or "",
        online_url=workshop.online_url or "",
        starts=_local(workshop.starts_at, tz),
        ends=_local(workshop.ends_at, tz),
        closes=_local(workshop.closes_at, tz),
        capacity=str(workshop.capacity),
        programme=workshop.programme or "",
    )
    for text in texts:
        values[f"title_{text.locale}"] = text.title
        values[f"description_{text.locale}"] = text.description or ""
    languages = {code for code in workshop.languages.split(",") if code}
    return Form(values, languages, zone=tz)


def _read_form(posted: MultiMapping[Any]) -> Form:
    values = {name: str(posted.get(name, ""))[:4000] for name in FIELDS}
    languages = {str(code) for code in posted.getall("languages", []) if code in TEXT_LANGUAGES}
    return Form(values, languages)


def _moment(text: str, tz: str) -> datetime | None:
    try:
        return to_utc(datetime.strptime(text.strip(), LOCAL_INPUT), tz)
    except ValueError:
        return None


def _author_zone(staff_tz: str, workshop: Any = None) -> str:
    """Whose clock an online workshop keeps: the one it was made in, else the staff member's."""
    if workshop is not None and workshop.city is None and workshop.timezone:
        return str(workshop.timezone)
    return staff_tz


def _draft(
    form: Form, author_tz: str, now: datetime
) -> tuple[workshops.Draft | None, dict[str, tuple[str, str | None]]]:
    """The rules' Draft from the form, or None with form.problems filled in: a field's name
    and the kind of problem, which the template words in the staff member's language.

    The times typed are the town's (the bot's wizard reads them the same way); online, the
    author's."""
    problems = form.problems
    v = form.values
    online = v["city"] == workshops.ONLINE
    tz = workshops.typed_zone(None if online else v["city"] or None, author_tz)
    form.zone = tz
    starts, ends, closes = _moment(v["starts"], tz), _moment(v["ends"], tz), None
    if starts is None:
        problems["starts"] = "time"
    if ends is None:
        problems["ends"] = "time"
    if v["closes"].strip():
        closes = _moment(v["closes"], tz)
        if closes is None:
            problems["closes"] = "time"
    capacity = _number(v["capacity"].strip())
    if capacity is None:
        problems["capacity"] = "capacity"
    texts: dict[str, tuple[str, str | None]] = {}
    for code in TEXT_LANGUAGES:
        title = workshops.clean(v[f"title_{code}"], workshops.TITLE_LIMIT + 1)
        description = workshops.clean_block(
            v[f"description_{code}"], workshops.DESCRIPTION_LIMIT + 1
        )
        if title is None and description is not None:
            problems[f"title_{code}"] = "text_title"
        elif title is not None and len(title) > workshops.TITLE_LIMIT:
            problems[f"title_{code}"] = "title"
        elif description is not None and len(description) > workshops.DESCRIPTION_LIMIT:
            problems[f"description_{code}"] = "description"
        elif title is not None:
            texts[code] = (title, description)
    description = workshops.clean_block(v["description"], workshops.DESCRIPTION_LIMIT + 1)
    if description is not None and len(description) > workshops.DESCRIPTION_LIMIT:
        problems["description"] = "description"
    if starts is None or ends is None:
        return None, texts
    draft = workshops.Draft(
        kind=v["kind"],
        title=v["title"],
        description=description,
        starts_at=starts,
        ends_at=ends,
        capacity=capacity if capacity is not None else 0,
        city=None if online else (v["city"] or "?"),
        address=None if online else workshops.clean(v["address"], workshops.PLACE_LIMIT),
        online_url=workshops.clean(v["online_url"], workshops.PLACE_LIMIT) if online else None,
        closes_at=closes,
        languages=tuple(code for code in TEXT_LANGUAGES if code in form.languages),
        programme=v["programme"] if v["programme"] in PROGRAMMES else None,
        timezone=author_tz,
    )
    for name, _reason in draft.checks(now):
        problems.setdefault(name, name)
    if problems:
        return None, texts
    return draft, texts


def _latin_preview(form: Form) -> tuple[str, str]:
    """How Serbian Latin readers will see the Serbian text (it is derived, never typed)."""
    title = form.values[f"title_{SR_CYRL}"] or form.values["title"]
    description = form.values[f"description_{SR_CYRL}"] or form.values["description"]
    return to_latin(title), to_latin(description)


def _render_form(
    request: web.Request,
    desk: Desk,
    signed: Signed,
    form: Form,
    workshop: Any = None,
    *,
    status: int = 200,
) -> web.Response:
    return desk.render(
        request,
        "booking/form.html",
        signed.user.locale,
        status=status,
        signed=signed,
        form=form,
        workshop=workshop,
        latin=_latin_preview(form),
        title_limit=workshops.TITLE_LIMIT,
        description_limit=workshops.DESCRIPTION_LIMIT,
        max_capacity=workshops.MAX_CAPACITY,
        zone_name=zone_label(form.zone, signed.user.locale) if form.zone else "",
        **_times(desk, signed),
        **_names(),
    )


async def new_form(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    async with desk.signed_in(request) as signed:
        if (refused := refuse(request, signed)) is not None:
            return refused
        return _render_form(request, desk, signed, _blank_form(desk.clock.now(), _tz(desk, signed)))


@staff_form
async def create(p: Posted) -> web.StreamResponse:
    desk, signed = p.desk, p.signed
    form = _read_form(p.form)
    ctx = booking.context_for(desk.settings, desk.clock)
    draft, texts = _draft(form, _author_zone(_tz(desk, signed)), ctx.now)
    if draft is None or p.form.get("action") == "preview":
        return _render_form(p.request, desk, signed, form, status=200 if draft else 422)
    made = await workshops.create(signed.session, signed.user, draft, ctx)
    await workshops.save_texts(signed.session, signed.user, made.id, texts, ctx.now)
    return redirect(f"{BASE}/{made.id}?done=created")


async def edit_form(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    workshop_id = url_id(request)
    async with desk.signed_in(request) as signed:
        if (refused := refuse(request, signed)) is not None:
            return refused
        found = await workshops.staff_workshop(signed.session, signed.user, workshop_id)
        if not _editable(found, desk.clock.now()):
            return redirect(f"{BASE}/{workshop_id}?problem=begun")
        texts = await workshops.texts_of(signed.session, [found.id])
        form = _form_of(found, texts, _tz(desk, signed))
        return _render_form(request, desk, signed, form, found)


def _editable(found: Any, now: datetime) -> bool:
    return bool(found.status == WorkshopStatus.SCHEDULED and found.starts_at > now)


@staff_form
async def save(p: Posted) -> web.StreamResponse:
    desk, signed, workshop_id = p.desk, p.signed, p.id
    found = await workshops.staff_workshop(signed.session, signed.user, workshop_id)
    ctx = booking.context_for(desk.settings, desk.clock)
    if not _editable(found, ctx.now):
        return redirect(f"{BASE}/{workshop_id}?problem=begun")
    form = _read_form(p.form)
    draft, texts = _draft(form, _author_zone(_tz(desk, signed), found), ctx.now)
    if draft is None or p.form.get("action") == "preview":
        return _render_form(p.request, desk, signed, form, found, status=200 if draft else 422)
    # The same rule as the bot's edits: fewer seats move held offers, then the latest
    # bookings, back to the waitlist; more seats are offered to the waitlist.
    draft = replace(draft, ref=found.ref)
    await workshops.update(signed.session, signed.user, workshop_id, draft, ctx)
    await workshops.save_texts(signed.session, signed.user, workshop_id, texts, ctx.now)
    return redirect(f"{BASE}/{workshop_id}?done=saved")


# A workshop's page


async def workshop_page(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    workshop_id = url_id(request)
    async with desk.signed_in(request) as signed:
        if (refused := refuse(request, signed)) is not None:
            return refused
        session, actor = signed.session, signed.user
        listing = await workshops.participants(session, actor, workshop_id)
        texts = await workshops.texts_of(session, [workshop_id])
        changes = await workshops.history(session, actor, workshop_id)
        now = desk.clock.now()
        found = listing.workshop
        by_locale = {t.locale: t for t in texts}
        serbian = by_locale.get(SR_CYRL)
        return desk.render(
            request,
            "booking/workshop.html",
            actor.locale,
            signed=signed,
            w=found,
            listing=listing,
            texts=by_locale,
            latin=(
                (to_latin(serbian.title), to_latin(serbian.description or ""))
                if serbian is not None
                else None
            ),
            changes=changes,
            begun=found.starts_at <= now,
            editable=_editable(found, now),
            scheduled=found.status == WorkshopStatus.SCHEDULED,
            ended=found.ends_at <= now,
            languages=[code for code in found.languages.split(",") if code],
            done=request.query.get("done", "")[:16],
            problem=request.query.get("problem", "")[:16],
            offered=BookingStatus.OFFERED,
            marks=(Attendance.ATTENDED, Attendance.NO_SHOW),
            **_times(desk, signed),
            **_names(),
        )


async def cancel_page(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    workshop_id = url_id(request)
    async with desk.signed_in(request) as signed:
        if (refused := refuse(request, signed)) is not None:
            return refused
        listing = await workshops.participants(signed.session, signed.user, workshop_id)
        if listing.workshop.status != WorkshopStatus.SCHEDULED:
            return redirect(f"{BASE}/{workshop_id}")
        return desk.render(
            request,
            "booking/cancel.html",
            signed.user.locale,
            signed=signed,
            listing=listing,
            **_times(desk, signed),
            **_names(),
        )


@staff_form
async def cancel(p: Posted) -> web.StreamResponse:
    ctx = booking.context_for(p.desk.settings, p.desk.clock)
    # The bot's rule: every booking and waitlist place called off, each person's notice
    # written as a reminder row in this transaction and sent by the bot after the commit.
    await workshops.cancel(p.signed.session, p.signed.user, p.id, ctx)
    return redirect(f"{BASE}/{p.id}?done=cancelled")


@staff_form
async def seat(p: Posted) -> web.StreamResponse:
    session, actor = p.signed.session, p.signed.user
    booking_id = _number(p.form.get("booking"))
    if booking_id is None:
        raise NotFound("booking")
    # A forged pair (a booking of another workshop) is as good as no booking.
    await workshops.booking_on(session, actor, p.id, booking_id)
    ctx = booking.context_for(p.desk.settings, p.desk.clock)
    try:
        await workshops.seat_from_waitlist(
            session, actor, booking_id, ctx, extra_seat=p.form.get("extra") == "yes"
        )
    # Undone: whatever it wrote is rolled back.
    except booking.Full as exc:
        raise Undo(redirect(f"{BASE}/{p.id}?problem=full")) from exc
    except booking.Overlap as exc:
        raise Undo(redirect(f"{BASE}/{p.id}?problem=overlap")) from exc
    except booking.Closed as exc:
        raise Undo(redirect(f"{BASE}/{p.id}?problem=over")) from exc
    return redirect(f"{BASE}/{p.id}?done=seated")


@staff_form
async def mark(p: Posted) -> web.StreamResponse:
    session, actor = p.signed.session, p.signed.user
    booking_id = _number(p.form.get("booking"))
    value = str(p.form.get("value", ""))
    if booking_id is None or value not in (Attendance.ATTENDED, Attendance.NO_SHOW, ""):
        raise NotFound("booking")
    await workshops.booking_on(session, actor, p.id, booking_id)
    try:
        await attendance.mark(session, actor, booking_id, value or None, p.desk.clock.now())
    except ValueError as exc:  # it has not begun yet
        raise Undo(redirect(f"{BASE}/{p.id}?problem=early")) from exc
    return redirect(f"{BASE}/{p.id}?done=marked#participants")


async def export(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    workshop_id = url_id(request)
    kind = request.match_info["ext"]
    async with desk.signed_in(request) as signed:
        if (refused := refuse(request, signed)) is not None:
            return refused
        if kind == "xlsx":
            body = await workshops.participants_xlsx(signed.session, signed.user, workshop_id)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            body = await workshops.participants_csv(signed.session, signed.user, workshop_id)
            content_type = "text/csv"
    return web.Response(
        body=body,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="workshop-{workshop_id}.{kind}"'},
    )


# Import


async def import_page(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    async with desk.signed_in(request) as signed:
        if (refused := refuse(request, signed)) is not None:
            return refused
        return desk.render(
            request,
            "booking/import.html",
            signed.user.locale,
            signed=signed,
            report=None,
            upload=None,
            done=False,
            problem="",
            **_import_values(),
        )


def _problem_text(desk: Desk, locale: str) -> Callable[[Problem], str]:
    """A problem of the file in the reader's language (the import marks its messages for
    translation; the command line prints them in English)."""
    gettext = desk.i18n.gettext

    def text(found: Problem) -> str:
        reason = gettext(found.message, locale=locale).format(**found.params)
        if found.line is None:
            return reason
        return gettext("Line {line}: {reason}", locale=locale).format(
            line=found.line, reason=reason
        )

    return text


def _import_values() -> dict[str, Any]:
    return {"limit_kb": UPLOAD_LIMIT // 1024, "base": BASE}


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes

    @property
    def encoded(self) -> str:
        return base64.b64encode(self.data).decode()

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:16]


def _upload(posted: FormData) -> Upload | None:
    """The file as chosen (first step) or as it came back with the confirmation."""
    chosen = posted.get("file")
    if isinstance(chosen, web.FileField):
        name = (chosen.filename or "upload").rsplit("/", 1)[-1][:80]
        return Upload(name, chosen.file.read(UPLOAD_LIMIT + 1))
    encoded = str(posted.get("data", ""))
    if not encoded:
        return None
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return Upload(str(posted.get("name", "upload"))[:80], data)


@staff_form
async def import_file(p: Posted) -> AfterCommit:
    # The import opens its own transaction (one for the whole file): it runs once the
    # sign-in's is closed, as SQLite has one writer at a time.
    actor, locale = p.signed.user, p.signed.user.locale
    return lambda: _import(p.request, p.desk, p.form, actor, locale)


async def _import(
    request: web.Request, desk: Desk, posted: FormData, actor: User, locale: str
) -> web.StreamResponse:
    upload = _upload(posted)
    confirm = posted.get("action") == "import" and upload is not None
    report: workshop_import.Report | None = None
    problem = ""
    if upload is None or not upload.data:
        problem = "empty"
    elif len(upload.data) > UPLOAD_LIMIT:
        problem = "big"
    elif not upload.name.lower().endswith((".yaml", ".yml", ".csv")):
        problem = "kind"
    else:
        ctx = booking.context_for(desk.settings, desk.clock)
        report = await workshop_import.run(
            desk.sessions,
            upload.data,
            upload.name,
            ctx,
            dry_run=not confirm,
            batch_items=workshop_import.ALL_AT_ONCE,
            pause=0,
            actor=actor,
        )
    async with desk.signed_in(request) as signed:
        remember_locale(request, locale)
        return desk.render(
            request,
            "booking/import.html",
            locale,
            status=200 if report is not None and report.ok else 422,
            signed=signed,
            report=report,
            upload=upload if report is not None and report.ok and not confirm else None,
            done=confirm and report is not None and report.ok,
            problem=problem,
            problem_text=_problem_text(desk, locale),
            **_import_values(),
        )


def add_routes(app: web.Application) -> None:
    counselling_pages.add_routes(app)
    app.router.add_get(BASE, workshop_list)
    app.router.add_get(f"{BASE}/new", new_form)
    app.router.add_post(f"{BASE}/new", create)
    app.router.add_get(f"{BASE}/import", import_page)
    app.router.add_post(f"{BASE}/import", import_file)
    app.router.add_get(f"{BASE}/{{id:\\d+}}", workshop_page)
    app.router.add_get(f"{BASE}/{{id:\\d+}}/edit", edit_form)
    app.router.add_post(f"{BASE}/{{id:\\d+}}/edit", save)
    app.router.add_get(f"{BASE}/{{id:\\d+}}/cancel", cancel_page)
    app.router.add_post(f"{BASE}/{{id:\\d+}}/cancel", cancel)
    app.router.add_post(f"{BASE}/{{id:\\d+}}/seat", seat)
    app.router.add_post(f"{BASE}/{{id:\\d+}}/attendance", mark)
    app.router.add_get(f"{BASE}/{{id:\\d+}}/participants.{{ext:csv|xlsx}}", export)
