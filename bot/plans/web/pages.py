"""Plans at the desk: a young person's whole plan on one page (goals, tasks, their history), and
the CSV import's upload page for staff.

Each handler parses the form, calls the plan rules (bot/plans/sheet.py, csv_import.py) and
renders. After a save the young person gets one message that sums up the changes, in their own
language: written with the changes, sent by the reminder sender once they are committed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiMapping

from bot.i18n.formatting import fmt_datetime
from bot.kit.data_files import Problem
from bot.kit.errors import NotFound, Reason
from bot.kit.texts import N_
from bot.people import rules as people
from bot.people.models import Role
from bot.plans import csv_import, sheet
from bot.plans import rules as plans
from bot.plans.models import TaskOwner, TaskStatus
from bot.plans.rules import DOMAINS
from bot.plans.sheet import GoalForm, SheetForm, TaskForm, Unsaved
from bot.web.server import (
    COOKIE,
    PREFIX,
    Desk,
    Posted,
    Signed,
    SignInFirst,
    check_form,
    desk_form,
    desk_of,
    redirect,
    remember_locale,
    url_id,
)

GOAL_KEY = re.compile(r"(g[0-9]{1,12}|n[0-9]{1,3})")
TASK_KEY = re.compile(r"(t[0-9]{1,12}|x[0-9]{1,4})")
MAX_ROWS = 500  # goals plus tasks in one save: a case conference writes a dozen
NEW_TASKS_PER_GOAL = 2
SHOWN_PROBLEMS = 200
# An upload over the limit is still read (and dropped) up to this, so that the browser, which
# sends the whole file before it reads an answer, gets the polite page.
DRAIN_LIMIT = 64 * 1024 * 1024

DOMAIN_NAMES = {
    "education": N_("Education"),
    "work": N_("Work"),
    "housing": N_("Housing"),
    "money": N_("Money"),
    "health": N_("Health"),
    "documents": N_("Documents and legal matters"),
    "living_skills": N_("Everyday skills"),
    "support": N_("People who support me"),
}
OWNER_NAMES = {
    TaskOwner.ME: N_("the young person"),
    TaskOwner.MENTOR: N_("the mentor"),
    TaskOwner.INSTITUTION: N_("an institution"),
}
SOURCE_NAMES = {"bot": N_("Telegram"), "console": N_("Desk"), "import": N_("File import")}
HISTORY_TEXTS = {
    "goal_added": N_("added the goal {title}"),
    "goal_renamed": N_("renamed a goal to {title}"),
    "goal_domain": N_("changed the life domain of {title}"),
    "goal_reached": N_("marked the goal {title} reached"),
    "goal_reopened": N_("opened the goal {title} again"),
    "task_added": N_("added the task {title}"),
    "task_renamed": N_("renamed a task to {title}"),
    "task_moved": N_("changed the deadline of {title}"),
    "task_owner": N_("changed who does {title}"),
    "task_details": N_("changed the details of {title}"),
    "task_regoaled": N_("moved {title} to another goal"),
    "task_reordered": N_("changed the order of {title}"),
    "task_cancelled": N_("cancelled {title}"),
    "task_done": N_("marked {title} done"),
    "note_added": N_("added a note to {title}"),
    "more_time_asked": N_("asked for more time for {title}"),
    "more_time_refused": N_("gave no more time for {title}"),
}
FIELD_PROBLEMS = {
    Reason.EMPTY: N_("Please fill this in."),
    Reason.TOO_LONG: N_("At most {limit} characters."),
    Reason.NOT_A_TIME: N_("A time like 14:30, please."),
    Reason.PAST_DAY: N_("This day has passed. Pick today or a later day."),
    Reason.TOO_FAR: N_("This day is more than {limit} years ahead. Please check the year."),
}


# The plan page


@dataclass
class TaskRow:
    key: str
    goal: str
    title: str = ""
    owner: str = TaskOwner.ME
    due_date: str = ""
    due_time: str = ""
    details: str = ""
    position: str = ""
    cancel: bool = False
    done: bool = False

    @property
    def is_new(self) -> bool:
        return self.key.startswith("x")


@dataclass
class GoalRow:
    key: str
    title: str = ""
    domain: str = ""
    reached: bool = False
    tasks: list[TaskRow] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.key.startswith("n")


def _rows_from_sheet(view: sheet.Sheet) -> list[GoalRow]:
    rows = []
    for lines in view.goals:
        goal = lines.goal
        row = GoalRow(f"g{goal.id}", goal.title, goal.domain, goal.status == "reached")
        for task in lines.tasks:
            row.tasks.append(
                TaskRow(
                    f"t{task.id}", row.key, task.title, task.owner,
                    task.due_date.isoformat() if task.due_date else "",
                    task.due_time.strftime("%H:%M") if task.due_time else "",
                    task.details or "", str(task.position), False,
                    task.status == TaskStatus.DONE,
                )
            )  # fmt: skip
        rows.append(row)
    return rows


def _with_blanks(rows: list[GoalRow]) -> list[GoalRow]:
    """Empty rows to write into without a script: tasks under every goal, and new goals (two on
    an empty plan, as a case conference usually agrees several)."""
    used = [int(t.key[1:]) for g in rows for t in g.tasks if t.is_new]
    counter = max(used, default=-1) + 1
    goal_numbers = [int(g.key[1:]) for g in rows if g.is_new]
    next_goal = max(goal_numbers, default=-1) + 1
    if not goal_numbers:
        for _n in range(1 if rows else 2):
            rows.append(GoalRow(f"n{next_goal}", domain=""))
            next_goal += 1
    for goal in rows:
        if goal.reached:
            continue
        blanks = 3 if goal.is_new else NEW_TASKS_PER_GOAL
        present = sum(1 for t in goal.tasks if t.is_new)
        for _n in range(max(0, blanks - present)):
            goal.tasks.append(TaskRow(f"x{counter}", goal.key))
            counter += 1
    return rows


def parse_sheet(form: MultiMapping[Any]) -> SheetForm:
    """The plan form's rows; keys that are not the page's own are ignored (never an error)."""

    def text(name: str, limit: int = 4000) -> str:
        value = form.get(name, "")
        return value[:limit] if isinstance(value, str) else ""

    goal_keys = [k for k in dict.fromkeys(form.getall("goal", [])) if GOAL_KEY.fullmatch(str(k))]
    task_keys = [k for k in dict.fromkeys(form.getall("task", [])) if TASK_KEY.fullmatch(str(k))]
    if len(goal_keys) + len(task_keys) > MAX_ROWS:
        raise NotFound("too many rows")
    goals = [
        GoalForm(
            key, text(f"{key}.title"), text(f"{key}.domain", 32), text(f"{key}.reached") == "1"
        )
        for key in goal_keys
    ]
    tasks = [
        TaskForm(
            key,
            text(f"{key}.goal", 20),
            text(f"{key}.title"),
            text(f"{key}.owner", 20),
            text(f"{key}.due_date", 20),
            text(f"{key}.due_time", 20),
            text(f"{key}.details"),
            text(f"{key}.position", 10),
            text(f"{key}.cancel") == "1",
        )
        for key in task_keys
    ]
    return SheetForm(goals, tasks)


def _rows_from_form(form: SheetForm, done_keys: set[str]) -> list[GoalRow]:
    """What was posted, to show again with its problems (nothing typed is lost)."""
    rows = {g.key: GoalRow(g.key, g.title, g.domain, g.reached) for g in form.goals}
    for task in form.tasks:
        target = rows.get(task.goal) or next(iter(rows.values()), None)
        if target is None:
            continue
        target.tasks.append(
            TaskRow(
                task.key, target.key, task.title, task.owner, task.due_date, task.due_time,
                task.details, task.position, task.cancel, task.key in done_keys,
            )
        )  # fmt: skip
    return list(rows.values())


async def plan_page(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    youth_id = url_id(request)
    async with desk.signed_in(request) as signed:
        remember_locale(request, signed.user.locale)
        ctx = plans.context_for(desk.settings, desk.clock)
        view = await sheet.sheet(signed.session, signed.user, youth_id, ctx)
        rows = _with_blanks(_rows_from_sheet(view))
        return await _render_plan(request, desk, signed, view, rows, {})


async def _render_plan(
    request: web.Request,
    desk: Desk,
    signed: Signed,
    view: sheet.Sheet,
    rows: list[GoalRow],
    problems: dict[tuple[str, str], str],
    *,
    status: int = 200,
) -> web.Response:
    locale = signed.user.locale
    reader_tz = people.timezone_of(signed.user, desk.settings.timezone)
    trail = await sheet.history(signed.session, signed.user, view.youth.id)
    gettext = desk.i18n.gettext

    def what(line: sheet.HistoryLine) -> str:
        template = HISTORY_TEXTS.get(line.change.action)
        if template is None:
            return line.change.action
        return gettext(template, locale=locale).format(title=f"«{line.title or '—'}»")

    def who(line: sheet.HistoryLine) -> str:
        if line.actor is not None:
            return line.actor.display_name or gettext("someone", locale=locale)
        return "—"

    goal_choices = [
        (g.key, g.title or gettext("New goal", locale=locale)) for g in rows if g.title or g.is_new
    ]
    return desk.render(
        request,
        "plans/plan.html",
        locale,
        status=status,
        signed=signed,
        youth=view.youth,
        rows=rows,
        problems=problems,
        goal_choices=goal_choices,
        domains=DOMAINS,
        domain_names=DOMAIN_NAMES,
        owners=list(TaskOwner),
        owner_names=OWNER_NAMES,
        source_names=SOURCE_NAMES,
        trail=trail,
        what=what,
        who=who,
        when=lambda value: fmt_datetime(value, locale, reader_tz),
        done=request.query.get("done", ""),
        told=request.query.get("told", ""),
    )


def _problem_texts(
    desk: Desk, locale: str, found: list[sheet.Problem]
) -> dict[tuple[str, str], str]:
    out = {}
    for problem in found:
        text = FIELD_PROBLEMS.get(problem.reason, FIELD_PROBLEMS[Reason.EMPTY])
        out[(problem.key, problem.field)] = desk.i18n.gettext(text, locale=locale).format(
            limit=problem.limit
        )
    return out


@desk_form()
async def save_plan(p: Posted) -> web.StreamResponse:
    desk, signed, youth_id = p.desk, p.signed, p.id
    form = parse_sheet(p.form)
    ctx = replace(plans.context_for(desk.settings, desk.clock), source="console")
    try:
        # With news, the young person's summary is written in this same transaction and
        # sent by the reminder sender once it is committed.
        changes = await sheet.save(signed.session, signed.user, youth_id, form, ctx)
    except Unsaved as unsaved:
        # Nothing was changed: sheet.save checks the whole form before its first write.
        view = await sheet.sheet(signed.session, signed.user, youth_id, ctx)
        done_keys = {f"t{t.id}" for g in view.goals for t in g.tasks if t.status == "done"}
        rows = _with_blanks(_rows_from_form(form, done_keys))
        problems = _problem_texts(desk, signed.user.locale, unsaved.problems)
        return await _render_plan(p.request, desk, signed, view, rows, problems, status=422)
    youth = await sheet.youth_to_shape(signed.session, signed.user, youth_id)
    told = "none"
    if sheet.news_for_youth(changes):
        told = "soon" if sheet.is_told(youth, changes) else "no"
    return redirect(f"{PREFIX}/people/{youth_id}/plan?done=1&told={told}")


# The CSV import


class BrokenUpload(Exception):
    """Not a form with a file we can read: too big, missing, or not multipart."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def _read_upload(request: web.Request) -> tuple[dict[str, str], bytes | None]:
    """The form's small fields and the uploaded file, read as a stream: never more than the
    import's byte limit plus one (the rules then refuse the file as too big)."""
    try:
        return await _read_parts(request)
    except (ValueError, HttpProcessingError, EOFError) as exc:  # a broken or cut-off body
        raise BrokenUpload("not_multipart") from exc


