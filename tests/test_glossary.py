"""One word per concept: the programme's glossary (shared/DOMAIN.md) holds in every translation.

A young person who reads "пријаве" on one screen and "резервације" on the next, or "Докосни" beside
"Натисни", wonders whether these are different things. Each rule names a concept, the one term the
language uses for it and the variants that must not appear in any msgstr. The accepted term has to
appear somewhere too, so a rule cannot quietly outlive the word it protects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from bot.i18n.catalogs import po_path, read_catalog


@dataclass(frozen=True)
class Term:
    concept: str
    accepted: str  # a regular expression the catalog must match at least once
    banned: tuple[str, ...]  # regular expressions no msgstr may match


SERBIAN = (
    Term("press a button", r"\bпритисни\b", (r"\bдодир", r"\bкликн", r"\bтапн")),
    # Bookings are "резервације"; "пријава" stays free for signing in to the desk.
    Term(
        "booking",
        r"\bрезервациј",
        (r"\bпријав(е|ама)\b", r"\bпријави се на\b", r"\bбукир", r"\bзапиши се\b"),
    ),
    Term("waitlist", r"\bлист\w* чекања\b", (r"\bлист\w* за чекање\b", r"\bред\w* чекања\b")),
    Term("Help now", r"\bПомоћ одмах\b", (r"\bпомоћ сада?\b", r"\bхитна помоћ одмах\b")),
    Term("How it works", r"\bКако ради\b", (r"^❓ Помоћ$",)),
    Term("counselling", r"\bсаветовањ", (r"\bконсултациј", r"\bсаветодавн")),
    Term("workshop", r"\bрадиониц", (r"\bворкшоп",)),
    Term("self-assessment", r"\bсамопроцен", (r"\bсамооцен", r"\bпроцена себе\b")),
    Term("announcement", r"\bобавештењ", (r"\bнајав", r"\bсаопштењ", r"\bобјав")),
    Term("reminder", r"\bподсетник", (r"\bподсећањ", r"\bопомен")),
    Term("deadline", r"\bрок\b", (r"\bдедлајн", r"\bкрајњи рок\b")),
    Term("mentor", r"\bментор", (r"\bтутор", r"\bнаставник")),
    Term("foster family", r"\bхранитељ", (r"\bприхватн\w* породиц", r"\bусвојитељ")),
    Term("the bot's name", r"Путоказ", (r"Putokaz",)),
    # Serbian here is ekavian: the ijekavian forms of words the bot uses must not slip in.
    Term(
        "ekavian",
        r"\bвреме\b",
        (
            r"\b(вријем|мјест|мјесец|дјец|ријеч|цијел|лијеп|вјешт|савјет|рјеш|гдје|послије"
            r"|прије|тијел|мијењ|промијен|свијет|вијест|обавјешт|подсјет|сједи|бриј)",
        ),
    ),
)

BULGARIAN = (
    Term("press a button", r"\bнатисни\b", (r"\bдокосн", r"\bкликн", r"\bцъкн", r"\bпритисн")),
    Term(
        "booking",
        r"\bзаписван",
        (r"\bрезерв", r"\bзапази(ш)? място\b", r"\bзапазено място\b", r"\bпријав"),
    ),
    Term("waitlist", r"\bсписъка? на чакащите\b", (r"\bсписък\w* за чакане\b", r"\bлиста\b")),
    Term("Help now", r"\bПомощ веднага\b", (r"\bпомощ сега\b",)),
    Term("How it works", r"\bКак работи\b", (r"^❓ Помощ$",)),
    # The session is a "консултация"; "час" is only a time of day, never the meeting itself.
    Term(
        "counselling session",
        r"\bконсултаци",
        (r"\bсъветва", r"\bсъветни(к|ца|ци)\b", r"\bедин час\?", r"\bчасът ти\b"),
    ),
    Term("workshop", r"\bработилниц", (r"\bуъркшоп", r"\bрадионица")),
    Term("self-assessment", r"\bсамооценк", (r"\bсамопроцен",)),
    Term("announcement", r"\bсъобщени", (r"\bобявлени", r"\bоповест", r"\bанонс")),
    Term("reminder", r"\bнапомнян", (r"\bподсетн", r"\bприпомнян")),
    # "рок" is Serbian (in Bulgarian it is a music genre).
    Term("deadline", r"\bсрок", (r"\bрок\b", r"\bрока\b")),
    Term("mentor", r"\bментор", (r"\bнаставни",)),
    Term("foster family", r"\bприемн\w*( си)? семейств", (r"\bхранителск", r"\bосиновителск")),
    Term("returnee", r"\bзавърнал", (r"\bповратни", r"\bрепатрир")),
    Term("documents", r"\bдокумент", (r"\bкнижа\b",)),
    Term("young people of a mentor", r"\bкой ментор\b", (r"\bна кого\?",)),
    Term("Telegram", r"Telegram", (r"Телеграм",)),
    Term("the bot's name", r"Путоказ", (r"Putokaz",)),
)

GLOSSARY = {"sr": SERBIAN, "bg": BULGARIAN}


def _strings(locale: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) for every translation, each plural form on its own."""
    out: list[tuple[str, str]] = []
    for message in read_catalog(po_path(locale), locale):
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        string = message.string
        forms = [string] if isinstance(string, str) else list(string or ())
        out.extend((msgid, form) for form in forms if form)
    return out


_CASES = [
    pytest.param(locale, term, id=f"{locale}-{term.concept}")
    for locale, terms in GLOSSARY.items()
    for term in terms
]


def _violations(term: Term, strings: list[tuple[str, str]]) -> list[str]:
    banned = [re.compile(pattern, re.IGNORECASE | re.MULTILINE) for pattern in term.banned]
    return [
        f"{msgid!r} → {string!r}"
        for msgid, string in strings
        for pattern in banned
        if pattern.search(string)
    ]


@pytest.mark.parametrize(("locale", "term"), _CASES)
def test_one_term_per_concept(locale: str, term: Term) -> None:
    strings = _strings(locale)
    found = _violations(term, strings)
    assert not found, (
        f"{locale}: {term.concept} is written “{term.accepted}” here; these say it otherwise:\n"
        + "\n".join(found)
    )
    accepted = re.compile(term.accepted, re.IGNORECASE | re.MULTILINE)
    assert any(accepted.search(string) for _msgid, string in strings), (
        f"{locale}: no text uses the accepted term for {term.concept} any more: update the rule"
    )


def test_the_check_catches_a_banned_variant() -> None:
    """The rules bite: the wordings the catalogs had before are caught, with their msgid."""
    before = {
        "sr": [("Booking is closed.", "Пријаве су затворене."), ("Tap /menu.", "Додирни /menu.")],
        "bg": [
            ("Waitlist:", "Списък за чакане:"),
            ("How long is one appointment?", "Колко трае един час?"),
            ("🆘 Help now", "🆘 Помощ сега"),
        ],
    }
    for locale, strings in before.items():
        caught = [v for term in GLOSSARY[locale] for v in _violations(term, strings)]
        assert len(caught) == len(strings), caught
        assert all(msgid in " ".join(caught) for msgid, _string in strings)
