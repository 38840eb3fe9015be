"""Message entities and the normalisation TDLib applies before a message is sent.

Offsets and lengths are UTF-16 code units, as in the Bot API. The sorting, validity check,
splitting and merging follow td/telegram/MessageEntity.cpp so that the entities the fake returns
match what Telegram returns (for example ``<b>a</b><b>b</b>`` becomes one bold entity).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# TDLib's get_type_priority: decides the order of entities sharing offset and length.
_PRIORITY = {
    "mention": 50,
    "hashtag": 50,
    "bot_command": 50,
    "url": 50,
    "email": 50,
    "bold": 90,
    "italic": 91,
    "code": 20,
    "pre": 11,
    "pre_code": 10,
    "text_link": 49,
    "text_mention": 49,
    "cashtag": 50,
    "phone_number": 50,
    "underline": 92,
    "strikethrough": 93,
    "blockquote": 0,
    "bank_card_number": 50,
    "spoiler": 94,
    "custom_emoji": 99,
    "expandable_blockquote": 0,
    "date_time": 99,
}
# The order in which TDLib flushes split entities.
SPLITTABLE = ("bold", "italic", "underline", "strikethrough", "spoiler")
BLOCKQUOTE = frozenset({"blockquote", "expandable_blockquote"})
PRE = frozenset({"pre", "pre_code", "code"})
CONTINUOUS = frozenset(
    {
        "mention",
        "hashtag",
        "bot_command",
        "url",
        "email",
        "text_link",
        "text_mention",
        "cashtag",
        "phone_number",
        "bank_card_number",
        "custom_emoji",
        "date_time",
    }
)


@dataclass(frozen=True)
class Entity:
    type: str
    offset: int
    length: int
    url: str = ""
    language: str = ""
    custom_emoji_id: str = ""
    user_id: int = 0
    unix_time: int = 0
    date_time_format: str = ""

    @property
    def end(self) -> int:
        return self.offset + self.length

    @property
    def kind(self) -> str:
        """TDLib's entity type: a ``pre`` with a language is a separate type, PreCode."""
        return "pre_code" if self.type == "pre" and self.language else self.type

    def to_api(self, users: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"offset": self.offset, "length": self.length, "type": self.type}
        if self.type == "text_link":
            out["url"] = self.url
        elif self.type == "pre" and self.language:
            out["language"] = self.language
        elif self.type == "custom_emoji":
            out["custom_emoji_id"] = self.custom_emoji_id
        elif self.type == "text_mention":
            user = (users or {}).get(self.user_id)
            out["user"] = user or {"id": self.user_id, "is_bot": False, "first_name": ""}
        elif self.type == "date_time":
            out["unix_time"] = self.unix_time
            if self.date_time_format:
                out["date_time_format"] = self.date_time_format
        return out


def sort_key(entity: Entity) -> tuple[int, int, int]:
    return entity.offset, -entity.length, _PRIORITY.get(entity.kind, 50)


def sort_entities(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=sort_key)


def _mask(kind: str) -> int:
    return 1 << list(_PRIORITY).index(kind)


_SPLITTABLE_MASK = sum(_mask(t) for t in SPLITTABLE)
_BLOCKQUOTE_MASK = sum(_mask(t) for t in BLOCKQUOTE)
_CONTINUOUS_MASK = sum(_mask(t) for t in CONTINUOUS)


def are_entities_valid(entities: list[Entity]) -> bool:
    """TDLib's fast path: already properly nested entities are left exactly as they are."""
    end_pos = dict.fromkeys(SPLITTABLE, -1)
    stack: list[Entity] = []
    nested_mask = 0
    for entity in entities:
        while stack and entity.offset >= stack[-1].end:
            nested_mask -= _mask(stack.pop().kind)
        kind = entity.kind
        if stack:
            parent = stack[-1]
            if (
                entity.end > parent.end
                or nested_mask & _mask(kind)
                or parent.kind in PRE
                or (kind in PRE and nested_mask & ~_BLOCKQUOTE_MASK)
                or ((kind in CONTINUOUS or kind in BLOCKQUOTE) and nested_mask & _CONTINUOUS_MASK)
                or (kind in BLOCKQUOTE and nested_mask & _BLOCKQUOTE_MASK)
                or nested_mask & _SPLITTABLE_MASK
            ):
                return False
        if kind in end_pos:
            if end_pos[kind] >= entity.offset:
                return False
            end_pos[kind] = entity.end
        stack.append(entity)
        nested_mask += _mask(kind)
    return True


