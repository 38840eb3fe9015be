"""When deadline reminders go out: local mornings, quiet hours, DST, both time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.plans.reminders import ReminderRules, deadline, planned

RULES = ReminderRules(offsets_days=(3, 1, 0), hour=9, quiet_start=22, quiet_end=8)
BELGRADE = "Europe/Belgrade"
SOFIA = "Europe/Sofia"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_reminders_go_out_in_the_local_morning_in_belgrade_and_sofia() -> None:
    due = date(2026, 12, 10)
    assert planned(due, None, BELGRADE, RULES) == {
        "before_3": utc(2026, 12, 7, 8),  # 09:00 CET
        "before_1": utc(2026, 12, 9, 8),
        "due": utc(2026, 12, 10, 8),
        # Overdue at midnight: quiet hours, so 08:00 the next morning.
        "overdue": utc(2026, 12, 11, 7),
    }
    assert planned(due, None, SOFIA, RULES)["before_1"] == utc(2026, 12, 9, 7)  # 09:00 EET


def test_across_the_spring_dst_change_the_local_hour_stays() -> None:
    # Clocks go forward on Sunday 29 March 2026 in both countries.
    moments = planned(date(2026, 3, 30), time(10, 0), BELGRADE, RULES)
    assert moments["before_3"] == utc(2026, 3, 27, 8)  # 09:00 CET (+1)
    assert moments["before_1"] == utc(2026, 3, 29, 7)  # 09:00 CEST (+2)
    assert moments["overdue"] == utc(2026, 3, 30, 8)  # 10:00 CEST
    sofia = planned(date(2026, 3, 30), time(10, 0), SOFIA, RULES)
    assert sofia["before_3"] == utc(2026, 3, 27, 7)  # 09:00 EET (+2)
    assert sofia["before_1"] == utc(2026, 3, 29, 6)  # 09:00 EEST (+3)


def test_across_the_autumn_dst_change_the_local_hour_stays() -> None:
    moments = planned(date(2026, 10, 26), None, BELGRADE, RULES)
    assert moments["before_1"] == utc(2026, 10, 25, 8)  # 09:00 CET, the day clocks go back
    assert moments["before_3"] == utc(2026, 10, 23, 7)  # 09:00 CEST


def test_a_time_skipped_by_the_clock_change_comes_out_after_it() -> None:
    # 02:30 on 29 March 2026 does not exist in Belgrade: it is taken as 03:30 CEST.
    assert deadline(date(2026, 3, 29), time(2, 30), BELGRADE) == utc(2026, 3, 29, 1, 30)


@pytest.mark.parametrize(
    ("due_time", "expected_due_reminder", "expected_overdue"),
    [
        (time(23, 30), utc(2026, 12, 10, 8), utc(2026, 12, 11, 7)),  # late: next morning
        (time(8, 30), utc(2026, 12, 10, 7), utc(2026, 12, 10, 7, 30)),  # early: 2 h before,
        (time(14, 0), utc(2026, 12, 10, 8), utc(2026, 12, 10, 13)),
    ],
)
def test_quiet_hours_move_reminders_to_the_morning(
    due_time: time, expected_due_reminder: datetime, expected_overdue: datetime
) -> None:
    moments = planned(date(2026, 12, 10), due_time, BELGRADE, RULES)
    assert moments["due"] == expected_due_reminder
    assert moments["overdue"] == expected_overdue


def test_offsets_and_quiet_hours_are_settings() -> None:
    rules = ReminderRules(offsets_days=(7, 2), hour=18, quiet_start=21, quiet_end=9)
    moments = planned(date(2026, 12, 10), time(20, 0), BELGRADE, rules)
    assert set(moments) == {"before_7", "before_2", "overdue"}
    assert moments["before_7"] == utc(2026, 12, 3, 17)
    assert moments["overdue"] == utc(2026, 12, 10, 19)  # 20:00 is not quiet under these rules
    assert not rules.is_quiet(time(20, 59)) and rules.is_quiet(time(21, 0))


def test_a_reminder_found_long_after_its_time_is_dropped_but_overdue_never() -> None:
    from datetime import timedelta

    from bot.plans.reminders import is_stale

    planned_at = utc(2026, 12, 7, 8)
    assert not is_stale("before_3", planned_at, planned_at + timedelta(hours=11))
    assert is_stale("before_3", planned_at, planned_at + timedelta(hours=13))
    assert not is_stale("overdue", planned_at, planned_at + timedelta(days=5))
