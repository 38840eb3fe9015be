"""The languages Putokaz speaks and how a person's language and time zone are first guessed."""

from __future__ import annotations

from typing import Final

EN: Final = "en"
SR_CYRL: Final = "sr"
SR_LATN: Final = "sr_Latn"
BG: Final = "bg"

# Order of the language picker.
LOCALES: Final[tuple[str, ...]] = (SR_CYRL, SR_LATN, BG, EN)
DEFAULT_LOCALE: Final = EN

# Each language is named in itself, so that nobody needs to read a foreign word to find theirs.
LANGUAGE_NAMES: Final[dict[str, str]] = {
    SR_CYRL: "Српски (ћирилица)",
    SR_LATN: "Srpski (latinica)",
    BG: "Български",
    EN: "English",
}

SOFIA: Final = "Europe/Sofia"


def guess_locale(language_code: str | None) -> str:
    """Telegram only says "sr" (no script): Serbian speakers start in Cyrillic and may switch."""
    code = (language_code or "").lower().replace("_", "-")
    if code.startswith("sr"):
        return SR_CYRL
    if code.startswith("bg"):
        return BG
    return EN


def default_timezone(locale: str, fallback: str) -> str:
    return SOFIA if locale == BG else fallback


def is_known(locale: str) -> bool:
    return locale in LOCALES
