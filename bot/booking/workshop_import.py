"""Workshops and counsellors from a YAML or CSV file: checked whole, then written in batches.

YAML has two lists, `workshops` and `counsellors`; CSV holds workshops only, one per row, with
the same keys as columns. Every workshop and counsellor has a `ref` of the file's choosing:
importing the file again updates what changed (people booked are told of a new time or place)
and leaves the rest alone. Times are local wall times ("2026-12-10 14:00") in `timezone`, or in
its town's zone (Europe/Sofia for Sofia), or TIMEZONE for a row online with none given.

The file is read by bot.kit.data_files (UTF-8 only, bounded, YAML without aliases) and
every record checked before anything is written; texts are checked against their columns'
lengths here, so nothing is cut short on the way in. Then `BATCH_ITEMS` workshops or counsellors
are written per transaction (a dry run rolls each batch back): records are independent of each
other (one ref, one row), so a batch that fails leaves the ones before it written and running
the same file again finishes the job.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import counselling, workshops
from bot.booking.models import Availability, Counsellor, TimeOff, Workshop, WorkshopStatus
from bot.booking.rules import Context
from bot.db.engine import SessionFactory
from bot.kit import data_files
from bot.kit.data_files import N_, Invalid, Limits, Problem
from bot.kit.errors import NotFound
from bot.people import queries as users
from bot.people.models import Role, User
from bot.people.profile import zone_of_city
from bot.plans.reminders import to_utc

WORKSHOP_KEYS = {
    "ref", "type", "title", "description", "city", "address", "online_url", "start", "end",
    "timezone", "capacity", "closes", "languages", "programme",
    *(f"{what}_{code}" for what in ("title", "description") for code in workshops.TEXT_LOCALES),
}  # fmt: skip
COUNSELLOR_KEYS = {
    "ref", "service", "name", "telegram_id", "city", "address", "online_url", "timezone", "hours",
    "time_off",
}  # fmt: skip
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Hundreds of workshops a year is a lot; PyYAML (pure Python here) reads 2 MB in a few seconds.
LIMITS = Limits(max_bytes=2 * 1024 * 1024, max_rows=5_000)
REF_LIMIT = 64  # workshops.ref, counsellors.ref
MAX_TELEGRAM_ID = 2**63 - 1
YEARS_AHEAD = 10
BATCH_ITEMS = 50
# The desk's upload is all or nothing: every record in one transaction (a file is at most
# LIMITS.max_rows records, so this is one batch whatever the file).
ALL_AT_ONCE = 1_000_000
SQLITE_PAUSE = 0.2  # as in plan_import: lets the running bot's writes in between batches
DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: str.isdigit() also accepts "²"

MESSAGES = {
    "workshops.top_level": N_("the top level has `workshops` and `counsellors`, not {keys}"),
    "workshops.not_a_list": N_("{key} must be a list of records"),
    "workshops.unknown_keys": N_("unknown key(s): {keys}"),
    "workshops.no_ref": N_("every {what} needs a ref (up to {limit} characters)"),
    "workshops.ref_twice": N_("ref {ref!r} is used twice (also {other})"),
    "workshops.not_text": N_("{key} must be a single value, not a list or a record"),
    "workshops.too_long": N_("{key} is longer than {limit} characters"),
    "workshops.capacity": N_("capacity must be a whole number"),
    "workshops.time_zone": N_("unknown time zone {value!r}"),
    "workshops.moment": N_("{key} must be a time like 2026-12-10 14:00"),
    "workshops.offset": N_("{key}: give the local time in `timezone`, without an offset"),
    "workshops.far": N_("{key} is more than {years} years away"),
    "workshops.text_without_title": N_("description_{locale} needs title_{locale}"),
    "workshops.cancelled": N_("workshop {ref!r} was cancelled; give a new workshop a new ref"),
    "counsellors.telegram_id": N_(
        "telegram_id must be a whole number from 1 to {limit}, not {value!r}"
    ),
    "counsellors.not_staff": N_("telegram_id {telegram_id} is not staff or a mentor"),
    "counsellors.hours_format": N_(
        "hours are records like {{day: tue, from: '10:00', to: '14:00'}}"
    ),
    "counsellors.hours": N_(
        "hours need day (mon…sun), from and to (HH:MM) and slot (10 to 240 minutes)"
    ),
    "counsellors.overlap": N_("hours overlap on one day"),
    "counsellors.time_off": N_("time_off needs from (and to) like 2026-12-24"),
    "counsellors.time_off_rule": N_("time_off: reason holiday, sick or other; to not before from"),
    "import.batch_failed": N_(
        "batch {number} of {total} ({count} records) was not written: {detail}"
    ),
}


def _invalid(code: str, **params: object) -> Invalid:
    return Invalid(code, MESSAGES[code], **params)


class Invalids(ValueError):
    """A record the rules refuse for several reasons: each its own line of the report, in the
    rules' words (bot.booking.workshops, bot.booking.counselling), marked for translation."""

    def __init__(self, code: str, findings: list[tuple[str, dict[str, object]]]) -> None:
        self.found = [Invalid(code, text, **values) for text, values in findings]
        super().__init__("; ".join(str(one) for one in self.found))


