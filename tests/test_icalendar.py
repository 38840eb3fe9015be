"""The .ics file: valid lines (CRLF, folded at 75 octets), escaped text, UTC times."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from bot.booking.ics import Event, calendar, escape, fold


def test_text_is_escaped_and_long_lines_are_folded_without_splitting_a_letter() -> None:
    assert escape("a,b;c\\d\nnext") == "a\\,b\\;c\\\\d\\nnext"
    line = "SUMMARY:" + "Радионица " * 20
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join([parts[0], *(p[1:] for p in parts[1:])]) == line


def test_a_booking_becomes_one_event_in_utc() -> None:
    belgrade = timezone(timedelta(hours=1))
    event = Event(
        uid="booking-7@putokaz",
        starts_at=datetime(2026, 12, 10, 14, 0, tzinfo=belgrade),
        ends_at=datetime(2026, 12, 10, 16, 0, tzinfo=belgrade),
        summary="CV, and more",
        location="Kragujevac, Kralja Petra 12",
    )
    text = calendar(event, datetime(2026, 11, 29, 10, 0, tzinfo=UTC)).decode()
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert "DTSTART:20261210T130000Z" in lines and "DTEND:20261210T150000Z" in lines
    assert "DTSTAMP:20261129T100000Z" in lines
    assert "SUMMARY:CV\\, and more" in lines
    assert "LOCATION:Kragujevac\\, Kralja Petra 12" in lines
    assert lines.count("BEGIN:VEVENT") == 1 and "TRIGGER:-PT2H" in lines


def test_a_change_keeps_the_uid_and_raises_the_sequence_and_a_cancel_removes_it() -> None:
    now = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    first = Event(
        uid="booking-7@putokaz",
        starts_at=datetime(2026, 12, 10, 13, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 10, 15, 0, tzinfo=UTC),
        summary="CV",
    )
    lines = calendar(first, now).decode().split("\r\n")
    assert "METHOD:PUBLISH" in lines and "SEQUENCE:0" in lines and "STATUS:CONFIRMED" in lines
    moved = replace(first, starts_at=first.starts_at + timedelta(days=1), sequence=1)
    lines = calendar(moved, now).decode().split("\r\n")
    assert "UID:booking-7@putokaz" in lines and "SEQUENCE:1" in lines
    assert "DTSTART:20261211T130000Z" in lines
    gone = replace(moved, sequence=2, cancelled=True)
    lines = calendar(gone, now).decode().split("\r\n")
    assert "METHOD:CANCEL" in lines and "STATUS:CANCELLED" in lines and "SEQUENCE:2" in lines
    assert "UID:booking-7@putokaz" in lines and "BEGIN:VALARM" not in lines
    assert "METHOD:PUBLISH" not in lines and "STATUS:CONFIRMED" not in lines
