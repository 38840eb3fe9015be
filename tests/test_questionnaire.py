"""The questionnaire file: the shipped one is valid and translated, a broken one is refused with
the file, the line and the problem, and the bot does not start on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.assessment.questionnaire import ASSESSMENT_DIR, Kind, load, load_all
from bot.i18n.catalogs import LOCALES_DIR
from bot.kit.dialog_errors import DialogError

SHIPPED = ASSESSMENT_DIR / "v1.yaml"


def test_the_shipped_questionnaire_is_valid_and_translated_in_every_locale() -> None:
    found = load_all(locales_dir=LOCALES_DIR)
    current = found.current
    assert current.version == max(found.versions) == 1
    assert [d.id for d in current.domains] == [
        "education",
        "work",
        "housing",
        "money",
        "health",
        "documents",
        "living_skills",
        "support",
    ]
    assert 24 <= len(current.questions) <= 32
    texts = [q for q in current.questions if q.kind == Kind.TEXT]
    assert 1 <= len(texts) <= 2 and all(q.skippable for q in texts)
    yes_partly_no = [
        q for q in current.questions if [o.id for o in q.options] == ["yes", "partly", "no"]
    ]
    scales = [q for q in current.questions if len(q.options) == 5]
    assert len(scales) > len(yes_partly_no) >= 3  # mostly 1–5 scales, a few yes/partly/no
    assert any(q.condition for q in current.questions)
    assert {s.id for s in current.next_steps} >= {"career", "psych_support", "legal_aid"}


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "v1.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


@pytest.mark.parametrize(
    ("old", "new", "problem", "line_with"),
    [
        ("- id: work_goal", "- id: job_search", "question id 'job_search' is used twice",
         "- id: job_search\n    domain: work\n    text: Do you know what kind"),
        ('{id: "partly", label: Partly, score: 3}', '{id: "partly", label: Partly}',
         "option 'partly' has no score", "- id: work_experience"),
        ("{asked: study_now, answer_in: [school]}\n    text: How are",
         "{asked: studying, answer_in: [school]}\n    text: How are",
         "`if` refers to 'studying', no earlier question", "- id: school_coping"),
        ("{asked: study_now, answer_in: [school]}\n    text: How often",
         "{asked: study_now, answer_in: [uni]}\n    text: How often",
         "'study_now' has no option 'uni'", "- id: school_missing"),
        ("    scale: sure\n", "    scale: certain\n", "unknown scale 'certain'",
         "- id: learning_plan"),
        ("domains: [documents]", "domains: [papers]", "unknown domain 'papers'", "- id: legal_aid"),
        ("{id: \"5\", label: Very good, score: 5}", "{id: \"5\", label: Very good, score: 7}",
         "score must be 1 to 5", "label: Very good, score: 7"),
        ("version: 1", "version: 2", "version 2 in a file named v1.yaml", "version: 2"),
        ("  - id: money_enough", "  - id: money_enough\n    kind: text", "has no domain or options",
         "- id: money_enough"),
    ],
)  # fmt: skip
def test_a_broken_file_names_the_line_and_the_problem(
    tmp_path: Path, old: str, new: str, problem: str, line_with: str
) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(DialogError) as caught:
        load(path)
    assert problem in caught.value.problem
    first = line_with.split("\n")[0]
    candidates = [
        number
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if first in line
    ]
    assert caught.value.line in candidates, (caught.value.line, candidates)
    assert str(caught.value).startswith(f"v1.yaml, line {caught.value.line}: ")


def test_a_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    path = _broken(tmp_path, "  - id: cooking\n", "  - id: cooking\n   bad: [\n")
    with pytest.raises(DialogError) as caught:
        load(path)
    assert abs(caught.value.line - _line_of(path, "bad: [")) <= 2


def test_an_untranslated_text_is_refused(tmp_path: Path) -> None:
    path = _broken(tmp_path, "text: Do you have a valid ID card?", "text: Do you have a passport?")
    with pytest.raises(DialogError) as caught:
        load_all(tmp_path, locales_dir=LOCALES_DIR)
    assert "'Do you have a passport?' is not translated into" in caught.value.problem
    assert caught.value.line == _line_of(path, "Do you have a passport?")


def test_old_versions_stay_loadable_beside_a_new_one(tmp_path: Path) -> None:
    shutil.copy(SHIPPED, tmp_path / "v1.yaml")
    newer = SHIPPED.read_text(encoding="utf-8").replace("version: 1", "version: 2")
    (tmp_path / "v2.yaml").write_text(newer, encoding="utf-8")
    found = load_all(tmp_path, locales_dir=LOCALES_DIR)
    assert sorted(found.versions) == [1, 2]
    assert found.current.version == 2
    assert found.get(1) is not None and found.get(3) is None
