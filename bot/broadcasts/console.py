"""Announcements written at the desk: the checks of a composed announcement, the preview of how
each language group gets it, and writing the rows. Sending stays the bot's: the rows made here
are the same durable queue the bot's composer makes, worked through by the sender job.

Desk authors type Telegram's HTML subset themselves (the bot's composer gets it from aiogram),
so every text is parsed here exactly as Telegram parses it (the port of TDLib's parser that the
in-repo Bot API runs, in its strict mode) before anything is stored.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import workshops as booking_workshops
from bot.booking.models import Workshop, WorkshopStatus, WorkshopText
from bot.botapi.entities import Entity
from bot.botapi.html import HtmlError, parse_html
from bot.broadcasts import audience as conditions
from bot.broadcasts import queries as rows
from bot.broadcasts import rules as broadcasts
from bot.broadcasts.models import (
    EVERYONE,
    Audience,
    Broadcast,
    BroadcastKind,
    BroadcastRecipient,
    BroadcastStatus,
    ButtonKind,
    RecipientStatus,
)
from bot.i18n.locales import LOCALES
from bot.kit.errors import NotAllowed, NotFound
from bot.kit.sheets import Table, to_csv
from bot.people.models import Role, User

MAX_PHOTO: Final = 900 * 1024  # the desk takes requests up to 1 MiB; old phones, little data
PHOTO_TYPES: Final = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}
# Formatting shown in the preview as on a phone; links only to web addresses.
_PREVIEW_TAGS: Final = {
    "bold": "b",
    "italic": "i",
    "underline": "u",
    "strikethrough": "s",
    "spoiler": "mark",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "expandable_blockquote": "blockquote",
}


def require_staff(actor: User) -> None:
    """Announcements at the desk are for staff; anyone else gets "not found"."""
    if actor.role != Role.STAFF:
        raise NotFound("staff only")


@dataclass(frozen=True)
class Composed:
    """What the form holds, parsed: texts by EVERYONE or a text locale."""

    texts: dict[str, str]
    filters: conditions.Filters
    button_kind: ButtonKind | None = None
    button_value: str = ""
    has_photo: bool = False
    send_at: datetime | None = None  # UTC; None: now


@dataclass(frozen=True)
class Checked:
    """A text as Telegram reads it: its plain length, or why Telegram would refuse it."""

    plain: str
    entities: list[Entity]
    length: int
    error: str | None = None  # Telegram's words, for the author


def check_text(body: str) -> Checked:
    try:
        plain, entities = parse_html(body, strict=True)
    except HtmlError as exc:
        return Checked("", [], 0, str(exc))
    return Checked(plain, entities, len(plain.encode("utf-16-le")) // 2)


@dataclass(frozen=True)
class Preview:
    locale: str
    readers: int
    html: str  # safe HTML for the page, "" when there is no text
    length: int
    limit: int
    error: str | None  # Telegram's refusal
    source: str | None  # the text locale it comes from (EVERYONE, another language...)
    # The line that says who speaks, as the reader gets it above the text ("" when not given).
    byline: str = ""

    @property
    def too_long(self) -> bool:
        return self.length > self.limit


def source_of(texts: dict[str, str], locale: str) -> str | None:
    """Which stored text a reader of `locale` gets (the rule of rules.text_for)."""
    body = broadcasts.text_for(texts, locale)
    if body is None:
        return None
    for key in (
        ("sr" if locale == "sr_Latn" else locale),
        EVERYONE,
        *broadcasts.FALLBACKS.get(locale, ()),
    ):
        if key in texts:
            return key
    return next(iter(texts), None)


def previews(
    texts: dict[str, str],
    has_photo: bool,
    readers: dict[str, int],
    bylines: dict[str, str] | None = None,
) -> list[Preview]:
    """Each language group's message as they will get it, with Telegram's verdict. `bylines`:
    per locale the Telegram HTML of the line that says who speaks (the sender puts it first)."""
    limit = broadcasts.MAX_CAPTION if has_photo else broadcasts.MAX_TEXT
    found = []
    for locale in LOCALES:
        body = broadcasts.text_for(texts, locale)
        if body is None:
            found.append(Preview(locale, readers.get(locale, 0), "", 0, limit, None, None))
            continue
        checked = check_text(body)
        shown = to_page_html(checked.plain, checked.entities) if checked.error is None else ""
        found.append(
            Preview(
                locale,
                readers.get(locale, 0),
                shown,
                checked.length,
                limit,
                checked.error,
                source_of(texts, locale),
                _page_line((bylines or {}).get(locale, "")),
            )
        )
    return found


def _page_line(telegram_html: str) -> str:
    if not telegram_html:
        return ""
    checked = check_text(telegram_html)
    return to_page_html(checked.plain, checked.entities) if checked.error is None else ""


def to_page_html(plain: str, entities: Sequence[Entity]) -> str:
    """The message's text and formatting as HTML for the page: the text escaped, formatting
    as a few harmless tags, links only to web addresses (entities count UTF-16 units)."""
    opens: dict[int, list[str]] = {}
    closes: dict[int, list[str]] = {}
    for entity in sorted(entities, key=lambda e: (e.offset, -e.length)):
        if entity.type == "text_link" and entity.url.lower().startswith(("http://", "https://")):
            start, end = f'<a href="{html.escape(entity.url)}" rel="noopener">', "</a>"
        elif entity.type in _PREVIEW_TAGS:
            tag = _PREVIEW_TAGS[entity.type]
            start, end = f"<{tag}>", f"</{tag}>"
        else:
            continue
        opens.setdefault(entity.offset, []).append(start)
        closes.setdefault(entity.offset + entity.length, []).insert(0, end)
    out: list[str] = []
    unit = 0
    for char in plain:
        out += closes.pop(unit, [])
        out += opens.pop(unit, [])
        out.append(html.escape(char))
        unit += len(char.encode("utf-16-le")) // 2
    out += closes.pop(unit, [])
    for rest in sorted(closes):
        out += closes[rest]
    return "".join(out)


def problems(composed: Composed) -> list[str]:
    """What keeps the announcement from going out, as codes the page words: no_text,
    html:<locale>, long:<locale>, url."""
    found: list[str] = []
    if not any(body.strip() for body in composed.texts.values()):
        found.append("no_text")
    limit = broadcasts.MAX_CAPTION if composed.has_photo else broadcasts.MAX_TEXT
    for locale, body in composed.texts.items():
        checked = check_text(body)
        if checked.error is not None:
            found.append(f"html:{locale}")
        elif checked.length > limit:
            found.append(f"long:{locale}")
    if composed.button_kind == ButtonKind.URL:
        try:
            broadcasts.check_url(composed.button_value)
        except ValueError:
            found.append("url")
    return found


def photo_kind(data: bytes) -> str | None:
    """ "jpg" or "png" for a photo Telegram takes, None for anything else."""
    if not data or len(data) > MAX_PHOTO:
        return None
    for magic, kind in PHOTO_TYPES.items():
        if data.startswith(magic):
            return kind
    return None


@dataclass(frozen=True)
class Verdict:
    problems: list[str]
    by_locale: dict[str, int]  # who it would reach now, per language


async def check(session: AsyncSession, actor: User, composed: Composed, now: datetime) -> Verdict:
    """Everything `create` would refuse, as problem codes, so that nothing is half written:
    those of `problems`, and mentor, workshop, button_workshop, when, nobody; and the count."""
    require_staff(actor)
    found = problems(composed)
    try:
        await conditions.checked(session, composed.filters)
    except NotAllowed:
        found.append("mentor" if composed.filters.mentor is not None else "workshop")
        return Verdict(found, {})
    if composed.button_kind == ButtonKind.WORKSHOP:
        try:
            await broadcasts.bookable_workshop(session, composed.button_value)
        except NotFound:
            found.append("button_workshop")
    if composed.send_at is not None and not (
        now + broadcasts.MIN_LEAD <= composed.send_at <= now + broadcasts.SCHEDULE_AHEAD
    ):
        found.append("when")
    by_locale = await count(session, actor, composed.filters)
    if sum(by_locale.values()) == 0:
        found.append("nobody")
    return Verdict(found, by_locale)


def earliest(now: datetime) -> datetime:
    """The first time an announcement may be scheduled for."""
    return now + broadcasts.MIN_LEAD + timedelta(minutes=1)


def failures_csv(missed: Sequence[tuple[BroadcastRecipient, User]]) -> bytes:
    """Who did not get it, for a spreadsheet (the desk's download and the bot's file)."""
    return to_csv(
        Table(
            key="not_delivered",
            title="not delivered",
            headers=("name", "language", "status", "reason", "attempts"),
            rows=[
                (
                    person.display_name or "",
                    person.locale,
                    recipient.status,
                    recipient.error or "",
                    recipient.attempts,
                )
                for recipient, person in missed
            ],
        )
    )


async def count(session: AsyncSession, actor: User, filters: conditions.Filters) -> dict[str, int]:
    require_staff(actor)
    return await broadcasts.count_for(session, actor, filters)


async def create(
    session: AsyncSession,
    actor: User,
    composed: Composed,
    now: datetime,
    photo_file_id: str | None,
) -> Broadcast:
    """The announcement's rows, sent now (every recipient's row written) or scheduled; the
    author is recorded on it. Raises TooLong, Empty, NotAllowed (time, audience) or NotFound."""
    require_staff(actor)
    if problems(composed):
        raise NotAllowed("the form has problems")
    broadcast = await rows.add(
        session,
        Broadcast(
            kind=BroadcastKind.ANNOUNCEMENT,
            author_id=actor.id,
            status=BroadcastStatus.DRAFT,
            audience=Audience.ALL,
            created_at=now,
            total=0,
        ),
    )
    for locale, body in composed.texts.items():
        if body.strip():
            await broadcasts.set_text(session, actor, broadcast.id, locale, body.strip())
    if photo_file_id is not None:
        await broadcasts.set_photo(session, actor, broadcast.id, photo_file_id)
    if composed.button_kind is not None:
        await broadcasts.set_button(
            session, actor, broadcast.id, composed.button_kind, composed.button_value
        )
    await broadcasts.choose_filters(session, actor, broadcast.id, composed.filters)
    if composed.send_at is None:
        await broadcasts.send_now(
            session,
            actor,
            broadcast.id,
            now,
            report_chat_id=actor.telegram_id,
            report_message_id=None,
        )
    else:
        await broadcasts.schedule(
            session, actor, broadcast.id, composed.send_at, now, report_chat_id=actor.telegram_id
        )
    return broadcast


@dataclass(frozen=True)
class Page:
    broadcast: Broadcast
    texts: dict[str, str]
    counts: dict[str, int]
    author: User | None
    workshop: Workshop | None
    booked_from: dict[str, int] = field(default_factory=dict)
    # Who cancelled it before it went out or stopped it while sending (None: nobody, or gone).
    stopped_by: User | None = None


async def visible(session: AsyncSession, actor: User, broadcast_id: int) -> Broadcast:
    require_staff(actor)
    broadcast = await broadcasts.visible(session, actor, broadcast_id)
    if broadcast.kind != BroadcastKind.ANNOUNCEMENT:
        raise NotFound("not an announcement")
    return broadcast


async def page(session: AsyncSession, actor: User, broadcast_id: int) -> Page:
    broadcast = await visible(session, actor, broadcast_id)
    author = await session.get(User, broadcast.author_id) if broadcast.author_id else None
    return Page(
        broadcast,
        await rows.texts(session, broadcast.id),
        await rows.counts(session, broadcast.id),
        author,
        await broadcasts.button_workshop(session, broadcast),
        await rows.booked_from(session, broadcast),
        await session.get(User, broadcast.stopped_by_id) if broadcast.stopped_by_id else None,
    )


async def stop(session: AsyncSession, actor: User, broadcast_id: int, now: datetime) -> Broadcast:
    """Cancel a scheduled announcement or stop one being sent: the bot's rule, staff only."""
    await visible(session, actor, broadcast_id)
    return await broadcasts.cancel(session, actor, broadcast_id, now)


