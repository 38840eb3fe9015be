"""Refusals a service gives; the Telegram layer turns each into a polite, localized line."""

from __future__ import annotations

from enum import StrEnum


class NotAllowed(Exception):
    """The person may not do this (wrong role, or not theirs)."""


class NotFound(Exception):
    """Nothing of that id that this person may see. Deliberately the same for both cases."""


class Reason(StrEnum):
    """Why something typed or picked in a form does not fit (the form words it)."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_A_LINK = "not_a_link"
    NOT_A_TIME = "not_a_time"
    NOT_HOURS = "not_hours"
    END_FIRST = "end_first"
    SEATS = "seats"
    PAST_DAY = "past_day"
    PAST_TIME = "past_time"
    BEFORE_FIRST = "before_first"
    TOO_FAR = "too_far"  # a day more than `limit` years ahead


class Unfit(ValueError):
    """Input for a form's field that does not fit; `limit` is the one it broke, if any."""

    def __init__(self, reason: Reason, limit: int = 0) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.limit = limit
