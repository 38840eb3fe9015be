"""The self-assessment as a person lives it: start, answer, go back, skip, pause, finish, compare.

Progress is in the database after every step, so a person continues days later or after a
restart exactly where they were. Who may see what is decided here, never in the handlers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.assessment import queries as rows
from bot.assessment import scoring
from bot.assessment.models import (
    Assessment,
    AssessmentKind,
    AssessmentScore,
    AssessmentStatus,
)
from bot.assessment.questionnaire import (
    Domain,
    Kind,
    NextStep,
    Question,
    Questionnaire,
    Questionnaires,
)
from bot.assessment.scoring import DomainScore, Given
from bot.kit.errors import NotAllowed, NotFound
from bot.kit.sealing import Sealer
from bot.people import mentoring
from bot.people import queries as users
from bot.people.models import Role, User


class Stale(Exception):
    """A button for a question that is not the current one (tapped twice, or an old message)."""


class NotExpectingText(Exception):
    """Typed text while the current question wants a button."""


@dataclass(frozen=True)
class Screen:
    """The current question, as the person should see it now."""

    assessment_id: int
    question: Question
    position: int
    total: int
    chosen: str | None  # the option picked earlier, when they came back with Back
    awaiting_share: bool  # they wrote text and have not said whether their mentor may read it
    can_go_back: bool
    domain: Domain | None
    short: bool = False  # the short check, one question per domain


@dataclass(frozen=True)
class Results:
    assessment: Assessment
    questionnaire: Questionnaire
    scores: dict[str, DomainScore]
    previous: Assessment | None
    previous_scores: dict[str, DomainScore] | None
    strengths: list[Domain]
    needs: list[Domain]
    steps: list[NextStep]
    requested: frozenset[str] = frozenset()

    @property
    def short(self) -> bool:
        return self.assessment.kind == AssessmentKind.SHORT

    def domains(self) -> Sequence[tuple[Domain, DomainScore, DomainScore | None]]:
        """Each domain of this version with its score and the previous score, if any."""
        previous = self.previous_scores or {}
        return [
            (domain, score, previous.get(domain.id))
            for domain, score in scoring.in_domain_order(self.questionnaire, self.scores)
        ]


Outcome = Screen | Results


@dataclass(frozen=True)
class Overview:
    in_progress: Screen | None
    completed: int


async def _given(session: AsyncSession, assessment_id: int) -> dict[str, Given]:
    return {
        question: Given(option=option, skipped=skipped, has_text=has_text, shared=shared)
        for question, option, skipped, has_text, shared in await rows.given(session, assessment_id)
    }


def _version(questionnaires: Questionnaires, assessment: Assessment) -> Questionnaire:
    questionnaire = questionnaires.get(assessment.version)
    if questionnaire is None:
        # Only when someone deleted an old file the README says to keep.
        raise NotFound(f"questionnaire version {assessment.version}")
    if assessment.kind == AssessmentKind.SHORT:
        short = questionnaire.short_check()
        if short is None:
            raise NotFound(f"short check of version {assessment.version}")
        return short
    return questionnaire


async def _screen(
    session: AsyncSession,
    questionnaires: Questionnaires,
    assessment: Assessment,
    allow_text: bool,
    now: datetime,
    answers: dict[str, Given] | None = None,
) -> Outcome:
    questionnaire = _version(questionnaires, assessment)
    if answers is None:
        answers = await _given(session, assessment.id)
    question = questionnaire.question(assessment.current_question)
    if question is None or not scoring.is_asked(questionnaire, question, answers, allow_text):
        # No longer on this person's path (DATA_KEY was removed, say): move on.
        question = scoring.next_question(questionnaire, question, answers, allow_text)
        if question is None:
            return await _complete(session, questionnaires, assessment, now)
        assessment.current_question = question.id
    position, total = scoring.progress(questionnaire, question, answers, allow_text)
    given = answers.get(question.id)
    previous = scoring.previous_question(questionnaire, question, answers, allow_text)
    return Screen(
        assessment_id=assessment.id,
        question=question,
        position=position,
        total=total,
        chosen=given.option if given else None,
        awaiting_share=bool(given and given.has_text and given.shared is None),
        can_go_back=previous is not None,
        domain=questionnaire.domain(question.domain) if question.domain else None,
        short=assessment.kind == AssessmentKind.SHORT,
    )


def _youth(user: User) -> None:
    if user.role != Role.YOUTH:
        raise NotAllowed("only young people take the self-assessment")


async def overview(
    session: AsyncSession,
    user: User,
    questionnaires: Questionnaires,
    *,
    allow_text: bool,
    now: datetime,
) -> Overview:
    _youth(user)
    current = await rows.in_progress(session, user.id)
    screen = None
    if current is not None:
        outcome = await _screen(session, questionnaires, current, allow_text, now)
        screen = outcome if isinstance(outcome, Screen) else None
    return Overview(screen, await rows.count_completed(session, user.id))


async def begin(
    session: AsyncSession,
    user: User,
    questionnaires: Questionnaires,
    *,
    allow_text: bool,
    now: datetime,
    fresh: bool = False,
    kind: AssessmentKind | None = None,
) -> Outcome:
    """Continues the assessment in progress (whatever `kind` an old button asks for: answers
    are never thrown away by a stale tap), or starts one of `kind` (the full one when not
    given) under the newest version. `fresh` restarts the one in progress, of its kind."""
    _youth(user)
    current = await rows.in_progress(session, user.id)
    if current is not None and fresh:
        kind = AssessmentKind(current.kind)
        await rows.remove(session, current.id)
        await session.flush()
        current = None
    if current is None:
        kind = kind or AssessmentKind.FULL
        full = questionnaires.current
        questionnaire = full.short_check() if kind == AssessmentKind.SHORT else full
        if questionnaire is None:
            raise NotFound("no short check in this questionnaire")
        first = scoring.first_question(questionnaire, {}, allow_text)
        assert first is not None  # the loader refuses a file without questions
        current = await rows.open_new(session, user.id, full.version, first.id, now, kind)
    return await _screen(session, questionnaires, current, allow_text, now)


async def _own_open(session: AsyncSession, user: User, assessment_id: int) -> Assessment:
    _youth(user)
    assessment = await rows.get(session, assessment_id)
    if (
        assessment is None
        or assessment.user_id != user.id
        or assessment.status != AssessmentStatus.IN_PROGRESS
    ):
        raise NotFound("assessment")
    return assessment


async def _at(
    session: AsyncSession,
    user: User,
    questionnaires: Questionnaires,
    assessment_id: int,
    question_index: int,
) -> tuple[Assessment, Questionnaire, Question]:
    assessment = await _own_open(session, user, assessment_id)
    questionnaire = _version(questionnaires, assessment)
    question = questionnaire.question(assessment.current_question)
    if question is None or question.index != question_index:
        raise Stale(question_index)
    return assessment, questionnaire, question


async def _advance(
    session: AsyncSession,
    questionnaires: Questionnaires,
    assessment: Assessment,
    questionnaire: Questionnaire,
    after: Question,
    allow_text: bool,
    now: datetime,
) -> Outcome:
    answers = await _given(session, assessment.id)
    following = scoring.next_question(questionnaire, after, answers, allow_text)
    assessment.updated_at = now
    if following is None:
        return await _complete(session, questionnaires, assessment, now, answers)
    assessment.current_question = following.id
    return await _screen(session, questionnaires, assessment, allow_text, now, answers)


async def choose(
    session: AsyncSession,
    user: User,
    questionnaires: Questionnaires,
    *,
    assessment_id: int,
    question_index: int,
    option_index: int,
    allow_text: bool,
    now: datetime,
) -> Outcome:
    assessment, questionnaire, question = await _at(
        session, user, questionnaires, assessment_id, question_index
    )
    if question.kind != Kind.CHOICE or not 0 <= option_index < len(question.options):
        raise Stale(question_index)
    option = question.options[option_index]
    await rows.save_answer(
        session, assessment.id, question.id,
        option=option.id, skipped=False, sealed_text=None, shared=None, now=now,
    )  # fmt: skip
    return await _advance(
        session, questionnaires, assessment, questionnaire, question, allow_text, now
    )


async def skip(
    session: AsyncSession,
    user: User,
    questionnaires: Questionnaires,
    *,
    assessment_id: int,
    question_index: int,
    allow_text: bool,
    now: datetime,
) -> Outcome:
    assessment, questionnaire, question = await _at(
        session, user, questionnaires, assessment_id, question_index
    )
    if not question.skippable:
        raise Stale(question_index)
    await rows.save_answer(
        session, assessment.id, question.id,
        option=None, skipped=True, sealed_text=None, shared=None, now=now,
    )  # fmt: skip
    return await _advance(
        session, questionnaires, assessment, questionnaire, question, allow_text, now
    )


async def back(
    session: AsyncSession,
    user: User,
    questionnaires: Questionnaires,
    *,
    assessment_id: int,
    question_index: int,
    allow_text: bool,
    now: datetime,
) -> Outcome:
    """The previous question on the path; its earlier answer stays until replaced."""
    assessment, questionnaire, question = await _at(
        session, user, questionnaires, assessment_id, question_index
    )
    answers = await _given(session, assessment.id)
    previous = scoring.previous_question(questionnaire, question, answers, allow_text)
    if previous is not None:
        assessment.current_question = previous.id
        assessment.updated_at = now
    return await _screen(session, questionnaires, assessment, allow_text, now, answers)


async def check_current(
    session: AsyncSession,
    user: User,
    questionnaires: Questionnaires,
    *,
    assessment_id: int,
    question_index: int,
    allow_text: bool,
    now: datetime,
) -> Screen:
    """For Pause: the person's own, open assessment at that question."""
    assessment, _questionnaire, _question = await _at(
        session, user, questionnaires, assessment_id, question_index
    )
    outcome = await _screen(session, questionnaires, assessment, allow_text, now)
    if not isinstance(outcome, Screen):
        raise Stale(question_index)
    return outcome


