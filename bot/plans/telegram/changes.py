"""After a mentor's change: who is told what, and the screens the mentor sees next.

Shared by the plain buttons (bot/plans/telegram/edit.py) and the forms (plan_forms.py).
Messages to the young person are built in their language.
"""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n.formatting import put_date
from bot.kit import keyboards as kb
from bot.kit import notify
from bot.kit.callbacks import Page
from bot.kit.errors import NotAllowed, NotFound
from bot.kit.texts import N_, _, esc, name_or_someone, ngettext, paragraphs
from bot.people import mentoring
from bot.people import queries as users
from bot.people.models import User
from bot.plans import rules as plans
from bot.plans.rules import Decision
from bot.plans.telegram.callbacks import NudgeCb, PlanCb
from bot.plans.telegram.screens import due_text, plan_screen

NUDGES = (
    N_("👋 How are you? Take a look at your plan."),
    N_("⏰ A deadline is coming up. Please check your plan."),
    N_("📞 Please get in touch with me."),
)

Screen = tuple[str, InlineKeyboardMarkup | None]


def back_to_plan(youth_id: int) -> list[InlineKeyboardButton]:
    return [kb.button(_("⬅️ Back to the plan"), PlanCb(youth=youth_id).pack())]


async def mentee(session: AsyncSession, mentor: User, youth_id: object) -> User:
    if not isinstance(youth_id, int) or not await plans.is_mentor_of(session, mentor, youth_id):
        raise NotAllowed("not their mentee")
    youth = await users.get(session, youth_id)
    if youth is None:
        raise NotFound("gone")
    return youth


async def tell_youth(
    bot: Bot, session: AsyncSession, i18n: I18n, youth: User, text_for: Callable[[], str]
) -> None:
    """`text_for` builds the message in the young person's locale."""
    with i18n.use_locale(youth.locale):
        text = text_for()
        markup = kb.only([kb.button(_("📋 Open my plan"), PlanCb().pack())])
    await notify.tell(
        bot, session, youth.telegram_id, text, is_active=youth.is_active, markup=markup
    )


async def plan_of(session: AsyncSession, mentor: User, youth: User, ctx: plans.Context) -> Screen:
    view = await plans.plan(session, mentor, youth.id, ctx)
    return plan_screen(view, mentor, mentor.locale, 0, False)


async def decided(
    session: AsyncSession, mentor: User, i18n: I18n, bot: Bot, decision: Decision
) -> Screen:
    """A request for more time answered: the young person is told; what the mentor sees."""
    task, youth = decision.task, decision.youth
    if not decision.changed:
        return _("This request has already been answered."), None
    granted = decision.request.new_date is not None

    def for_youth() -> str:
        if granted:
            template = _("✅ {name} gave you more time. {task} is now due {due}.")
            return put_date(template, "due", esc(due_text(task, youth.locale))).format(
                name=name_or_someone(mentor.display_name), task=f"<b>{esc(task.title)}</b>"
            )
        return _("{name} could not give more time for {task}. Talk to them about it.").format(
            name=name_or_someone(mentor.display_name), task=f"<b>{esc(task.title)}</b>"
        )

    await tell_youth(bot, session, i18n, youth, for_youth)
    if granted:
        template = _("✅ New deadline for {task}: {due}. {name} is told.")
        text = put_date(template, "due", esc(due_text(task, mentor.locale))).format(
            task=f"<b>{esc(task.title)}</b>", name=name_or_someone(youth.display_name)
        )
    else:
        text = _("Answer sent: no more time for {task}.").format(task=f"<b>{esc(task.title)}</b>")
    return text, kb.only(back_to_plan(youth.id))


# Nudges


async def nudge_menu(session: AsyncSession, mentor: User, youth_id: int) -> Screen:
    """The preset reminders and "My own words", for one young person (or 0: all of them)."""
    if youth_id:
        youth = await mentee(session, mentor, youth_id)
        head = _("📣 A reminder for {name}. Pick one, or write your own.").format(
            name=name_or_someone(youth.display_name)
        )
        back = back_to_plan(youth.id)
    else:
        head = _("📣 A reminder for all your young people. Pick one, or write your own.")
        back = [kb.nav(_("⬅️ Back"), Page.MENTEES)]
    rows = [
        [kb.button(_(text), NudgeCb(youth=youth_id, preset=index).pack())]
        for index, text in enumerate(NUDGES)
    ]
    rows.append([kb.button(_("✍️ My own words"), NudgeCb(youth=youth_id, preset=-1).pack())])
    rows.append(back)
    return head, InlineKeyboardMarkup(inline_keyboard=rows)


async def send_nudge(
    session: AsyncSession,
    mentor: User,
    i18n: I18n,
    bot: Bot,
    youth_id: int,
    body: Callable[[], str],
) -> Screen:
    """Sends to one young person of the mentor's (or 0: all); the report the mentor sees."""
    if youth_id:
        targets = [await mentee(session, mentor, youth_id)]
    else:
        targets = [youth for youth, _link in await mentoring.mentees(session, mentor.id)]
    sent = 0
    for youth in targets:
        with i18n.use_locale(youth.locale):
            text = paragraphs(
                _("📣 From your mentor {name}:").format(name=name_or_someone(mentor.display_name)),
                body(),
            )
            markup = kb.only([kb.button(_("📋 Open my plan"), PlanCb().pack())])
        if await notify.tell(
            bot, session, youth.telegram_id, text, is_active=youth.is_active, markup=markup
        ):
            sent += 1
    report = ngettext("📣 Sent to {n} young person.", "📣 Sent to {n} young people.", sent).format(
        n=sent
    )
    back = back_to_plan(youth_id) if youth_id else [kb.back_to_menu()]
    return report, kb.only(back)