def _problem(code: str, line: int | None = None, item: str | None = None, **params: Any) -> Problem:
    return _invalid(code, **params).at(line, item)


@dataclass(frozen=True)
class Hours:
    weekday: int
    start: time
    end: time
    slot_minutes: int


@dataclass(frozen=True)
class CounsellorRow:
    where: str
    ref: str
    service: str
    name: str
    telegram_id: int | None
    city: str | None
    address: str | None
    online_url: str | None
    timezone: str
    hours: list[Hours]
    time_off: list[tuple[date, date, str]]


@dataclass(frozen=True)
class Source:
    """Where a record is in the file: its first line, and for YAML its place in its list."""

    line: int | None
    item: str | None = None

    def __str__(self) -> str:
        return Problem("", "", {}, self.line, self.item).where


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    workshops_created: int = 0
    workshops_updated: int = 0
    unchanged: int = 0
    counsellors_created: int = 0
    counsellors_updated: int = 0
    people_told: int = 0
    batches_total: int = 0
    batches_written: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def interrupted(self) -> bool:
        return bool(self.problems) and self.batches_written > 0


Item = dict[str, Any]
Sourced = list[tuple[Source, Item]]


def load(data: bytes | str, name: str) -> tuple[Sourced, Sourced, list[Problem]]:
    """Raw workshop and counsellor records, each with where it is in the file."""
    raw = data.encode() if isinstance(data, str) else data
    if name.lower().endswith((".yaml", ".yml")):
        return _load_yaml(raw)
    records, problems = data_files.read_csv(raw, sorted(WORKSHOP_KEYS), limits=LIMITS)
    rows = [
        (Source(record.line), {k: v for k, v in record.values.items() if v}) for record in records
    ]
    return rows, [], problems


def _load_yaml(raw: bytes) -> tuple[Sourced, Sourced, list[Problem]]:
    document, problems = data_files.read_yaml(raw, LIMITS)
    if problems:
        return [], [], problems
    data = document.data or {}
    if not isinstance(data, dict) or set(data) - {"workshops", "counsellors"}:
        keys = ", ".join(sorted(map(str, data))) if isinstance(data, dict) else "a list"
        return [], [], [_problem("workshops.top_level", document.line_of(data), keys=keys)]
    found: list[Sourced] = []
    count = 0
    for key in ("workshops", "counsellors"):
        items = data.get(key) or []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            problems.append(_problem("workshops.not_a_list", document.line_of(items), key=key))
            items = []
        count += len(items)
        found.append(
            [
                (Source(document.line_of(item), f"{key} #{n}"), item)
                for n, item in enumerate(items, 1)
            ]
        )
    if count > LIMITS.max_rows:
        return [], [], [data_files.problem("file.too_many_rows", limit=LIMITS.max_rows)]
    return found[0], found[1], problems


# Checking one record


def _text(item: Item, key: str, limit: int, *, block: bool = False) -> str | None:
    """A text value as it will be stored (spaces tidied), refused if it would be cut."""
    value = item.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, list | dict):
        raise _invalid("workshops.not_text", key=key)
    tidy = workshops.clean_block if block else workshops.clean
    cleaned = tidy(str(value), limit + 1)
    if cleaned is not None and len(cleaned) > limit:
        raise _invalid("workshops.too_long", key=key, limit=limit)
    return cleaned


def _zone(item: Item, default_tz: str) -> str:
    city = item.get("city")
    town_zone = zone_of_city(city) if isinstance(city, str) else None
    tz = _text(item, "timezone", 64) or town_zone or default_tz
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise _invalid("workshops.time_zone", value=tz) from None
    return tz


