"""A message as the chat page shows it: Telegram's entities turned into safe HTML, buttons,
photo and document links.

The page draws what Telegram parsed (text and entities), not what the bot sent, as Telegram's
own apps do; every character of text is escaped, and links keep only web, mail and tg schemes.
"""

from __future__ import annotations

import html
import itertools
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.botapi import StoredMessage

_SIMPLE = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ('<span class="spoiler">', "</span>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ("<blockquote>", "</blockquote>"),
}
_SAFE_SCHEMES = ("http://", "https://", "mailto:", "tg://")


def _href(url: str, *, bare: bool = False) -> str | None:
    """A link the page may open; ``bare``: a link Telegram found in the text (no scheme)."""
    url = url.strip()
    if bare and "://" not in url:
        url = "https://" + url
    return url if url.lower().startswith(_SAFE_SCHEMES) else None


def _tags(entity: dict[str, Any], text: str) -> tuple[str, str]:
    kind = str(entity.get("type", ""))
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    if kind in ("text_link", "url"):
        href = _href(str(entity.get("url") or text), bare=kind == "url")
        if href is None:
            return "", ""
        attrs = f'href="{html.escape(href)}" target="_blank" rel="noopener noreferrer"'
        return f"<a {attrs}>", "</a>"
    if kind == "email":
        return f'<a href="mailto:{html.escape(text)}">', "</a>"
    if kind == "bot_command":
        return f'<a href="#" class="command" data-command="{html.escape(text)}">', "</a>"
    return "", ""


def entities_to_html(text: str, entities: list[dict[str, Any]]) -> str:
    """Text with Telegram entities (offsets in UTF-16 code units) as HTML."""
    units = text.encode("utf-16-le")
    size = len(units) // 2

    def piece(start: int, end: int) -> str:
        return units[start * 2 : end * 2].decode("utf-16-le", errors="replace")

    spans = []
    for entity in entities:
        start = int(entity.get("offset", 0))
        end = min(size, start + int(entity.get("length", 0)))
        if 0 <= start < end:
            opening, closing = _tags(entity, piece(start, end))
            if opening:
                spans.append((start, end, opening, closing))
    spans.sort(key=lambda s: (s[0], -s[1]))
    points = sorted({0, size} | {s[0] for s in spans} | {s[1] for s in spans})
    out: list[str] = []
    open_spans: list[tuple[int, int, str, str]] = []
    for here, following in itertools.pairwise(points):
        # Close what ends here; spans that overlap without nesting are closed and reopened.
        if any(s[1] <= here for s in open_spans):
            keep = [s for s in open_spans if s[1] > here]
            out.extend(s[3] for s in reversed(open_spans))
            out.extend(s[2] for s in keep)
            open_spans = keep
        for span in spans:
            if span[0] == here:
                out.append(span[2])
                open_spans.append(span)
        out.append(html.escape(piece(here, following)))
    out.extend(s[3] for s in reversed(open_spans))
    return "".join(out)


def _buttons(message: StoredMessage) -> list[list[dict[str, Any]]]:
    rows = []
    for row in message.buttons:
        shown = []
        for button in row:
            item: dict[str, Any] = {"text": button.text, "kind": button.kind}
            if button.kind == "callback_data":
                item["data"] = button.data
            elif button.kind == "url" and button.url:
                item["url"] = _href(button.url)
            elif button.kind == "copy_text":
                item["copy"] = str((button.raw.get("copy_text") or {}).get("text", ""))
            shown.append(item)
        rows.append(shown)
    return rows


def message_json(message: StoredMessage, zone: ZoneInfo) -> dict[str, Any]:
    """What the page needs to draw one message (or to remove a deleted one)."""
    if message.deleted:
        return {"id": message.message_id, "rev": message.rev, "deleted": True}
    if message.text is not None:
        body = entities_to_html(message.text, message.entities)
    else:
        body = entities_to_html(message.caption or "", message.caption_entities)
    out: dict[str, Any] = {
        "id": message.message_id,
        "rev": message.rev,
        "out": message.from_bot,
        "html": body,
        "time": datetime.fromtimestamp(message.date, zone).strftime("%H:%M"),
        "edited": message.edited,
        "buttons": _buttons(message),
    }
    if message.photo is not None:
        out["photo"] = f"/files/{message.photo.file_id}"
    if message.document is not None:
        document = message.document
        out["document"] = {
            "name": document.file_name or "file",
            "size": document.size,
            "url": f"/files/{document.file_id}?download=1",
        }
    raw = message.raw
    if not message.from_bot and raw.get("photo"):
        out["html"] = out["html"] or "🖼"
    return out
