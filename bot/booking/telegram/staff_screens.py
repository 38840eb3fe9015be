"""The staff's workshop list and a workshop's card: shown by the plain handlers and by the forms
when they end (saved, created, or left with Back)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import workshops
from bot.booking.models import Workshop, WorkshopStatus
from bot.booking.telegram import screens
from bot.booking.telegram.callbacks import StaffCoAction, StaffCoCb, StaffWsAction, StaffWsCb
from bot.clock import Clock
from bot.i18n.locales import LANGUAGE_NAMES
from bot.kit import keyboards as kb
from bot.kit.texts import _, button_name, esc, ngettext, paragraphs
from bot.people.models import User
from bot.people.names import programme_name


def cb(action: StaffWsAction, workshop_id: int = 0, page: int = 0) -> str:
    return StaffWsCb(a=action, id=workshop_id, p=page).pack()


async def home_screen(
    session: AsyncSession, user: User, tz: str, clock: Clock, page: int = 0, past: bool = False
) -> tuple[str, InlineKeyboardMarkup]:
    found = await workshops.staff_listing(session, user, clock.now(), page, past=past)
    lines = [_("🗂 <b>Past workshops</b>") if past else _("🗓 <b>Workshops</b> · staff")]
    builder = InlineKeyboardBuilder()
    if not found.workshops:
        lines.append(_("None yet."))
    for workshop in found.workshops:
        counts = found.counts.get(workshop.id, {})
        waiting = counts.get("waiting", 0) + counts.get("offered", 0)
        mark = "✖️ " if workshop.status == WorkshopStatus.CANCELLED else ""
        seats = f"{counts.get('booked', 0)}/{workshop.capacity}"
        label = f"{mark}{button_name(workshop.title, 30)} · {seats}"
        if waiting:
            label += f" +{waiting}"
        builder.row(kb.button(label, cb(StaffWsAction.CARD, workshop.id)))
        lines.append(
            f"• {mark}{esc(workshop.title)} — "
            + screens.at(workshop.starts_at, user.locale, tz, workshops.zone_of(workshop, tz))
        )
    action = StaffWsAction.PAST if past else StaffWsAction.HOME
    paging = kb.pager(found.page, found.pages, lambda to: cb(action, 0, to))
    if paging:
        builder.row(*paging)
    if not past:
        builder.row(kb.button(_("➕ New workshop"), cb(StaffWsAction.NEW)))
        builder.row(
            kb.button(_("💬 Counselling"), StaffCoCb(a=StaffCoAction.HOME).pack()),
            kb.button(_("🗂 Past workshops"), cb(StaffWsAction.PAST)),
        )
    else:
        builder.row(kb.button(_("⬅️ Back"), cb(StaffWsAction.HOME)))
    builder.row(kb.back_to_menu())
    return "\n".join(lines), builder.as_markup()


def card_text(workshop: Workshop, locale: str, tz: str, waiting: int) -> str:
    languages = [LANGUAGE_NAMES[c] for c in workshop.languages.split(",") if c in LANGUAGE_NAMES]
    zone = workshops.zone_of(workshop, tz)
    lines = [
        f"🗓 <b>{esc(workshop.title)}</b>",
        screens.kind_name(workshop.kind),
        "📅 " + screens.when(workshop.starts_at, workshop.ends_at, locale, tz, zone),
        screens.place(workshop.city, workshop.address, workshop.online_url),
        _("🪑 Booked: {booked} of {capacity}").format(
            booked=workshop.booked, capacity=workshop.capacity
        ),
        ngettext("{n} person waiting", "{n} people waiting", waiting).format(n=waiting),
        _("Booking closes {when}.").format(when=screens.at(workshop.closes_at, locale, tz, zone)),
        _("For: {languages}").format(languages=esc(", ".join(languages)) or _("everyone")),
        _("Programme: {name}").format(name=esc(programme_name(workshop.programme))),
    ]
    if workshop.status == WorkshopStatus.CANCELLED:
        lines.insert(0, _("✖️ <b>Cancelled</b>"))
    text = "\n".join(lines)
    if workshop.description:
        text = paragraphs(text, esc(workshop.description))
    return text


async def card_screen(
    session: AsyncSession, user: User, workshop_id: int, tz: str, clock: Clock
) -> tuple[str, InlineKeyboardMarkup]:
    listing = await workshops.participants(session, user, workshop_id)
    workshop = listing.workshop
    builder = InlineKeyboardBuilder()
    builder.row(kb.button(_("👥 Who booked"), cb(StaffWsAction.PEOPLE, workshop.id)))
    builder.row(kb.button(_("📄 CSV file"), cb(StaffWsAction.CSV, workshop.id)))
    if workshop.status == WorkshopStatus.SCHEDULED and workshop.starts_at > clock.now():
        builder.row(kb.button(_("✏️ Edit"), cb(StaffWsAction.EDIT, workshop.id)))
        builder.row(kb.button(_("✖️ Cancel the workshop"), cb(StaffWsAction.CANCEL, workshop.id)))
    builder.row(kb.button(_("⬅️ Back"), cb(StaffWsAction.HOME)))
    text = card_text(workshop, user.locale, tz, len(listing.waiting))
    return text, builder.as_markup()
