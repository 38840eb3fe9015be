"""Screens of announcements and mentors' messages: composing, scheduling, progress, report.
The sender job uses the progress and report texts too, in the author's language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.broadcasts import audience as conditions
from bot.broadcasts import rules as broadcasts
from bot.broadcasts.models import (
    EVERYONE,
    Audience,
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    RecipientStatus,
)
from bot.broadcasts.telegram.callbacks import AudienceCb, BcAction, BcCb, BcPart, WhenCb
from bot.i18n.formatting import fmt_date, fmt_time, zone_label
from bot.i18n.locales import BG, EN, LANGUAGE_NAMES, SR_CYRL
from bot.kit import keyboards as kb
from bot.kit.texts import N_, _, button_name, esc, name_or_someone, ngettext
from bot.people.models import Role
from bot.people.names import city_name, programme_name
from bot.people.profile import CITIES, PROGRAMMES

# Each language named in itself; Serbian covers both scripts.
TEXT_LANGUAGES = {SR_CYRL: "Српски", BG: "Български", EN: "English"}
ROLE_NAMES = {Role.YOUTH: N_("Young people"), Role.MENTOR: N_("Mentors"), Role.STAFF: N_("Staff")}
# Offered times of day, every half hour in waking hours; days ahead offered.
FIRST_SLOT, LAST_SLOT, SLOT_MINUTES = 7 * 60, 21 * 60 + 30, 30
DAYS_OFFERED = 14
PREVIEW_EXCERPT = 200

Screen = tuple[str, InlineKeyboardMarkup]


def is_mentor_message(broadcast: Broadcast) -> bool:
    return broadcast.kind == BroadcastKind.MENTOR


def people(n: int) -> str:
    return ngettext("{n} person", "{n} people", n).format(n=n)


def audience_text(broadcast: Broadcast, mentor_name: str | None = None) -> str:
    value = broadcast.audience_value or ""
    match broadcast.audience:
        case Audience.ALL:
            return _("everyone")
        case Audience.ROLE:
            return _(ROLE_NAMES[Role(value)]) if value in ROLE_NAMES else "—"
        case Audience.LANGUAGE:
            return _("language: {language}").format(language=TEXT_LANGUAGES.get(value, value))
        case Audience.CITY:
            return _("town: {place}").format(place=city_name(value))
        case Audience.PROGRAMME:
            return _("programme: {name}").format(name=esc(programme_name(value)))
        case Audience.MENTEES:
            if is_mentor_message(broadcast):
                return _("your young people")
            return _("young people of {name}").format(name=name_or_someone(mentor_name))
        case Audience.FILTERS:
            return filters_text(conditions.decode(broadcast.audience_filters))
    return "—"


def filters_text(filters: conditions.Filters) -> str:
    """The desk's audience of several conditions, in a few words."""
    parts = []
    if filters.role is not None and filters.role in ROLE_NAMES:
        parts.append(_(ROLE_NAMES[Role(filters.role)]))
    if filters.language is not None:
        parts.append(
            _("language: {language}").format(
                language=TEXT_LANGUAGES.get(filters.language, filters.language)
            )
        )
    if filters.town is not None:
        parts.append(_("town: {place}").format(place=city_name(filters.town)))
    if filters.programme is not None:
        parts.append(_("programme: {name}").format(name=esc(programme_name(filters.programme))))
    if filters.mentor is not None:
        parts.append(_("young people of one mentor"))
    if filters.workshop is not None:
        parts.append(_("people of one workshop"))
    return ", ".join(parts) or _("everyone")


def home(role: str, has_draft: bool, scheduled: int) -> Screen:
    if role == Role.MENTOR:
        text = "\n".join(
            [
                _("📣 <b>Messages to my young people</b>"),
                _("Write one message to all your young people at once."),
            ]
        )
        new = _("✏️ Continue the draft") if has_draft else _("➕ New message")
    else:
        text = "\n".join(
            [
                _("📣 <b>Announcements</b>"),
                _(
                    "Write to everyone or to a group: by role, language, town, programme, "
                    "or the young people of one mentor."
                ),
            ]
        )
        new = _("✏️ Continue the draft") if has_draft else _("➕ New announcement")
    markup = kb.only(
        [kb.button(new, BcCb(a=BcAction.NEW).pack())],
        [
            kb.button(_("🕒 Scheduled ({n})").format(n=scheduled), BcCb(a=BcAction.LIST).pack()),
            kb.button(_("📋 Sent"), BcCb(a=BcAction.SENT).pack()),
        ],
        [kb.back_to_menu()],
    )
    return text, markup


