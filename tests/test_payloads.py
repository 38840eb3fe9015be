"""The callback filter every payload uses: aiogram's answers, the prefix checked first."""

from __future__ import annotations

from aiogram import F
from aiogram.types import CallbackQuery, User

from bot.kit.callbacks import NavCb, Page, Payload


class LongCb(Payload, prefix="nvx"):  # starts like NavCb's "nv"
    n: int


class EmptyCb(Payload, prefix="em"):
    pass


def press(data: str) -> CallbackQuery:
    who = User(id=1, is_bot=False, first_name="Ana")
    return CallbackQuery(id="1", from_user=who, chat_instance="c", data=data)


async def test_the_prefix_and_the_rule_decide_as_in_aiogram() -> None:
    menu = press(NavCb(to=Page.MENU).pack())
    assert await NavCb.filter(F.to == Page.MENU)(menu) == {"callback_data": NavCb(to=Page.MENU)}
    assert await NavCb.filter(F.to == Page.HELP)(menu) is False
    assert await LongCb.filter()(menu) is False
    # "nvx:3" is not a NavCb although it starts with "nv".
    assert await NavCb.filter()(press(LongCb(n=3).pack())) is False
    assert await LongCb.filter(F.n == 3)(press(LongCb(n=3).pack())) == {
        "callback_data": LongCb(n=3)
    }
    assert await EmptyCb.filter()(press(EmptyCb().pack())) == {"callback_data": EmptyCb()}
    assert await EmptyCb.filter()(press("emx")) is False


async def test_a_forged_or_stale_payload_matches_nothing() -> None:
    for data in ("nv:nonsense", "nv:menu:extra", "nv", "nvx:three", ""):
        assert await NavCb.filter()(press(data)) is False
        assert await LongCb.filter()(press(data)) is False


async def test_one_press_is_unpacked_once_for_every_handler_of_its_class() -> None:
    menu = press(NavCb(to=Page.MENU).pack())
    first = await NavCb.filter(F.to == Page.MENU)(menu)
    again = await NavCb.filter()(menu)
    assert first and again and first["callback_data"] is again["callback_data"]
    # Another press (even with the same data) is unpacked anew.
    other = await NavCb.filter()(press(NavCb(to=Page.MENU).pack()))
    assert other and other["callback_data"] is not first["callback_data"]