async def current_screen(
    session: AsyncSession,
    user: User,
    questionnaires: Questionnaires,
    *,
    allow_text: bool,
    now: datetime,
) -> Outcome | None:
    _youth(user)
    assessment = await rows.in_progress(session, user.id)
    if assessment is None:
        return None
    return await _screen(session, questionnaires, assessment, allow_text, now)


async def write(
    session: AsyncSession,
    user: User,
    questionnaires: Questionnaires,
    sealer: Sealer | None,
    *,
    text: str,
    now: datetime,
) -> Outcome:
    """Typed words for a text question: sealed, then the mentor question (if there is a mentor)."""
    _youth(user)
    assessment = await rows.in_progress(session, user.id)
    if assessment is None:
        raise NotFound("assessment")
    outcome = await _screen(session, questionnaires, assessment, sealer is not None, now)
    if (
        not isinstance(outcome, Screen)
        or outcome.question.kind != Kind.TEXT
        or outcome.awaiting_share
        or sealer is None
    ):
        raise NotExpectingText()
    has_mentor = await mentoring.has_mentor(session, user.id)
    await rows.save_answer(
        session, assessment.id, outcome.question.id,
        option=None, skipped=False, sealed_text=sealer.seal(text.strip()),
        shared=None if has_mentor else False, now=now,
    )  # fmt: skip
    if has_mentor:
        assessment.updated_at = now
        return await _screen(session, questionnaires, assessment, True, now)
    questionnaire = _version(questionnaires, assessment)
    return await _advance(session, questionnaires, assessment, questionnaire, outcome.question,
                          True, now)  # fmt: skip


