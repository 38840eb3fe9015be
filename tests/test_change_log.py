"""The change log both desk histories share: one thing's lines only, newest first, with who made
them (None for the server and for someone gone), cut to the column and to a page's worth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.booking import counselling
from bot.booking.models import CounsellingChange, Counsellor
from bot.db.engine import SessionFactory
from bot.kit.change_log import SHOWN, ChangeLog
from bot.people.models import Role, User

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
LOG = ChangeLog(CounsellingChange, CounsellingChange.counsellor_id)


async def test_a_things_history_newest_first_with_who_made_it(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        sara = User(telegram_id=7001, locale="en", role=Role.STAFF, display_name="Sara",
                    created_at=NOW, last_seen_at=NOW)  # fmt: skip
        mine = Counsellor(service="career", name="Ana", timezone="Europe/Belgrade", created_at=NOW)
        theirs = Counsellor(service="legal", name="Iva", timezone="Europe/Sofia", created_at=NOW)
        session.add_all([sara, mine, theirs])
        await session.flush()
        await LOG.record(session, mine.id, None, "created", "", NOW)
        await LOG.record(session, theirs.id, sara, "created", "", NOW)
        await LOG.record(session, mine.id, sara, "time_off", "x" * 400, NOW + timedelta(hours=1))
        shown = await LOG.latest(session, mine.id)
        assert [(c.action, len(c.detail), p.display_name if p else None) for c, p in shown] == [
            ("time_off", 300, "Sara"),
            ("created", 0, None),
        ]
        assert [c.counsellor_id for c in await LOG.made_by(session, sara)] == [theirs.id, mine.id]
        for n in range(SHOWN + 5):
            await LOG.record(session, mine.id, sara, "paused", str(n), NOW)
        latest = await LOG.latest(session, mine.id)
        assert len(latest) == SHOWN and latest[0][0].detail == str(SHOWN + 4)
        # The rules' history is this log behind the staff check.
        assert await counselling.history(session, sara, mine.id) == latest
