"""Just enough knowledge of image files to answer with plausible PhotoSize objects."""

from __future__ import annotations

import struct
from typing import Any

from bot.botapi.models import StoredFile

DEFAULT_SIZE = (1280, 720)  # used when the bytes are not a PNG, GIF, WebP or JPEG image


def image_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:4] == b"RIFF" and data[8:16] == b"WEBPVP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        pos += 2 + length
    return None


def photo_sizes(photo: StoredFile) -> list[dict[str, Any]]:
    """Telegram answers a photo with several sizes, smallest first; the last is the original."""
    width, height = photo.width, photo.height
    sizes = []
    for side, tag in ((90, "s"), (320, "m"), (800, "x")):
        if max(width, height) > side:
            scale = side / max(width, height)
            sizes.append(
                {
                    "file_id": f"{photo.file_id}{tag}",
                    "file_unique_id": f"{photo.file_unique_id}{tag}",
                    "width": max(1, round(width * scale)),
                    "height": max(1, round(height * scale)),
                    "file_size": max(1, photo.size // (4 if tag == "x" else 16)),
                }
            )
    sizes.append(photo.to_api())
    return sizes
