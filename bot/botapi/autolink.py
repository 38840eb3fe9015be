"""Entities Telegram finds on its own in message text: @mentions, /commands, #tags, links.

Mentions, bot commands, hashtags and cashtags follow TDLib's matchers. Links and e-mail addresses
are an approximation: TDLib validates top-level domains against a full list, the fake only knows
common ones; phone and bank card numbers are not detected.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from bot.botapi.entities import Entity, sort_entities

_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_TLDS = (
    "com|org|net|edu|gov|mil|int|info|biz|io|me|app|dev|ai|co|eu|rs|ba|hr|si|mk|al|bg|ro|hu|"
    "gr|de|at|ch|uk|fr|it|es|pt|nl|be|pl|cz|sk|ru|ua|by|us|ca|au|tv|xyz|online|site|org\\.rs"
)
_URL = re.compile(
    r"(?i)(?<![\w@.])(?:(?:https?://|www\.)[^\s<>\"]+"
    rf"|(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})(?::\d{{1,5}})?(?:/[^\s<>\"]*)?"
    r")(?![\w@])"
)
_EMAIL = re.compile(rf"(?i)(?<![\w.+-])[\w.+-]+@(?:[a-z0-9-]+\.)+(?:{_TLDS})(?![\w-])(?!\.\w)")
_TRAILING = ".,;:!?'\"»"


def _is_word(ch: str) -> bool:
    return ch == "_" or unicodedata.category(ch)[0] in "LN"


def _hashtag_letter(ch: str) -> bool:
    if ch in "_\u200c\u00b7" or 0xD80 <= ord(ch) <= 0xDFF:
        return True
    category = unicodedata.category(ch)
    return category[0] == "L" or category == "Nd"


def _positions(text: str, char: str) -> Iterator[int]:
    index = text.find(char)
    while index != -1:
        yield index
        index = text.find(char, index + 1)


def _run(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] in _NAME:
        end += 1
    return end


def _mentions(text: str) -> Iterator[tuple[int, int]]:
    for at in _positions(text, "@"):
        if at and _is_word(text[at - 1]):
            continue
        end = _run(text, at + 1)
        after = text[end] if end < len(text) else ""
        # TDLib also drops usernames shorter than 5 characters (a few whitelisted aside).
        if 5 <= end - at - 1 <= 32 and not (after and _is_word(after)):
            yield at, end


def _bot_commands(text: str) -> Iterator[tuple[int, int]]:
    for slash in _positions(text, "/"):
        if slash and (_is_word(text[slash - 1]) or text[slash - 1] in "/<>"):
            continue
        end = _run(text, slash + 1)
        if not 1 <= end - slash - 1 <= 64:
            continue
        if end < len(text) and text[end] == "@":
            bot_end = _run(text, end + 1)
            if not 3 <= bot_end - end - 1 <= 32:
                continue
            end = bot_end
        after = text[end] if end < len(text) else ""
        if not (after and (_is_word(after) or after in "/<>")):
            yield slash, end


def _hashtags(text: str) -> Iterator[tuple[int, int]]:
    for sign in _positions(text, "#"):
        if sign and _hashtag_letter(text[sign - 1]):
            continue
        end = sign + 1
        while end < len(text) and _hashtag_letter(text[end]):
            end += 1
        body = text[sign + 1 : end]
        if not body or (end < len(text) and text[end] == "#"):
            continue
        if any(unicodedata.category(ch)[0] == "L" for ch in body[:256]):
            yield sign, sign + 1 + min(len(body), 256)


def _cashtags(text: str) -> Iterator[tuple[int, int]]:
    for sign in _positions(text, "$"):
        if sign and (_hashtag_letter(text[sign - 1]) or text[sign - 1] == "$"):
            continue
        end = sign + 1
        if text.startswith("1INCH", end):
            end += 5
        else:
            while end < len(text) and "A" <= text[end] <= "Z":
                end += 1
        after = text[end] if end < len(text) else ""
        if 1 <= end - sign - 1 <= 8 and not (after and (_hashtag_letter(after) or after == "$")):
            yield sign, end


def _links(text: str) -> Iterator[tuple[str, int, int]]:
    for match in _EMAIL.finditer(text):
        yield "email", match.start(), match.end()
    for match in _URL.finditer(text):
        start, end = match.span()
        while end > start and (
            text[end - 1] in _TRAILING
            or (text[end - 1] == ")" and text.count("(", start, end) < text.count(")", start, end))
        ):
            end -= 1
        yield "url", start, end


def find_entities(text: str) -> list[Entity]:
    """Entities TDLib adds to a bot's message text (bots keep bot_command entities)."""
    spans: list[tuple[str, int, int]] = [("mention", *s) for s in _mentions(text)]
    spans += [("bot_command", *s) for s in _bot_commands(text)]
    spans += [("hashtag", *s) for s in _hashtags(text)]
    spans += [("cashtag", *s) for s in _cashtags(text)]
    spans += list(_links(text))
    units = [0]
    for ch in text:
        units.append(units[-1] + (2 if ord(ch) > 0xFFFF else 1))
    found = sort_entities(
        [Entity(kind, units[start], units[end] - units[start]) for kind, start, end in spans]
    )
    kept: list[Entity] = []
    for entity in found:  # like fix_entity_offsets: overlapping finds keep the first
        if not kept or entity.offset >= kept[-1].end:
            kept.append(entity)
    return kept
