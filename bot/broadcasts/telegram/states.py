"""Dialog states of broadcasts: only steps that expect typing or a specific button need one."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class BroadcastDialog(StatesGroup):
    """Data: "bc" the broadcast id, "lang" the language of the text asked for."""

    text = State()
    photo = State()
    url = State()
