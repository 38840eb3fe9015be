"""Routers skip a pressed button whose callback data none of their handlers can take.

aiogram offers a callback query to the routers in order, and each router tries its handlers one
by one: every `SomeCb.filter()` parses the data again and fails on the prefix (raising inside
aiogram). A button of the workshops router passed some 40 such checks in the routers before it
(cProfile of bench/booking.py: 45 parses and 67 handler checks per booking; 7 and 27 with this).
Here a router whose handlers all take only their own callback data classes gets a first check of
the prefix: a button with another prefix skips the router (and the routers inside it) in one
step.

What a handler gets is unchanged: a router is skipped only when none of its handlers could have
matched (a `CallbackData` filter fails on any other prefix), and routers with a handler that
takes other buttons (aiogram-dialog's, `F.data == ...`) are left as they are. The prefixes are
read from the handlers registered when `skip_foreign_buttons` runs: call it once every router is
assembled.
"""

from __future__ import annotations

from collections.abc import Iterator

from aiogram import Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import CallbackQuery


class PrefixIn(Filter):
    """The callback data's prefix is one of `prefixes` (per separator)."""

    def __init__(self, prefixes: dict[str, frozenset[str]]) -> None:
        self.prefixes = prefixes  # separator -> prefixes

    async def __call__(self, query: CallbackQuery) -> bool:
        data = query.data
        if not data:
            return False
        return any(
            data.partition(separator)[0] in prefixes
            for separator, prefixes in self.prefixes.items()
        )


def skip_foreign_buttons(router: Router) -> None:
    """Gives `router`'s sub-routers, at every depth, a prefix check where one is sound."""
    for sub in router.sub_routers:
        prefixes = _prefixes(sub)
        if prefixes:
            sub.callback_query.filter(PrefixIn(prefixes))
        skip_foreign_buttons(sub)


def _prefixes(router: Router) -> dict[str, frozenset[str]] | None:
    """The prefixes every callback handler in `router` and below requires, None if some
    handler takes data of another kind (or there are none)."""
    found: dict[str, set[str]] = {}
    for handler in _handlers(router):
        required = [
            f.callback for f in handler.filters or [] if isinstance(f.callback, CallbackQueryFilter)
        ]
        if not required:
            return None
        data_class = required[0].callback_data
        found.setdefault(data_class.__separator__, set()).add(data_class.__prefix__)
    return {separator: frozenset(names) for separator, names in found.items()} or None


def _handlers(router: Router) -> Iterator[HandlerObject]:
    yield from router.callback_query.handlers
    for sub in router.sub_routers:
        yield from _handlers(sub)