async def share(
    session: AsyncSession,
    user: User,
    questionnaires: Questionnaires,
    *,
    assessment_id: int,
    question_index: int,
    allow: bool,
    allow_text: bool,
    now: datetime,
) -> Outcome:
    """Whether the mentor may read what was just written; asked once, when it is written."""
    assessment, questionnaire, question = await _at(
        session, user, questionnaires, assessment_id, question_index
    )
    if question.kind != Kind.TEXT or not await rows.set_shared(
        session, assessment.id, question.id, allow
    ):
        raise Stale(question_index)
    return await _advance(
        session, questionnaires, assessment, questionnaire, question, allow_text, now
    )


async def _complete(
    session: AsyncSession,
    questionnaires: Questionnaires,
    assessment: Assessment,
    now: datetime,
    answers: dict[str, Given] | None = None,
) -> Results:
    questionnaire = _version(questionnaires, assessment)
    if answers is None:
        answers = await _given(session, assessment.id)
    scores = scoring.score(questionnaire, answers)
    assessment.status = AssessmentStatus.COMPLETED
    assessment.open_for = None
    assessment.current_question = None
    assessment.completed_at = now
    assessment.updated_at = now
    first = await rows.first_averages(session, assessment.user_id, assessment.kind, assessment.id)
    await rows.supersede(session, assessment.user_id, assessment.kind, assessment.id, now)
    await rows.add_scores(
        session,
        [
            AssessmentScore(
                assessment_id=assessment.id,
                domain=s.domain,
                average=round(s.average, 3),
                level=s.level,
                answered=s.answered,
                first_average=first.get(s.domain),
            )
            for s in scores.values()
            if s.average is not None and s.level is not None
        ],
    )
    return await _results(session, questionnaires, assessment)


