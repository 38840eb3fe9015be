"""Updates that are not conversation: blocking and unblocking the bot, edited messages."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated, Message

from bot.people.models import User


async def blocked(event: ChatMemberUpdated, user: User) -> None:
    # Nothing is sent to someone who blocked the bot until they come back.
    user.is_active = False


async def unblocked(event: ChatMemberUpdated, user: User) -> None:
    user.is_active = True


async def edited(message: Message) -> None:
    """An edit of something already answered changes nothing; people expect no reply."""


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="system")
    router.my_chat_member.register(blocked, ChatMemberUpdatedFilter(member_status_changed=KICKED))
    router.my_chat_member.register(unblocked, ChatMemberUpdatedFilter(member_status_changed=MEMBER))
    router.edited_message.register(edited)
    return router
