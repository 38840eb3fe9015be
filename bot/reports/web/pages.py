"""The dashboards at the desk: staff reports (/desk/reports) and a caseload (/desk/caseload), and
every table of them as CSV or XLSX. /desk/dashboard opens the one that fits the person's role.

Each handler: parse the address, call bot/reports/dashboard.py, lay out tables and charts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup
from multidict import MultiMapping

from bot.i18n.formatting import fmt_change, fmt_day, fmt_number
from bot.kit.errors import NotFound
from bot.kit.sheets import Table, to_csv, to_xlsx
from bot.people import profile
from bot.people.figures import Cohort, Period
from bot.people.models import Role
from bot.people.names import CITY_NAMES, PROGRAMME_NAMES
from bot.reports import dashboard
from bot.reports.charts import Bar, bars
from bot.web.server import PREFIX, Desk, Signed, desk_of, redirect, remember_locale

DEFAULT_DAYS = 30
LONGEST = timedelta(days=3 * 366)  # a funder's project period at most
FORMATS = {
    "csv": ("text/csv", to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", to_xlsx),
}
Gettext = Callable[[str], str]


def _day(value: str | None) -> date | None:
    if not value or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_report(query: MultiMapping[str], today: date, tz: str) -> tuple[Cohort, Period]:
    """Programme, town and period from the address; anything unknown or impossible falls back to
    everyone and the last 30 days, never an error."""
    programme = query.get("programme")
    city = query.get("town")
    cohort = Cohort(
        programme=programme if programme in PROGRAMME_NAMES else None,
        city=city if city in CITY_NAMES else None,
    )
    last = _day(query.get("to")) or today
    first = _day(query.get("from")) or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        first, last = last, first
    if last - first > LONGEST:
        first = last - LONGEST
    return cohort, Period(first, last, tz)


def _kept(cohort: Cohort, period: Period) -> dict[str, str]:
    kept = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    if cohort.programme:
        kept["programme"] = cohort.programme
    if cohort.city:
        kept["town"] = cohort.city
    return kept


def report_tables(report: dashboard.StaffReport, _: Gettext) -> list[Table]:
    t, w, c, a = report.tasks, report.workshops, report.counselling, report.announcements
    return [
        Table(
            "young_people",
            _("Young people and plans"),
            [_("Figure"), _("Number")],
            [
                [_("Signed up by the end of the period"), report.signed_up],
                [_("Active (seen since the period began)"), report.active],
                [_("Completed a self-assessment in the period"), report.assessed],
                [_("Have a plan"), report.with_plan],
                [_("Tasks done on time"), t.on_time],
                [_("Tasks done late"), t.late],
                [_("Tasks overdue now"), t.overdue],
            ],
        ),
        Table(
            "domains",
            _("Life domains"),
            [
                _("Life domain"),
                _("People assessed"),
                _("Average (1–5)"),
                _("People assessed twice or more"),
                _("Change since the first self-assessment"),
            ],
            [[_(d.name), d.people, d.average, d.compared, d.change] for d in report.domains],
        ),
        Table(
            "services",
            _("Workshops, counselling and announcements"),
            [_("Figure"), _("Number")],
            [
                [_("Workshops"), w.workshops],
                [_("Workshop seats"), w.seats],
                [_("Seats filled"), w.filled],
                [_("Came to the workshop"), w.attended],
                [_("Did not come"), w.no_show],
                [_("Counselling sessions held"), c.held],
                [_("Counselling sessions missed"), c.no_show],
                [_("Announcements sent"), a.announcements],
                [_("Announcements delivered"), a.delivered],
            ],
        ),
    ]


def _charts(
    report: dashboard.StaffReport, tables: list[Table], _: Gettext, locale: str
) -> dict[str, Markup]:
    t = report.tasks
    tasks = bars(
        _("Tasks"),
        [
            Bar(_("Done on time"), t.on_time, fmt_number(t.on_time, locale), "#1e7b34"),
            Bar(_("Done late"), t.late, fmt_number(t.late, locale), "#b26a00"),
            Bar(_("Overdue now"), t.overdue, fmt_number(t.overdue, locale), "#b3261e"),
        ],
    )
    domain_rows = tables[1].rows
    domains = bars(
        _("Average per life domain (1–5)"),
        [
            Bar(
                str(row[0]),
                float(d.average or 0),
                (
                    fmt_number(d.average, locale, 1)
                    + (f" ({fmt_change(d.change, locale)})" if d.change is not None else "")
                )
                if d.average is not None
                else "—",
            )
            for row, d in zip(domain_rows, report.domains, strict=True)
        ],
        top=5,
    )
    # Built here from our own numbers and escaped labels (charts.py): safe to place as is.
    return {"tasks": Markup(tasks), "domains": Markup(domains)}


def _cell(locale: str) -> Callable[[Any, int], str]:
    def shown(value: Any, column: int) -> str:
        if value is None:
            return "—"
        if isinstance(value, float):
            return fmt_change(value, locale) if column == 4 else fmt_number(value, locale, 1)
        if isinstance(value, int):
            return fmt_number(value, locale)
        return str(value)

    return shown


def _today(desk: Desk) -> date:
    return desk.clock.now().astimezone(ZoneInfo(desk.settings.timezone)).date()


async def home(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    async with desk.signed_in(request) as signed:
        staff = signed.user.role == Role.STAFF
    return redirect(f"{PREFIX}/reports" if staff else f"{PREFIX}/caseload")


async def _report(request: web.Request) -> tuple[Desk, Signed, dashboard.StaffReport]:
    """The signed-in staff member's report for the address; NotFound for anyone else."""
    desk = desk_of(request)
    cohort, period = parse_report(request.query, _today(desk), desk.settings.timezone)
    async with desk.signed_in(request) as signed:
        remember_locale(request, signed.user.locale)
        report = await dashboard.staff_report(
            signed.session, signed.user, cohort, period, desk.clock.now(), desk.questionnaires
        )
    return desk, signed, report


