"""Announcements by staff and messages by mentors: who may write to whom, what one holds, and
how it moves from draft to scheduled, sending and done.

Texts are stored as Telegram HTML made by aiogram from the formatting the author used in their
own Telegram app (bold, italic, links...): whatever they typed, "<" included, arrives escaped, so
an announcement can never break the HTML of the message. Telegram's own check still runs when
the author previews, before anyone else gets it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking.models import Workshop, WorkshopStatus
from bot.broadcasts import audience as conditions
from bot.broadcasts import queries as rows
from bot.broadcasts.models import (
    EVERYONE,
    Audience,
    Broadcast,
    BroadcastKind,
    BroadcastRecipient,
    BroadcastStatus,
    ButtonKind,
)
from bot.i18n.latin import is_serbian_cyrillic, to_latin
from bot.i18n.locales import BG, EN, SR_CYRL, SR_LATN
from bot.kit.errors import NotAllowed, NotFound
from bot.people import profile
from bot.people import queries as users
from bot.people.models import Role, User

# Every message begins with who sends it (bot/broadcasts/telegram/announcement.py): what the
# author writes leaves room for that line within Telegram's 4096 and 1024 characters.
SIGNATURE_ROOM: Final = 120
MAX_TEXT: Final = 4096 - SIGNATURE_ROOM
MAX_CAPTION: Final = 1024 - SIGNATURE_ROOM  # a text under a photo
MAX_URL: Final = 512
# Serbian is written once: readers who chose Latin letters get it transliterated.
TEXT_LOCALES: Final[tuple[str, ...]] = (SR_CYRL, BG, EN)
LANGUAGE_AUDIENCES: Final[tuple[str, ...]] = (SR_CYRL, BG, EN)
SCHEDULE_AHEAD: Final = timedelta(days=60)
MIN_LEAD: Final = timedelta(minutes=1)
# When a language has no text of its own: the text for everyone, then these, in order.
FALLBACKS: Final[dict[str, tuple[str, ...]]] = {
    SR_CYRL: (EN, BG),
    SR_LATN: (EN, BG),
    BG: (EN, SR_CYRL),
    EN: (SR_CYRL, BG),
}

_TAG = re.compile(r"<[^>]*>")


class TooLong(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"longer than {limit}")
        self.limit = limit


class Empty(Exception):
    """Nothing to send yet (no text), or nobody to send it to."""


def kind_for(actor: User) -> BroadcastKind:
    """Staff announce, mentors write to their own young people, young people cannot broadcast."""
    if actor.role == Role.STAFF:
        return BroadcastKind.ANNOUNCEMENT
    if actor.role == Role.MENTOR:
        return BroadcastKind.MENTOR
    raise NotAllowed(f"{actor.role} cannot broadcast")


def can_see(actor: User, broadcast: Broadcast) -> bool:
    """Staff share announcements as a team; a mentor's messages are theirs alone."""
    if actor.role == Role.STAFF and broadcast.kind == BroadcastKind.ANNOUNCEMENT:
        return True
    return broadcast.author_id == actor.id and actor.role in (Role.STAFF, Role.MENTOR)


async def visible(session: AsyncSession, actor: User, broadcast_id: int) -> Broadcast:
    kind_for(actor)
    broadcast = await rows.get(session, broadcast_id)
    if broadcast is None or not can_see(actor, broadcast):
        raise NotFound("broadcast")
    return broadcast


async def editable(session: AsyncSession, actor: User, broadcast_id: int) -> Broadcast:
    """A draft of this author, written in the role they have now."""
    kind = kind_for(actor)
    broadcast = await rows.get(session, broadcast_id)
    if (
        broadcast is None
        or broadcast.author_id != actor.id
        or broadcast.status != BroadcastStatus.DRAFT
        or broadcast.kind != kind
    ):
        raise NotFound("draft")
    return broadcast


