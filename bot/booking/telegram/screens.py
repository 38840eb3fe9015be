"""Workshops, counselling and bookings as people see them. Texts in the current locale.

Titles, descriptions, addresses and names are written by staff: plain text, always escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.booking import counselling, workshops
from bot.booking import rules as booking
from bot.booking.ics import Event, calendar
from bot.booking.models import (
    Attendance,
    Booking,
    BookingStatus,
    Counsellor,
    Workshop,
    WorkshopText,
)
from bot.booking.rules import Item
from bot.booking.telegram.callbacks import (
    AnnouncedAction,
    AnnouncedCb,
    AskedFrom,
    AttendCb,
    BookingAction,
    BookingCb,
    CounselAction,
    CounselCb,
    Mark,
    TownCb,
    WorkshopsAction,
    WorkshopsCb,
)
from bot.i18n.formatting import fmt_datetime, fmt_time, zone_label
from bot.kit import keyboards as kb
from bot.kit.callbacks import NavCb, Page
from bot.kit.texts import N_, _, button_name, esc, ngettext, paragraphs
from bot.people.models import User
from bot.people.names import city_name
from bot.people.profile import CITIES

KIND_NAMES = {
    "cv_jobs": N_("CV and job search"),
    "business": N_("Starting a business"),
    "vocational": N_("Vocational course"),
    "psychosocial": N_("Psychosocial group"),
    "digital": N_("Digital skills"),
    "money": N_("Managing money"),
    "skills": N_("Everyday skills"),
    "club": N_("Good Neighbour Club"),
    "other": N_("Other"),
}
assert set(KIND_NAMES) == set(workshops.KINDS)

SERVICE_NAMES = {
    "career": N_("Career counselling"),
    "psychological": N_("Psychological support"),
    "legal": N_("Legal aid"),
    "social": N_("Social work counselling"),
}
assert set(SERVICE_NAMES) == set(counselling.SERVICES)

# Bookings listed on one screen; nobody has more coming, and the message stays short.
MAX_LISTED = 20


class _Rows:
    """Rows of buttons that become the keyboard as they are. aiogram's InlineKeyboardBuilder
    deep-copies every button when it makes the markup: for a card, more CPU than the rest of
    its screen (profile of bench/booking.py)."""

    def __init__(self) -> None:
        self.rows: list[list[InlineKeyboardButton]] = []

    def row(self, *buttons: InlineKeyboardButton) -> None:
        # As the builder does: no empty row, at most 8 buttons side by side.
        self.rows.extend(list(buttons[at : at + 8]) for at in range(0, len(buttons), 8))

    def as_markup(self) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(inline_keyboard=self.rows)


def kind_name(key: str) -> str:
    return _(KIND_NAMES[key]) if key in KIND_NAMES else key


def service_name(key: str) -> str:
    return _(SERVICE_NAMES[key]) if key in SERVICE_NAMES else key


def zone_note(zone: str, tz: str, locale: str) -> str:
    """ " (Belgrade time)" after a place's time when the reader lives by another clock, else ""."""
    if zone == tz:
        return ""
    return " " + _("({place} time)").format(place=zone_label(zone, locale))


def at(moment: datetime, locale: str, tz: str, zone: str | None = None) -> str:
    """A moment of a place in the place's own time (zone), named when it is not the reader's."""
    zone = zone or tz
    return fmt_datetime(moment, locale, zone) + zone_note(zone, tz, locale)


def when(
    starts_at: datetime, ends_at: datetime, locale: str, tz: str, zone: str | None = None
) -> str:
    """A workshop in Kragujevac at 16:00 is at 16:00 for a reader in Sofia too: the place's
    clock, and its name when the reader's differs."""
    zone = zone or tz
    return _("{start}–{end}").format(
        start=fmt_datetime(starts_at, locale, zone), end=fmt_time(ends_at, locale, zone)
    ) + zone_note(zone, tz, locale)


def item_zone(item: Item, tz: str) -> str:
    """The zone of the booking's place: the workshop's, or the counsellor's."""
    if item.workshop is not None:
        return workshops.zone_of(item.workshop, tz)
    if item.counsellor is not None:
        return item.counsellor.timezone
    return tz