def _gettext(desk: Desk, locale: str) -> Gettext:
    return lambda text: desk.i18n.gettext(text, locale=locale)


async def reports_page(request: web.Request) -> web.StreamResponse:
    desk, signed, report = await _report(request)
    locale = signed.user.locale
    _ = _gettext(desk, locale)
    tables = report_tables(report, _)
    kept = _kept(report.cohort, report.period)
    return desk.render(
        request,
        "reports/reports.html",
        locale,
        signed=signed,
        report=report,
        tables=tables,
        charts=_charts(report, tables, _, locale),
        kept=kept,
        query=urlencode(kept),
        cell=_cell(locale),
        day=lambda value: fmt_day(value, locale),
        programmes=profile.PROGRAMMES,
        cities=profile.CITIES,
        programme_names=PROGRAMME_NAMES,
        city_names=CITY_NAMES,
    )


def _download(table: Table, fmt: str, name: str) -> web.Response:
    content_type, render = FORMATS[fmt]
    return web.Response(
        body=render(table),
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


async def report_download(request: web.Request) -> web.StreamResponse:
    key, fmt = request.match_info["table"], request.match_info["fmt"]
    desk, signed, report = await _report(request)
    found = [t for t in report_tables(report, _gettext(desk, signed.user.locale)) if t.key == key]
    if not found or fmt not in FORMATS:
        raise NotFound("table")
    period = report.period
    return _download(found[0], fmt, f"putokaz-{key}-{period.first}-{period.last}")


def _page(query: MultiMapping[str]) -> int:
    raw = query.get("page", "1")
    return int(raw) - 1 if raw.isdigit() and len(raw) < 7 else 0


async def caseload_page(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    page = _page(request.query)
    async with desk.signed_in(request) as signed:
        locale = signed.user.locale
        remember_locale(request, locale)
        load = await dashboard.caseload(
            signed.session, signed.user, page, desk.clock.now(), desk.settings.timezone
        )

        def page_url(number: int) -> str:
            return f"{PREFIX}/caseload?" + urlencode({"page": number + 1})

        return desk.render(
            request,
            "reports/caseload.html",
            locale,
            signed=signed,
            load=load,
            page_url=page_url,
            day=lambda value: fmt_day(value, locale) if value else "—",
            num=lambda value: fmt_number(value, locale),
        )


async def caseload_download(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    key, fmt = request.match_info["table"], request.match_info["fmt"]
    if fmt not in FORMATS or key not in ("overdue", "unseen", "more_time"):
        raise NotFound("table")
    now, tz = desk.clock.now(), desk.settings.timezone
    async with desk.signed_in(request) as signed:
        remember_locale(request, signed.user.locale)
        _ = _gettext(desk, signed.user.locale)
        session, actor = signed.session, signed.user
        if key == "overdue":
            rows = await dashboard.overdue_people(session, actor, now, tz)
            table = Table(
                key,
                _("Overdue tasks"),
                [_("Name"), _("Mentor"), _("Overdue tasks")],
                [
                    [r.user.display_name, r.mentor.display_name if r.mentor else None, r.overdue]
                    for r in rows
                ],
            )
        else:
            load = await dashboard.caseload(session, actor, 0, now, tz, dashboard.DOWNLOAD_LIMIT)
            if key == "unseen":
                table = Table(
                    key,
                    _("Not seen for two weeks"),
                    [_("Name"), _("Last seen")],
                    [[u.display_name, u.last_seen_at] for u in load.unseen],
                )
            else:
                table = Table(
                    key,
                    _("Asked for more time"),
                    [_("Name"), _("Task"), _("Deadline"), _("Asked on")],
                    [
                        [w.youth.display_name, w.task_title, w.due, w.requested_at]
                        for w in load.waiting
                    ],
                )
    return _download(table, fmt, f"putokaz-{key}-{_today(desk)}")


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/dashboard", home)
    app.router.add_get(f"{PREFIX}/reports", reports_page)
    app.router.add_get(f"{PREFIX}/reports/{{table:[a-z_]+}}.{{fmt:[a-z]+}}", report_download)
    app.router.add_get(f"{PREFIX}/caseload", caseload_page)
    app.router.add_get(f"{PREFIX}/caseload/{{table:[a-z_]+}}.{{fmt:[a-z]+}}", caseload_download)
