"""Translation calls for handlers. `_` and `ngettext` are the names `pybabel extract` looks for."""

from __future__ import annotations

import html

from aiogram.utils.i18n import get_i18n


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
    """Anything a person typed (names included) is escaped before it goes into HTML."""
    return html.escape(text or "", quote=False)


def name_or_someone(name: str | None) -> str:
    """A person's name for HTML text."""
    return esc(name) if name else _("someone")


def button_name(name: str | None, limit: int = 30) -> str:
    """A person's name for a button label: buttons are not HTML, so no escaping; kept short."""
    text = name or _("someone")
    return text if len(text) <= limit else text[: limit - 1] + "…"
