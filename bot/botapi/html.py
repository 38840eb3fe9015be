"""Telegram's ``parse_mode=HTML``: a byte-for-byte port of TDLib's ``parse_html``.

It works on UTF-8 bytes because Telegram's error messages quote byte offsets. What it accepts
and refuses matches Telegram, including its leniencies: a bare ``&`` or an unknown entity such as
``&nbsp;`` is kept as literal text (pass ``strict=True`` to refuse those too, as a lint), and an
attribute other than the few Telegram reads is ignored.

``parse_html("<b>Hi</b> &amp; bye")`` gives ``("Hi & bye", [Entity("bold", 0, 2)])``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from bot.botapi.entities import Entity, sort_entities

_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
        "tg-time",
    }
)
_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
}
_NAMED = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}
_SPACE = frozenset(b" \t\r\n\0\v")
_TIME_FORMAT = re.compile(r"r|w?[dD]?[tT]?")


class HtmlError(ValueError):
    """Markup Telegram refuses; the message is TDLib's, to follow "can't parse entities: "."""


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int  # UTF-16 offset in the output
    out_pos: int  # byte position in the output, for <a> without href
    extra: str = ""


def _decode_entity(s: bytes, pos: int) -> tuple[int, int] | None:
    """(code point, position after it) for an HTML entity at ``pos``, like decode_html_entity."""
    end = pos + 1
    code = 0
    if s[end] == ord("#"):
        end += 1
        if s[end] == ord("x"):
            end += 1
            while chr(s[end]) in "0123456789abcdefABCDEF":
                code = code * 16 + int(chr(s[end]), 16)
                end += 1
        else:
            while ord("0") <= s[end] <= ord("9"):
                code = code * 10 + s[end] - ord("0")
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
    else:
        while chr(s[end]).isascii() and chr(s[end]).isalpha():
            end += 1
        name = _NAMED.get(s[pos + 1 : end])
        if name is None:
            return None
        code = ord(name)
    if s[end] == ord(";"):
        end += 1
    return code, end


def _utf8(code: int) -> bytes:
    return chr(code).encode("utf-8", "surrogatepass")