async def open_draft(session: AsyncSession, actor: User, now: datetime) -> Broadcast:
    """The author's unfinished draft, or a new one: staff to everyone, a mentor to theirs."""
    kind = kind_for(actor)
    draft = await rows.latest_draft(session, actor.id)
    if draft is not None and draft.kind == kind:
        return draft
    audience, value = (
        (Audience.ALL, None)
        if kind == BroadcastKind.ANNOUNCEMENT
        else (Audience.MENTEES, str(actor.id))
    )
    return await rows.add(
        session,
        Broadcast(
            kind=kind,
            author_id=actor.id,
            status=BroadcastStatus.DRAFT,
            audience=audience,
            audience_value=value,
            created_at=now,
            total=0,
        ),
    )


async def choose_audience(
    session: AsyncSession, actor: User, broadcast_id: int, audience: str, value: str | None
) -> Broadcast:
    """Staff only: a mentor's messages always go to their own young people."""
    if actor.role != Role.STAFF:
        raise NotAllowed("only staff choose an audience")
    broadcast = await editable(session, actor, broadcast_id)
    if not await _valid_audience(session, audience, value):
        raise NotAllowed(f"no audience {audience}={value}")
    broadcast.audience = audience
    broadcast.audience_value = value
    return broadcast


async def choose_filters(
    session: AsyncSession, actor: User, broadcast_id: int, filters: conditions.Filters
) -> Broadcast:
    """Staff only: several conditions at once (the desk's audience builder)."""
    if actor.role != Role.STAFF:
        raise NotAllowed("only staff choose an audience")
    broadcast = await editable(session, actor, broadcast_id)
    await conditions.checked(session, filters)
    broadcast.audience = Audience.FILTERS
    broadcast.audience_value = None
    broadcast.audience_filters = filters.encode()
    return broadcast


async def count_for(
    session: AsyncSession, actor: User, filters: conditions.Filters
) -> dict[str, int]:
    """How many people, per language, an announcement to these conditions would reach now."""
    if kind_for(actor) != BroadcastKind.ANNOUNCEMENT:
        raise NotAllowed("only staff choose an audience")
    await conditions.checked(session, filters)
    probe = Broadcast(
        kind=BroadcastKind.ANNOUNCEMENT,
        author_id=actor.id,
        audience=Audience.FILTERS,
        audience_filters=filters.encode(),
    )
    return await rows.audience_by_locale(session, probe)


async def _valid_audience(session: AsyncSession, audience: str, value: str | None) -> bool:
    match audience:
        case Audience.ALL:
            return value is None
        case Audience.ROLE:
            return value in {r.value for r in Role}
        case Audience.LANGUAGE:
            return value in LANGUAGE_AUDIENCES
        case Audience.CITY:
            return value in profile.CITIES
        case Audience.PROGRAMME:
            return value in profile.PROGRAMMES
        case Audience.MENTEES:
            if value is None or not value.isdigit():
                return False
            mentor = await users.get(session, int(value))
            return mentor is not None and mentor.role == Role.MENTOR
    return False


def plain(body: str) -> str:
    """The text as people read it: without tags, entities decoded."""
    return html.unescape(_TAG.sub("", body))


def plain_length(body: str) -> int:
    """Length as Telegram counts it, in UTF-16 code units."""
    return len(plain(body).encode("utf-16-le")) // 2


async def set_text(
    session: AsyncSession, actor: User, broadcast_id: int, locale: str, body: str | None
) -> Broadcast:
    """`body` None removes the text of that language."""
    broadcast = await editable(session, actor, broadcast_id)
    if locale not in (*TEXT_LOCALES, EVERYONE):
        raise NotAllowed(f"no text language {locale}")
    if body is not None:
        if not body.strip():
            raise Empty("blank text")
        limit = MAX_CAPTION if broadcast.photo_file_id else MAX_TEXT
        if plain_length(body) > limit:
            raise TooLong(limit)
    await rows.set_text(session, broadcast.id, locale, body)
    return broadcast


async def set_photo(
    session: AsyncSession, actor: User, broadcast_id: int, file_id: str | None
) -> Broadcast:
    broadcast = await editable(session, actor, broadcast_id)
    if file_id is not None:
        texts = await rows.texts(session, broadcast.id)
        if any(plain_length(body) > MAX_CAPTION for body in texts.values()):
            raise TooLong(MAX_CAPTION)
    broadcast.photo_file_id = file_id
    return broadcast


