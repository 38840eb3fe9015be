"""An announcement as one reader sees it: the text for their language, the photo, the button.
The preview and the sender both build it here, so the preview is exactly what people get."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.booking.telegram.callbacks import AnnouncedAction, AnnouncedCb
from bot.broadcasts import rules as broadcasts
from bot.broadcasts.models import Broadcast, ButtonKind
from bot.kit.texts import _, esc
from bot.people.names import programme_name


@dataclass(frozen=True)
class Content:
    texts: dict[str, str]
    photo: str | None
    button_kind: str | None
    button_value: str | None
    signature: broadcasts.Signature
    broadcast_id: int = 0

    @classmethod
    def of(
        cls, broadcast: Broadcast, texts: dict[str, str], signature: broadcasts.Signature
    ) -> Content:
        return cls(
            texts,
            broadcast.photo_file_id,
            broadcast.button_kind,
            broadcast.button_value,
            signature,
            broadcast.id,
        )


@dataclass(frozen=True)
class Rendered:
    text: str
    photo: str | None
    markup: InlineKeyboardMarkup | None


def render(content: Content, locale: str) -> Rendered:
    """In the reader's locale: call inside `i18n.use_locale(locale)` for the button label."""
    text = broadcasts.text_for(content.texts, locale) or ""
    return Rendered(f"{signed(content.signature)}\n\n{text}", content.photo, _markup(content))


def signed(signature: broadcasts.Signature) -> str:
    """The line that says who speaks, in the reader's language and script."""
    if signature.mentor:
        if not signature.name:
            return _("✉️ Your mentor writes:")
        return _("✉️ Your mentor <b>{name}</b> writes:").format(name=esc(signature.name))
    sender = programme_name(signature.programme) if signature.programme else _("The Putokaz team")
    return _("📣 <b>{sender}</b> announces:").format(sender=esc(sender))


def _markup(content: Content) -> InlineKeyboardMarkup | None:
    if content.button_kind == ButtonKind.URL and content.button_value:
        button = InlineKeyboardButton(text=_("🔗 Open the link"), url=content.button_value)
        return InlineKeyboardMarkup(inline_keyboard=[[button]])
    if content.button_kind == ButtonKind.WORKSHOP and (content.button_value or "").isdigit():
        # Booking's own button: its handlers open the card, in the reader's language.
        data = AnnouncedCb(
            a=AnnouncedAction.OPEN, id=int(content.button_value or 0), b=content.broadcast_id
        )
        button = InlineKeyboardButton(text=_("🗓 Book a seat"), callback_data=data.pack())
        return InlineKeyboardMarkup(inline_keyboard=[[button]])
    return None


async def send(
    bot: Bot, chat_id: int, rendered: Rendered, *, request_timeout: int | None = None
) -> Message:
    if rendered.photo:
        return await bot.send_photo(
            chat_id,
            rendered.photo,
            caption=rendered.text,
            reply_markup=rendered.markup,
            request_timeout=request_timeout,
        )
    return await bot.send_message(
        chat_id, rendered.text, reply_markup=rendered.markup, request_timeout=request_timeout
    )
