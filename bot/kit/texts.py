"""Translation calls for handlers. `_` and `ngettext` are the names `pybabel extract` looks for."""

from __future__ import annotations

import html
import re

from aiogram.utils.i18n import get_i18n

from bot.i18n.latin import is_serbian_cyrillic, to_latin
from bot.i18n.locales import SR_LATN


def _(text: str) -> str:
    return get_i18n().gettext(text)


def ngettext(singular: str, plural: str, n: int) -> str:
    return get_i18n().gettext(singular, plural, n)


def N_(text: str) -> str:
    """Marks a text for extraction where it is translated later, in someone else's locale."""
    return text


def current_locale() -> str:
    return get_i18n().current_locale


def paragraphs(*parts: str) -> str:
    return "\n\n".join(p for p in parts if p)


def esc(text: str | None) -> str:
    """Anything a person typed (names included) is escaped before it goes into HTML, and shown
    in the reader's script (see `in_readers_script`)."""
    return html.escape(in_readers_script(text or ""), quote=False)


def in_readers_script(text: str) -> str:
    """What a person typed, for the reader of the current locale: Serbian Cyrillic (names,
    titles, addresses) in Latin letters for readers of Serbian Latin; anything else, Bulgarian
    above all, as it was written. Web addresses are left alone, so that links still work."""
    if not text or not _reads_latin():
        return text
    words = re.split(r"(\s+)", text)
    if not is_serbian_cyrillic("".join(w for w in words if not _is_link(w))):
        return text  # the whole text decides: a Bulgarian sentence stays Bulgarian
    return "".join(w if _is_link(w) else to_latin(w) for w in words)


def _is_link(word: str) -> bool:
    return "://" in word or word.startswith("www.")


def _reads_latin() -> bool:
    try:
        return current_locale() == SR_LATN
    except LookupError:  # outside an update or a chosen locale: nobody to adapt to
        return False


def name_or_someone(name: str | None) -> str:
    """A person's name for HTML text."""
    return esc(name) if name else _("someone")


def button_name(name: str | None, limit: int = 30) -> str:
    """A person's name for a button label: buttons are not HTML, so no escaping; kept short."""
    text = in_readers_script(name) if name else _("someone")
    return text if len(text) <= limit else text[: limit - 1] + "…"