def draft(
    found: broadcasts.Draft, mentor_name: str | None, workshop_title: str | None = None
) -> Screen:
    broadcast = found.broadcast
    title = (
        _("📣 <b>Message to your young people</b>")
        if is_mentor_message(broadcast)
        else _("📣 <b>New announcement</b>")
    )
    written = [
        _("Everyone") if key == EVERYONE else TEXT_LANGUAGES[key]
        for key in (EVERYONE, *broadcasts.TEXT_LOCALES)
        if key in found.texts
    ]
    lines = [
        title,
        _("👥 To: {name}").format(name=audience_text(broadcast, mentor_name))
        + f" · {people(found.total)}",
        _("📝 Text: {language}").format(language=", ".join(written) or "—"),
    ]
    if broadcast.photo_file_id:
        lines.append(_("🖼 With a photo"))
    if workshop_title is not None:
        lines.append(_("🗓 Button “Book a seat”: {name}").format(name=esc(workshop_title)))
    elif broadcast.button_value:
        lines.append(_("🔗 Button: {name}").format(name=esc(broadcast.button_value)))
    if not found.texts:
        lines.append(_("Write one text for everyone, or one per language."))
    bid = broadcast.id
    builder = InlineKeyboardBuilder()
    if not is_mentor_message(broadcast):
        builder.row(kb.button(_("👥 Who gets it"), AudienceCb(id=bid).pack()))
    mark = "✅ " if EVERYONE in found.texts else "✏️ "
    builder.row(
        kb.button(
            mark + _("Text for everyone"), BcCb(a=BcAction.TEXT, id=bid, lang=EVERYONE).pack()
        )
    )
    builder.row(
        *[
            kb.button(
                ("✅ " if key in found.texts else "✏️ ") + name,
                BcCb(a=BcAction.TEXT, id=bid, lang=key).pack(),
            )
            for key, name in TEXT_LANGUAGES.items()
        ]
    )
    builder.row(
        kb.button(_("🖼 Photo"), BcCb(a=BcAction.PHOTO, id=bid).pack()),
        kb.button(_("🔗 Button"), BcCb(a=BcAction.BUTTON, id=bid).pack()),
    )
    builder.row(kb.button(_("👁 Preview"), BcCb(a=BcAction.PREVIEW, id=bid).pack()))
    builder.row(
        kb.button(_("🗑 Discard"), BcCb(a=BcAction.DROP, id=bid).pack()),
        kb.button(_("⬅️ Back"), BcCb(a=BcAction.HOME).pack()),
    )
    return "\n".join(lines), builder.as_markup()


def text_prompt(broadcast_id: int, locale: str, has_text: bool, photo: bool) -> Screen:
    language = _("everyone") if locale == EVERYONE else TEXT_LANGUAGES[locale]
    lines = [
        _("✍️ Send the text for: {language}").format(language=language),
        _("Bold, italic and links you make in Telegram are kept."),
    ]
    if locale == SR_CYRL:
        lines.append(_("People who read Serbian in Latin letters get it in Latin letters."))
    if photo:
        lines.append(_("Under a photo: at most {n} characters.").format(n=broadcasts.MAX_CAPTION))
    rows = []
    if has_text:
        rows.append(
            [
                kb.button(
                    _("🗑 Remove this text"),
                    BcCb(a=BcAction.REMOVE, id=broadcast_id, part=BcPart.TEXT, lang=locale).pack(),
                )
            ]
        )
    rows.append([kb.button(_("⬅️ Back"), BcCb(a=BcAction.OPEN, id=broadcast_id).pack())])
    return "\n".join(lines), kb.only(*rows)


def photo_prompt(broadcast_id: int, has_photo: bool) -> Screen:
    rows = []
    if has_photo:
        rows.append(
            [
                kb.button(
                    _("🗑 Remove the photo"),
                    BcCb(a=BcAction.REMOVE, id=broadcast_id, part=BcPart.PHOTO).pack(),
                )
            ]
        )
    rows.append([kb.button(_("⬅️ Back"), BcCb(a=BcAction.OPEN, id=broadcast_id).pack())])
    return _("🖼 Send one photo. It goes above the text."), kb.only(*rows)


