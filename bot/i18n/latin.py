"""Serbian Cyrillic to Latin, letter by letter. Cyrillic is the source; Latin is always derived."""

from __future__ import annotations

_LOWER = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "е": "e", "ж": "ž", "з": "z",
    "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "ć", "у": "u", "ф": "f", "х": "h", "ц": "c",
    "ч": "č", "џ": "dž", "ш": "š",
}  # fmt: skip
_UPPER = {cyr.upper(): lat.capitalize() for cyr, lat in _LOWER.items()}
_DIGRAPHS = {"Љ": "LJ", "Њ": "NJ", "Џ": "DŽ"}


def to_latin(text: str) -> str:
    out: list[str] = []
    for i, char in enumerate(text):
        if char in _LOWER:
            out.append(_LOWER[char])
        elif char in _DIGRAPHS and _in_caps(text, i):
            out.append(_DIGRAPHS[char])
        elif char in _UPPER:
            out.append(_UPPER[char])
        else:
            out.append(char)
    return "".join(out)


def _in_caps(text: str, i: int) -> bool:
    """Љ is "LJ" inside a word in capitals (ЉУБАВ → LJUBAV) and "Lj" at the start of Љубав."""
    neighbours = [c for c in (text[i - 1 : i], text[i + 1 : i + 2]) if c.isalpha()]
    return bool(neighbours) and all(c.isupper() for c in neighbours)


def _is_cyrillic(char: str) -> bool:
    return "\u0400" <= char <= "\u04ff"


def is_serbian_cyrillic(text: str) -> bool:
    """Cyrillic, and only letters of the Serbian alphabet: Bulgarian (ъ, щ, ь, ю, я, й...) and
    Russian text is not, so it is never run through the Serbian transliteration."""
    letters = [c for c in text if _is_cyrillic(c)]
    return bool(letters) and all(c in _LOWER or c in _UPPER for c in letters)


def latin_if_serbian(text: str) -> str:
    """Serbian Cyrillic in Latin letters; any other text (Bulgarian, Latin, a mix with
    Bulgarian letters) as it was written."""
    return to_latin(text) if is_serbian_cyrillic(text) else text
