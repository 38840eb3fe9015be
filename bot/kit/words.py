"""What people type, matched to what they may need: words of distress or danger, or a feature.

The words live in `dialogs/words/*.yaml`, one file per language; every file is searched for
every person, since people write in whatever language their keyboard has. Text and words are
compared folded: lower case, Serbian Cyrillic as Latin, diacritics dropped (č, ć → c; đ → dj),
so "помоћ", "pomoć" and "pomoc" are one word. A word also matches with a simple ending
("radionica" → "radionice", "workshop" → "workshops") and with one letter missing, extra,
wrong or swapped (a phone keyboard's "workshp"), the latter only for words of five letters or
more. For a screen the typed word must have five letters too: a four-letter word one letter
short of a key word is mostly a word of its own ("chat" is not "chart" mistyped, "ease" is not
"erase", "buka" is not "obuka"). For distress a letter missing still counts ("pomc" for
"pomoć"): the Help now card shown once too often costs little, missed it costs much. A phrase
matches when its words follow one another.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from bot.i18n.latin import to_latin
from bot.kit.dialog_errors import DialogError, locate

WORDS_DIR: Final = Path(__file__).resolve().parents[2] / "dialogs" / "words"
DISTRESS: Final = "distress"
# The screens typed words may lead to: the command that opens each (bot/kit/commands.py).
FEATURES: Final[tuple[str, ...]] = (
    "bookings",
    "workshops",
    "counselling",
    "assess",
    "progress",
    "plan",
    "mentor",
    "language",
    "deleteme",
    "mydata",
    "privacy",
    "help",
    "menu",
)
_VOWELS: Final = "aeiouyъяюь"
_TOKEN: Final = re.compile(r"\w+")
_MAX_ENDING: Final = 4  # letters an ending may add to a word's stem
_MIN_FUZZY: Final = 5  # shorter words must be typed right
_MIN_FUZZY_DISTRESS_TYPED: Final = 4  # a letter missing from a five-letter word of distress
_MIN_FUZZY_STEM: Final = 6  # a typo and an ending together: long words only


def fold(text: str) -> list[str]:
    """The words of a text in the form they are compared in."""
    text = to_latin(text.lower()).replace("đ", "dj")
    text = "".join(
        c for c in unicodedata.normalize("NFKD", text) if unicodedata.category(c) != "Mn"
    )
    return _TOKEN.findall(text)


def _close(a: str, b: str) -> bool:
    """At most one letter missing, extra, wrong, or two neighbours swapped."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) <= 1:
            return True
        i, j = diff[0], diff[-1]
        return len(diff) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 4 and word[-1] in _VOWELS else word


def word_matches(typed: str, word: str, *, min_typed: int = _MIN_FUZZY) -> bool:
    """`min_typed`: the fewest letters a typed word needs for a typo to be forgiven."""
    if typed == word:
        return True
    if len(word) < 4:
        return False
    stem = _stem(word)
    if typed.startswith(stem) and len(typed) - len(stem) <= _MAX_ENDING:
        return True
    if len(word) < _MIN_FUZZY or len(typed) < min_typed:
        return False
    # A typo in the word itself or in its stem with an ending after it.
    if _close(typed, word):
        return True
    if len(stem) < _MIN_FUZZY_STEM:  # "strah" must not take "strana"
        return False
    return any(
        _close(typed[:cut], stem) and len(typed) - cut <= _MAX_ENDING
        for cut in range(len(stem) - 1, min(len(typed), len(stem) + 1) + 1)
    )


def _phrase_in(tokens: list[str], phrase: tuple[str, ...], min_typed: int = _MIN_FUZZY) -> bool:
    n = len(phrase)
    return any(
        all(word_matches(tokens[i + k], phrase[k], min_typed=min_typed) for k in range(n))
        for i in range(len(tokens) - n + 1)
    )


@dataclass(frozen=True)
class Words:
    distress: tuple[tuple[str, ...], ...]
    features: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]  # in FEATURES order

    def is_distress(self, text: str) -> bool:
        tokens = fold(text)
        return any(
            _phrase_in(tokens, phrase, _MIN_FUZZY_DISTRESS_TYPED) for phrase in self.distress
        )

    def feature(self, text: str) -> str | None:
        """The first feature (in FEATURES order) one of whose words is in the text."""
        tokens = fold(text)
        for name, phrases in self.features:
            if any(_phrase_in(tokens, phrase) for phrase in phrases):
                return name
        return None


def load(directory: Path = WORDS_DIR) -> Words:
    distress: list[tuple[str, ...]] = []
    features: dict[str, list[tuple[str, ...]]] = {name: [] for name in FEATURES}
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise DialogError(directory / "words.yaml", 1, "no word files")
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise DialogError(path, getattr(mark, "line", -1) + 1, str(exc)) from exc
        if not isinstance(data, dict):
            raise DialogError(path, 1, "needs `distress` and `features`")
        distress += _phrases(path, text, data.get(DISTRESS), DISTRESS)
        found = data.get("features")
        if not isinstance(found, dict):
            raise DialogError(path, locate(text, "features"), "`features` must be a mapping")
        for name, words in found.items():
            if name not in features:
                raise DialogError(
                    path, locate(text, f"{name}:"), f"unknown feature {name!r}: {FEATURES}"
                )
            features[name] += _phrases(path, text, words, name)
    return Words(tuple(distress), tuple((n, tuple(p)) for n, p in features.items()))


def _phrases(path: Path, text: str, raw: Any, key: str) -> list[tuple[str, ...]]:
    if not isinstance(raw, list) or not raw:
        raise DialogError(path, locate(text, f"{key}:"), f"`{key}` needs a list of words")
    out = []
    for item in raw:
        tokens = fold(str(item)) if isinstance(item, str | int) else []
        if not tokens:
            raise DialogError(path, locate(text, str(item)), f"not a word: {item!r}")
        out.append(tuple(tokens))
    return out
