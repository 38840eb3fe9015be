"""Workshops and counsellors from a YAML or CSV file, all or nothing.

YAML has two lists, `workshops` and `counsellors`; CSV holds workshops only, one per row, with
the same keys as columns. Every workshop and counsellor has a `ref` of the file's choosing:
importing the file again updates what changed (people booked are told of a new time or place)
and leaves the rest alone. Times are local wall times ("2026-12-10 14:00") in `timezone`, or in
TIMEZONE when a row gives none.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.booking_models import Availability, Counsellor, TimeOff, Workshop
from bot.db.models import Role
from bot.repositories import users
from bot.services import counselling, workshops
from bot.services.booking import Context
from bot.services.reminders import to_utc

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


@dataclass(frozen=True)
class Problem:
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


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


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    workshops_created: int = 0
    workshops_updated: int = 0
    unchanged: int = 0
    counsellors_created: int = 0
    counsellors_updated: int = 0
    people_told: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def load(text: str, name: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Problem]]:
    """Raw workshop and counsellor records with where they came from (line or item)."""
    if name.lower().endswith((".yaml", ".yml")):
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            return [], [], [Problem("file", f"not valid YAML: {exc}")]
        if not isinstance(data, dict) or set(data) - {"workshops", "counsellors"}:
            return [], [], [Problem("file", "the top level has `workshops` and `counsellors`")]
        found: list[list[dict[str, Any]]] = []
        problems = []
        for key in ("workshops", "counsellors"):
            items = data.get(key) or []
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                problems.append(Problem(key, "must be a list of records"))
                items = []
            found.append([{**item, "_where": f"{key} #{n}"} for n, item in enumerate(items, 1)])
        return found[0], found[1], problems
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    unknown = [h for h in header if h not in WORKSHOP_KEYS]
    if unknown:
        return [], [], [Problem("line 1", f"unknown column(s): {', '.join(unknown)}")]
    reader.fieldnames = header
    rows = []
    for record in reader:
        values = {k: (v or "").strip() for k, v in record.items() if k is not None and v}
        if any(values.values()):
            rows.append({**values, "_where": f"line {reader.line_num}"})
    return rows, [], []


def _text(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    if value is None or value == "":
        return None
    return str(value).strip() or None


def _zone(item: dict[str, Any], default_tz: str) -> str:
    tz = _text(item, "timezone") or default_tz
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r}") from None
    return tz


def _moment(item: dict[str, Any], key: str, tz: str) -> datetime:
    value = item.get(key)
    if isinstance(value, datetime):
        local = value.replace(tzinfo=None)
    else:
        try:
            local = datetime.strptime(str(value or "").strip(), "%Y-%m-%d %H:%M")
        except ValueError:
            raise ValueError(f"{key} must be a time like 2026-12-10 14:00") from None
    return to_utc(local, tz)


def workshop_draft(item: dict[str, Any], default_tz: str, now: datetime) -> workshops.Draft:
    unknown = set(item) - WORKSHOP_KEYS - {"_where"}
    if unknown:
        raise ValueError(f"unknown key(s): {', '.join(sorted(unknown))}")
    ref = _text(item, "ref")
    if ref is None or len(ref) > 64:
        raise ValueError("every workshop needs a ref (up to 64 characters)")
    tz = _zone(item, default_tz)
    capacity = str(item.get("capacity", "")).strip()
    if not capacity.isdigit():
        raise ValueError("capacity must be a whole number")
    languages = tuple(
        code.strip() for code in str(item.get("languages") or "").split(",") if code.strip()
    )
    texts = {}
    for code in workshops.TEXT_LOCALES:
        title = _text(item, f"title_{code}")
        if title is not None:
            texts[code] = (title, _text(item, f"description_{code}"))
        elif _text(item, f"description_{code}") is not None:
            raise ValueError(f"description_{code} needs title_{code}")
    draft = workshops.Draft(
        kind=_text(item, "type") or "",
        title=_text(item, "title") or "",
        description=_text(item, "description"),
        city=_text(item, "city"),
        address=_text(item, "address"),
        online_url=_text(item, "online_url"),
        starts_at=_moment(item, "start", tz),
        ends_at=_moment(item, "end", tz),
        capacity=int(capacity),
        closes_at=_moment(item, "closes", tz) if item.get("closes") else None,
        languages=languages,
        programme=_text(item, "programme"),
        texts=texts,
        ref=ref,
    )
    problems = draft.problems(now)
    if problems:
        raise ValueError("; ".join(problems))
    return draft


def counsellor_row(item: dict[str, Any], default_tz: str) -> CounsellorRow:
    unknown = set(item) - COUNSELLOR_KEYS - {"_where"}
    if unknown:
        raise ValueError(f"unknown key(s): {', '.join(sorted(unknown))}")
    ref = _text(item, "ref")
    if ref is None or len(ref) > 64:
        raise ValueError("every counsellor needs a ref (up to 64 characters)")
    service, name = _text(item, "service") or "", _text(item, "name")
    city, address, online = _text(item, "city"), _text(item, "address"), _text(item, "online_url")
    problems = counselling.counsellor_problems(service, name, city, address, online)
    if problems:
        raise ValueError("; ".join(problems))
    raw_id = str(item.get("telegram_id") or "").strip()
    if raw_id and not raw_id.isdigit():
        raise ValueError("telegram_id must be a number")
    hours: list[Hours] = []
    for rule in item.get("hours") or []:
        if not isinstance(rule, dict):
            raise ValueError("hours are records like {day: tue, from: '10:00', to: '14:00'}")
        day = str(rule.get("day", "")).lower()[:3]
        start, end = _clock(rule.get("from")), _clock(rule.get("to"))
        slot = rule.get("slot", 45)
        if day not in DAYS or start is None or end is None or not isinstance(slot, int):
            raise ValueError("hours need day (mon…sun), from and to (HH:MM) and slot (minutes)")
        found = counselling.hours_problems(DAYS.index(day), start, end, slot, [])
        found += [
            "hours overlap on one day"
            for other in hours
            if other.weekday == DAYS.index(day) and other.start < end and start < other.end
        ]
        if found:
            raise ValueError("; ".join(found))
        hours.append(Hours(DAYS.index(day), start, end, slot))
    time_off = []
    for off in item.get("time_off") or []:
        try:
            first = date.fromisoformat(str(off["from"]))
            last = date.fromisoformat(str(off.get("to", off["from"])))
        except (KeyError, TypeError, ValueError):
            raise ValueError("time_off needs from (and to) like 2026-12-24") from None
        reason = str(off.get("reason", "other"))
        if reason not in counselling.TIME_OFF_REASONS or last < first:
            raise ValueError("time_off: reason holiday, sick or other; to not before from")
        time_off.append((first, last, reason))
    return CounsellorRow(
        str(item.get("_where")), ref, service, name or "", int(raw_id) if raw_id else None,
        city, address, online, _zone(item, default_tz), hours, time_off,
    )  # fmt: skip


def _clock(value: object) -> time | None:
    if isinstance(value, int):  # YAML reads 10:00 unquoted as minutes (sexagesimal)
        return time(value // 60, value % 60) if 0 <= value < 24 * 60 else None
    try:
        return datetime.strptime(str(value or "").strip(), "%H:%M").time()
    except ValueError:
        return None


async def run(session: AsyncSession, text: str, name: str, ctx: Context) -> Report:
    """Checks everything, then (only if all is fine) applies it in the caller's transaction.

    The caller commits, or rolls back for a dry run: the report is the same either way.
    """
    report = Report()
    raw_workshops, raw_counsellors, report.problems = load(text, name)
    drafts: list[workshops.Draft] = []
    rows: list[CounsellorRow] = []
    refs: set[str] = set()
    for item in raw_workshops:
        try:
            draft = workshop_draft(item, ctx.default_tz, ctx.now)
            if draft.ref in refs:
                raise ValueError(f"ref {draft.ref!r} is used twice")
            refs.add(draft.ref or "")
            drafts.append(draft)
        except ValueError as exc:
            report.problems.append(Problem(str(item["_where"]), str(exc)))
    refs = set()
    for item in raw_counsellors:
        try:
            row = counsellor_row(item, ctx.default_tz)
            if row.ref in refs:
                raise ValueError(f"ref {row.ref!r} is used twice")
            refs.add(row.ref)
            if row.telegram_id is not None:
                linked = await users.get_by_telegram_id(session, row.telegram_id)
                if linked is None or linked.role not in (Role.STAFF, Role.MENTOR):
                    raise ValueError(f"telegram_id {row.telegram_id} is not staff or a mentor")
            rows.append(row)
        except ValueError as exc:
            report.problems.append(Problem(str(item["_where"]), str(exc)))
    if not report.ok:
        return report
    for draft in drafts:
        await _workshop(session, draft, ctx, report)
    for row in rows:
        await _counsellor(session, row, ctx, report)
    return report


async def _workshop(
    session: AsyncSession, draft: workshops.Draft, ctx: Context, report: Report
) -> None:
    existing = await session.scalar(select(Workshop).where(Workshop.ref == draft.ref))
    if existing is None:
        await workshops.create(session, None, draft, ctx)
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
        change = await workshops.update(session, None, existing.id, wanted, ctx)
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