def _stored_scores(stored: Sequence[AssessmentScore]) -> dict[str, DomainScore]:
    return {s.domain: DomainScore(s.domain, s.average, s.answered) for s in stored}


async def _results(
    session: AsyncSession, questionnaires: Questionnaires, assessment: Assessment
) -> Results:
    questionnaire = _version(questionnaires, assessment)
    stored = _stored_scores(await rows.scores(session, assessment.id))
    scores = {d.id: stored.get(d.id, DomainScore(d.id, None, 0)) for d in questionnaire.domains}
    # Compared only with one of the same kind: a short check's single question per domain and
    # a full assessment's several would show changes that are only a difference of method.
    earlier = [
        a
        for a in await rows.completed(session, assessment.user_id)
        if a.id != assessment.id
        and a.kind == assessment.kind
        and a.completed_at is not None
        and assessment.completed_at is not None
        and (a.completed_at, a.id) < (assessment.completed_at, assessment.id)
    ]
    previous = earlier[0] if earlier else None
    previous_scores = _stored_scores(await rows.scores(session, previous.id)) if previous else None
    return Results(
        assessment=assessment,
        questionnaire=questionnaire,
        scores=scores,
        previous=previous,
        previous_scores=previous_scores,
        strengths=scoring.strengths(questionnaire, scores),
        needs=scoring.needs(questionnaire, scores),
        steps=scoring.suggestions(questionnaire, scores),
        requested=frozenset(s for s in assessment.requested_steps.split(",") if s),
    )


async def latest(
    session: AsyncSession, user: User, questionnaires: Questionnaires
) -> Results | None:
    """The person's own newest completed assessment, compared with the one before."""
    newest = await rows.completed(session, user.id, limit=1)
    if not newest:
        return None
    return await _results(session, questionnaires, newest[0])


async def history(
    session: AsyncSession, user: User, questionnaires: Questionnaires
) -> tuple[Results | None, int]:
    """For "My progress": the newest results (with the change since the one before), and how
    many the person has finished."""
    return await latest(session, user, questionnaires), await rows.count_completed(session, user.id)


async def own_results(
    session: AsyncSession, user: User, questionnaires: Questionnaires, assessment_id: int
) -> Results:
    assessment = await rows.get(session, assessment_id)
    if (
        assessment is None
        or assessment.user_id != user.id
        or assessment.status != AssessmentStatus.COMPLETED
    ):
        raise NotFound("assessment")
    return await _results(session, questionnaires, assessment)


