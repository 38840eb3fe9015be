"""Inline keyboards. Texts are translated at build time, in the current locale."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.db.models import Role
from bot.i18n.locales import LANGUAGE_NAMES, LOCALES
from bot.telegram.callbacks import (
    BcCb,
    ConsentCb,
    DeleteCb,
    InviteCb,
    LangCb,
    MuteCb,
    NavCb,
    PeopleCb,
    PlanCb,
)
from bot.telegram.texts import _, current_locale


def button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def nav(text: str, to: str) -> InlineKeyboardButton:
    return button(text, NavCb(to=to).pack())


def back_to_menu() -> InlineKeyboardButton:
    return nav(_("⬅️ Menu"), "menu")


def only(*rows: Sequence[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[list(r) for r in rows])


def menu_only() -> InlineKeyboardMarkup:
    return only([back_to_menu()])


def languages(selected: str, *, onboarding: bool) -> InlineKeyboardMarkup:
    rows = []
    for code in LOCALES:
        mark = "✓ " if code == selected else ""
        data = LangCb(code=code, onboarding=onboarding).pack()
        rows.append([button(mark + LANGUAGE_NAMES[code], data)])
    if not onboarding:
        rows.append([nav(_("⬅️ Back"), "settings")])
    return only(*rows)


def consent() -> InlineKeyboardMarkup:
    return only(
        [button(_("✅ I agree"), ConsentCb(action="yes").pack())],
        [button(_("📄 Read more"), ConsentCb(action="more").pack())],
        [button(_("✖️ No, thanks"), ConsentCb(action="no").pack())],
    )


def declined() -> InlineKeyboardMarkup:
    return only(
        [button(_("✅ I changed my mind"), ConsentCb(action="again").pack())],
        [nav(_("🆘 Help now"), "sos")],
    )


# The main menu is the same for everyone of one language and role, and the most frequent screen:
# built once per (language, role), not per /menu (its buttons were a sixth of the handler's CPU,
# bench/throughput.py). Keyboards are never changed after they are built, so sharing is safe.
_MAIN_MENUS: dict[tuple[str, str], InlineKeyboardMarkup] = {}


def main_menu(role: str) -> InlineKeyboardMarkup:
    key = (current_locale(), str(role))
    markup = _MAIN_MENUS.get(key)
    if markup is None:
        markup = _MAIN_MENUS[key] = _build_main_menu(role)
    return markup


def _build_main_menu(role: str) -> InlineKeyboardMarkup:
    # Rows built as lists, not with InlineKeyboardBuilder: its export deep-copies every button.
    rows: list[list[InlineKeyboardButton]]
    if role == Role.MENTOR:
        rows = [
            [nav(_("👥 My young people"), "mentees")],
            [button(_("➕ Invite a young person"), InviteCb(action="mentee").pack())],
            [button(_("🔗 My open invites"), InviteCb(action="list").pack())],
            [button(_("📣 Message my young people"), BcCb(a="home").pack())],
            [nav(_("📝 Self-assessments"), "m_assess")],
        ]
    elif role == Role.STAFF:
        rows = [
            [button(_("👤 People"), PeopleCb().pack())],
            [
                button(_("➕ Invite a mentor"), InviteCb(action="mentor").pack()),
                button(_("🔗 Open invites"), InviteCb(action="list").pack()),
            ],
            [button(_("📣 Announcements"), BcCb(a="home").pack())],
            [nav(_("📊 Self-assessments"), "as_stats")],
            [nav(_("🗓 Workshops"), "workshops")],
        ]
    else:
        rows = [
            [button(_("📋 My plan"), PlanCb().pack())],
            [nav(_("📝 Self-assessment"), "assess"), nav(_("📈 My progress"), "progress")],
            [nav(_("🗓 Workshops"), "workshops"), nav(_("💬 Counselling"), "counsel")],
            [nav(_("🎫 My bookings"), "bookings")],
        ]
    rows.append([nav(_("🆘 Help now"), "sos")])
    rows.append([nav(_("⚙️ Settings"), "settings"), nav(_("🔒 Privacy"), "privacy")])
    rows.append([nav(_("❓ Help"), "help")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def settings(muted: bool = False) -> InlineKeyboardMarkup:
    mute = (
        button(_("🔔 Turn announcements on"), MuteCb(muted=False).pack())
        if muted
        else button(_("🔕 Turn announcements off"), MuteCb(muted=True).pack())
    )
    return only(
        [nav(_("🌐 Language"), "language"), nav(_("🕒 Time zone"), "tz")],
        [nav(_("🏙 My town"), "city")],
        [mute],
        [back_to_menu()],
    )


def privacy(consented: bool) -> InlineKeyboardMarkup:
    rows = [[nav(_("📄 Privacy notice"), "notice")], [nav(_("📦 Download my data"), "mydata")]]
    rows.append([nav(_("🗑 Delete my data"), "deleteme")])
    if consented:
        rows.append([back_to_menu()])
    return only(*rows)


def confirm_delete() -> InlineKeyboardMarkup:
    return only(
        [button(_("🗑 Yes, delete everything"), DeleteCb(confirm=True).pack())],
        [button(_("↩️ No, keep it"), DeleteCb(confirm=False).pack())],
    )
