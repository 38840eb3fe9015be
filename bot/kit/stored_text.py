"""What Telegram keeps of a text sent with parse_mode HTML: its plain text and formatting entities.

Telegram refuses an edit that leaves a message as it was ("message is not modified"), comparing
what it stores, not the HTML: `<b>` and `<strong>` are the same, `&#x27;` is "'", outer spaces
and newlines are trimmed. So the new HTML is brought to that form here and compared with the
text and entities of the message as Telegram sent it (a button's message carries them).

Entities Telegram finds by itself (links, @mentions, /commands...) depend only on the text, so
they are left out of the comparison; formatting is compared as ranges per kind, so nesting order
and adjacent pieces (`<b>a</b><b>b</b>`) do not matter. Where this still differs from Telegram
(it normalises link addresses, for one) the edit is simply sent, and a "not modified" answer is
then taken as done.
"""

from __future__ import annotations

from collections.abc import Iterable
from html.parser import HTMLParser

from aiogram.types import MessageEntity, User

# A formatting entity: kind, what it carries (link, language, user, emoji id), start, end, in
# UTF-16 code units as Telegram counts.
Range = tuple[str, str, int, int]

_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
}
FORMATTING = frozenset({*_TAGS.values(), "text_mention", "expandable_blockquote", "date_time"})
_USER_LINK = "tg://user?id="


def _units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.length = 0
        self.open: list[tuple[str, str, str, int]] = []  # tag, kind, value, start
        self.ranges: list[Range] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        kind, value = _TAGS.get(tag, ""), ""
        if tag == "span" and values.get("class") == "tg-spoiler":
            kind = "spoiler"
        elif tag == "a":
            href = values.get("href", "")
            if href.startswith(_USER_LINK):
                kind, value = "text_mention", href.removeprefix(_USER_LINK)
            else:
                value = href
        elif tag == "blockquote" and "expandable" in values:
            kind = "expandable_blockquote"
        elif tag == "tg-emoji":
            value = values.get("emoji-id", "")
        elif tag == "code" and self.open and self.open[-1][1] == "pre":
            # <pre><code class="language-x">: one pre entity with its language.
            _, _, _, start = self.open.pop()
            language = values.get("class", "").removeprefix("language-")
            self.open.append(("pre", "pre", language, start))
            kind = ""
        self.open.append((tag, kind, value, self.length))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                _, kind, value, start = self.open.pop(index)
                if kind:
                    self.ranges.append((kind, value, start, self.length))
                return

    def handle_data(self, data: str) -> None:
        # As Telegram cleans input: "\r" goes, other control characters become spaces.
        data = data.replace("\r", "")
        data = "".join(" " if ord(c) < 32 and c != "\n" else c for c in data)
        self.parts.append(data)
        self.length += _units(data)


def stored_form(html: str) -> tuple[str, frozenset[Range]]:
    """The text and formatting Telegram would store for this HTML."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    ranges = [r for r in parser.ranges if r[3] > r[2]]
    # Trailing spaces and newlines go (entities are cut to what remains); leading ones too,
    # up to the first entity.
    trimmed = text.rstrip(" \n")
    end = _units(trimmed)
    ranges = [(k, v, s, min(e, end)) for k, v, s, e in ranges if s < end]
    first = min((s for _, _, s, _ in ranges), default=end)
    lead = 0
    while lead < len(trimmed) and trimmed[lead] in " \n" and lead < first:
        lead += 1
    ranges = [(k, v, s - lead, e - lead) for k, v, s, e in ranges]
    return trimmed[lead:], _merged(ranges)


def entity_ranges(entities: Iterable[MessageEntity] | None) -> frozenset[Range]:
    """The formatting of a message as Telegram sent it, in the form stored_form gives."""
    ranges = []
    for entity in entities or ():
        if entity.type not in FORMATTING:
            continue
        value = ""
        if entity.type == "text_link":
            value = entity.url or ""
        elif entity.type == "text_mention":
            value = str(entity.user.id) if entity.user else ""
        elif entity.type == "pre":
            value = entity.language or ""
        elif entity.type == "custom_emoji":
            value = entity.custom_emoji_id or ""
        ranges.append((str(entity.type), value, entity.offset, entity.offset + entity.length))
    return _merged(ranges)


def _merged(ranges: Iterable[Range]) -> frozenset[Range]:
    """Overlapping and touching ranges of one kind and value as one."""
    result: list[Range] = []
    for kind, value, start, end in sorted(ranges):
        if result and result[-1][:2] == (kind, value) and start <= result[-1][3]:
            last = result.pop()
            start, end = last[2], max(last[3], end)
        result.append((kind, value, start, end))
    return frozenset(result)


def to_entities(ranges: Iterable[Range]) -> list[MessageEntity]:
    """Ranges back as the entities Telegram would send with the message."""
    entities = []
    for kind, value, start, end in sorted(ranges, key=lambda r: (r[2], -r[3], r[0])):
        entity = MessageEntity(type=kind, offset=start, length=end - start)
        if kind == "text_link":
            entity.url = value
        elif kind == "text_mention" and value.isdigit():
            entity.user = User(id=int(value), is_bot=False, first_name="")
        elif kind == "pre" and value:
            entity.language = value
        elif kind == "custom_emoji":
            entity.custom_emoji_id = value
        entities.append(entity)
    return entities