@dataclass(frozen=True)
class Request:
    step: NextStep
    mentors: Sequence[User]
    already: bool


async def ask_mentor(
    session: AsyncSession,
    user: User,
    questionnaires: Questionnaires,
    *,
    assessment_id: int,
    step_id: str,
) -> Request:
    """A suggested next step the person wants: their mentors are told (once per step)."""
    results = await own_results(session, user, questionnaires, assessment_id)
    step = results.questionnaire.step(step_id)
    if step is None or step not in results.steps:
        raise NotFound("step")
    mentors = [m for m, _link in await mentoring.mentors(session, user.id)]
    already = step.id in results.requested
    if mentors and not already:
        requested = sorted(results.requested | {step.id})
        results.assessment.requested_steps = ",".join(requested)
    return Request(step, mentors, already)


@dataclass(frozen=True)
class SharedText:
    question: Question
    text: str | None  # None: sealed with another key, cannot be read


@dataclass(frozen=True)
class MenteeView:
    youth: User
    results: Results | None
    shared: Sequence[SharedText] = field(default_factory=list)


async def _mentee(session: AsyncSession, mentor: User, youth_id: int) -> User:
    """The privacy rule of the self-assessment: only the young person's own mentor sees their
    results. Staff see counts and averages (`figures`), never one person's answers or scores."""
    if mentor.role != Role.MENTOR:
        raise NotAllowed("only mentors")
    youth = await users.get(session, youth_id)
    if youth is None or await mentoring.find(session, mentor.id, youth_id) is None:
        raise NotFound("mentee")
    return youth


async def for_mentor(
    session: AsyncSession,
    mentor: User,
    questionnaires: Questionnaires,
    sealer: Sealer | None,
    youth_id: int,
) -> MenteeView:
    """A mentee's latest results; free text only where they allowed their mentor to read it."""
    youth = await _mentee(session, mentor, youth_id)
    results = await latest(session, youth, questionnaires)
    if results is None:
        return MenteeView(youth, None)
    shared = []
    for answer in await rows.answers(session, results.assessment.id):
        question = results.questionnaire.question(answer.question)
        if question is None or not answer.shared_with_mentor or answer.sealed_text is None:
            continue
        text = sealer.open(answer.sealed_text) if sealer is not None else None
        shared.append(SharedText(question, text))
    return MenteeView(youth, results, shared)


@dataclass(frozen=True)
class Taken:
    """One completed assessment with its stored scores per domain."""

    assessment: Assessment
    scores: dict[str, float]  # domain id: average 1.0 – 5.0; a domain all skipped is absent


@dataclass(frozen=True)
class Track:
    """The assessments of one kind, oldest first: full ones and short checks are two tracks,
    never compared with each other (a difference of method is not a change of life)."""

    kind: AssessmentKind
    domains: tuple[Domain, ...]  # those of the newest one's questionnaire, in its order
    taken: list[Taken]

    @property
    def first(self) -> Taken:
        return self.taken[0]

    @property
    def latest(self) -> Taken:
        return self.taken[-1]

    def change(self, domain: str) -> float | None:
        """From the first to the latest of this kind; None with one assessment or a gap."""
        if len(self.taken) < 2:
            return None
        first, latest = self.first.scores.get(domain), self.latest.scores.get(domain)
        return None if first is None or latest is None else latest - first

    def step(self, index: int, domain: str) -> float | None:
        """The change of the `index`th assessment from the one before it (of this kind)."""
        if index <= 0:
            return None
        now, before = self.taken[index].scores.get(domain), self.taken[index - 1].scores.get(domain)
        return None if now is None or before is None else now - before