def place(city: str | None, address: str | None, online_url: str | None) -> str:
    """One line, escaped HTML."""
    if city is None:
        link = f" {esc(online_url)}" if online_url else ""
        return _("💻 Online") + link
    parts = [city_name(city)] + ([address] if address else [])
    return "📍 " + esc(", ".join(parts))


def place_plain(city: str | None, address: str | None, online_url: str | None) -> str:
    if city is None:
        return online_url or _("Online")
    return ", ".join([city_name(city)] + ([address] if address else []))


def workshop_title(workshop: Workshop, texts: Sequence[WorkshopText], locale: str) -> str:
    return workshops.text_for(workshop, texts, locale)[0]


def item_title(item: Item, texts: Sequence[WorkshopText], locale: str) -> str:
    if item.workshop is not None:
        return workshop_title(item.workshop, texts, locale)
    if item.counsellor is not None:
        return service_name(item.counsellor.service)
    return ""


def item_place(item: Item) -> str:
    source: Workshop | Counsellor | None = item.workshop or item.counsellor
    if source is None:
        return ""
    return place(source.city, source.address, source.online_url)


# Workshops


def town_question() -> str:
    """Asked where times and places first matter, until the person says where they live."""
    return _("🏙 Which town do you live in? Tell me, and times will be shown by your clock.")


def towns_to_pick(asked: TownCb) -> tuple[str, InlineKeyboardMarkup]:
    """The town asked by a booking screen; picking one goes back to that screen."""
    builder = InlineKeyboardBuilder()
    for key in CITIES:
        builder.button(text=city_name(key), callback_data=asked.model_copy(update={"key": key}))
    builder.adjust(2)
    back = (
        WorkshopsCb(a=WorkshopsAction.LIST, p=asked.p, c=asked.c, k=asked.k).pack()
        if asked.f == AskedFrom.WORKSHOPS
        else NavCb(to=Page.COUNSEL).pack()
    )
    builder.row(kb.button(_("⬅️ Back"), back))
    return town_question(), builder.as_markup()


def listing_screen(
    listing: workshops.Listing,
    locale: str,
    tz: str,
    city: str,
    kind: str,
    *,
    ask_town: bool = False,
) -> tuple[str, InlineKeyboardMarkup]:
    builder = _Rows()
    town = city_label(city) if city else _("all")
    builder.row(
        kb.button(
            _("🏙 Place: {place}").format(place=town),
            WorkshopsCb(a=WorkshopsAction.CITIES, c=city, k=kind).pack(),
        ),
        kb.button(
            _("🏷 Type: {type}").format(type=kind_name(kind) if kind else _("all")),
            WorkshopsCb(a=WorkshopsAction.KINDS, c=city, k=kind).pack(),
        ),
    )
    lines = [_("🗓 <b>Workshops</b>")]
    if not listing.workshops:
        lines.append(_("No workshops coming up here yet. Look again soon!"))
    for workshop in listing.workshops:
        title = workshop_title(workshop, listing.texts, locale)
        mark = _mark(listing.mine.get(workshop.id))
        builder.row(
            kb.button(
                f"{mark}{button_name(title, 40)}",
                WorkshopsCb(
                    a=WorkshopsAction.OPEN, id=workshop.id, p=listing.page, c=city, k=kind
                ).pack(),
            )
        )
        lines.append(
            f"• <b>{esc(title)}</b>\n  "
            + at(workshop.starts_at, locale, tz, workshops.zone_of(workshop, tz))
            + " · "
            + seats_text(workshop)
        )
    paging = kb.pager(
        listing.page,
        listing.pages,
        lambda to: WorkshopsCb(a=WorkshopsAction.LIST, p=to, c=city, k=kind).pack(),
    )
    if paging:
        builder.row(*paging)
    if ask_town:
        asked = TownCb(f=AskedFrom.WORKSHOPS, c=city, k=kind, p=listing.page)
        builder.row(kb.button(_("🏙 My town"), asked.pack()))
    builder.row(kb.nav(_("🎫 My bookings"), Page.BOOKINGS), kb.back_to_menu())
    if listing.pages > 1:
        lines.append(_("Page {page} of {pages}").format(page=listing.page + 1, pages=listing.pages))
    if ask_town:
        lines.append("\n" + town_question())
    return "\n".join(lines), builder.as_markup()


