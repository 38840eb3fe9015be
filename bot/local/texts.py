"""The chat page's own words (its buttons and notices), through the catalogs like the bot's."""

from __future__ import annotations

import gettext
from functools import lru_cache

from bot.i18n.catalogs import DOMAIN, LOCALES_DIR
from bot.i18n.locales import BG, EN, LOCALES, SR_CYRL, SR_LATN


def N_(text: str) -> str:
    return text


PAGE = {
    "title": N_("Putokaz on this computer"),
    "local_note": N_(
        "A trial without Telegram: people and messages stay on this computer. "
        "To connect to Telegram, set BOT_TOKEN."
    ),
    "people": N_("People"),
    "new_person": N_("New person"),
    "name": N_("Name"),
    "language": N_("Telegram language"),
    "add": N_("Add"),
    "cancel": N_("Cancel"),
    "who_opens": N_("Who opens this link?"),
    "who_opens_hint": N_("On Telegram, the person who taps an invite link opens it in their chat."),
    "message": N_("Message"),
    "send": N_("Send"),
    "menu": N_("Menu"),
    "start": N_("Start"),
    "bot_time": N_("Bot time"),
    "plus_hour": N_("+1 hour"),
    "plus_day": N_("+1 day"),
    "next_due": N_("To the next reminder"),
    "nothing_due": N_("Nothing is waiting: no reminder, announcement or offer is due."),
    "demo": N_("demo"),
    "add_demo": N_("Add demo people"),
    "remove_demo": N_("Remove demo data"),
    "confirm_remove_demo": N_("Remove all demo people and everything they did?"),
    "demo_added": N_("Demo people are ready: pick one on the left."),
    "demo_removed": N_("Demo data removed."),
    "empty": N_(
        "Nobody is here yet. Add demo people to see a whole programme at work, "
        "or start as a new person."
    ),
    "pick": N_("Pick a person, or add a new one."),
    "download": N_("Download"),
    "no_answer": N_("The bot did not answer. Is it still running?"),
    "cannot_open": N_("This button needs Telegram itself."),
    "copied": N_("Copied."),
    "role_youth": N_("young person"),
    "role_mentor": N_("mentor"),
    "role_staff": N_("staff"),
    "open_desk": N_("🖥 Desk"),
    "open_desk_hint": N_("Open the desk in a new tab, signed in as this person"),
}


@lru_cache(maxsize=8)
def _translation(locale: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALES_DIR, [locale], fallback=True)


def translate(text: str, locale: str) -> str:
    return _translation(locale).gettext(text)


def page_texts(locale: str) -> dict[str, str]:
    return {key: translate(text, locale) for key, text in PAGE.items()}


def page_locale(asked: str | None, accept_language: str) -> str:
    """``?lang=`` when it names a locale, else the browser's first language we speak."""
    if asked in LOCALES:
        return asked
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower().replace("_", "-")
        if code.startswith("sr"):
            return SR_LATN if "latn" in code else SR_CYRL
        if code.startswith("bg"):
            return BG
        if code.startswith("en"):
            return EN
    return EN
