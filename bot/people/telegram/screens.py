"""Screens more than one router shows: the menu, help now, the privacy texts, invite results."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiogram.types import InlineKeyboardMarkup

from bot.i18n.formatting import fmt_date
from bot.i18n.locales import LANGUAGE_NAMES
from bot.kit import keyboards as kb
from bot.kit.callbacks import Page
from bot.kit.texts import _, esc, name_or_someone, ngettext, paragraphs
from bot.people.invites import Outcome, Redemption
from bot.people.mentor_line import MENTOR_LINE_DAYS
from bot.people.models import Role, User
from bot.people.telegram import keyboards as people_kb
from bot.people.telegram.callbacks import ConsentAction, ConsentCb


def menu(user: User) -> tuple[str, InlineKeyboardMarkup]:
    title = {
        Role.MENTOR: _("🧭 <b>Putokaz</b> · mentor"),
        Role.STAFF: _("🧭 <b>Putokaz</b> · staff"),
    }.get(Role(user.role), _("🧭 <b>Putokaz</b>"))
    return f"{title}\n" + _("What would you like to do?"), people_kb.main_menu(user.role)


def intro(professional: bool = False) -> str:
    """What Putokaz is and what it keeps: a mentor or staff member is told what applies to them,
    not the young person's text (no year of birth is asked of them)."""
    if professional:
        return "\n\n".join(
            [
                _(
                    "🧭 <b>Putokaz</b> helps you support the young people of your programme: "
                    "their plans, reminders, workshops, counselling and announcements."
                ),
                _(
                    "🔒 For that, I keep your Telegram ID, language and first name, and what you "
                    "do here for the programme. You can download or delete them at any time."
                ),
                _("Do you agree?"),
            ]
        )
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


def too_young() -> tuple[str, InlineKeyboardMarkup]:
    """Under 15 and not linked: what to do next, a way to correct the year, and Help now."""
    text = paragraphs(
        _(
            "Thank you! Because you are under 15, a mentor or guardian has to connect you "
            "to Putokaz first. Ask your case worker for a Putokaz link. Until then I keep "
            "nothing about you."
        ),
        _("👉 When you get the link, just open it: you come back here, already connected."),
    )
    markup = kb.only(
        [kb.button(_("✏️ I tapped the wrong year"), ConsentCb(action=ConsentAction.YES).pack())],
        [kb.nav(_("🆘 Help now"), Page.SOS_YOUNG)],
    )
    return text, markup


def my_data_summary(data: Mapping[str, Any], locale: str, tz: str) -> str:
    """/mydata in a few lines of the person's language, sent with the JSON file."""
    person = data.get("person", {})
    lines = [_("📦 <b>What Putokaz keeps about you</b>")]
    name = person.get("name")
    lines.append(_("👤 Name: {name}").format(name=esc(name) if name else "—"))
    lines.append(
        _("🌐 Language: {language}").format(
            language=LANGUAGE_NAMES.get(person.get("language", ""), "—")
        )
    )
    year = person.get("birth_year")
    if year:
        lines.append(_("🎂 Year of birth: {year}").format(year=year))
    agreed = person.get("consent_given_at")
    if agreed:
        day = fmt_date(datetime.fromisoformat(agreed), locale, tz)
        lines.append(_("✅ Agreed on: {date}").format(date=day))
    mentors = [esc(m["name"]) for m in data.get("mentors", []) if m.get("name")]
    if mentors:
        lines.append(_("🤝 Mentors: {names}").format(names=", ".join(mentors)))
    plan = data.get("plan", {})
    goals, tasks = len(plan.get("goals", [])), len(plan.get("tasks", []))
    lines.append(
        _("📋 Plan: {goals}, {tasks}").format(
            goals=ngettext("{n} goal", "{n} goals", goals).format(n=goals),
            tasks=ngettext("{n} task", "{n} tasks", tasks).format(n=tasks),
        )
    )
    bookings = len(data.get("bookings", []))
    lines.append(ngettext("🗓 {n} booking", "🗓 {n} bookings", bookings).format(n=bookings))
    assessed = len(data.get("self_assessments", []))
    lines.append(
        ngettext("📝 {n} self-assessment", "📝 {n} self-assessments", assessed).format(n=assessed)
    )
    received = len(data.get("announcements_received", []))
    lines.append(
        ngettext("📣 {n} announcement received", "📣 {n} announcements received", received).format(
            n=received
        )
    )
    return paragraphs(
        "\n".join(lines),
        _("The file below has every detail, written for a computer to read."),
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
                "<b>Writing to your mentor:</b> what you send with “✉️ Write to my mentor” "
                "reaches them as a copy; I keep only the message's number, for {days} day, so "
                "that their reply finds you.",
                "<b>Writing to your mentor:</b> what you send with “✉️ Write to my mentor” "
                "reaches them as a copy; I keep only the message's number, for {days} days, so "
                "that their reply finds you.",
                MENTOR_LINE_DAYS,
            ).format(days=MENTOR_LINE_DAYS),
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
