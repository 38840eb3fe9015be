"""The plan as people see it: the list, a task, a reminder. Texts in the current locale."""

from __future__ import annotations

from datetime import date, time

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n.formatting import fmt_clock, fmt_day, put_date
from bot.kit import keyboards as kb
from bot.kit.callbacks import NavCb, Page
from bot.kit.texts import N_, _, button_name, esc, name_or_someone, ngettext
from bot.people.models import User
from bot.plans.models import Task, TaskOwner, TaskStatus
from bot.plans.reminders import OVERDUE, offset_of
from bot.plans.rules import DOMAINS, PlanView, TaskLine
from bot.plans.sheet import Action, Change
from bot.plans.telegram.callbacks import (
    MenteeAction,
    MenteeCb,
    MoreTimeCb,
    PlanCb,
    TaskAction,
    TaskCb,
)

PAGE_SIZE = 6
TITLE_ON_BUTTON = 40

DOMAIN_NAMES = {
    "education": N_("Education and training"),
    "work": N_("Work and career"),
    "housing": N_("Housing"),
    "money": N_("Money"),
    "health": N_("Health and wellbeing"),
    "documents": N_("Documents and legal matters"),
    "living_skills": N_("Everyday living skills"),
    "support": N_("People who support me"),
}
assert set(DOMAIN_NAMES) == set(DOMAINS)

OWNER_NAMES = {
    TaskOwner.ME: N_("me"),
    TaskOwner.MENTOR: N_("my mentor"),
    TaskOwner.INSTITUTION: N_("an institution"),
}
# Said instead of "Done" and "I need more time" on a task someone else does.
WHO_TAKES_CARE = {
    TaskOwner.MENTOR: N_("Your mentor takes care of this one and marks it done."),
    TaskOwner.INSTITUTION: N_("An institution takes care of this one; your mentor follows it."),
}
# The same task seen by the mentor.
OWNER_NAMES_FOR_MENTOR = {
    TaskOwner.ME: N_("the young person"),
    TaskOwner.MENTOR: N_("you"),
    TaskOwner.INSTITUTION: N_("an institution"),
}


def domain_name(key: str) -> str:
    return _(DOMAIN_NAMES.get(key, key))


def due_text(task: Task, locale: str) -> str:
    if task.due_date is None:
        return _("no deadline")
    day = fmt_day(task.due_date, locale)
    if task.due_time is None:
        return day
    return _("{date}, {time}").format(date=day, time=fmt_clock(task.due_time, locale))


def deadline_line(task: Task, locale: str) -> str:
    """The task card's line: its deadline, or words of their own for a task without one (not
    "Deadline: no deadline")."""
    if task.due_date is None:
        return _("📅 No deadline")
    return _("📅 Deadline: {due}").format(due=esc(due_text(task, locale)))


def _short(title: str) -> str:
    return title if len(title) <= TITLE_ON_BUTTON else title[: TITLE_ON_BUTTON - 1] + "…"


def plan_screen(
    view: PlanView, viewer: User, locale: str, page: int, show_done: bool
) -> tuple[str, InlineKeyboardMarkup]:
    own = view.youth.id == viewer.id
    youth_key = 0 if own else view.youth.id
    if own:
        title = _("📋 <b>My plan</b>")
    else:
        title = _("📋 <b>Plan of {name}</b>").format(name=name_or_someone(view.youth.display_name))
    lines = [title]
    overdue = sum(1 for line in view.open if line.overdue)
    lines.append(
        ngettext("{n} task to do", "{n} tasks to do", len(view.open)).format(n=len(view.open))
        + " · "
        + ngettext("{n} done", "{n} done", len(view.done)).format(n=len(view.done))
    )
    if overdue:
        lines.append(ngettext("⚠️ {n} is late", "⚠️ {n} are late", overdue).format(n=overdue))
    shown = view.open + (view.done if show_done else [])
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    builder = InlineKeyboardBuilder()
    if not view.open and not view.done:
        if own:
            lines.append(_("Nothing here yet. Your mentor adds goals and tasks with you."))
        else:
            lines.append(_("Nothing here yet. Add a goal, then its tasks."))
    for number, line in enumerate(shown[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], 1):
        task = line.task
        mark = "✅" if task.status == TaskStatus.DONE else ("⚠️" if line.overdue else "▫️")
        lines.append(
            f"{mark} <b>{esc(task.title)}</b> — {esc(due_text(task, locale))}"
            if task.status != TaskStatus.DONE
            else f"{mark} {esc(task.title)}"
        )
        builder.row(
            kb.button(
                f"{page * PAGE_SIZE + number}. {_short(task.title)}",
                TaskCb(id=task.id, action=TaskAction.OPEN).pack(),
            )
        )
    paging = kb.pager(
        page, pages, lambda to: PlanCb(youth=youth_key, page=to, done=show_done).pack()
    )
    if paging:
        builder.row(*paging)
    if view.done:
        label = (
            _("Hide done tasks")
            if show_done
            else ngettext("✅ Show {n} done task", "✅ Show {n} done tasks", len(view.done)).format(
                n=len(view.done)
            )
        )
        builder.row(kb.button(label, PlanCb(youth=youth_key, done=not show_done).pack()))
    if own:
        builder.row(kb.back_to_menu())
    else:
        builder.row(
            kb.button(
                _("➕ Add a task"), MenteeCb(id=view.youth.id, action=MenteeAction.TASK).pack()
            ),
            kb.button(
                _("🎯 Add a goal"), MenteeCb(id=view.youth.id, action=MenteeAction.GOAL).pack()
            ),
        )
        builder.row(kb.button(_("⬅️ Back"), NavCb(to=Page.MENTEES).pack()))
    return "\n".join(lines), builder.as_markup()


