"""Keyboards of people's screens: languages, consent, the main menu, settings and privacy."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.broadcasts.telegram.callbacks import BcAction, BcCb
from bot.i18n.locales import LANGUAGE_NAMES, LOCALES
from bot.kit.callbacks import Page
from bot.kit.keyboards import back_to_menu, button, nav, only
from bot.kit.texts import _, button_name, current_locale
from bot.people.models import Role, User
from bot.people.telegram.callbacks import (
    ConsentAction,
    ConsentCb,
    DeleteCb,
    InviteAction,
    InviteCb,
    LangCb,
    LineAction,
    LineCb,
    LineSettingCb,
    MuteCb,
    PeopleCb,
)
from bot.plans.telegram.callbacks import PlanCb


def languages(selected: str, *, onboarding: bool) -> InlineKeyboardMarkup:
    rows = []
    for code in LOCALES:
        mark = "✓ " if code == selected else ""
        data = LangCb(code=code, onboarding=onboarding).pack()
        rows.append([button(mark + LANGUAGE_NAMES[code], data)])
    if not onboarding:
        rows.append([nav(_("⬅️ Back"), Page.SETTINGS)])
    return only(*rows)


def consent() -> InlineKeyboardMarkup:
    return only(
        [button(_("✅ I agree"), ConsentCb(action=ConsentAction.YES).pack())],
        [button(_("📄 Read more"), ConsentCb(action=ConsentAction.MORE).pack())],
        [button(_("✖️ No, thanks"), ConsentCb(action=ConsentAction.NO).pack())],
    )


def declined() -> InlineKeyboardMarkup:
    return only(
        [button(_("✅ I changed my mind"), ConsentCb(action=ConsentAction.AGAIN).pack())],
        [nav(_("🆘 Help now"), Page.SOS)],
    )


# The main menu is the most frequent screen and the same for everyone of a language and role:
# built once each (bench/throughput.py). Markups are never changed after they are built.
_MAIN_MENUS: dict[tuple[str, str], InlineKeyboardMarkup] = {}


def main_menu(role: str) -> InlineKeyboardMarkup:
    key = (current_locale(), str(role))
    markup = _MAIN_MENUS.get(key)
    if markup is None:
        markup = _MAIN_MENUS[key] = _build_main_menu(role)
    return markup


def _build_main_menu(role: str) -> InlineKeyboardMarkup:
    # Rows built as lists, not with InlineKeyboardBuilder: its export deep-copies every button,
    # a measurable share of the CPU of /menu, the most frequent screen (bench/throughput.py).
    rows: list[list[InlineKeyboardButton]]
    if role == Role.MENTOR:
        rows = [
            [nav(_("👥 My young people"), Page.MENTEES)],
            [button(_("➕ Invite a young person"), InviteCb(action=InviteAction.MENTEE).pack())],
            [button(_("🔗 My open invites"), InviteCb(action=InviteAction.LIST).pack())],
            [button(_("📣 Message my young people"), BcCb(a=BcAction.HOME).pack())],
            [nav(_("📝 Self-assessments"), Page.M_ASSESS)],
        ]
    elif role == Role.STAFF:
        rows = [
            [button(_("👤 People"), PeopleCb().pack())],
            [
                button(_("➕ Invite a mentor"), InviteCb(action=InviteAction.MENTOR).pack()),
                button(_("🔗 Open invites"), InviteCb(action=InviteAction.LIST).pack()),
            ],
            [button(_("📣 Announcements"), BcCb(a=BcAction.HOME).pack())],
            [nav(_("📊 Self-assessments"), Page.AS_STATS)],
            [nav(_("🗓 Workshops"), Page.WORKSHOPS)],
            [button(_("✉️ Messages to mentors"), LineSettingCb().pack())],
        ]
    else:
        rows = [
            [button(_("📋 My plan"), PlanCb().pack())],
            [
                nav(_("📝 Self-assessment"), Page.ASSESS),
                nav(_("📈 My progress"), Page.PROGRESS),
            ],
            [nav(_("🗓 Workshops"), Page.WORKSHOPS), nav(_("💬 Counselling"), Page.COUNSEL)],
            [nav(_("🎫 My bookings"), Page.BOOKINGS)],
            [button(_("✉️ Write to my mentor"), LineCb(action=LineAction.WRITE).pack())],
        ]
    rows.append([nav(_("🆘 Help now"), Page.SOS)])
    rows.append([nav(_("⚙️ Settings"), Page.SETTINGS), nav(_("🔒 Privacy"), Page.PRIVACY)])
    rows.append([nav(_("❓ How it works"), Page.HELP)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def settings(muted: bool = False) -> InlineKeyboardMarkup:
    mute = (
        button(_("🔔 Turn announcements on"), MuteCb(muted=False).pack())
        if muted
        else button(_("🔕 Turn announcements off"), MuteCb(muted=True).pack())
    )
    return only(
        [nav(_("🌐 Language"), Page.LANGUAGE), nav(_("🕒 Time zone"), Page.TZ)],
        [nav(_("🏙 My town"), Page.CITY)],
        [mute],
        [back_to_menu()],
    )


def privacy(consented: bool) -> InlineKeyboardMarkup:
    rows = [
        [nav(_("📄 Privacy notice"), Page.NOTICE)],
        [nav(_("📦 Download my data"), Page.MYDATA)],
    ]
    rows.append([nav(_("🗑 Delete my data"), Page.DELETEME)])
    if consented:
        rows.append([back_to_menu()])
    return only(*rows)


def confirm_delete() -> InlineKeyboardMarkup:
    return only(
        [button(_("🗑 Yes, delete everything"), DeleteCb(confirm=True).pack())],
        [button(_("↩️ No, keep it"), DeleteCb(confirm=False).pack())],
    )


def offer_to_mentor(mentors: list[User], message_id: int) -> InlineKeyboardMarkup:
    """Under an answer to typed text: send that very message to the mentor."""
    label = (
        _("✉️ Send this to {name}").format(name=button_name(mentors[0].display_name))
        if len(mentors) == 1
        else _("✉️ Send this to my mentors")
    )
    return only([button(label, LineCb(action=LineAction.SEND, msg=message_id).pack())])