async def _read_parts(request: web.Request) -> tuple[dict[str, str], bytes | None]:
    limit = csv_import.LIMITS.max_bytes
    if not request.content_type.startswith("multipart/"):
        raise BrokenUpload("not_multipart")
    fields: dict[str, str] = {}
    data: bytes | None = None
    reader = await request.multipart()
    parts = 0
    while (part := await reader.next()) is not None:
        parts += 1
        if parts > 10 or not isinstance(part, BodyPartReader):
            raise BrokenUpload("not_multipart")
        if part.name in ("file", "data"):
            chunks = bytearray()
            seen = 0
            while chunk := await part.read_chunk(64 * 1024):
                seen += len(chunk)
                if seen > DRAIN_LIMIT:
                    raise BrokenUpload("too_big")  # the connection is dropped, not read on
                if len(chunks) <= limit * 2:  # base64 of the limit is 4/3 of it
                    chunks += chunk
            if len(chunks) > limit * 2:
                # Read to its end, so the browser gets the polite answer, not a reset.
                raise BrokenUpload("too_big")
            blob = bytes(chunks)
            if part.name == "data":
                try:
                    blob = base64.b64decode(blob, validate=True)
                except ValueError:
                    raise BrokenUpload("not_multipart") from None
            if len(blob) > limit:
                raise BrokenUpload("too_big")
            data = blob
        elif part.name in ("csrf", "digest"):
            small = await part.read_chunk(256)
            if await part.read_chunk(256):
                raise BrokenUpload("not_multipart")  # a token is 64 characters
            fields[part.name] = small.decode("ascii", "replace")
        else:
            await part.release()
    return fields, data