def _mark(mine: Booking | None) -> str:
    if mine is None:
        return ""
    return {BookingStatus.BOOKED: "✅ ", BookingStatus.OFFERED: "🎟 "}.get(
        BookingStatus(mine.status), "🕒 "
    )


def city_label(key: str) -> str:
    return _("💻 Online") if key == workshops.ONLINE else city_name(key)


def seats_text(workshop: Workshop) -> str:
    left = workshops.seats_left(workshop)
    if left == 0:
        return _("full")
    return ngettext("{n} seat left", "{n} seats left", left).format(n=left)


def filter_screen(
    choices: Sequence[str], current: str, labels: dict[str, str], make: object
) -> InlineKeyboardMarkup:
    assert callable(make)
    builder = _Rows()
    builder.row(kb.button(("✓ " if not current else "") + _("All"), make("")))
    for key in choices:
        builder.row(kb.button(("✓ " if key == current else "") + labels[key], make(key)))
    return builder.as_markup()


def workshop_screen(
    card: workshops.Card,
    locale: str,
    tz: str,
    now: datetime,
    back: WorkshopsCb,
    position: int = 0,
    *,
    via: int | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """`via`: opened from that announcement's button, whose bookings it records."""
    workshop, mine = card.workshop, card.mine
    title, description = workshops.text_for(workshop, card.texts, locale)
    zone = workshops.zone_of(workshop, tz)
    lines = [
        f"🗓 <b>{esc(title)}</b>",
        kind_name(workshop.kind),
        "📅 " + when(workshop.starts_at, workshop.ends_at, locale, tz, zone),
        place(workshop.city, workshop.address, workshop.online_url),
    ]
    parts = ["\n".join(lines)]
    if description:
        parts.append(esc(description))
    status = [f"🪑 {seats_text(workshop)}"]
    if card.waiting:
        status.append(
            ngettext("{n} person waiting", "{n} people waiting", card.waiting).format(
                n=card.waiting
            )
        )
    facts = [" · ".join(status)]
    open_ = workshop.closes_at > now
    if open_:
        facts.append(
            _("Booking closes {when}.").format(when=at(workshop.closes_at, locale, tz, zone))
        )
    else:
        facts.append(_("Booking is closed."))
    parts.append("\n".join(facts))
    builder = _Rows()
    if mine is None:
        if open_ and workshops.seats_left(workshop) > 0:
            data = (
                _ws(back, "book", workshop.id)
                if via is None
                else AnnouncedCb(a=AnnouncedAction.BOOK, id=workshop.id, b=via).pack()
            )
            builder.row(kb.button(_("✅ Book a seat"), data))
        elif open_:
            data = (
                _ws(back, "wait", workshop.id)
                if via is None
                else AnnouncedCb(a=AnnouncedAction.WAIT, id=workshop.id, b=via).pack()
            )
            builder.row(kb.button(_("🕒 Join the waitlist"), data))
    else:
        parts.append(booking_status(mine, locale, tz, position))
        if mine.status == BookingStatus.OFFERED:
            builder.row(
                kb.button(_("✅ Take the seat"), BookingCb(a=BookingAction.TAKE, id=mine.id).pack())
            )
        if mine.status != BookingStatus.BOOKED or open_:
            builder.row(
                kb.button(_cancel_label(mine), BookingCb(a=BookingAction.CANCEL, id=mine.id).pack())
            )
        if mine.status == BookingStatus.BOOKED:
            builder.row(
                kb.button(
                    _("📅 Calendar file"),
                    BookingCb(a=BookingAction.CALENDAR_FILE, id=mine.id).pack(),
                )
            )
    builder.row(kb.button(_("⬅️ Back"), back.pack()))
    return paragraphs(*parts), builder.as_markup()


def _ws(back: WorkshopsCb, action: str, workshop_id: int) -> str:
    return WorkshopsCb(a=action, id=workshop_id, p=back.p, c=back.c, k=back.k).pack()


def _cancel_label(mine: Booking) -> str:
    if mine.status == BookingStatus.WAITING:
        return _("✖️ Leave the waitlist")
    if mine.status == BookingStatus.OFFERED:
        return _("✖️ No, thanks")
    return _("✖️ Cancel my booking")


def booking_status(mine: Booking, locale: str, tz: str, position: int = 0) -> str:
    if mine.status == BookingStatus.BOOKED:
        return _("✅ You have a seat.")
    if mine.status == BookingStatus.OFFERED and mine.offer_expires_at is not None:
        return _("🎟 A seat is free for you until {time}.").format(
            time=fmt_datetime(mine.offer_expires_at, locale, tz)
        )
    if position:
        return _("🕒 You are number {n} on the waitlist.").format(n=position)
    return _("🕒 You are on the waitlist.")


# Counselling


def services_screen(
    services: Sequence[str], moving: int = 0, *, ask_town: bool = False
) -> tuple[str, InlineKeyboardMarkup]:
    builder = _Rows()
    for key in services:
        builder.row(
            kb.button(service_name(key), CounselCb(a=CounselAction.SERVICE, s=key, b=moving).pack())
        )
    if ask_town:
        builder.row(kb.button(_("🏙 My town"), TownCb(f=AskedFrom.COUNSEL).pack()))
    builder.row(kb.nav(_("🎫 My bookings"), Page.BOOKINGS), kb.back_to_menu())
    if not services:
        return _(
            "💬 No counselling hours are open yet. Please ask your mentor."
        ), builder.as_markup()
    text = _("💬 <b>Counselling</b>\nWho would you like to talk to?")
    return paragraphs(text, town_question() if ask_town else ""), builder.as_markup()


def towns_screen(
    service: str, towns: Sequence[str], own: str | None
) -> tuple[str, InlineKeyboardMarkup]:
    """Where to meet, the person's own town first: counsellors of one town together."""
    builder = InlineKeyboardBuilder()
    ordered = sorted(towns, key=lambda key: key != own)
    for key in ordered:
        builder.button(
            text=city_label(key), callback_data=CounselCb(a=CounselAction.SERVICE, s=service, t=key)
        )
    builder.adjust(2)
    builder.row(kb.nav(_("⬅️ Back"), Page.COUNSEL))
    text = paragraphs(f"💬 <b>{service_name(service)}</b>", _("📍 Where would you like to meet?"))
    return text, builder.as_markup()


def slot_label(
    starts_at: datetime, zone: str, locale: str, counsellor: Counsellor, many: bool
) -> str:
    """In the place's time: a counsellor's hours 10:00-14:00 are offered as 10:00-14:00."""
    label = fmt_time(starts_at, locale, zone)
    return f"{label} · {button_name(counsellor.name, 24)}" if many else label


# Bookings


def bookings_screen(
    items: Sequence[Item], texts: Sequence[WorkshopText], locale: str, tz: str
) -> tuple[str, InlineKeyboardMarkup]:
    builder = _Rows()
    lines = [_("🎫 <b>My bookings</b>")]
    if not items:
        lines.append(_("Nothing booked yet."))
    for item in items[:MAX_LISTED]:
        title = item_title(item, texts, locale)
        mark = _mark(item.booking)
        lines.append(
            f"{mark}<b>{esc(title)}</b>\n   "
            + at(item.booking.starts_at, locale, tz, item_zone(item, tz))
        )
        builder.row(
            kb.button(
                f"{mark}{button_name(title, 40)}",
                BookingCb(a=BookingAction.OPEN, id=item.booking.id).pack(),
            )
        )
    builder.row(kb.nav(_("🗓 Workshops"), Page.WORKSHOPS), kb.nav(_("💬 Counselling"), Page.COUNSEL))
    builder.row(kb.back_to_menu())
    return "\n".join(lines), builder.as_markup()


def booking_screen(
    item: Item,
    texts: Sequence[WorkshopText],
    locale: str,
    tz: str,
    now: datetime,
    position: int = 0,
) -> tuple[str, InlineKeyboardMarkup]:
    mine = item.booking
    lines = [
        f"🎫 <b>{esc(item_title(item, texts, locale))}</b>",
        "📅 " + when(mine.starts_at, mine.ends_at, locale, tz, item_zone(item, tz)),
        item_place(item),
    ]
    if item.counsellor is not None:
        lines.append(_("With: {name}").format(name=esc(item.counsellor.name)))
    builder = _Rows()
    if mine.status == BookingStatus.OFFERED:
        builder.row(
            kb.button(_("✅ Take the seat"), BookingCb(a=BookingAction.TAKE, id=mine.id).pack())
        )
    if mine.status == BookingStatus.BOOKED:
        builder.row(
            kb.button(
                _("📅 Calendar file"), BookingCb(a=BookingAction.CALENDAR_FILE, id=mine.id).pack()
            )
        )
        if item.counsellor is not None and mine.starts_at - booking.COUNSELLING_CUTOFF > now:
            builder.row(
                kb.button(_("🔁 Another time"), BookingCb(a=BookingAction.MOVE, id=mine.id).pack())
            )
    if cancellable(item, now):
        builder.row(
            kb.button(_cancel_label(mine), BookingCb(a=BookingAction.CANCEL, id=mine.id).pack())
        )
    builder.row(kb.nav(_("⬅️ My bookings"), Page.BOOKINGS))
    status = booking_status(mine, locale, tz, position)
    return paragraphs("\n".join(lines), status), builder.as_markup()


def cancellable(item: Item, now: datetime) -> bool:
    mine = item.booking
    if mine.status in (BookingStatus.WAITING, BookingStatus.OFFERED):
        return True
    if mine.status != BookingStatus.BOOKED:
        return False
    if item.workshop is not None:
        return item.workshop.closes_at > now
    return mine.starts_at - booking.COUNSELLING_CUTOFF > now


def confirm_cancel(
    item: Item, texts: Sequence[WorkshopText], locale: str, tz: str
) -> tuple[str, InlineKeyboardMarkup]:
    title = esc(item_title(item, texts, locale))
    text = _("Cancel this booking? {title}, {when}").format(
        title=f"<b>{title}</b>",
        when=at(item.booking.starts_at, locale, tz, item_zone(item, tz)),
    )
    markup = kb.only(
        [
            kb.button(
                _("Yes, cancel the booking"),
                BookingCb(a=BookingAction.CANCEL_CONFIRMED, id=item.booking.id).pack(),
            )
        ],
        [kb.button(_("⬅️ Back"), BookingCb(a=BookingAction.OPEN, id=item.booking.id).pack())],
    )
    return text, markup


def calendar_file(
    item: Item, texts: Sequence[WorkshopText], locale: str, now: datetime
) -> BufferedInputFile:
    title = item_title(item, texts, locale)
    source: Workshop | Counsellor | None = item.workshop or item.counsellor
    location = place_plain(source.city, source.address, source.online_url) if source else None
    description = None
    if item.workshop is not None:
        description = workshops.text_for(item.workshop, texts, locale)[1]
    elif item.counsellor is not None:
        description = item.counsellor.name
    event = Event(
        uid=f"booking-{item.booking.id}@putokaz",
        starts_at=item.booking.starts_at,
        ends_at=item.booking.ends_at,
        summary=title,
        location=location,
        description=description,
        url=source.online_url if source is not None and source.city is None else None,
        sequence=item.booking.calendar_sequence or 0,
        cancelled=item.booking.status in (BookingStatus.CANCELLED, BookingStatus.CALLED_OFF),
    )
    return BufferedInputFile(calendar(event, now), filename=f"putokaz-{item.booking.id}.ics")


def calendar_caption(item: Item, texts: Sequence[WorkshopText], locale: str, tz: str) -> str:
    cancelled = item.booking.status in (BookingStatus.CANCELLED, BookingStatus.CALLED_OFF)
    return "\n".join(
        [
            _("📅 Open the file to take it off your calendar.")
            if cancelled
            else _("📅 Add it to your calendar: open the file."),
            f"<b>{esc(item_title(item, texts, locale))}</b>",
            when(item.booking.starts_at, item.booking.ends_at, locale, tz, item_zone(item, tz)),
            item_place(item),
        ]
    )


# Messages the reminder sender sends

# Notices that change the event a person has in their calendar: the updated file goes with them.
CALENDAR_NOTICES = (booking.CHANGED, booking.CALLED_OFF)


def notice_calendar(
    kind: str, item: Item, texts: Sequence[WorkshopText], locale: str, now: datetime
) -> BufferedInputFile | None:
    """The new version of the calendar file, for people who were sent one before."""
    if kind not in CALENDAR_NOTICES or item.booking.calendar_sequence is None:
        return None
    return calendar_file(item, texts, locale, now)


def message_text(kind: str, item: Item, texts: Sequence[WorkshopText], locale: str, tz: str) -> str:
    title = f"<b>{esc(item_title(item, texts, locale))}</b>"
    moment = when(item.booking.starts_at, item.booking.ends_at, locale, tz, item_zone(item, tz))
    where = item_place(item)
    if kind in booking.BEFORE:
        return "\n".join([_("⏰ Reminder: {title}").format(title=title), "📅 " + moment, where])
    if kind == booking.OFFER:
        expires = item.booking.offer_expires_at
        deadline = fmt_datetime(expires, locale, tz) if expires else ""
        return "\n".join(
            [
                _("🎟 A seat is free for you: {title}").format(title=title),
                "📅 " + moment,
                _("Take it by {time}, or it goes to the next person.").format(time=deadline),
            ]
        )
    if kind == booking.EXPIRED:
        return _("⌛ The seat at {title} went to the next person on the waitlist.").format(
            title=title
        )
    if kind == booking.CALLED_OFF:
        if item.workshop is not None:
            return _("❌ Cancelled: {title}, {when}. Sorry! Your booking is off.").format(
                title=title, when=moment
            )
        return _(
            "❌ Your appointment {title}, {when}, is off: the counsellor is away. "
            "Please pick another time."
        ).format(title=title, when=moment)
    if kind == booking.RELEASED:
        return _(
            "😔 {title} now has fewer seats, so you are back on the waitlist, first in line. "
            "I will tell you if a seat comes free."
        ).format(title=title)
    if kind == booking.SEATED:
        return "\n".join(
            [_("✅ You have a seat now: {title}").format(title=title), "📅 " + moment, where]
        )
    return "\n".join([_("✏️ Changed: {title}").format(title=title), "📅 " + moment, where])


def message_keyboard(kind: str, item: Item) -> InlineKeyboardMarkup:
    mine = item.booking
    rows: list[list[InlineKeyboardButton]] = []
    if kind == booking.OFFER:
        rows.append(
            [kb.button(_("✅ Take the seat"), BookingCb(a=BookingAction.TAKE, id=mine.id).pack())]
        )
        rows.append(
            [kb.button(_("✖️ No, thanks"), BookingCb(a=BookingAction.CANCEL, id=mine.id).pack())]
        )
    elif kind == booking.CALLED_OFF and item.counsellor is not None:
        rows.append(
            [
                kb.button(
                    _("💬 Pick another time"),
                    CounselCb(a=CounselAction.SERVICE, s=item.counsellor.service).pack(),
                )
            ]
        )
    elif kind in (*booking.BEFORE, booking.CHANGED, booking.SEATED):
        rows.append(
            [kb.button(_("✖️ Cancel"), BookingCb(a=BookingAction.CANCEL, id=mine.id).pack())]
        )
    rows.append([kb.nav(_("🎫 Open my bookings"), Page.BOOKINGS)])
    return kb.only(*rows)


ATTENDANCE_MARKS: dict[str, str] = {Attendance.ATTENDED: "✅", Attendance.NO_SHOW: "❌"}


def attendance_buttons(item: Booking, person: User) -> list[InlineKeyboardButton]:
    name = button_name(person.display_name, 16)
    return [
        kb.button(f"✅ {name}", AttendCb(id=item.id, v=Mark.ATTENDED).pack()),
        kb.button(f"❌ {name}", AttendCb(id=item.id, v=Mark.NO_SHOW).pack()),
    ]
