"""Screens more than one router shows: the menu, help now, the privacy texts, invite results."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from bot.kit.texts import _, name_or_someone, ngettext
from bot.people.invites import Outcome, Redemption
from bot.people.models import Role, User
from bot.people.telegram import keyboards as people_kb


def menu(user: User) -> tuple[str, InlineKeyboardMarkup]:
    title = {
        Role.MENTOR: _("🧭 <b>Putokaz</b> · mentor"),
        Role.STAFF: _("🧭 <b>Putokaz</b> · staff"),
    }.get(Role(user.role), _("🧭 <b>Putokaz</b>"))
    return f"{title}\n" + _("What would you like to do?"), people_kb.main_menu(user.role)


def intro() -> str:
    return "\n\n".join(
        [
            _(
                "🧭 <b>Putokaz</b> is your signpost on the way to living on your own and to "
                "work: your plan with your mentor, reminders, workshops, counselling, and help "
                "when you need it."
            ),
            _(
                "🔒 To help you, I keep your Telegram ID, language, first name and year of "
                "birth. Your mentor and the programme staff can see them. You can download or "
                "delete them at any time."
            ),
            _("Do you agree?"),
        ]
    )


def privacy_notice(unconsented_days: int) -> str:
    return "\n\n".join(
        [
            _("🔒 <b>Privacy notice</b>"),
            _(
                "<b>What I keep:</b> your Telegram ID, language, time zone, first name, year of "
                "birth, your role and when you agreed. Later also what you save here yourself, "
                "such as your plan or bookings."
            ),
            _(
                "<b>Why:</b> to show you your plan, remind you of deadlines and let your mentor "
                "support you."
            ),
            _(
                "<b>Who sees it:</b> you, your mentor if you are connected, and the programme "
                "staff. Nobody else."
            ),
            ngettext(
                "<b>How long:</b> until you delete it. If you do not agree, your ID and language "
                "are deleted after {days} day.",
                "<b>How long:</b> until you delete it. If you do not agree, your ID and language "
                "are deleted after {days} days.",
                unconsented_days,
            ).format(days=unconsented_days),
            _(
                "<b>Your rights:</b> /mydata sends you everything I keep, /deleteme deletes it. "
                "Questions? Ask your case worker or the programme staff."
            ),
            _("If you are under 15, a mentor or guardian has to connect you first."),
        ]
    )


def privacy_summary() -> str:
    return _("🔒 <b>Your data</b>\nYou decide: read what I keep, download it, or delete it.")


def redemption(result: Redemption) -> str:
    mentor = name_or_someone(result.mentor.display_name if result.mentor else None)
    return {
        Outcome.BECAME_MENTOR: _("🎉 You are now a mentor in Putokaz."),
        Outcome.LINKED: _("🤝 Your mentor is now {name}.").format(name=mentor),
        Outcome.ALREADY_LINKED: _("🤝 {name} is already your mentor.").format(name=mentor),
        Outcome.UNKNOWN: _("This link does not work. Please ask for a new one."),
        Outcome.USED: _("This link has already been used. Please ask for a new one."),
        Outcome.EXPIRED: _("This link has expired. Please ask for a new one."),
        Outcome.ALREADY_STAFF: _("You are staff already, so this link is not needed."),
        Outcome.NOT_FOR_YOU: _("This link is for a young person. Please pass it on."),
    }[result.outcome]
