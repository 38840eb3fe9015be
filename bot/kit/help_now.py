"""The Help now card: emergency and helpline numbers, answered even when the database is away."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from bot.i18n.locales import BG
from bot.kit import keyboards as kb
from bot.kit.callbacks import Page
from bot.kit.helplines import Helplines
from bot.kit.texts import _, esc


def help_now(
    helplines: Helplines, locale: str, consented: bool, back: Page = Page.START
) -> tuple[str, InlineKeyboardMarkup]:
    """`back`: where Back leads someone who has not agreed yet (the start, or the screen they
    came from)."""
    home = "BG" if locale == BG else "RS"
    countries = helplines.ordered_for(home)
    parts = [
        _("🆘 <b>Help now</b>"),
        _("If you are in danger, call <b>{number}</b> now.").format(number=countries[0].emergency),
    ]
    for country in countries:
        lines = [f"{country.flag} <b>{esc(_(country.name))}</b>"]
        for line in country.lines:
            entry = f"<b>{esc(line.number)}</b> — {esc(_(line.name))}"
            if line.note:
                entry += f" ({esc(_(line.note))})"
            lines.append(entry)
        parts.append("\n".join(lines))
    markup = kb.menu_only() if consented else kb.only([kb.nav(_("⬅️ Back"), back)])
    return "\n\n".join(parts), markup
