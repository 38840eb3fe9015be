"""The .ics file: valid lines (CRLF, folded at 75 octets), escaped text, UTC times."""

from __future__ import annotations

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