async def progress(session: AsyncSession, actor: User, broadcast_id: int) -> dict[str, object]:
    broadcast = await visible(session, actor, broadcast_id)
    counts = await rows.counts(session, broadcast.id)
    booked = await rows.booked_from(session, broadcast)
    return {
        "status": broadcast.status,
        "total": broadcast.total,
        "delivered": counts.get(RecipientStatus.SENT, 0),
        "blocked": counts.get(RecipientStatus.BLOCKED, 0),
        "failed": counts.get(RecipientStatus.FAILED, 0),
        "skipped": counts.get(RecipientStatus.SKIPPED, 0),
        "cancelled": counts.get(RecipientStatus.CANCELLED, 0),
        "left": counts.get(RecipientStatus.PENDING, 0) + counts.get(RecipientStatus.SENDING, 0),
        "booked": booked.get("booked", 0) + booked.get("offered", 0),
        "waiting": booked.get("waiting", 0),
        "finished": broadcast.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED),
    }


async def failures(
    session: AsyncSession, actor: User, broadcast_id: int
) -> Sequence[tuple[BroadcastRecipient, User]]:
    await visible(session, actor, broadcast_id)
    return await broadcasts.undelivered(session, actor, broadcast_id)


async def listed(session: AsyncSession, actor: User) -> list[Broadcast]:
    require_staff(actor)
    found = await rows.listed(
        session,
        [
            BroadcastStatus.SCHEDULED,
            BroadcastStatus.SENDING,
            BroadcastStatus.DONE,
            BroadcastStatus.CANCELLED,
        ],
        kind=BroadcastKind.ANNOUNCEMENT,
        limit=50,
    )
    return sorted(found, key=lambda b: b.id, reverse=True)


