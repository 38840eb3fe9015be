"""What people type is heard: distress gets Help now first, feature words open their screen,
anything else gets the menu with a line on what one can type; in every language, with the
misspellings a phone keyboard makes."""

from __future__ import annotations

import pytest

from bot.kit import words
from tests.conversation import ALL_LOCALES, labels, onboard, plain, tr
from tests.harness import Harness

WORDS = words.load()

DISTRESS = {
    "sr": ["треба ми помоћ", "Треба ми ПОМОЋ!!", "помозите", "бије ме отац", "плашим се"],
    "sr_Latn": ["treba mi pomoc", "pomoć", "Treba mi pomoći", "tuce me", "hocu da umrem"],
    "bg": ["имам нужда от помощ", "Помощ!", "страх ме е", "бият ме", "pomosht"],
    "en": ["I need help", "HELP", "i'm scared", "he hits me", "I want to die", "emergancy"],
}
FEATURES = {
    "sr": [("радионице", "workshops"), ("мој план", "plan"), ("самопроцена", "assess")],
    "sr_Latn": [("radionica", "workshops"), ("moj plan", "plan"), ("radionce", "workshops")],
    "bg": [("работилници", "workshops"), ("моят план", "plan"), ("самооценка", "assess")],
    "en": [("workshp", "workshops"), ("my plan", "plan"), ("self-assesment", "assess")],
}
NOTHING = ["hello", "zdravo", "здрасти", "ok 👍", "strana", "колко е часът", "🙂🙂"]


@pytest.mark.parametrize("locale", ALL_LOCALES)
def test_distress_words_are_found_in_every_script_and_spelling(locale: str) -> None:
    for text in DISTRESS[locale]:
        assert WORDS.is_distress(text), text


@pytest.mark.parametrize("locale", ALL_LOCALES)
def test_feature_words_lead_to_their_screen(locale: str) -> None:
    for text, feature in FEATURES[locale]:
        assert not WORDS.is_distress(text), text
        assert WORDS.feature(text) == feature, text


def test_other_words_match_nothing() -> None:
    for text in NOTHING:
        assert not WORDS.is_distress(text) and WORDS.feature(text) is None, text


def test_endings_and_one_typo_match_but_short_words_must_be_exact() -> None:
    assert words.word_matches("radionicu", "radionica")
    assert words.word_matches("workshops", "workshop")
    assert words.word_matches("worksohp", "workshop")  # two neighbours swapped
    assert not words.word_matches("plat", "plan")
    assert not words.word_matches("strana", "strah")
    assert words.fold("Ђорђе ЋУТИ, Šta?") == ["djordje", "cuti", "sta"]


# Four-letter key words: exact, in any case, with marks or in Cyrillic, and with an ending.
FOUR_LETTERS = [
    ("help", None), ("HELP!", None), ("Hélp", None), ("helping", None),
    ("PLAN", "plan"), ("План", "plan"), ("plán", "plan"), ("plans", "plan"),
    ("Test", "assess"), ("тест", "assess"), ("Kurs", "workshops"), ("курс", "workshops"),
    ("циљ", "plan"), ("CILJ", "plan"), ("MENI", "menu"), ("мени", "menu"), ("меню", "menu"),
]  # fmt: skip
# Four letters one typo away from a key word: never taken for it, nor for a longer one.
FOUR_LETTER_TYPOS = [
    "halp", "hell", "held", "plat", "pkan", "tast", "text", "best", "kurz", "mena",
    "chat", "cart", "ease", "star", "lass", "buka", "pret",
]  # fmt: skip


def test_four_letter_words_match_exactly_in_any_script_but_not_with_a_typo() -> None:
    for text, feature in FOUR_LETTERS:
        assert WORDS.feature(text) == feature, text
        assert WORDS.is_distress(text) == (feature is None), text
    for text in FOUR_LETTER_TYPOS:
        assert not WORDS.is_distress(text) and WORDS.feature(text) is None, text
    # Distress forgives a letter missing from a five-letter word: "pomc" is "pomoć" in a hurry.
    assert WORDS.is_distress("pomc") and WORDS.is_distress("помц")


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_typed_distress_gets_help_now_first(harness: Harness, locale: str) -> None:
    person = await onboard(harness, locale)
    before = len(person.messages)
    reply = await person.send(DISTRESS[locale][0])
    answers = person.messages[before:]
    # Nobody to tell yet (no mentor): the Help now card alone.
    assert answers == [reply]
    assert plain(tr(locale, "🆘 <b>Help now</b>")) in reply.body
    assert "116 111" in reply.body
    assert labels(reply) == [tr(locale, "⬅️ Menu")]


async def test_distress_before_consent_gets_help_now_too(harness: Harness) -> None:
    person = harness.person(first_name="Iva", language_code="bg")
    await person.send("/start")
    reply = await person.send("помогнете ми")
    assert "116 111" in reply.body and "112" in reply.body


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_typed_feature_words_open_the_screen(harness: Harness, locale: str) -> None:
    person = await onboard(harness, locale)
    for text, feature in FEATURES[locale]:
        opened = await person.send(text)
        direct = await person.send(f"/{feature}")
        assert opened.html_text == direct.html_text, text
        assert labels(opened) == labels(direct)


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_other_text_gets_the_menu_and_what_one_can_type(
    harness: Harness, locale: str
) -> None:
    person = await onboard(harness, locale)
    hint = tr(
        locale,
        "Tap a button, or type what you need in a few words, like “my plan”, “workshops” or "
        "“I need help”.",
    )
    reply = await person.send("zdravo, kako si")
    assert reply.body.startswith(hint)
    assert tr(locale, "🆘 Help now") in labels(reply)
    # The examples in the hint work as they read.
    for example in hint.split("„" if locale in ("sr", "sr_Latn", "bg") else "“")[1:]:
        word = example.split("”")[0].split("“")[0]
        assert WORDS.is_distress(word) or WORDS.feature(word) is not None, word
    unknown = await person.send("/nosuchcommand")
    assert unknown.body.startswith(tr(locale, "I do not know that command. {hint}", hint=hint))


async def test_a_mentor_typing_a_youth_feature_gets_the_menu(harness: Harness) -> None:
    from tests.test_roles import new_mentor, staff_member

    staff = await staff_member(harness)
    mentor = await new_mentor(harness, staff)
    reply = await mentor.send("my plan")
    assert reply.body.startswith("Tap a button, or type what you need")
    assert "👥 My young people" in labels(reply)
    language = await mentor.send("language")
    assert labels(language) == labels(await mentor.send("/language"))


async def test_distress_typed_during_the_self_assessment_gets_help_now(harness: Harness) -> None:
    person = await onboard(harness, "sr")
    await person.send("/assess")
    reply = await person.send("треба ми помоћ")
    assert "116 111" in reply.body