def _digest(signed: Signed, data: bytes) -> str:
    """Binds a dry run to this session and these exact bytes: the confirm step imports only
    the file whose dry run this person saw (and checks it all again)."""
    key = hashlib.sha256(("plan-import:" + signed.token).encode()).digest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def _staff_only(signed: Signed) -> None:
    if signed.user.role != Role.STAFF:
        raise NotFound("staff only")


async def import_page(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    async with desk.signed_in(request) as signed:
        remember_locale(request, signed.user.locale)
        _staff_only(signed)
        return _render_import(request, desk, signed, stage="upload")


def _render_import(
    request: web.Request,
    desk: Desk,
    signed: Signed,
    *,
    stage: str,
    status: int = 200,
    **values: Any,
) -> web.Response:
    locale = signed.user.locale
    gettext = desk.i18n.gettext

    def problem_text(found: Problem) -> str:
        reason = gettext(found.message, locale=locale).format(**found.params)
        if found.line is None:
            return reason
        return gettext("Line {line}: {reason}", locale=locale).format(
            line=found.line, reason=reason
        )

    for name in ("report", "broken", "problems", "data", "digest"):
        values.setdefault(name, None)
    return desk.render(
        request,
        "plans/import.html",
        locale,
        status=status,
        signed=signed,
        stage=stage,
        problem_text=problem_text,
        shown_problems=SHOWN_PROBLEMS,
        columns=csv_import.COLUMNS,
        **values,
    )


async def import_check(request: web.Request) -> web.StreamResponse:
    """The dry run: every problem with its line, or what would change. Nothing is written."""
    desk = desk_of(request)
    if COOKIE not in request.cookies:
        raise SignInFirst()  # no file is read for someone who is not even signed in
    try:
        fields, data = await _read_upload(request)
        broken = None
    except BrokenUpload as exc:
        fields, data, broken = {}, None, exc.code
    async with desk.signed_in(request) as signed:
        remember_locale(request, signed.user.locale)
        if broken == "not_multipart":
            check_form(request, signed, {})  # refused: a form of ours is always multipart
        if broken is None:
            check_form(request, signed, fields)
        _staff_only(signed)
        if broken == "too_big":
            return _render_import(request, desk, signed, stage="upload", status=413, broken="big")
        if not data:
            return _render_import(request, desk, signed, stage="upload", status=400, broken="none")
    ctx = replace(plans.context_for(desk.settings, desk.clock), source="console")
    report = await csv_import.run(desk.sessions, data, ctx, dry_run=True)
    if not report.ok:
        return _render_import(
            request, desk, signed, stage="upload", status=422, report=report, problems=True
        )
    return _render_import(
        request,
        desk,
        signed,
        stage="confirm",
        report=report,
        data=base64.b64encode(data).decode("ascii"),
        digest=_digest(signed, data),
    )


async def import_confirm(request: web.Request) -> web.StreamResponse:
    """Imports the file of the dry run, all rows or none; checked again whole before writing."""
    desk = desk_of(request)
    if COOKIE not in request.cookies:
        raise SignInFirst()
    try:
        fields, data = await _read_upload(request)
    except BrokenUpload:
        fields, data = {}, None
    async with desk.signed_in(request) as signed:
        remember_locale(request, signed.user.locale)
        check_form(request, signed, fields)
        _staff_only(signed)
        actor = signed.user
        if not data or not hmac.compare_digest(fields.get("digest", ""), _digest(signed, data)):
            return _render_import(
                request, desk, signed, stage="upload", status=400, broken="changed"
            )
    ctx = replace(plans.context_for(desk.settings, desk.clock), source="console")
    report = await csv_import.run(desk.sessions, data, ctx, actor=actor)
    if report.interrupted:
        stage = "interrupted"
    elif not report.ok:
        stage = "upload"
    else:
        stage = "done"
    return _render_import(
        request, desk, signed, stage=stage, report=report, problems=not report.ok,
        status=200 if report.ok else 422,
    )  # fmt: skip


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/people/{{id:\\d+}}/plan", plan_page)
    app.router.add_post(f"{PREFIX}/people/{{id:\\d+}}/plan", save_plan)
    app.router.add_get(f"{PREFIX}/plans/import", import_page)
    app.router.add_post(f"{PREFIX}/plans/import", import_check)
    app.router.add_post(f"{PREFIX}/plans/import/confirm", import_confirm)
