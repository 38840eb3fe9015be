"""Callback data of the buttons of announcements. Prefixes are short: Telegram allows 64 bytes."""

from __future__ import annotations

from enum import StrEnum

from bot.broadcasts.models import Audience
from bot.kit.callbacks import Payload


class BcAction(StrEnum):
    """What a BcCb button does."""

    BUTTON = "btn"
    CANCEL = "cancel"
    CSV = "csv"
    DROP = "drop"
    HOME = "home"
    LIST = "list"
    NEW = "new"
    NOW = "now"
    OPEN = "open"
    PHOTO = "photo"
    PREVIEW = "prev"
    REMOVE = "rm"
    SENT = "sent"
    SHOW = "show"
    STOP = "stop"
    TEXT = "txt"
    WORKSHOP = "ws"  # v "": choose a workshop; v its id: its "Book a seat" button


class BcPart(StrEnum):
    """What BcAction.REMOVE takes off a draft."""

    TEXT = "txt"  # the text of BcCb.lang
    PHOTO = "photo"
    BUTTON = "btn"


class BcCb(Payload, prefix="bc"):
    """An announcement: `a` the action, `id` the broadcast (0: none yet)."""

    a: BcAction
    id: int = 0
    # TEXT, and REMOVE of a text: the text's language (a locale, or "*" for everyone); the
    # rules refuse any other.
    lang: str = ""
    part: BcPart | None = None  # REMOVE: what goes
    w: int = 0  # WORKSHOP: the workshop of the "Book a seat" button (0: show the choices)


class AudienceCb(Payload, prefix="ba"):
    """Who gets an announcement: `k` None shows the kinds of audience."""

    id: int
    k: Audience | None = None
    # ROLE, LANGUAGE, CITY, PROGRAMME: the chosen key, checked by the rules ("": the choices).
    v: str = ""
    m: int = 0  # MENTEES: the mentor's users.id (0: the list of mentors)
    p: int = 0  # page of the mentor list


class WhenCb(Payload, prefix="bw"):
    """Scheduling: a day (days from today, -1: pick one), then a time (minutes, -1: pick)."""

    id: int
    d: int = -1
    m: int = -1
