"""Routers skip buttons none of their handlers take (bot/kit/routing.py), and only those."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Chat, Message, Update, User

from bot.kit.routing import PrefixIn, skip_foreign_buttons


class ACb(CallbackData, prefix="a"):
    n: int


class BCb(CallbackData, prefix="b"):
    n: int


def _press(data: str) -> Update:
    person = User(id=1, is_bot=False, first_name="Ana")
    message = Message(
        message_id=1,
        date=datetime(2026, 1, 1, tzinfo=UTC),
        chat=Chat(id=1, type="private"),
        from_user=person,
        text="x",
    )
    query = CallbackQuery(id="q", from_user=person, chat_instance="c", message=message, data=data)
    return Update(update_id=1, callback_query=query)


def _prefix_filters(router: Router) -> list[PrefixIn]:
    filters = router.callback_query._handler.filters or []
    return [f.callback for f in filters if isinstance(f.callback, PrefixIn)]


async def test_a_router_is_skipped_only_when_none_of_its_handlers_could_match() -> None:
    seen: list[str] = []
    first, nested, plain, second = Router(), Router(), Router(), Router()

    @first.callback_query(ACb.filter(F.n == 1))
    async def a_one(query: CallbackQuery, callback_data: ACb) -> None:
        seen.append(f"first a{callback_data.n}")

    @nested.callback_query(BCb.filter())
    async def b_nested(query: CallbackQuery) -> None:
        seen.append("nested b")

    first.include_router(nested)

    @plain.callback_query(F.data == "free")
    async def free(query: CallbackQuery) -> None:
        seen.append("plain free")

    @second.callback_query(ACb.filter())
    async def a_any(query: CallbackQuery, callback_data: ACb) -> None:
        seen.append(f"second a{callback_data.n}")

    dp = Dispatcher()
    dp.include_routers(first, plain, second)
    skip_foreign_buttons(dp)

    # The prefixes of the router and every router inside it; none where a handler takes other data.
    assert [f.prefixes for f in _prefix_filters(first)] == [{":": frozenset({"a", "b"})}]
    assert [f.prefixes for f in _prefix_filters(nested)] == [{":": frozenset({"b"})}]
    assert _prefix_filters(plain) == []

    bot = Bot("123456:routing-test")  # not called: the handlers make no requests
    for data in ("a:1", "a:2", "b:5", "free", "c:1", "a"):
        await dp.feed_update(bot, _press(data))
    # The same handlers as without the check: a:2 passes `first` (its rule fails) to `second`.
    assert seen == ["first a1", "second a2", "nested b", "plain free"]