def button_prompt(broadcast_id: int, has_button: bool, workshops: bool = False) -> Screen:
    rows = []
    if workshops:
        rows.append(
            [
                kb.button(
                    _("🗓 “Book a seat” for a workshop"),
                    BcCb(a=BcAction.WORKSHOP, id=broadcast_id).pack(),
                )
            ]
        )
    if has_button:
        rows.append(
            [
                kb.button(
                    _("🗑 Remove the button"),
                    BcCb(a=BcAction.REMOVE, id=broadcast_id, part=BcPart.BUTTON).pack(),
                )
            ]
        )
    rows.append([kb.button(_("⬅️ Back"), BcCb(a=BcAction.OPEN, id=broadcast_id).pack())])
    text = "\n".join(
        [
            _("🔗 Send the web address the button opens, for example https://example.org"),
            _("The button says “🔗 Open the link” in each reader's language."),
        ]
    )
    return text, kb.only(*rows)


def workshop_choice(
    broadcast_id: int, choices: Sequence[broadcasts.WorkshopChoice], locale: str, tz: str
) -> Screen:
    rows = [
        [
            kb.button(
                f"{fmt_date(c.starts_at, locale, tz)} · {button_name(c.title)}",
                BcCb(a=BcAction.WORKSHOP, id=broadcast_id, w=c.id).pack(),
            )
        ]
        for c in choices
    ]
    rows.append([kb.button(_("⬅️ Back"), BcCb(a=BcAction.BUTTON, id=broadcast_id).pack())])
    text = (
        _("🗓 Which workshop? Readers get a “Book a seat” button that opens it.")
        if choices
        else _("No upcoming workshops.")
    )
    return text, kb.only(*rows)


def audience_menu(broadcast_id: int) -> Screen:
    choices = [
        (_("Everyone"), AudienceCb(id=broadcast_id, k=Audience.ALL)),
        (_("By role"), AudienceCb(id=broadcast_id, k=Audience.ROLE)),
        (_("By language"), AudienceCb(id=broadcast_id, k=Audience.LANGUAGE)),
        (_("By town"), AudienceCb(id=broadcast_id, k=Audience.CITY)),
        (_("By programme"), AudienceCb(id=broadcast_id, k=Audience.PROGRAMME)),
        (_("Young people of a mentor"), AudienceCb(id=broadcast_id, k=Audience.MENTEES)),
    ]
    rows = [[kb.button(label, data.pack())] for label, data in choices]
    rows.append([kb.button(_("⬅️ Back"), BcCb(a=BcAction.OPEN, id=broadcast_id).pack())])
    return _("👥 Who gets it?"), kb.only(*rows)


def audience_values(broadcast_id: int, audience: str) -> Screen:
    """The values of one kind of audience (not mentors: those are listed from the database)."""
    options: list[tuple[str, str]]
    if audience == Audience.ROLE:
        options = [(r.value, _(ROLE_NAMES[r])) for r in Role]
    elif audience == Audience.LANGUAGE:
        options = list(TEXT_LANGUAGES.items())
    elif audience == Audience.CITY:
        options = [(key, city_name(key)) for key in CITIES if key != "other"]
    else:
        options = [(key, programme_name(key)) for key in PROGRAMMES]
    builder = InlineKeyboardBuilder()
    for value, label in options:
        builder.button(text=label, callback_data=AudienceCb(id=broadcast_id, k=audience, v=value))
    builder.adjust(1 if audience == Audience.PROGRAMME else 2)
    builder.row(kb.button(_("⬅️ Back"), AudienceCb(id=broadcast_id).pack()))
    return _("👥 Who gets it?"), builder.as_markup()


def mentor_choice(
    broadcast_id: int, mentors: Sequence[tuple[int, str | None]], page: int, pages: int
) -> Screen:
    builder = InlineKeyboardBuilder()
    for mentor_id, name in mentors:
        data = AudienceCb(id=broadcast_id, k=Audience.MENTEES, m=mentor_id, p=page)
        builder.row(kb.button(button_name(name), data.pack()))
    paging = kb.pager(
        page, pages, lambda to: AudienceCb(id=broadcast_id, k=Audience.MENTEES, p=to).pack()
    )
    if paging:
        builder.row(*paging)
    builder.row(kb.button(_("⬅️ Back"), AudienceCb(id=broadcast_id).pack()))
    text = _("👥 Whose young people?") if mentors else _("There are no mentors yet.")
    return text, builder.as_markup()


def preview_header(locale: str, n: int) -> str:
    return ngettext(
        "👁 Preview for {language} ({n} person):",
        "👁 Preview for {language} ({n} people):",
        n,
    ).format(language=LANGUAGE_NAMES.get(locale, locale), n=n)