def check_url(url: str) -> str:
    """A web address a button may open; raises ValueError otherwise."""
    url = url.strip()
    if not url or len(url) > MAX_URL or any(c.isspace() for c in url):
        raise ValueError("not a web address")
    if "://" not in url:
        url = "https://" + url
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError as exc:  # a malformed port or IPv6 address
        raise ValueError("not a web address") from exc
    if parts.scheme not in ("http", "https") or "." not in host:
        raise ValueError("not a web address")
    return url


async def set_button(
    session: AsyncSession,
    actor: User,
    broadcast_id: int,
    kind: ButtonKind | None,
    value: str | None,
) -> Broadcast:
    broadcast = await editable(session, actor, broadcast_id)
    if kind == ButtonKind.URL:
        value = check_url(value or "")
    elif kind == ButtonKind.WORKSHOP:
        if actor.role != Role.STAFF:
            raise NotAllowed("only staff announce workshops")
        value = str(await bookable_workshop(session, value or ""))
    elif kind is not None:
        raise NotAllowed(f"no button kind {kind}")
    broadcast.button_kind = kind.value if kind else None
    broadcast.button_value = value if kind else None
    return broadcast


async def bookable_workshop(session: AsyncSession, value: str) -> int:
    """The id of a workshop a "Book a seat" button may open: one that exists, not cancelled."""
    workshop = (
        await session.get(Workshop, int(value)) if value.isdigit() and len(value) < 12 else None
    )
    if workshop is None or workshop.status != WorkshopStatus.SCHEDULED:
        raise NotFound("workshop")
    return workshop.id


@dataclass(frozen=True)
class WorkshopChoice:
    id: int
    title: str
    starts_at: datetime
    # Where its clock is (bot.booking.workshops.zone_of): its own zone, else its town's.
    timezone: str | None = None
    city: str | None = None


async def upcoming_workshops(
    session: AsyncSession, actor: User, now: datetime, limit: int = 8
) -> list[WorkshopChoice]:
    """Workshops a staff member may put a "Book a seat" button for: the next ones to start."""
    if actor.role != Role.STAFF:
        raise NotAllowed("only staff announce workshops")
    return [
        WorkshopChoice(w.id, w.title, w.starts_at, w.timezone, w.city)
        for w in await rows.upcoming_workshops(session, now, limit)
    ]


async def button_workshop(session: AsyncSession, broadcast: Broadcast) -> Workshop | None:
    """The workshop of a "Book a seat" button."""
    value = broadcast.button_value or ""
    if broadcast.button_kind != ButtonKind.WORKSHOP or not value.isdigit():
        return None
    return await session.get(Workshop, int(value))


@dataclass(frozen=True)
class Signature:
    """Who a broadcast comes from, as its readers are told at its top."""

    mentor: bool  # a mentor's message to their young people; else a staff announcement
    name: str | None = None  # the mentor's name
    programme: str | None = None  # the announcement's programme (None: the Putokaz team)


async def signature(session: AsyncSession, broadcast: Broadcast) -> Signature:
    author = await users.get(session, broadcast.author_id) if broadcast.author_id else None
    if broadcast.kind == BroadcastKind.MENTOR:
        return Signature(mentor=True, name=author.display_name if author else None)
    if broadcast.audience == Audience.PROGRAMME and broadcast.audience_value in profile.PROGRAMMES:
        return Signature(mentor=False, programme=broadcast.audience_value)
    if broadcast.audience == Audience.FILTERS:
        chosen = conditions.decode(broadcast.audience_filters).programme
        return announcement_signature(author, chosen)
    return announcement_signature(author, None)


def announcement_signature(author: User | None, programme: str | None) -> Signature:
    """Staff's announcement speaks for the programme it is sent to, else the author's own
    programme, else the Putokaz team (the desk's preview uses this too)."""
    chosen = programme if programme in profile.PROGRAMMES else None
    return Signature(mentor=False, programme=chosen or (author.programme if author else None))


