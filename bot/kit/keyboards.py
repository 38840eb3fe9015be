"""Inline keyboards. Texts are translated at build time, in the current locale."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.callbacks import NavCb, Page
from bot.kit.texts import _


def button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def nav(text: str, to: Page) -> InlineKeyboardButton:
    return button(text, NavCb(to=to).pack())


def back_to_menu() -> InlineKeyboardButton:
    return nav(_("⬅️ Menu"), Page.MENU)


def only(*rows: Sequence[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[list(r) for r in rows])


def menu_only() -> InlineKeyboardMarkup:
    return only([back_to_menu()])


def pager(page: int, pages: int, to: Callable[[int], str]) -> list[InlineKeyboardButton]:
    """◀️ ▶️ for a list shown a page at a time (`to` gives a page's callback data); empty when
    everything fits on one page. Put it in a row of its own if it is not empty."""
    row = []
    if page > 0:
        row.append(button("◀️", to(page - 1)))
    if page + 1 < pages:
        row.append(button("▶️", to(page + 1)))
    return row
