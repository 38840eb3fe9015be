"""Pure rules of the self-assessment: which question comes next, progress, scores, suggestions.

No database and no Telegram here, so every rule is a plain unit test.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.assessment.questionnaire import (
    MAX_SCORE,
    MIN_SCORE,
    Domain,
    Kind,
    NextStep,
    Question,
    Questionnaire,
)

# A domain at or above this level is a strength; below it, it may need support.
STRENGTH_LEVEL = 4
MOST_NEEDS = 3
MOST_STEPS = 3


@dataclass(frozen=True)
class Given:
    """What a person gave for one question."""

    option: str | None = None
    skipped: bool = False
    has_text: bool = False
    shared: bool | None = None


Answers = Mapping[str, Given]


def is_asked(
    questionnaire: Questionnaire, question: Question, answers: Answers, allow_text: bool
) -> bool:
    """Whether the question belongs to this person's path, given the answers so far."""
    if question.kind == Kind.TEXT and not allow_text:
        return False
    condition = question.condition
    if condition is None:
        return True
    target = questionnaire.question(condition.asked)
    if target is None or not is_asked(questionnaire, target, answers, allow_text):
        return False
    given = answers.get(condition.asked)
    return given is not None and given.option in condition.answer_in


def first_question(
    questionnaire: Questionnaire, answers: Answers, allow_text: bool
) -> Question | None:
    return next_question(questionnaire, None, answers, allow_text)


def next_question(
    questionnaire: Questionnaire, after: Question | None, answers: Answers, allow_text: bool
) -> Question | None:
    start = 0 if after is None else after.index + 1
    for question in questionnaire.questions[start:]:
        if is_asked(questionnaire, question, answers, allow_text):
            return question
    return None


def previous_question(
    questionnaire: Questionnaire, before: Question, answers: Answers, allow_text: bool
) -> Question | None:
    for question in reversed(questionnaire.questions[: before.index]):
        if is_asked(questionnaire, question, answers, allow_text):
            return question
    return None


def _counted(question: Question, allow_text: bool) -> bool:
    """Whether a question has a number of its own in the counter: every question asked of
    everyone. A follow-up asked only after some answers (`if`) keeps the number of the question
    before it, so a branching answer never makes the total jump: it stays the same from the
    first question to the last, and what is left goes down by one per numbered step."""
    if question.kind == Kind.TEXT and not allow_text:
        return False
    return question.condition is None


def progress(
    questionnaire: Questionnaire, current: Question, answers: Answers, allow_text: bool
) -> tuple[int, int]:
    """("7", "27"): the current question's number and how many numbered questions there are."""
    numbered = [q for q in questionnaire.questions if _counted(q, allow_text)]
    before = sum(1 for q in numbered if q.index < current.index)
    position = before + 1 if _counted(current, allow_text) else max(before, 1)
    return position, len(numbered)


@dataclass(frozen=True)
class DomainScore:
    domain: str
    average: float | None  # None: every question of the domain was skipped
    answered: int

    @property
    def level(self) -> int | None:
        return level_of(self.average)


def level_of(average: float | None) -> int | None:
    """The bar's length: the average rounded half up, so 3.5 shows as 4."""
    if average is None:
        return None
    return max(MIN_SCORE, min(MAX_SCORE, math.floor(average + 0.5)))


def score(questionnaire: Questionnaire, answers: Answers) -> dict[str, DomainScore]:
    """Each domain's average over the questions on the person's path that they answered."""
    points: dict[str, list[int]] = {d.id: [] for d in questionnaire.domains}
    for question in questionnaire.questions:
        if question.domain is None or not is_asked(questionnaire, question, answers, True):
            continue
        given = answers.get(question.id)
        option = question.option(given.option if given else None)
        if option is not None and option.score is not None:
            points[question.domain].append(option.score)
    return {
        domain: DomainScore(domain, sum(values) / len(values) if values else None, len(values))
        for domain, values in points.items()
    }


def strengths(questionnaire: Questionnaire, scores: Mapping[str, DomainScore]) -> list[Domain]:
    strong = [s for s in scores.values() if s.level is not None and s.level >= STRENGTH_LEVEL]
    strong.sort(key=lambda s: -(s.average or 0))
    return [d for s in strong[:MOST_NEEDS] if (d := questionnaire.domain(s.domain)) is not None]


def needs(questionnaire: Questionnaire, scores: Mapping[str, DomainScore]) -> list[Domain]:
    """The (at most three) lowest domains that are not strengths, lowest first."""
    weak = [s for s in scores.values() if s.level is not None and s.level < STRENGTH_LEVEL]
    weak.sort(key=lambda s: s.average or 0)
    return [d for s in weak[:MOST_NEEDS] if (d := questionnaire.domain(s.domain)) is not None]


def suggestions(questionnaire: Questionnaire, scores: Mapping[str, DomainScore]) -> list[NextStep]:
    """Next steps for domains below each step's threshold; those for the lowest domains first."""
    ranked: list[tuple[float, int, NextStep]] = []
    for order, step in enumerate(questionnaire.next_steps):
        averages = [
            s.average
            for d in step.domains
            if (s := scores.get(d)) is not None and s.average is not None
        ]
        if averages and min(averages) < step.below:
            ranked.append((min(averages), order, step))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [step for _, _, step in ranked[:MOST_STEPS]]


def change(current: float | None, previous: float | None) -> int | None:
    """+1 better, -1 worse, 0 about the same, None when either is missing.

    Decided on the bars' levels, the rule the bars are drawn by: an arrow up or down always
    sits beside a bar that grew or shrank, and an unchanged bar always gets ➡️."""
    now, before = level_of(current), level_of(previous)
    if now is None or before is None:
        return None
    return (now > before) - (now < before)


def bar(level: int | None) -> str:
    if level is None:
        return "▱" * MAX_SCORE
    return "▰" * level + "▱" * (MAX_SCORE - level)


def in_domain_order(
    questionnaire: Questionnaire, scores: Mapping[str, DomainScore]
) -> Sequence[tuple[Domain, DomainScore]]:
    return [(d, scores[d.id]) for d in questionnaire.domains if d.id in scores]
