"""The people table (search, filters, pages counted on the server) and a person's page, where
staff assign a mentor, a programme and a role. Each handler: parse, call the rules, render;
what the bot would tell people after such a change is sent once the change is committed."""

from __future__ import annotations

import hashlib
import html
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup
from multidict import MultiMapping

from bot.assessment import chart_svg
from bot.assessment import rules as assessment
from bot.assessment.chart import Radar, Series
from bot.assessment.models import AssessmentKind
from bot.booking import rules as booking
from bot.i18n.formatting import fmt_date
from bot.i18n.latin import latin_if_serbian
from bot.i18n.locales import SR_LATN
from bot.kit import commands, notify
from bot.kit.errors import NotAllowed, NotFound
from bot.kit.texts import N_
from bot.people import directory, invites, profile, roles
from bot.people.models import Role
from bot.people.names import CITY_NAMES, PROGRAMME_NAMES
from bot.people.queries import Search
from bot.plans import rules as plans
from bot.web.server import (
    PREFIX,
    AfterCommit,
    Desk,
    Posted,
    Signed,
    desk_form,
    desk_of,
    redirect,
    remember_locale,
    url_id,
)

ROLE_NAMES = {Role.YOUTH: "young person", Role.MENTOR: "mentor", Role.STAFF: "staff"}


def _choice(value: str | None, allowed: Any) -> str | None:
    return value if value and value in allowed else None