@dataclass(frozen=True)
class MenteeHistory:
    youth: User
    tracks: list[Track]  # the full self-assessment first, then the short check; only kinds taken

    @property
    def newest_first(self) -> list[tuple[Taken, AssessmentKind]]:
        """Every completed assessment, newest first, with its kind (the desk's list)."""
        every = [(t, track.kind) for track in self.tracks for t in track.taken]
        return sorted(
            every, key=lambda pair: (pair[0].assessment.completed_at, pair[0].assessment.id),
            reverse=True,
        )  # fmt: skip

    def track(self, kind: str) -> Track | None:
        return next((t for t in self.tracks if t.kind == kind), None)


async def history_for_mentor(
    session: AsyncSession, mentor: User, questionnaires: Questionnaires, youth_id: int
) -> MenteeHistory:
    """A mentee's every completed assessment with its scores, by kind; the same rule as
    `for_mentor` (their own mentor only). No answers and no text: scores per domain."""
    youth = await _mentee(session, mentor, youth_id)
    done = [a for a in await rows.completed(session, youth.id) if a.completed_at is not None]
    done.reverse()  # oldest first
    stored: dict[int, dict[str, float]] = {a.id: {} for a in done}
    for score in await rows.scores_of(session, [a.id for a in done]):
        stored[score.assessment_id][score.domain] = score.average
    tracks = []
    for kind in (AssessmentKind.FULL, AssessmentKind.SHORT):
        taken = [Taken(a, stored[a.id]) for a in done if a.kind == kind]
        if not taken:
            continue
        try:
            domains = _version(questionnaires, taken[-1].assessment).domains
        except NotFound:
            continue  # its questionnaire file was removed: nothing to name the domains by
        tracks.append(Track(kind, domains, taken))
    return MenteeHistory(youth, tracks)


@dataclass(frozen=True)
class DomainFigures:
    domain: Domain
    people: int
    average: float | None
    levels: tuple[int, ...]  # how many people at level 1, 2, 3, 4, 5


async def figures(
    session: AsyncSession, actor: User, questionnaires: Questionnaires
) -> tuple[int, list[DomainFigures]]:
    """Staff see only counts and averages of everyone's latest assessment, never answers."""
    if actor.role != Role.STAFF:
        raise NotAllowed("only staff")
    counts = await rows.latest_levels(session)
    out = []
    for domain in questionnaires.current.domains:
        mine = [c for c in counts if c.domain == domain.id]
        people = sum(c.people for c in mine)
        levels = tuple(sum(c.people for c in mine if c.level == level) for level in range(1, 6))
        average = sum(c.total for c in mine) / people if people else None
        out.append(DomainFigures(domain, people, average, levels))
    return await rows.count_people_completed(session), out


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export(
    session: AsyncSession, user: User, questionnaires: Questionnaires, sealer: Sealer | None
) -> list[dict[str, Any]]:
    """For /mydata: every assessment with every answer, the person's own texts decrypted."""
    out = []
    for assessment in await rows.all_of(session, user.id):
        questionnaire = questionnaires.get(assessment.version)
        answers = []
        for answer in await rows.answers(session, assessment.id):
            question = questionnaire.question(answer.question) if questionnaire else None
            option = question.option(answer.option) if question else None
            entry: dict[str, Any] = {
                "question": question.text if question else answer.question,
                "answer": option.label if option else None,
                "skipped": answer.skipped,
                "answered_at": _when(answer.answered_at),
            }
            if answer.sealed_text is not None:
                text = sealer.open(answer.sealed_text) if sealer else None
                entry["text"] = text if text is not None else "(encrypted with another key)"
                entry["mentor_may_read"] = bool(answer.shared_with_mentor)
            answers.append(entry)
        out.append(
            {
                "questionnaire_version": assessment.version,
                "kind": assessment.kind,
                "status": assessment.status,
                "started_at": _when(assessment.started_at),
                "completed_at": _when(assessment.completed_at),
                "scores": {
                    s.domain: {"average": s.average, "level": s.level}
                    for s in await rows.scores(session, assessment.id)
                },
                "asked_mentor_about": [s for s in assessment.requested_steps.split(",") if s],
                "answers": answers,
            }
        )
    return out