class _Parser:
    def __init__(self, html: str, strict: bool) -> None:
        self.src = html.encode("utf-8", "surrogatepass")
        self.s = self.src + b"\0"  # TDLib reads a NUL-terminated string
        self.strict = strict
        self.out = bytearray()
        self.utf16 = 0
        self.entities: list[Entity] = []
        self.stack: list[_Open] = []

    def run(self) -> tuple[str, list[Entity]]:
        i, size, s = 0, len(self.src), self.s
        while i < size:
            c = s[i]
            if c == ord("&"):
                decoded = _decode_entity(s, i)
                if decoded is not None:
                    code, i = decoded
                    self.utf16 += 2 if code > 0xFFFF else 1
                    self.out += _utf8(code)
                    continue
                if self.strict:
                    raise HtmlError(
                        f"fake strict mode: '&' at byte offset {i} is neither escaped nor one of "
                        "the entities Telegram decodes (&lt; &gt; &amp; &quot; &#N; &#xN;)"
                    )
            if c != ord("<"):
                if c & 0xC0 != 0x80:
                    self.utf16 += 2 if c >= 0xF0 else 1
                self.out.append(c)
                i += 1
            elif s[i + 1] != ord("/"):
                i = self._start_tag(i)
            else:
                i = self._end_tag(i)
        if self.stack:
            tag = self.stack[-1].tag
            raise HtmlError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        text = self.out.decode("utf-8", "surrogatepass")
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
            raise HtmlError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        return text, sort_entities(self.entities)

    def _start_tag(self, begin: int) -> int:
        s = self.s
        i = begin + 1
        while s[i] not in _SPACE and s[i] != ord(">"):
            i += 1
        if s[i] == 0:
            raise HtmlError(f"Unclosed start tag at byte offset {begin}")
        tag = s[begin + 1 : i].lower().decode("utf-8", "replace")
        if tag not in _TAGS:
            raise HtmlError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        argument, extra = "", ""
        while s[i] != ord(">"):
            while s[i] != 0 and s[i] in _SPACE:
                i += 1
            if s[i] == ord(">"):
                break
            name_begin = i
            while s[i] not in _SPACE and s[i] not in b"=>/\"'":
                i += 1
            name = s[name_begin:i]
            if not name:
                raise HtmlError(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
            while s[i] != 0 and s[i] in _SPACE:
                i += 1
            if s[i] != ord("="):
                if s[i] == 0:
                    raise HtmlError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                if tag == "blockquote" and name == b"expandable":
                    argument = "1"
                continue
            i += 1
            while s[i] != 0 and s[i] in _SPACE:
                i += 1
            if s[i] == 0:
                raise HtmlError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            value, i = self._attribute_value(i)
            if s[i] == 0:
                raise HtmlError(f"Unclosed start tag at byte offset {begin}")
            text = value.decode("utf-8", "surrogatepass")
            if (tag == "a" and name == b"href") or (tag == "tg-emoji" and name == b"emoji-id"):
                argument = text
            elif tag == "code" and name == b"class" and text.startswith("language-"):
                argument = text[9:]
            elif tag == "span" and name == b"class" and text.startswith("tg-"):
                argument = text[3:]
            elif tag == "blockquote" and name == b"expandable":
                argument = "1"
            elif tag == "tg-time" and name == b"unix":
                argument = text
            elif tag == "tg-time" and name == b"format":
                extra = text
        if tag == "span" and argument != "spoiler":
            raise HtmlError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
        self.stack.append(_Open(tag, argument, self.utf16, len(self.out), extra))
        return i + 1

    def _attribute_value(self, i: int) -> tuple[bytes, int]:
        s = self.s
        if s[i] not in b"'\"":
            # An unquoted HTML name token; Telegram lower-cases it.
            begin = i
            while chr(s[i]).isascii() and (chr(s[i]).isalnum() or s[i] in b".-"):
                i += 1
            if s[i] not in _SPACE and s[i] != ord(">"):
                raise HtmlError(f"Unexpected end of name token at byte offset {begin}")
            return s[begin:i].lower(), i
        quote = s[i]
        i += 1
        value = bytearray()
        while s[i] != quote and s[i] != 0:
            if s[i] == ord("&"):
                decoded = _decode_entity(s, i)
                if decoded is not None:
                    code, i = decoded
                    value += _utf8(code)
                    continue
            value.append(s[i])
            i += 1
        if s[i] == quote:
            i += 1
        return bytes(value), i

    def _end_tag(self, begin: int) -> int:
        s = self.s
        if not self.stack:
            raise HtmlError(f"Unexpected end tag at byte offset {begin}")
        i = begin + 2
        while s[i] not in _SPACE and s[i] != ord(">"):
            i += 1
        end_tag = s[begin + 2 : i].lower().decode("utf-8", "replace")
        while s[i] != 0 and s[i] in _SPACE:
            i += 1
        if s[i] != ord(">"):
            raise HtmlError(f"Unclosed end tag at byte offset {begin}")
        opened = self.stack.pop()
        if end_tag and end_tag != opened.tag:
            raise HtmlError(
                f'Unmatched end tag at byte offset {begin}, expected "</{opened.tag}>", '
                f'found "</{end_tag}>"'
            )
        if self.utf16 > opened.offset:
            self._close(opened)
        return i + 1

    def _close(self, opened: _Open) -> None:
        tag, offset, length = opened.tag, opened.offset, self.utf16 - opened.offset
        last = self.entities[-1] if self.entities else None
        same_span = last is not None and last.offset == offset and last.length == length
        if tag in _SIMPLE or tag == "span":
            self.entities.append(Entity(_SIMPLE.get(tag, "spoiler"), offset, length))
        elif tag == "tg-emoji":
            if not re.fullmatch(r"-?\d{1,19}", opened.argument) or int(opened.argument) == 0:
                raise HtmlError("Invalid custom emoji identifier specified")
            emoji_id = str(int(opened.argument))
            self.entities.append(Entity("custom_emoji", offset, length, custom_emoji_id=emoji_id))
        elif tag == "a":
            url = opened.argument or self.out[opened.out_pos :].decode("utf-8", "replace")
            self._link(url, offset, length)
        elif tag == "pre":
            if same_span and last is not None and last.type == "code" and last.language:
                self.entities[-1] = Entity("pre", offset, length, language=last.language)
            else:
                self.entities.append(Entity("pre", offset, length))
        elif tag == "code":
            if same_span and last is not None and last.type == "pre" and opened.argument:
                self.entities[-1] = Entity("pre", offset, length, language=opened.argument)
            else:
                # The language is kept only to pair with an enclosing <pre>; plain code drops it.
                self.entities.append(Entity("code", offset, length, language=opened.argument))
        elif tag == "blockquote":
            kind = "expandable_blockquote" if opened.argument else "blockquote"
            self.entities.append(Entity(kind, offset, length))
        elif tag == "tg-time":
            self._time(opened, offset, length)

    def _link(self, url: str, offset: int, length: int) -> None:
        user_id = link_user_id(url)
        if user_id:
            self.entities.append(Entity("text_mention", offset, length, user_id=user_id))
            return
        checked = checked_link(url)
        if checked is not None:  # Telegram silently drops a link it can't use
            self.entities.append(Entity("text_link", offset, length, url=checked))

    def _time(self, opened: _Open, offset: int, length: int) -> None:
        # Approximation: the fake keeps a well-formed <tg-time> and ignores a malformed one.
        if re.fullmatch(r"\d{1,12}", opened.argument) and _TIME_FORMAT.fullmatch(opened.extra):
            self.entities.append(
                Entity(
                    "date_time",
                    offset,
                    length,
                    unix_time=int(opened.argument),
                    date_time_format=opened.extra,
                )
            )


def parse_html(html: str, *, strict: bool = False) -> tuple[str, list[Entity]]:
    """Plain text and entities for Telegram HTML, or :class:`HtmlError` as Telegram refuses it."""
    text, entities = _Parser(html, strict).run()
    # TDLib clears the language of a <code> that did not pair with a <pre>.
    cleaned = [Entity(e.type, e.offset, e.length) if e.type == "code" else e for e in entities]
    return text, cleaned


def link_user_id(url: str) -> int:
    """The user id of a ``tg://user?id=N`` link (becomes a text_mention), else 0."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != "tg" or parts.netloc.lower() != "user":
        return 0
    ids = parse_qs(parts.query).get("id", [])
    return int(ids[0]) if ids and ids[0].isdigit() and int(ids[0]) > 0 else 0


def checked_link(url: str) -> str | None:
    """The URL as Telegram stores it (scheme added, ``/`` path), or None if it would drop it."""
    url = url.strip()
    lowered = url.lower()
    for scheme in ("tg:", "ton:"):
        if lowered.startswith(scheme):
            rest = url[len(scheme) :].lstrip("/")
            return f"{scheme}//{rest}" if rest and " " not in rest else None
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https") or "." not in host or " " in url:
        return None
    netloc = host if port is None else f"{host}:{port}"
    if "@" in parts.netloc:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return f"{parts.scheme.lower()}://{netloc}{parts.path or '/'}{query}{fragment}"
