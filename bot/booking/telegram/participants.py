"""The list of who booked and who waits for a workshop, with attendance once it has begun."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import workshops
from bot.booking.telegram.callbacks import StaffWsAction, StaffWsCb
from bot.booking.telegram.screens import ATTENDANCE_MARKS, attendance_buttons
from bot.clock import Clock
from bot.kit import keyboards as kb
from bot.kit.texts import _, esc, name_or_someone, ngettext
from bot.people.models import User


async def participants_screen(
    session: AsyncSession, user: User, workshop_id: int, tz: str, clock: Clock
) -> tuple[str, InlineKeyboardMarkup]:
    listing = await workshops.participants(session, user, workshop_id)
    workshop = listing.workshop
    begun = workshop.starts_at <= clock.now()
    lines = [f"👥 <b>{esc(workshop.title)}</b>"]
    builder = InlineKeyboardBuilder()
    lines.append(
        ngettext("{n} booked:", "{n} booked:", len(listing.booked)).format(n=len(listing.booked))
    )
    for number, (item, person) in enumerate(listing.booked, 1):
        mark = ATTENDANCE_MARKS.get(item.attendance or "", "")
        lines.append(f"{number}. {name_or_someone(person.display_name)} {mark}".rstrip())
        if begun:
            builder.row(*attendance_buttons(item, person))
    if listing.waiting:
        lines.append(_("Waitlist:"))
        for number, (item, person) in enumerate(listing.waiting, 1):
            offered = " 🎟" if item.status == "offered" else ""
            lines.append(f"{number}. {name_or_someone(person.display_name)}{offered}")
    if begun and listing.booked:
        lines.append(_("Tap ✅ for who came, ❌ for who did not."))
    builder.row(kb.button(_("⬅️ Back"), StaffWsCb(a=StaffWsAction.CARD, id=workshop.id).pack()))
    return _fitting(lines), builder.as_markup()


def _fitting(lines: list[str], limit: int = 3900) -> str:
    """Whole lines up to Telegram's length limit: a cut line could break an HTML entity."""
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit:
            kept.append("…")
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)