def preview_done(broadcast_id: int, total: int) -> Screen:
    text = ngettext(
        "👆 That is how it looks. It goes to {n} person.",
        "👆 That is how it looks. It goes to {n} people.",
        total,
    ).format(n=total)
    markup = kb.only(
        [kb.button(_("📤 Send now"), BcCb(a=BcAction.NOW, id=broadcast_id).pack())],
        [kb.button(_("🕒 Schedule"), WhenCb(id=broadcast_id).pack())],
        [kb.button(_("✏️ Edit"), BcCb(a=BcAction.OPEN, id=broadcast_id).pack())],
    )
    return text, markup


def local_day(now: datetime, tz: str, offset: int) -> date:
    return now.astimezone(ZoneInfo(tz)).date() + timedelta(days=offset)


def to_utc(day: date, minutes: int, tz: str) -> datetime:
    """A local wall time; one skipped by a DST change comes out just after it."""
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=ZoneInfo(tz))
    return local.astimezone(ZoneInfo("UTC"))


def free_slots(now: datetime, tz: str, offset: int) -> list[int]:
    day = local_day(now, tz, offset)
    earliest = now + broadcasts.MIN_LEAD
    return [
        m for m in range(FIRST_SLOT, LAST_SLOT + 1, SLOT_MINUTES) if to_utc(day, m, tz) >= earliest
    ]


def day_choice(broadcast_id: int, now: datetime, tz: str, locale: str) -> Screen:
    builder = InlineKeyboardBuilder()
    for offset in range(DAYS_OFFERED):
        if not free_slots(now, tz, offset):
            continue  # today, late in the evening
        day = local_day(now, tz, offset)
        label = fmt_date(day, locale, tz, skeleton="MMMEd")
        builder.button(text=label, callback_data=WhenCb(id=broadcast_id, d=offset))
    builder.adjust(2)
    builder.row(kb.button(_("⬅️ Back"), BcCb(a=BcAction.PREVIEW, id=broadcast_id).pack()))
    return _("🕒 On which day? (your time: {place})").format(
        place=zone_label(tz, locale)
    ), builder.as_markup()


def time_choice(broadcast_id: int, offset: int, now: datetime, tz: str, locale: str) -> Screen:
    builder = InlineKeyboardBuilder()
    day = local_day(now, tz, offset)
    for minutes in free_slots(now, tz, offset):
        label = fmt_time(to_utc(day, minutes, tz), locale, tz)
        builder.button(text=label, callback_data=WhenCb(id=broadcast_id, d=offset, m=minutes))
    builder.adjust(4)
    builder.row(kb.button(_("⬅️ Back"), WhenCb(id=broadcast_id).pack()))
    text = _("🕒 At what time on {date}?").format(date=fmt_date(day, locale, tz, skeleton="MMMEd"))
    return text, builder.as_markup()


def when_text(moment: datetime, locale: str, tz: str) -> str:
    return _("{date}, {time}").format(
        date=fmt_date(moment, locale, tz, skeleton="yMMMEd"), time=fmt_time(moment, locale, tz)
    )


def excerpt(texts: dict[str, str], locale: str) -> str:
    body = broadcasts.text_for(texts, locale) or ""
    plain = broadcasts.plain(body)
    cut = plain if len(plain) <= PREVIEW_EXCERPT else plain[: PREVIEW_EXCERPT - 1] + "…"
    return esc(cut)


def scheduled_view(
    broadcast: Broadcast, texts: dict[str, str], mentor_name: str | None, locale: str, tz: str
) -> Screen:
    assert broadcast.send_at is not None
    lines = [
        _("🕒 <b>Scheduled</b> for {date}").format(date=when_text(broadcast.send_at, locale, tz)),
        _("👥 To: {name}").format(name=audience_text(broadcast, mentor_name)),
        "",
        f"<i>{excerpt(texts, locale)}</i>",
    ]
    markup = kb.only(
        [kb.button(_("✖️ Cancel it"), BcCb(a=BcAction.CANCEL, id=broadcast.id).pack())],
        [kb.button(_("⬅️ Back"), BcCb(a=BcAction.LIST).pack())],
    )
    return "\n".join(lines), markup


def waiting_count(counts: dict[str, int]) -> int:
    return counts.get(RecipientStatus.PENDING, 0) + counts.get(RecipientStatus.SENDING, 0)