def text_for(texts: dict[str, str], locale: str) -> str | None:
    """What a reader of `locale` gets: their language, the text for everyone, then others."""
    source = SR_CYRL if locale == SR_LATN else locale
    body = texts.get(source) or texts.get(EVERYONE)
    if body is None:
        for other in FALLBACKS.get(locale, (EN,)):
            if other in texts:
                body = texts[other]
                break
    if body is None and texts:
        body = next(iter(texts.values()))
    if body is not None and locale == SR_LATN:
        body = latin_html(body)
    return body


def latin_html(body: str) -> str:
    """Serbian Latin from Serbian Cyrillic HTML: text only, so links and tags stay as they are.
    Text in another language (Bulgarian above all) is shown as the author wrote it."""
    parts = re.split(r"(<[^>]*>)", body)
    if not is_serbian_cyrillic("".join(p for p in parts if not p.startswith("<"))):
        return body
    return "".join(p if p.startswith("<") else to_latin(p) for p in parts)


@dataclass(frozen=True)
class Draft:
    broadcast: Broadcast
    texts: dict[str, str]
    by_locale: dict[str, int]  # recipients now, per language

    @property
    def total(self) -> int:
        return sum(self.by_locale.values())


async def draft(session: AsyncSession, actor: User, broadcast_id: int) -> Draft:
    broadcast = await editable(session, actor, broadcast_id)
    return await describe(session, broadcast)


async def describe(session: AsyncSession, broadcast: Broadcast) -> Draft:
    return Draft(
        broadcast,
        await rows.texts(session, broadcast.id),
        await rows.audience_by_locale(session, broadcast),
    )


async def _ready(session: AsyncSession, actor: User, broadcast_id: int) -> Draft:
    found = await draft(session, actor, broadcast_id)
    if not found.texts or found.total == 0:
        raise Empty("no text" if not found.texts else "nobody")
    return found


async def send_now(
    session: AsyncSession,
    actor: User,
    broadcast_id: int,
    now: datetime,
    *,
    report_chat_id: int,
    report_message_id: int | None,
) -> int:
    """Writes every recipient's row; the sender job delivers them. Returns how many."""
    ready = await _ready(session, actor, broadcast_id)
    broadcast = ready.broadcast
    broadcast.status = BroadcastStatus.SENDING
    broadcast.started_at = now
    broadcast.report_chat_id = report_chat_id
    broadcast.report_message_id = report_message_id
    return await rows.materialize(session, broadcast, now)


async def schedule(
    session: AsyncSession,
    actor: User,
    broadcast_id: int,
    when: datetime,
    now: datetime,
    *,
    report_chat_id: int,
) -> Broadcast:
    if not now + MIN_LEAD <= when <= now + SCHEDULE_AHEAD:
        raise NotAllowed("outside the scheduling window")
    broadcast = (await _ready(session, actor, broadcast_id)).broadcast
    broadcast.status = BroadcastStatus.SCHEDULED
    broadcast.send_at = when
    broadcast.report_chat_id = report_chat_id
    return broadcast


async def discard(session: AsyncSession, actor: User, broadcast_id: int) -> None:
    broadcast = await editable(session, actor, broadcast_id)
    await rows.delete_broadcast(session, broadcast.id)


async def cancel(session: AsyncSession, actor: User, broadcast_id: int, now: datetime) -> Broadcast:
    """A scheduled one is cancelled; one being sent stops (messages in flight still arrive).
    Who did it and when is kept on the broadcast (the first one to do it, if two press)."""
    broadcast = await visible(session, actor, broadcast_id)
    if broadcast.status not in (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING):
        raise NotFound("nothing to cancel")
    cancelled = await rows.set_status(
        session, broadcast.id, [BroadcastStatus.SCHEDULED], BroadcastStatus.CANCELLED
    )
    if not cancelled:  # sending, or it started just now
        await rows.cancel_waiting(session, broadcast.id)
    await rows.mark_stopped(session, broadcast.id, actor.id, now)
    await session.refresh(broadcast)
    return broadcast