def task_screen(line: TaskLine, viewer: User, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    task = line.task
    own = task.youth_id == viewer.id
    lines = [
        f"🎯 {esc(line.goal.title)} · {esc(domain_name(line.goal.domain))}",
        f"<b>{esc(task.title)}</b>",
    ]
    if task.details:
        lines.append(esc(task.details))
    names = OWNER_NAMES if own else OWNER_NAMES_FOR_MENTOR
    lines.append(_("👤 Who does it: {owner}").format(owner=_(names[TaskOwner(task.owner)])))
    lines.append(deadline_line(task, locale))
    if line.overdue:
        lines.append(_("⚠️ The deadline has passed."))
    if task.status == TaskStatus.DONE:
        lines.append(_("✅ Done."))
        if task.done_note:
            lines.append(_("Note: {note}").format(note=esc(task.done_note)))
    elif task.status == TaskStatus.CANCELLED:
        lines.append(_("✖️ Cancelled."))
    rows: list[list[InlineKeyboardButton]] = []
    if task.status == TaskStatus.TODO:
        if own and task.owner != TaskOwner.ME:
            # Their mentor or an institution does it: nothing for them to mark or ask.
            lines.append(_(WHO_TAKES_CARE[TaskOwner(task.owner)]))
        elif own:
            rows.append(
                [kb.button(_("✅ Done"), TaskCb(id=task.id, action=TaskAction.DONE).pack())]
            )
            rows.append(
                [
                    kb.button(
                        _("⏳ I need more time"), TaskCb(id=task.id, action=TaskAction.MORE).pack()
                    )
                ]
            )
        else:
            rows.append(
                [
                    kb.button(_("📅 New date"), TaskCb(id=task.id, action=TaskAction.MOVE).pack()),
                    kb.button(_("✏️ Rename"), TaskCb(id=task.id, action=TaskAction.RENAME).pack()),
                ]
            )
            rows.append(
                [
                    kb.button(
                        _("✖️ Cancel this task"), TaskCb(id=task.id, action=TaskAction.CANCEL).pack()
                    )
                ]
            )
    back = PlanCb() if own else PlanCb(youth=task.youth_id)
    rows.append([kb.button(_("⬅️ Back to the plan"), back.pack())])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def reminder_text(kind: str, task: Task, locale: str) -> str:
    title = f"<b>{esc(task.title)}</b>"
    when = esc(due_text(task, locale))
    if kind == OVERDUE:
        template = _(
            "⚠️ Late: {task}\nThe deadline was {due}. Done already, or do you need more time?"
        )
        return put_date(template, "due", when).format(task=title)
    days = offset_of(kind) or 0
    if days == 0:
        return _("⏰ Today: {task}\nDeadline: {due}").format(task=title, due=when)
    return ngettext(
        "⏰ In {n} day: {task}\nDeadline: {due}",
        "⏰ In {n} days: {task}\nDeadline: {due}",
        days,
    ).format(n=days, task=title, due=when)


def reminder_keyboard(task: Task) -> InlineKeyboardMarkup:
    if task.owner != TaskOwner.ME:
        return kb.only([kb.button(_("📋 Open my plan"), PlanCb().pack())])
    return kb.only(
        [kb.button(_("✅ Done"), TaskCb(id=task.id, action=TaskAction.DONE).pack())],
        [kb.button(_("⏳ I need more time"), TaskCb(id=task.id, action=TaskAction.MORE).pack())],
        [kb.button(_("📋 Open my plan"), PlanCb().pack())],
    )


SUMMARY_LINES = 20  # the summary of a save stays far below Telegram's 4096 characters


def _due_of(day: date | None, clock: time | None, locale: str) -> str:
    if day is None:
        return _("no deadline")
    if clock is None:
        return fmt_day(day, locale)
    return _("{date}, {time}").format(date=fmt_day(day, locale), time=fmt_clock(clock, locale))


def plan_summary(by: str | None, news: list[Change], locale: str) -> str:
    """One message for one save of the plan at the desk, a line per change, in the current
    locale; composed by the reminder sender when it goes out (bot/plans/sheet.py writes it)."""
    lines: list[str] = []
    for change in news:
        title = f"<b>{esc(change.title)}</b>"
        if change.action == Action.GOAL_ADDED:
            line = _("🎯 New goal: {goal}").format(goal=title)
        elif change.action in (Action.GOAL_RENAMED, Action.GOAL_DOMAIN):
            line = _("🎯 Goal changed: {goal}").format(goal=title)
        elif change.action == Action.GOAL_REACHED:
            line = _("🎉 Goal reached: {goal}").format(goal=title)
        elif change.action == Action.GOAL_REOPENED:
            line = _("🎯 Goal open again: {goal}").format(goal=title)
        elif change.action == Action.TASK_ADDED:
            line = _("➕ New task: {task}, due {due}").format(
                task=title, due=esc(_due_of(change.due_date, change.due_time, locale))
            )
        elif change.action == Action.TASK_MOVED:
            line = _("📅 New deadline for {task}: {due}").format(
                task=title, due=esc(_due_of(change.due_date, change.due_time, locale))
            )
        elif change.action == Action.TASK_CANCELLED:
            line = _("✖️ Cancelled: {task}").format(task=title)
        else:
            line = _("✏️ Changed: {task}").format(task=title)
        if line not in lines:
            lines.append(line)
    shown = lines[:SUMMARY_LINES]
    if len(lines) > SUMMARY_LINES:
        more = len(lines) - SUMMARY_LINES
        shown.append(
            ngettext("…and {n} more change.", "…and {n} more changes.", more).format(n=more)
        )
    head = _("📋 {name} updated your plan:").format(name=name_or_someone(by))
    return head + "\n\n" + "\n".join(shown)


def plan_summary_keyboard() -> InlineKeyboardMarkup:
    return kb.only([kb.button(_("📋 Open my plan"), PlanCb().pack())])


def mentee_button(youth: User, done: int, total: int, overdue: int) -> InlineKeyboardButton:
    label = f"{button_name(youth.display_name)} · {done}/{total}"
    if overdue:
        label += f" · ⚠️{overdue}"
    return kb.button(label, MenteeCb(id=youth.id, action=MenteeAction.PLAN).pack())


# What a mentor can answer to "I need more time", in days added to the deadline.
MORE_TIME_CHOICES = (3, 7, 14)


def more_time_keyboard(request_id: int) -> InlineKeyboardMarkup:
    return kb.only(
        [
            kb.button(_("+3 days"), MoreTimeCb(id=request_id, days=3).pack()),
            kb.button(_("+1 week"), MoreTimeCb(id=request_id, days=7).pack()),
            kb.button(_("+2 weeks"), MoreTimeCb(id=request_id, days=14).pack()),
        ],
        [kb.button(_("📅 Pick a date"), MoreTimeCb(id=request_id, days=-1).pack())],
        [kb.button(_("✖️ No"), MoreTimeCb(id=request_id, days=0).pack())],
    )


def more_time_request(
    youth: User, task: Task, request_id: int, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    """A young person's request for more time, as their mentor gets it (and sees it again)."""
    text = (
        _("⏳ {name} needs more time for: {task}\nDeadline now: {due}")
        if task.due_date is not None
        else _("⏳ {name} needs more time for: {task}\nIt has no deadline yet.")
    ).format(
        name=name_or_someone(youth.display_name),
        task=f"<b>{esc(task.title)}</b>",
        due=esc(due_text(task, locale)),
    )
    return text, more_time_keyboard(request_id)