def _moment(item: Item, key: str, tz: str, now: datetime) -> datetime:
    value = item.get(key)
    if isinstance(value, datetime):
        if value.tzinfo is not None:  # YAML read an offset: it would be silently dropped
            raise _invalid("workshops.offset", key=key)
        local = value
    else:
        try:
            local = datetime.strptime(str(value or "").strip(), "%Y-%m-%d %H:%M")
        except ValueError:
            raise _invalid("workshops.moment", key=key) from None
    # Year 1 or 9999 would overflow on the way to UTC; either is a typo anyway.
    if abs(local.year - now.year) > YEARS_AHEAD:
        raise _invalid("workshops.far", key=key, years=YEARS_AHEAD)
    return to_utc(local, tz)


def _whole(value: object) -> int | None:
    text = str(value if value is not None else "").strip()
    return int(text) if DIGITS.fullmatch(text) and not isinstance(value, bool) else None


def _ref(item: Item, what: str) -> str:
    ref = _text(item, "ref", REF_LIMIT + 1)
    if ref is None or len(ref) > REF_LIMIT:
        raise _invalid("workshops.no_ref", what=what, limit=REF_LIMIT)
    return ref


def _unknown(item: Item, keys: set[str]) -> None:
    unknown = set(item) - keys
    if unknown:
        raise _invalid("workshops.unknown_keys", keys=", ".join(sorted(map(str, unknown))))


def workshop_draft(item: Item, default_tz: str, now: datetime) -> workshops.Draft:
    _unknown(item, WORKSHOP_KEYS)
    ref = _ref(item, "workshop")
    tz = _zone(item, default_tz)
    capacity = _whole(item.get("capacity"))
    if capacity is None:
        raise _invalid("workshops.capacity")
    languages = tuple(
        dict.fromkeys(
            code.strip()
            for code in str(_text(item, "languages", 64) or "").split(",")
            if code.strip()
        )
    )
    texts = {}
    for code in workshops.TEXT_LOCALES:
        title = _text(item, f"title_{code}", workshops.TITLE_LIMIT)
        description = _text(item, f"description_{code}", workshops.DESCRIPTION_LIMIT, block=True)
        if title is not None:
            texts[code] = (title, description)
        elif description is not None:
            raise _invalid("workshops.text_without_title", locale=code)
    draft = workshops.Draft(
        kind=_text(item, "type", 32) or "",
        title=_text(item, "title", workshops.TITLE_LIMIT) or "",
        description=_text(item, "description", workshops.DESCRIPTION_LIMIT, block=True),
        city=_text(item, "city", 32),
        address=_text(item, "address", workshops.PLACE_LIMIT),
        online_url=_text(item, "online_url", workshops.PLACE_LIMIT),
        starts_at=_moment(item, "start", tz, now),
        ends_at=_moment(item, "end", tz, now),
        capacity=capacity,
        closes_at=_moment(item, "closes", tz, now) if item.get("closes") else None,
        languages=languages,
        programme=_text(item, "programme", 32),
        texts=texts,
        ref=ref,
        timezone=tz,
    )
    findings = draft.findings(now)
    if findings:
        raise Invalids("workshops.rule", [(text, values) for _key, text, values in findings])
    return draft


def counsellor_row(item: Item, default_tz: str, where: str = "") -> CounsellorRow:
    _unknown(item, COUNSELLOR_KEYS)
    ref = _ref(item, "counsellor")
    service = _text(item, "service", 32) or ""
    name = _text(item, "name", counselling.NAME_LIMIT)
    city = _text(item, "city", 32)
    address = _text(item, "address", workshops.PLACE_LIMIT)
    online = _text(item, "online_url", workshops.PLACE_LIMIT)
    findings = counselling.counsellor_findings(service, name, city, address, online)
    if findings:
        raise Invalids("counsellors.rule", findings)
    raw_id = item.get("telegram_id")
    telegram_id = None
    if raw_id is not None and raw_id != "":
        telegram_id = _whole(raw_id)
        if telegram_id is None or not 1 <= telegram_id <= MAX_TELEGRAM_ID:
            raise _invalid("counsellors.telegram_id", value=str(raw_id)[:40], limit=MAX_TELEGRAM_ID)
    return CounsellorRow(
        where, ref, service, name or "", telegram_id, city, address, online,
        _zone(item, default_tz), _hours(item.get("hours")), _time_off(item.get("time_off")),
    )  # fmt: skip


