"""From the ``text``/``parse_mode``/``entities`` a bot sends to the text and entities Telegram
stores: telegram-bot-api's ``get_formatted_text`` followed by TDLib's ``fix_formatted_text``
(control characters replaced, ``\\r`` dropped, outer spaces and newlines trimmed, links and
commands found)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.botapi.autolink import find_entities
from bot.botapi.entities import Entity, fix_entities, merge_new_entities, sort_entities
from bot.botapi.errors import ApiError, bad_request
from bot.botapi.html import HtmlError, checked_link, link_user_id, parse_html

MAX_TEXT = 4096
MAX_CAPTION = 1024
_REMOVED = frozenset({0x0333, 0x033F, 0x030A, *range(0x2028, 0x202F)})
_SIMPLE_TYPES = frozenset(
    {"bold", "italic", "underline", "strikethrough", "spoiler", "code", "blockquote"}
)
_FOUND_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bank_card_number",
    }
)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass(frozen=True)
class FormattedText:
    text: str
    entities: tuple[Entity, ...] = ()

    def api_entities(self, users: dict[int, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        return [entity.to_api(users) for entity in self.entities]


def format_text(
    text: str,
    parse_mode: str,
    entities: Any,
    *,
    allow_empty: bool,
    strict_html: bool = False,
    find_new: bool = True,
) -> FormattedText:
    if len(text.encode("utf-8", "surrogatepass")) > 1 << 15:
        raise bad_request("Text is too long")
    mode = parse_mode.lower()
    if text and mode and mode != "none":
        if mode != "html":
            if mode in ("markdown", "markdownv2"):
                raise ApiError(400, f"fake: parse_mode {parse_mode} is not implemented")
            raise bad_request("Unsupported parse_mode")
        try:
            plain, parsed = parse_html(text, strict=strict_html)
        except HtmlError as error:
            raise bad_request(f"Can't parse entities: {error}") from None
        return fix_formatted_text(plain, parsed, allow_empty=allow_empty, find_new=find_new)
    given = explicit_entities(entities)
    return fix_formatted_text(text, given, allow_empty=allow_empty, find_new=find_new)


def explicit_entities(value: Any) -> list[Entity]:
    """Entities passed as JSON instead of a parse_mode (telegram-bot-api's get_text_entity)."""
    if not isinstance(value, list):
        return []  # the server ignores entities it cannot decode
    result = []
    for item in value:
        try:
            entity = _explicit_entity(item)
        except ValueError as error:
            raise bad_request(f"Can't parse MessageEntity: {error}") from None
        if entity is not None:
            result.append(entity)
    return result


def _field(item: dict[str, Any], name: str, kind: type) -> Any:
    if name not in item:
        raise ValueError(f'Can\'t find field "{name}"')
    value = item[name]
    if kind is int and isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f'Field "{name}" must be of type {"Number" if kind is int else "String"}')
    return value


def _explicit_entity(item: Any) -> Entity | None:
    if not isinstance(item, dict):
        raise ValueError("expected an Object")
    offset, length = _field(item, "offset", int), _field(item, "length", int)
    kind = _field(item, "type", str)
    if kind in _FOUND_TYPES:
        return None  # Telegram finds these itself
    if kind in _SIMPLE_TYPES or kind == "expandable_blockquote":
        return Entity(kind, offset, length)
    if kind == "pre":
        return Entity("pre", offset, length, language=str(item.get("language") or ""))
    if kind == "text_link":
        url = _field(item, "url", str)
        user_id = link_user_id(url)
        if user_id:
            return Entity("text_mention", offset, length, user_id=user_id)
        checked = checked_link(url)
        if checked is None:
            raise ValueError("Wrong HTTP URL")
        return Entity("text_link", offset, length, url=checked)
    if kind == "text_mention":
        user = item.get("user")
        if not isinstance(user, dict):
            raise ValueError('Can\'t find field "user"')
        return Entity("text_mention", offset, length, user_id=_field(user, "id", int))
    if kind == "custom_emoji":
        emoji_id = str(_field(item, "custom_emoji_id", str))
        return Entity("custom_emoji", offset, length, custom_emoji_id=emoji_id)
    if kind == "date_time":
        unix_time = _field(item, "unix_time", int)
        fmt = str(item.get("date_time_format") or "")
        return Entity("date_time", offset, length, unix_time=unix_time, date_time_format=fmt)
    raise ValueError("Unsupported type specified")


def _clean(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """TDLib's clean_input_string_with_entities: control characters become spaces, ``\\r`` and a
    few invisible marks disappear; entity offsets move with the removed characters."""
    out: list[str] = []
    new_offset: dict[int, int] = {}
    units = skipped = 0
    for ch in text:
        new_offset[units] = units - skipped
        code, width = ord(ch), (2 if ord(ch) > 0xFFFF else 1)
        units += width
        if ch == "\r" or code in _REMOVED:
            skipped += width
        elif code < 32 and ch != "\n":
            out.append(" ")
        else:
            out.append(ch)
    new_offset[units] = units - skipped
    result = []
    for entity in entities:
        if entity.offset > units:
            raise bad_request(
                f"Entity begins after the end of the text at UTF-16 offset {entity.offset}"
            )
        if entity.end > units:
            raise bad_request(
                f"Entity beginning at UTF-16 offset {entity.offset} ends after the end of the "
                f"text at UTF-16 offset {entity.end}"
            )
        if entity.offset not in new_offset or entity.end not in new_offset:
            raise bad_request("Entity begins or ends in a middle of a UTF-16 symbol")
        start = new_offset[entity.offset]
        result.append(replace(entity, offset=start, length=new_offset[entity.end] - start))
    return "".join(out), result


def fix_formatted_text(
    text: str, entities: list[Entity], *, allow_empty: bool, find_new: bool = True
) -> FormattedText:
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        raise bad_request("Strings must be encoded in UTF-8")
    for entity in entities:
        if not 0 <= entity.offset <= 1_000_000:
            raise bad_request(f"Receive an entity with incorrect offset {entity.offset}")
        if not 0 <= entity.length <= 1_000_000:
            raise bad_request(f"Receive an entity with incorrect length {entity.length}")
    text, entities = _clean(text, fix_entities(entities))
    entities = [e for e in entities if e.length > 0]
    last = max((i for i, ch in enumerate(text) if ch not in " \n"), default=-1)
    if last < 0:
        if allow_empty:
            return FormattedText("")
        raise bad_request("Text must be non-empty")
    entities = fix_entities(entities)
    # Trailing spaces and newlines go; entities are cut to the remaining text.
    text = text[: last + 1]
    end = utf16_len(text)
    entities = sort_entities(
        [replace(e, length=min(e.end, end) - e.offset) for e in entities if e.offset < end]
    )
    # Leading ones go too, but only before the first entity.
    first = entities[0].offset if entities else len(text)
    lead = 0
    while lead < first and text[lead] in " \n":
        lead += 1
    text = text[lead:]
    entities = [replace(e, offset=e.offset - lead) for e in entities]
    if find_new:
        entities = merge_new_entities(entities, find_entities(text))
    return FormattedText(text, tuple(entities))