def _flag(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def parse_search(query: MultiMapping[str]) -> tuple[Search, int, dict[str, str]]:
    """The filters from the address; anything unknown is ignored, never an error."""
    text = " ".join(query.get("q", "").split())[:64] or None
    mentor = query.get("mentor", "")
    search = Search(
        text=text,
        role=Role(query["role"]) if _choice(query.get("role"), set(Role)) else None,
        programme=_choice(query.get("programme"), PROGRAMME_NAMES),
        city=_choice(query.get("town"), CITY_NAMES),
        mentor_id=int(mentor) if mentor.isdigit() and len(mentor) < 12 else None,
        locale=_choice(query.get("lang"), ("sr", "sr_Latn", "bg", "en")),
        has_plan=_flag(query.get("plan")),
        overdue=_flag(query.get("late")),
    )
    page = query.get("page", "1")
    number = int(page) - 1 if page.isdigit() and len(page) < 7 else 0
    kept = {
        k: v
        for k in ("q", "role", "programme", "town", "mentor", "lang", "plan", "late")
        if (v := query.get(k, "")) and len(v) <= 64
    }
    return search, number, kept


async def people_table(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    search, page, kept = parse_search(request.query)
    async with desk.signed_in(request) as signed:
        remember_locale(request, signed.user.locale)
        table = await directory.table(
            signed.session, signed.user, search, page, desk.clock.now(), desk.settings.timezone
        )
        mentors = await directory.mentors_to_filter(signed.session, signed.user)

        def page_url(number: int) -> str:
            return f"{PREFIX}/people?" + urlencode({**kept, "page": number + 1})

        return desk.render(
            request,
            "people/table.html",
            signed.user.locale,
            signed=signed,
            table=table,
            kept=kept,
            mentors=mentors,
            page_url=page_url,
            **_names(),
        )


def _names() -> dict[str, Any]:
    return {
        "role_names": ROLE_NAMES,
        "programme_names": PROGRAMME_NAMES,
        "city_names": CITY_NAMES,
        "roles": list(Role),
        "programmes": profile.PROGRAMMES,
        "cities": profile.CITIES,
        "languages": ("sr", "sr_Latn", "bg", "en"),
    }


async def person_page(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    person_id = url_id(request)
    async with desk.signed_in(request) as signed:
        remember_locale(request, signed.user.locale)
        return await _render_person(request, desk, signed, person_id)


async def _render_person(
    request: web.Request, desk: Desk, signed: Signed, person_id: int
) -> web.Response:
    session, actor = signed.session, signed.user
    person = await directory.visible_person(session, actor, person_id)
    links = await directory.links(session, actor, person_id)
    now = desk.clock.now()
    plan = None
    history: assessment.MenteeHistory | None = None
    charts: dict[str, Markup] = {}
    bookings: list[booking.Item] = []
    if person.role == Role.YOUTH:
        ctx = plans.context_for(desk.settings, desk.clock)
        plan = await plans.summary(session, actor, person.id, ctx)
        bookings = await booking.upcoming_for(session, actor, person.id, now)
        if actor.role == Role.MENTOR:
            # The bot's privacy rule: their own mentor only. Staff read that only the mentor
            # sees the answers (their figures are the reports' counts and averages).
            history = await assessment.history_for_mentor(
                session, actor, desk.questionnaires, person.id
            )
            charts = {
                t.kind: Markup(chart_svg.svg(_radar(desk, t, actor.locale))) for t in history.tracks
            }
    made: list[Any] = []
    if person.role in (Role.MENTOR, Role.STAFF) and actor.role == Role.STAFF:
        made = list(await invites.open_made_by(session, actor, person.id, now))
    all_mentors = await directory.mentors_to_filter(session, actor)
    linked = {m.id for m, _link in links.mentors}
    return desk.render(
        request,
        "people/person.html",
        actor.locale,
        signed=signed,
        person=person,
        links=links,
        plan=plan,
        history=history,
        charts=charts,
        kind_names=KIND_NAMES,
        bookings=bookings,
        invites=made,
        free_mentors=[m for m in all_mentors if m.id not in linked],
        done=request.query.get("done", ""),
        problem=request.query.get("problem", ""),
        **_names(),
    )


KIND_NAMES = {
    AssessmentKind.FULL: N_("Full self-assessment"),
    AssessmentKind.SHORT: N_("Short check"),
}


def _radar(desk: Desk, track: assessment.Track, locale: str) -> Radar:
    """A kind's star: the latest filled, the first of the same kind dashed beside it; in the
    reader's language."""
    tz = desk.settings.timezone

    def gettext(text: str) -> str:
        return desk.i18n.gettext(text, locale=locale)

    def series(legend: str, taken: assessment.Taken) -> Series:
        when = taken.assessment.completed_at
        shown = gettext(legend).format(date=fmt_date(when, locale, tz) if when else "—")
        return Series(shown, [taken.scores.get(d.id) for d in track.domains])

    first = series(N_("First ({date})"), track.first) if len(track.taken) > 1 else None
    return Radar(
        gettext(KIND_NAMES[AssessmentKind(track.kind)]),
        [gettext(d.name) for d in track.domains],
        series(N_("Latest ({date})"), track.latest),
        first,
    )


async def person_chart(request: web.Request) -> web.StreamResponse:
    """The star chart alone (to save or print), under the page's own rule: the young person's
    mentor only. Cached privately and checked again on every use (`no-cache` with an ETag): a
    mentor no longer linked is refused at once, an unchanged chart costs a 304."""
    desk = desk_of(request)
    person_id = url_id(request)
    kind = request.query.get("kind", AssessmentKind.FULL)
    if kind not in set(AssessmentKind):
        raise NotFound("kind")
    async with desk.signed_in(request) as signed:
        remember_locale(request, signed.user.locale)
        session, actor = signed.session, signed.user
        await directory.visible_person(session, actor, person_id)
        history = await assessment.history_for_mentor(
            session, actor, desk.questionnaires, person_id
        )
        track = history.track(kind)
        if track is None:
            raise NotFound("no assessment of this kind")
        body = chart_svg.svg(_radar(desk, track, actor.locale), standalone=True).encode()
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": tag, "Cache-Control": "private, no-cache"}
    if tag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="image/svg+xml", charset="utf-8", headers=headers)


def _back(person_id: int, **query: str) -> web.Response:
    return redirect(f"{PREFIX}/people/{person_id}?" + urlencode(query))


@desk_form()
async def set_programme(p: Posted) -> web.StreamResponse:
    key = str(p.form.get("programme", ""))
    chosen = key if key in profile.PROGRAMMES else None
    await directory.visible_person(p.signed.session, p.signed.user, p.id)
    try:
        await profile.set_programme(p.signed.session, p.signed.user, p.id, chosen)
    except NotAllowed as exc:
        raise NotFound("staff only") from exc
    return _back(p.id, done="programme")


@desk_form()
async def set_role(p: Posted) -> web.StreamResponse | AfterCommit:
    value = str(p.form.get("role", ""))
    if value not in set(Role):
        return _back(p.id)
    role = Role(value)
    session, actor = p.signed.session, p.signed.user
    await directory.visible_person(session, actor, p.id)
    try:
        losing = await roles.mentees_losing_mentor(session, actor, p.id, role)
        if losing and p.form.get("confirm") != "yes":
            return _back(p.id, problem="confirm")
        change = await roles.change_role(session, actor, p.id, role)
    except NotAllowed:
        if actor.role != Role.STAFF:
            raise NotFound("staff only") from None
        return _back(p.id, problem="last_staff")
    if change.old_role == role:
        return _back(p.id, done="role")
    target = change.user
    told: Contact = (target.telegram_id, target.locale, target.is_active)
    gone = [(m.telegram_id, m.locale, m.is_active) for m in change.removed_mentees]
    name = target.display_name

    async def tell() -> web.StreamResponse:
        # Committed: now Telegram, as the bot does after the same change.
        await _tell_role(p.desk, told, role, gone, name)
        return _back(p.id, done="role")

    return tell


Contact = tuple[int, str, bool]  # Telegram id, language, still receives messages


def _named(desk: Desk, name: str | None, locale: str) -> str:
    """A name in a message to someone else, in that reader's script (not the desk user's)."""
    if not name:
        return desk.i18n.gettext("someone", locale=locale)
    return html.escape(latin_if_serbian(name) if locale == SR_LATN else name, quote=False)


async def _tell(desk: Desk, contact: Contact, text: str) -> None:
    """One message, after the change is committed; a short session only if it finds a block."""
    async with desk.sessions() as session:
        await notify.tell(desk.bot, session, contact[0], text, is_active=contact[2])
        await session.commit()


async def _tell_role(
    desk: Desk, target: Contact, role: Role, gone: list[Contact], name: str | None
) -> None:
    telegram_id, locale, _active = target
    gettext = desk.i18n.gettext
    text = gettext(
        "Your role in Putokaz is now: {role}. Tap /menu to see what is new.", locale=locale
    ).format(role=gettext(ROLE_NAMES[role], locale=locale))
    await commands.set_for_chat(
        desk.bot, desk.i18n, telegram_id, role, locale, desk.settings.desk_app_url
    )
    await _tell(desk, target, text)
    for mentee in gone:
        line = gettext("{name} is no longer your mentor in Putokaz.", locale=mentee[1])
        await _tell(desk, mentee, line.format(name=_named(desk, name, mentee[1])))


@desk_form()
async def assign_mentor(p: Posted) -> web.StreamResponse | AfterCommit:
    raw = str(p.form.get("mentor", ""))
    if not raw.isdigit() or len(raw) > 12:
        return _back(p.id)
    try:
        linked = await directory.assign_mentor(
            p.signed.session, p.signed.user, p.id, int(raw), p.desk.clock.now()
        )
    except NotAllowed as exc:
        raise NotFound("staff only") from exc
    if linked is None:
        return _back(p.id, done="mentor")
    mentor, youth = linked
    to_mentor: Contact = (mentor.telegram_id, mentor.locale, mentor.is_active)
    to_youth: Contact = (youth.telegram_id, youth.locale, youth.is_active)
    mentor_name, youth_name = mentor.display_name, youth.display_name

    async def tell() -> web.StreamResponse:
        desk, gettext = p.desk, p.desk.i18n.gettext
        line = gettext(
            "🤝 New connection: {name} is now one of your young people.", locale=to_mentor[1]
        )
        await _tell(desk, to_mentor, line.format(name=_named(desk, youth_name, to_mentor[1])))
        line = gettext("🤝 {name} is now your mentor in Putokaz.", locale=to_youth[1])
        await _tell(desk, to_youth, line.format(name=_named(desk, mentor_name, to_youth[1])))
        return _back(p.id, done="mentor")

    return tell


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/people", people_table)
    app.router.add_get(f"{PREFIX}/people/{{id:\\d+}}", person_page)
    app.router.add_get(f"{PREFIX}/people/{{id:\\d+}}/chart.svg", person_chart)
    app.router.add_post(f"{PREFIX}/people/{{id:\\d+}}/programme", set_programme)
    app.router.add_post(f"{PREFIX}/people/{{id:\\d+}}/role", set_role)
    app.router.add_post(f"{PREFIX}/people/{{id:\\d+}}/mentor", assign_mentor)