def _hours(rules: object) -> list[Hours]:
    if rules is None:
        return []
    if not isinstance(rules, list):
        raise _invalid("counsellors.hours_format")
    hours: list[Hours] = []
    for rule in rules:
        if not isinstance(rule, dict):
            raise _invalid("counsellors.hours_format")
        day = str(rule.get("day", "")).lower()[:3]
        start, end = _clock(rule.get("from")), _clock(rule.get("to"))
        slot = rule.get("slot", 45)
        # The range first: hours_problems turns the slot into a timedelta (10**30 overflows).
        valid_slot = type(slot) is int and 10 <= slot <= 240
        if day not in DAYS or start is None or end is None or not valid_slot:
            raise _invalid("counsellors.hours")
        weekday = DAYS.index(day)
        found = counselling.hours_findings(weekday, start, end, slot, [])
        if found:
            raise Invalids("counsellors.rule", found)
        if any(h.weekday == weekday and h.start < end and start < h.end for h in hours):
            raise _invalid("counsellors.overlap")
        hours.append(Hours(weekday, start, end, slot))
    return hours


def _time_off(entries: object) -> list[tuple[date, date, str]]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise _invalid("counsellors.time_off")
    time_off = []
    for off in entries:
        try:
            first = date.fromisoformat(str(off["from"]))
            last = date.fromisoformat(str(off.get("to", off["from"])))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise _invalid("counsellors.time_off") from None
        reason = str(off.get("reason", "other"))
        if reason not in counselling.TIME_OFF_REASONS or last < first:
            raise _invalid("counsellors.time_off_rule")
        time_off.append((first, last, reason))
    return time_off