def _remove_intersecting(entities: list[Entity]) -> list[Entity]:
    """Keeps the first of any overlapping entities, nested ones included."""
    kept: list[Entity] = []
    last_end = 0
    for entity in entities:
        if entity.offset >= last_end:
            last_end = entity.end
            kept.append(entity)
    return kept


def _remove_intersecting_blockquote(
    entities: list[Entity], blockquotes: list[Entity]
) -> list[Entity]:
    kept = []
    for entity in entities:
        crossing = any(
            q.offset < entity.end
            and entity.offset < q.end
            and not (q.offset <= entity.offset and entity.end <= q.end)
            for q in blockquotes
        )
        if not crossing:
            kept.append(entity)
    return kept


def _split(splittable: list[Entity], others: list[Entity]) -> list[Entity]:
    """TDLib's split_entities: merges touching same-type spans and cuts them at other entities."""
    begin = dict.fromkeys(SPLITTABLE, 0)
    end = dict.fromkeys(SPLITTABLE, 0)
    result: list[Entity] = []
    pending = iter(splittable)
    current = next(pending, None)

    def flush(offset: int) -> None:
        for kind in SPLITTABLE:
            if end[kind] != 0 and begin[kind] < offset:
                if end[kind] <= offset:
                    result.append(Entity(kind, begin[kind], end[kind] - begin[kind]))
                    begin[kind] = end[kind] = 0
                else:
                    result.append(Entity(kind, begin[kind], offset - begin[kind]))
                    begin[kind] = offset

    def add_until(end_offset: int) -> None:
        nonlocal current
        while current is not None and current.offset < end_offset:
            kind = current.type
            if current.offset <= end[kind] and end[kind] != 0:
                end[kind] = max(end[kind], current.end)
            else:
                flush(current.offset)
                begin[kind], end[kind] = current.offset, current.end
            current = next(pending, None)
        flush(end_offset)

    stack: list[Entity] = []

    def add_offset(offset: int) -> None:
        while stack and offset >= stack[-1].end:
            size = len(result)
            add_until(stack[-1].end)
            if stack.pop().kind in PRE:
                del result[size:]  # nothing is formatted inside code
        add_until(offset)

    for other in others:
        add_offset(other.offset)
        stack.append(other)
    add_offset(2**31 - 1)
    return sort_entities(result)


def _resplit(splittable: list[Entity], others: list[Entity]) -> list[Entity]:
    if not splittable:
        return others
    split = _split(splittable, others)
    return sort_entities(others + split) if others else split


def _partition(entities: list[Entity]) -> tuple[list[Entity], list[Entity], list[Entity]]:
    splittable = [e for e in entities if e.kind in SPLITTABLE]
    quotes = [e for e in entities if e.kind in BLOCKQUOTE]
    continuous = [e for e in entities if e.kind not in SPLITTABLE and e.kind not in BLOCKQUOTE]
    return splittable, quotes, continuous


def fix_entities(entities: list[Entity]) -> list[Entity]:
    entities = sort_entities([e for e in entities if e.length > 0])
    if are_entities_valid(entities):
        return entities
    splittable, quotes, continuous = _partition(entities)
    continuous = _remove_intersecting(continuous)
    if quotes:
        quotes = _remove_intersecting(quotes)
        continuous = sort_entities(_remove_intersecting_blockquote(continuous, quotes) + quotes)
    return _resplit(splittable, continuous)


def merge_new_entities(entities: list[Entity], found: list[Entity]) -> list[Entity]:
    """Adds automatically found entities (links, commands) that overlap nothing continuous."""
    if not found:
        return entities
    splittable, quotes, continuous = _partition(entities)
    found = _remove_intersecting_blockquote(found, quotes)
    merged = list(continuous)
    for entity in found:
        if all(entity.end <= old.offset or old.end <= entity.offset for old in continuous):
            merged.append(entity)
    merged = sort_entities(merged + quotes)
    return _resplit(splittable, merged)
