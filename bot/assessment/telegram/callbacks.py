"""Callback data of the self-assessment's buttons (prefixes short: Telegram allows 64 bytes)."""

from __future__ import annotations

from enum import StrEnum

from bot.kit.callbacks import Payload


class AssessAction(StrEnum):
    """What a AssessCb button does."""

    ANSWER = "a"
    BACK = "b"
    MENTOR_MAY_NOT_READ = "n"
    PAUSE = "p"
    SKIP = "s"
    MENTOR_MAY_READ = "y"


class AssessCb(Payload, prefix="as"):
    """A step of a self-assessment: a answer | s skip | b back | p pause | y/n mentor may read."""

    act: AssessAction
    id: int  # the assessment
    q: int  # the question's index: a button left on another question is stale
    o: int = 0  # the option's index


class StepCb(Payload, prefix="ns"):
    """A suggested next step of a completed assessment: tell my mentor."""

    id: int
    step: str


class MenteeResultsCb(Payload, prefix="mr"):
    youth: int