def progress_text(counts: dict[str, int]) -> str:
    undelivered = sum(
        counts.get(s, 0)
        for s in (RecipientStatus.BLOCKED, RecipientStatus.FAILED, RecipientStatus.SKIPPED)
    )
    return "\n".join(
        [
            _("📣 <b>Sending…</b>"),
            _("✅ Sent: {n}").format(n=counts.get(RecipientStatus.SENT, 0)),
            _("❌ Not delivered: {n}").format(n=undelivered),
            _("⏳ Waiting: {n}").format(n=waiting_count(counts)),
        ]
    )


def report_text(counts: dict[str, int]) -> str:
    lines = [
        _("📣 <b>Done</b>"),
        _("✅ Delivered: {n}").format(n=counts.get(RecipientStatus.SENT, 0)),
        _("🚫 Blocked the bot: {n}").format(n=counts.get(RecipientStatus.BLOCKED, 0)),
        _("❌ Failed: {n}").format(n=counts.get(RecipientStatus.FAILED, 0)),
    ]
    if counts.get(RecipientStatus.SKIPPED):
        lines.append(
            _("⏭ Not sent (left or muted meanwhile): {n}").format(n=counts[RecipientStatus.SKIPPED])
        )
    if counts.get(RecipientStatus.CANCELLED):
        lines.append(_("⏹ Stopped before sending: {n}").format(n=counts[RecipientStatus.CANCELLED]))
    return "\n".join(lines)


def undelivered_count(counts: dict[str, int]) -> int:
    return sum(
        counts.get(s, 0)
        for s in (RecipientStatus.BLOCKED, RecipientStatus.FAILED, RecipientStatus.SKIPPED)
    )


def progress_markup(broadcast_id: int) -> InlineKeyboardMarkup:
    return kb.only(
        [kb.button(_("⏹ Stop sending"), BcCb(a=BcAction.STOP, id=broadcast_id).pack())],
        [kb.button(_("🔄 Refresh"), BcCb(a=BcAction.SHOW, id=broadcast_id).pack())],
    )


def report_markup(broadcast_id: int, counts: dict[str, int]) -> InlineKeyboardMarkup:
    rows = []
    if undelivered_count(counts):
        rows.append(
            [kb.button(_("📄 Not delivered (CSV)"), BcCb(a=BcAction.CSV, id=broadcast_id).pack())]
        )
    rows.append([kb.button(_("⬅️ Back"), BcCb(a=BcAction.SENT).pack())])
    return kb.only(*rows)


def status_view(
    broadcast: Broadcast, counts: dict[str, int], booked: dict[str, int] | None = None
) -> Screen:
    """`booked`: for a "Book a seat" announcement, its bookings by status."""
    extra = ""
    if booked is not None:
        seats = booked.get("booked", 0) + booked.get("offered", 0)
        extra = "\n" + _("🗓 Booked from it: {n}, on the waitlist: {w}").format(
            n=seats, w=booked.get("waiting", 0)
        )
    if broadcast.status == BroadcastStatus.SENDING:
        return progress_text(counts) + extra, progress_markup(broadcast.id)
    return report_text(counts) + extra, report_markup(broadcast.id, counts)


def scheduled_list(items: Sequence[Broadcast], locale: str, tz: str) -> Screen:
    builder = InlineKeyboardBuilder()
    for item in items:
        assert item.send_at is not None
        label = f"{when_text(item.send_at, locale, tz)} · {audience_text(item)}"
        builder.row(kb.button(button_name(label, 60), BcCb(a=BcAction.SHOW, id=item.id).pack()))
    builder.row(kb.button(_("⬅️ Back"), BcCb(a=BcAction.HOME).pack()))
    text = _("🕒 <b>Scheduled</b>") if items else _("Nothing is scheduled.")
    return text, builder.as_markup()


def sent_list(items: Sequence[Broadcast], locale: str, tz: str) -> Screen:
    builder = InlineKeyboardBuilder()
    for item in items:
        moment = item.started_at or item.created_at
        mark = "⏳" if item.status == BroadcastStatus.SENDING else "✅"
        label = f"{mark} {when_text(moment, locale, tz)} · {people(item.total)}"
        builder.row(kb.button(button_name(label, 60), BcCb(a=BcAction.SHOW, id=item.id).pack()))
    builder.row(kb.button(_("⬅️ Back"), BcCb(a=BcAction.HOME).pack()))
    text = _("📋 <b>Sent</b>") if items else _("Nothing has been sent yet.")
    return text, builder.as_markup()