def _clock(value: object) -> time | None:
    if type(value) is int:  # YAML reads 10:00 unquoted as minutes (sexagesimal)
        return time(value // 60, value % 60) if 0 <= value < 24 * 60 else None
    try:
        return datetime.strptime(str(value or "").strip(), "%H:%M").time()
    except ValueError:
        return None


# Checking the whole file


@dataclass
class Checked:
    drafts: list[workshops.Draft]
    counsellors: list[CounsellorRow]
    problems: list[Problem]


async def check(session: AsyncSession, data: bytes | str, name: str, ctx: Context) -> Checked:
    """Every record read and checked; nothing is written."""
    raw_workshops, raw_counsellors, problems = load(data, name)
    drafts: list[workshops.Draft] = []
    rows: list[CounsellorRow] = []
    refs: dict[str, Source] = {}
    for source, item in raw_workshops:
        try:
            draft = workshop_draft(item, ctx.default_tz, ctx.now)
            ref = draft.ref or ""
            if ref in refs:
                raise _invalid("workshops.ref_twice", ref=ref, other=str(refs[ref]))
            refs[ref] = source
            existing = await session.scalar(select(Workshop.status).where(Workshop.ref == ref))
            if existing is not None and existing != WorkshopStatus.SCHEDULED:
                raise _invalid("workshops.cancelled", ref=ref)
            drafts.append(draft)
        except Invalid as exc:
            problems.append(exc.at(source.line, source.item))
        except Invalids as many:
            problems.extend(one.at(source.line, source.item) for one in many.found)
    refs = {}
    for source, item in raw_counsellors:
        try:
            row = counsellor_row(item, ctx.default_tz, str(source))
            if row.ref in refs:
                raise _invalid("workshops.ref_twice", ref=row.ref, other=str(refs[row.ref]))
            refs[row.ref] = source
            if row.telegram_id is not None:
                linked = await users.get_by_telegram_id(session, row.telegram_id)
                if linked is None or linked.role not in (Role.STAFF, Role.MENTOR):
                    raise _invalid("counsellors.not_staff", telegram_id=row.telegram_id)
            rows.append(row)
        except Invalid as exc:
            problems.append(exc.at(source.line, source.item))
        except Invalids as many:
            problems.extend(one.at(source.line, source.item) for one in many.found)
    problems.sort(key=lambda p: p.line or 0)
    return Checked(drafts, rows, problems)


# Writing


async def run(
    sessions: SessionFactory,
    data: bytes | str,
    name: str,
    ctx: Context,
    *,
    dry_run: bool = False,
    batch_items: int = BATCH_ITEMS,
    pause: float | None = None,
    actor: User | None = None,
) -> Report:
    """Checks everything; then, if all is fine, writes `batch_items` records per transaction.

    A dry run goes through the same writes and rolls each batch back: the report is the same.
    `actor`: the staff member importing from the desk (recorded on each workshop); None for
    the command on the server.
    """
    report = Report()
    async with sessions() as session:
        checked = await check(session, data, name, ctx)
        dialect = session.get_bind().dialect.name
    if checked.problems:
        report.problems = checked.problems
        return report
    gap = (SQLITE_PAUSE if dialect == "sqlite" else 0.0) if pause is None else pause
    records: list[workshops.Draft | CounsellorRow] = [*checked.drafts, *checked.counsellors]
    batches = [records[i : i + batch_items] for i in range(0, len(records), batch_items)]
    report.batches_total = len(batches)
    for number, batch in enumerate(batches, 1):
        if number > 1 and gap and not dry_run:
            await asyncio.sleep(gap)
        done = Report()
        try:
            async with sessions() as session:
                for record in batch:
                    if isinstance(record, CounsellorRow):
                        await _counsellor(session, record, ctx, done)
                    else:
                        await _workshop(session, record, ctx, done, actor)
                if dry_run:
                    await session.rollback()
                else:
                    await session.commit()
        except (SQLAlchemyError, OSError, NotFound, ValueError) as exc:
            detail = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            report.problems.append(
                _problem(
                    "import.batch_failed", number=number, total=len(batches), count=len(batch),
                    detail=detail.rstrip(": "),
                )
            )  # fmt: skip
            return report
        _add(report, done)
        if not dry_run:
            report.batches_written = number
    return report


def _add(report: Report, batch: Report) -> None:
    report.workshops_created += batch.workshops_created
    report.workshops_updated += batch.workshops_updated
    report.unchanged += batch.unchanged
    report.counsellors_created += batch.counsellors_created
    report.counsellors_updated += batch.counsellors_updated
    report.people_told += batch.people_told


async def _workshop(
    session: AsyncSession,
    draft: workshops.Draft,
    ctx: Context,
    report: Report,
    actor: User | None = None,
) -> None:
    existing = await session.scalar(select(Workshop).where(Workshop.ref == draft.ref))
    if existing is None:
        await workshops.create(session, actor, draft, ctx)
        report.workshops_created += 1
        return
    current = workshops.draft_of(existing)
    wanted = replace(draft, closes_at=draft.closes_at or current.closes_at, texts={})
    texts_before = {
        t.locale: (t.title, t.description) for t in await workshops.texts_of(session, [existing.id])
    }
    if wanted == current and texts_before == draft.texts:
        report.unchanged += 1
        return
    if wanted != current:
        change = await workshops.update(session, actor, existing.id, wanted, ctx)
        report.people_told += change.told
    for code, (title, description) in draft.texts.items():
        await workshops.set_text(session, None, existing.id, code, title, description)
    report.workshops_updated += 1


async def _counsellor(
    session: AsyncSession, row: CounsellorRow, ctx: Context, report: Report
) -> None:
    linked = await users.get_by_telegram_id(session, row.telegram_id) if row.telegram_id else None
    found = await session.scalar(select(Counsellor).where(Counsellor.ref == row.ref))
    if found is None:
        found = await counselling.create_counsellor(
            session, None, service=row.service, name=row.name,
            user_id=linked.id if linked else None, city=row.city, address=row.address,
            online_url=row.online_url, timezone=row.timezone, now=ctx.now, ref=row.ref,
        )  # fmt: skip
        report.counsellors_created += 1
        created = changed = True
    else:
        created = False
        before = (found.service, found.name, found.user_id, found.city, found.address,
                  found.online_url, found.timezone)  # fmt: skip
        found.service, found.name = row.service, row.name
        found.user_id = linked.id if linked else None
        found.city, found.address, found.online_url = row.city, row.address, row.online_url
        found.timezone = row.timezone
        after = (found.service, found.name, found.user_id, found.city, found.address,
                 found.online_url, found.timezone)  # fmt: skip
        changed = before != after
        if changed:  # by the import command on the server: nobody's account
            await counselling.record(session, found.id, None, "edited", "", ctx.now)
    plan = await counselling.schedule(session, found.id)
    have = {(h.weekday, h.start, h.end, h.slot_minutes): h for h in plan.hours}
    want = {(h.weekday, h.start, h.end, h.slot_minutes) for h in row.hours}
    for key, rule in have.items():
        if key not in want:
            await session.delete(rule)
            changed = True
    for weekday, start, end, minutes in want - set(have):
        session.add(
            Availability(
                counsellor_id=found.id, weekday=weekday, start=start, end=end,
                slot_minutes=minutes,
            )
        )  # fmt: skip
        changed = True
    days_off = {(t.first_day, t.last_day, t.reason) for t in plan.time_off}
    for first, last, reason in row.time_off:
        if (first, last, reason) not in days_off:
            session.add(
                TimeOff(
                    counsellor_id=found.id, first_day=first, last_day=last, reason=reason,
                    created_at=ctx.now,
                )
            )  # fmt: skip
            changed = True
    await session.flush()
    report.people_told += await counselling.sync_slots(session, found, ctx)
    if changed and not created:
        report.counsellors_updated += 1
    elif not changed:
        report.unchanged += 1