@dataclass(frozen=True)
class Announced:
    """A workshop to announce: its text per language and the audience it suggests."""

    workshop: Workshop
    texts: list[WorkshopText]
    filters: conditions.Filters


async def workshop_to_announce(session: AsyncSession, actor: User, workshop_id: int) -> Announced:
    require_staff(actor)
    workshop = await session.get(Workshop, workshop_id)
    if workshop is None or workshop.status != WorkshopStatus.SCHEDULED:
        raise NotFound("workshop")
    texts = list(
        (
            await session.execute(
                select(WorkshopText).where(WorkshopText.workshop_id == workshop.id)
            )
        ).scalars()
    )
    languages = [code for code in workshop.languages.split(",") if code]
    language = languages[0] if len(languages) == 1 else None
    filters = conditions.Filters(
        language=language if language in conditions.LANGUAGES else None,
        town=workshop.city,
        programme=workshop.programme,
    )
    return Announced(workshop, texts, filters)


def workshop_text(announced: Announced, locale: str) -> tuple[str, str | None]:
    return booking_workshops.text_for(announced.workshop, announced.texts, locale)


async def workshops_to_offer(
    session: AsyncSession, actor: User, now: datetime
) -> list[broadcasts.WorkshopChoice]:
    require_staff(actor)
    return await broadcasts.upcoming_workshops(session, actor, now, limit=50)


async def mentors(session: AsyncSession, actor: User) -> list[User]:
    require_staff(actor)
    query = select(User).where(User.role == Role.MENTOR).order_by(User.display_name, User.id)
    return list((await session.execute(query)).scalars())
