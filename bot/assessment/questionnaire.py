"""The self-assessment questionnaire from `dialogs/assessment/v<N>.yaml`, checked at start-up.

Every version stays loadable: an assessment keeps the version it was started under, so a new
file never changes the questions of one in progress or the meaning of one already finished.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.i18n.catalogs import DOMAIN, LOCALES_DIR
from bot.i18n.locales import EN, LOCALES
from bot.kit.dialog_errors import DialogError, locate

ASSESSMENT_DIR = Path(__file__).resolve().parents[2] / "dialogs" / "assessment"
MIN_SCORE, MAX_SCORE = 1, 5
MAX_TEXT_QUESTIONS = 2
_ID = re.compile(r"^[a-z0-9_]{1,32}$")
_FILE = re.compile(r"^v([1-9][0-9]*)\.yaml$")


class Kind:
    CHOICE = "choice"
    TEXT = "text"


@dataclass(frozen=True)
class Option:
    id: str
    label: str  # English msgid; translated when shown
    score: int | None


@dataclass(frozen=True)
class Condition:
    """Ask a question only when an earlier one was answered with one of these options."""

    asked: str
    answer_in: frozenset[str]


@dataclass(frozen=True)
class Question:
    id: str
    index: int
    text: str
    kind: str
    domain: str | None
    options: tuple[Option, ...]
    condition: Condition | None
    skippable: bool
    # What the question is about, as a heading for the mentor (without how to answer it).
    title: str | None = None

    def option(self, option_id: str | None) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Domain:
    id: str
    name: str


@dataclass(frozen=True)
class NextStep:
    id: str
    title: str
    description: str
    domains: tuple[str, ...]
    below: float


@dataclass(frozen=True)
class Questionnaire:
    version: int
    domains: tuple[Domain, ...]
    questions: tuple[Question, ...]
    next_steps: tuple[NextStep, ...]
    # The short check's questions (ids), one per domain; empty: no short check is offered.
    short_ids: tuple[str, ...] = ()

    def question(self, question_id: str | None) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def domain(self, domain_id: str) -> Domain | None:
        return next((d for d in self.domains if d.id == domain_id), None)

    def step(self, step_id: str) -> NextStep | None:
        return next((s for s in self.next_steps if s.id == step_id), None)

    def short_check(self) -> Questionnaire | None:
        """The short check as a questionnaire of its own: the chosen questions, numbered anew
        (buttons carry a question's index), with the same domains and next steps."""
        if not self.short_ids:
            return None
        chosen = [q for q in self.questions if q.id in self.short_ids]
        questions = tuple(
            Question(q.id, i, q.text, q.kind, q.domain, q.options, None, q.skippable, q.title)
            for i, q in enumerate(chosen)
        )
        return Questionnaire(self.version, self.domains, questions, self.next_steps)

    def texts(self) -> Iterator[str]:
        """Every text a person may see, for the translation check."""
        for domain in self.domains:
            yield domain.name
        for question in self.questions:
            yield question.text
            if question.title:
                yield question.title
            for option in question.options:
                yield option.label
        for step in self.next_steps:
            yield step.title
            yield step.description


@dataclass(frozen=True)
class Questionnaires:
    """All versions; new assessments use the newest."""

    versions: Mapping[int, Questionnaire]

    @property
    def current(self) -> Questionnaire:
        return self.versions[max(self.versions)]

    def get(self, version: int) -> Questionnaire | None:
        return self.versions.get(version)


class _Map(dict[str, Any]):
    line: int = 1


class _Loader(yaml.SafeLoader):
    """Keeps each mapping's line, so an error names where the problem is."""


def _mapping(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _Map(loader.construct_pairs(node, deep=True))
    result.line = node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_all(
    directory: Path = ASSESSMENT_DIR,
    *,
    locales_dir: Path | None = LOCALES_DIR,
) -> Questionnaires:
    """Every `v<N>.yaml`; with `locales_dir`, also checks that each text is translated."""
    files = sorted(p for p in directory.glob("*.yaml") if _FILE.match(p.name))
    if not files:
        raise DialogError(directory / "v1.yaml", 1, "no questionnaire file (v1.yaml, v2.yaml…)")
    versions: dict[int, Questionnaire] = {}
    for path in files:
        questionnaire = load(path)
        if locales_dir is not None:
            check_translated(path, questionnaire, locales_dir)
        versions[questionnaire.version] = questionnaire
    return Questionnaires(versions)


def load(path: Path) -> Questionnaire:
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DialogError(path, (mark.line + 1) if mark else 1, str(exc)) from exc
    return _Parser(path, text).questionnaire(data)


def check_translated(path: Path, questionnaire: Questionnaire, locales_dir: Path) -> None:
    source = path.read_text(encoding="utf-8")
    for locale in LOCALES:
        if locale == EN:
            continue
        try:
            catalog = gettext.translation(DOMAIN, localedir=locales_dir, languages=[locale])
        except OSError as exc:
            raise DialogError(path, 1, f"no compiled catalog for {locale}") from exc
        for msgid in questionnaire.texts():
            if catalog.gettext(msgid) == msgid and any(c.isalpha() for c in msgid):
                raise DialogError(
                    path,
                    locate(source, msgid),
                    f"{msgid!r} is not translated into {locale} (python -m bot.i18n update)",
                )


def _key_line(text: str, key: str) -> int:
    """The line of a top-level key (comments may mention the same word earlier)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return 1


class _Parser:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text

    def fail(self, where: Any, problem: str) -> DialogError:
        line = where.line if isinstance(where, _Map) else int(where)
        return DialogError(self.path, line, problem)

    def questionnaire(self, data: Any) -> Questionnaire:
        if not isinstance(data, _Map):
            raise self.fail(1, "the file must be a mapping with version, domains and questions")
        version = data.get("version")
        wanted = _FILE.match(self.path.name)
        if not isinstance(version, int) or version < 1:
            raise self.fail(data, "needs `version`, a whole number from 1")
        if wanted and int(wanted.group(1)) != version:
            raise self.fail(
                _key_line(self.text, "version"),
                f"version {version} in a file named {self.path.name}",
            )
        scales = self.scales(data.get("scales") or {})
        domains = self.domains(data)
        questions = self.questions(data, scales, {d.id for d in domains})
        steps = self.next_steps(data, {d.id for d in domains})
        for domain in domains:
            if not any(q.domain == domain.id for q in questions):
                raise self.fail(
                    locate(self.text, f"id: {domain.id}"), f"domain {domain.id!r} has no question"
                )
        short = self.short_check(data, questions, domains)
        return Questionnaire(version, domains, questions, steps, short)

    def short_check(
        self, data: _Map, questions: tuple[Question, ...], domains: tuple[Domain, ...]
    ) -> tuple[str, ...]:
        """`short_check`: ids of questions asked in the short check, exactly one per domain, each
        always asked (no `if`) and answered with a button."""
        given = data.get("short_check")
        if given is None:
            return ()
        where = _key_line(self.text, "short_check")
        if not isinstance(given, list) or not all(isinstance(g, str) for g in given):
            raise self.fail(where, "`short_check` is a list of question ids")
        covered: set[str] = set()
        for question_id in given:
            question = next((q for q in questions if q.id == question_id), None)
            if question is None:
                raise self.fail(where, f"short_check: no question {question_id!r}")
            if question.domain is None or question.condition is not None:
                raise self.fail(where, f"short_check: {question_id!r} needs a domain and no `if`")
            if question.domain in covered:
                raise self.fail(where, f"short_check: two questions of {question.domain!r}")
            covered.add(question.domain)
        missing = [d.id for d in domains if d.id not in covered]
        if missing:
            raise self.fail(where, f"short_check: no question of {', '.join(missing)}")
        return tuple(given)

    def _list(self, data: _Map, key: str) -> list[Any]:
        value = data.get(key)
        if not isinstance(value, list) or not value:
            raise self.fail(data, f"needs a non-empty list `{key}`")
        return value

    def _id(self, raw: Any, seen: set[str], what: str) -> str:
        if not isinstance(raw, _Map):
            raise self.fail(1, f"each {what} must be a mapping")
        value = raw.get("id")
        if not isinstance(value, str) or not _ID.match(value):
            raise self.fail(raw, f"{what} needs an `id` of a–z, 0–9 and _ (at most 32)")
        if value in seen:
            raise self.fail(raw, f"{what} id {value!r} is used twice")
        seen.add(value)
        return value

    def _text(self, raw: _Map, key: str, what: str) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(raw, f"{what} {raw.get('id', '')!r} needs `{key}` (a text)")
        return value

    def scales(self, raw: Any) -> dict[str, list[Any]]:
        if not isinstance(raw, dict) or not all(isinstance(v, list) for v in raw.values()):
            raise self.fail(locate(self.text, "scales"), "`scales` maps names to option lists")
        return dict(raw)

    def domains(self, data: _Map) -> tuple[Domain, ...]:
        seen: set[str] = set()
        return tuple(
            Domain(self._id(raw, seen, "domain"), self._text(raw, "name", "domain"))
            for raw in self._list(data, "domains")
        )

    def options(self, raw: _Map, scales: dict[str, list[Any]]) -> tuple[Option, ...]:
        scale, given = raw.get("scale"), raw.get("options")
        if (scale is None) == (given is None):
            raise self.fail(raw, f"question {raw.get('id')!r} needs either `scale` or `options`")
        if scale is not None:
            if scale not in scales:
                raise self.fail(raw, f"question {raw.get('id')!r}: unknown scale {scale!r}")
            given = scales[scale]
        if not isinstance(given, list) or len(given) < 2:
            raise self.fail(raw, f"question {raw.get('id')!r} needs at least two options")
        seen: set[str] = set()
        options = []
        for item in given:
            option_id = self._id(item, seen, "option")
            score = item.get("score")
            if score is not None and (
                isinstance(score, bool)
                or not isinstance(score, int)
                or not MIN_SCORE <= score <= MAX_SCORE
            ):
                raise self.fail(item, f"option {option_id!r}: score must be 1 to 5")
            options.append(Option(option_id, self._text(item, "label", "option"), score))
        return tuple(options)

    def questions(
        self, data: _Map, scales: dict[str, list[Any]], domains: set[str]
    ) -> tuple[Question, ...]:
        seen: set[str] = set()
        questions: list[Question] = []
        for index, raw in enumerate(self._list(data, "questions")):
            question_id = self._id(raw, seen, "question")
            kind = raw.get("kind", Kind.CHOICE)
            domain = raw.get("domain")
            skippable = raw.get("skip", False)
            if not isinstance(skippable, bool):
                raise self.fail(raw, f"question {question_id!r}: `skip` is true or false")
            if domain is not None and domain not in domains:
                raise self.fail(raw, f"question {question_id!r}: unknown domain {domain!r}")
            if kind == Kind.TEXT:
                if domain is not None or "options" in raw or "scale" in raw:
                    raise self.fail(raw, f"text question {question_id!r} has no domain or options")
                if not skippable:
                    raise self.fail(raw, f"text question {question_id!r} must be optional (skip)")
                options: tuple[Option, ...] = ()
            elif kind == Kind.CHOICE:
                options = self.options(raw, scales)
                self._check_scores(raw, question_id, domain, options)
            else:
                raise self.fail(raw, f"question {question_id!r}: kind is choice or text")
            condition = self.condition(raw, question_id, questions)
            text = self._text(raw, "text", "question")
            title = self._text(raw, "title", "question") if "title" in raw else None
            questions.append(
                Question(
                    question_id, index, text, kind, domain, options, condition, skippable, title
                )
            )
        if sum(q.kind == Kind.TEXT for q in questions) > MAX_TEXT_QUESTIONS:
            raise self.fail(data, f"at most {MAX_TEXT_QUESTIONS} text questions")
        return tuple(questions)

    def _check_scores(
        self, raw: _Map, question_id: str, domain: str | None, options: tuple[Option, ...]
    ) -> None:
        for option in options:
            if domain is not None and option.score is None:
                raise self.fail(raw, f"question {question_id!r}: option {option.id!r} has no score")
            if domain is None and option.score is not None:
                raise self.fail(
                    raw, f"question {question_id!r} has no domain, so its options take no score"
                )

    def condition(self, raw: _Map, question_id: str, earlier: list[Question]) -> Condition | None:
        given = raw.get("if")
        if given is None:
            return None
        if not isinstance(given, dict):
            raise self.fail(raw, f"question {question_id!r}: `if` needs asked and answer_in")
        asked, answers = given.get("asked"), given.get("answer_in")
        target = next((q for q in earlier if q.id == asked), None)
        if target is None or target.kind != Kind.CHOICE:
            raise self.fail(
                raw, f"question {question_id!r}: `if` refers to {asked!r}, no earlier question"
            )
        if not isinstance(answers, list) or not answers:
            raise self.fail(raw, f"question {question_id!r}: `answer_in` is a list of options")
        for answer in answers:
            if target.option(str(answer)) is None:
                raise self.fail(
                    raw, f"question {question_id!r}: {asked!r} has no option {answer!r}"
                )
        return Condition(target.id, frozenset(str(a) for a in answers))

    def next_steps(self, data: _Map, domains: set[str]) -> tuple[NextStep, ...]:
        seen: set[str] = set()
        steps = []
        for raw in self._list(data, "next_steps"):
            step_id = self._id(raw, seen, "next step")
            step_domains = raw.get("domains")
            if not isinstance(step_domains, list) or not step_domains:
                raise self.fail(raw, f"next step {step_id!r} needs a list of `domains`")
            for domain in step_domains:
                if domain not in domains:
                    raise self.fail(raw, f"next step {step_id!r}: unknown domain {domain!r}")
            below = raw.get("below")
            if isinstance(below, bool) or not isinstance(below, int | float):
                raise self.fail(raw, f"next step {step_id!r} needs `below`, a score")
            if not MIN_SCORE < below <= MAX_SCORE:
                raise self.fail(raw, f"next step {step_id!r}: `below` must be above 1, at most 5")
            steps.append(
                NextStep(
                    step_id,
                    self._text(raw, "title", "next step"),
                    self._text(raw, "description", "next step"),
                    tuple(str(d) for d in step_domains),
                    float(below),
                )
            )
        return tuple(steps)