async def scheduled(session: AsyncSession, actor: User) -> Sequence[Broadcast]:
    return await _listed(session, actor, [BroadcastStatus.SCHEDULED])


async def recent(session: AsyncSession, actor: User) -> Sequence[Broadcast]:
    found = await _listed(
        session, actor, [BroadcastStatus.SENDING, BroadcastStatus.DONE, BroadcastStatus.CANCELLED]
    )
    return sorted(found, key=lambda b: b.id, reverse=True)


async def _listed(
    session: AsyncSession, actor: User, statuses: list[BroadcastStatus]
) -> Sequence[Broadcast]:
    kind = kind_for(actor)
    if kind == BroadcastKind.ANNOUNCEMENT:
        found = await rows.listed(session, statuses, kind=kind, limit=30)
    else:
        found = await rows.listed(session, statuses, author_id=actor.id, kind=kind, limit=30)
    return [b for b in found if can_see(actor, b)][:10]


@dataclass(frozen=True)
class Report:
    broadcast: Broadcast
    counts: dict[str, int]
    texts: dict[str, str]
    mentor: User | None  # whose young people, for that audience
    booked: dict[str, int] | None = None  # "Book a seat": bookings made with it, by status


async def report(session: AsyncSession, actor: User, broadcast_id: int) -> Report:
    broadcast = await visible(session, actor, broadcast_id)
    workshop = broadcast.button_kind == ButtonKind.WORKSHOP
    return Report(
        broadcast,
        await rows.counts(session, broadcast.id),
        await rows.texts(session, broadcast.id),
        await audience_mentor(session, broadcast),
        await rows.booked_from(session, broadcast) if workshop else None,
    )


async def audience_mentor(session: AsyncSession, broadcast: Broadcast) -> User | None:
    value = broadcast.audience_value or ""
    if broadcast.audience != Audience.MENTEES or not value.isdigit():
        return None
    return await users.get(session, int(value))


@dataclass(frozen=True)
class Home:
    has_draft: bool
    scheduled: int


async def home(session: AsyncSession, actor: User) -> Home:
    kind_for(actor)
    draft = await rows.latest_draft(session, actor.id)
    return Home(draft is not None, len(await scheduled(session, actor)))


async def undelivered(
    session: AsyncSession, actor: User, broadcast_id: int
) -> Sequence[tuple[BroadcastRecipient, User]]:
    broadcast = await visible(session, actor, broadcast_id)
    return await rows.undelivered(session, broadcast.id)


# The sender's side


async def start_due(session: AsyncSession, now: datetime) -> Sequence[Broadcast]:
    """Scheduled broadcasts whose time has come: their recipients are chosen now."""
    started = await rows.start_due(session, now)
    for broadcast in started:
        await rows.materialize(session, broadcast, now)
    return started


async def export(session: AsyncSession, user: User) -> dict[str, Any]:
    """For /mydata: what this person received, and what they wrote to others."""

    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    received = await rows.received_by(session, user.id)
    written = await rows.written_by(session, user.id)
    written_texts = {b.id: await rows.texts(session, b.id) for b in written}
    stopped = await rows.stopped_by(session, user.id)
    return {
        "announcements_received": [
            {
                "kind": b.kind,
                "status": r.status,
                "sent_at": when(r.sent_at),
                "attempts": r.attempts,
            }
            for r, b in received
        ],
        "announcements_written": [
            {
                "kind": b.kind,
                "status": b.status,
                "audience": b.audience,
                "audience_value": b.audience_value,
                "created_at": when(b.created_at),
                "send_at": when(b.send_at),
                "texts": written_texts[b.id],
                "recipients": b.total,
            }
            for b in written
        ],
        # What they cancelled or stopped; the texts are the team's, not this person's.
        "announcements_stopped": [
            {
                "kind": b.kind,
                "status": b.status,
                "stopped_at": when(b.stopped_at),
                "was_scheduled_for": when(b.send_at),
            }
            for b in stopped
        ],
    }
