"""Announcements in headless Chromium: a staff member composes one, watches the count follow the
audience as they choose it, sends it, and watches it being delivered in the page while the bot's
sender delivers it to the fake Bot API."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from sqlalchemy import update

from bot.people.models import User
from tests.conversation import onboard, tr
from tests.desk_support import console_link, running_desk
from tests.test_desk_announcements import sender
from tests.test_desk_browser import _do, driver
from tests.test_roles import staff_member

__all__ = ["driver"]  # the fixture, shared with the people table's browser test


async def _find(driver: Any, by: str, value: str, text: str | None = None) -> Any:
    """The element once the page shows it; the page's script replaces parts of the page as the
    form changes, so an element found a moment ago may be gone: then it is looked for again."""
    from selenium.common.exceptions import StaleElementReferenceException

    for _ in range(400):
        try:
            found = await _do(driver.find_elements, by, value)
            if found and (text is None or text in await _do(getattr, found[0], "text")):
                return found[0]
        except StaleElementReferenceException:
            pass
        await asyncio.sleep(0.05)
    source = await _do(lambda: driver.page_source)
    raise AssertionError(f"the page never showed {value} {text or ''}: {source[:3000]}")


async def test_compose_send_and_watch_it_deliver(sqlite_url: str, driver: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    async with running_desk(sqlite_url) as desk:
        h = desk.harness
        staff = await staff_member(h, "sr")
        jana = await onboard(h, "sr", first_name="Јана")
        await onboard(h, "bg", first_name="Иво")
        async with h.sessions.begin() as session:
            await session.execute(
                update(User).where(User.telegram_id == jana.id).values(city="kragujevac")
            )
        link = await console_link(staff)
        await _do(driver.get, link)
        await _do(lambda: driver.find_element(By.ID, "sign-in").click())
        await _find(driver, By.ID, "count")
        await _do(lambda: driver.find_element(By.LINK_TEXT, tr("sr", "Announcements")).click())
        await _find(driver, By.ID, "new")
        await _do(lambda: driver.find_element(By.ID, "new").click())
        await _find(driver, By.NAME, "text_sr")

        # Everyone but the author at first; then only Kragujevac, counted as it is chosen.
        await _find(driver, By.ID, "count", tr("sr", "{n} person", n=2)[:2])
        await _do(lambda: driver.find_element(By.NAME, "text_sr").send_keys("<b>Радионица</b>"))
        await _do(
            lambda: Select(driver.find_element(By.NAME, "town")).select_by_value("kragujevac")
        )
        await _find(driver, By.ID, "count", "1 ")
        # The text's own bold, not the line above it that says who speaks.
        latin_text = ".preview[data-locale=sr_Latn] .bubble > b"
        await _find(driver, By.CSS_SELECTOR, latin_text, "Radionica")

        # The bot's sender runs as in the bot: a round every moment.
        delivering = sender(h)
        stop = asyncio.Event()

        async def rounds() -> None:
            while not stop.is_set():
                await delivering.run_round()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.3)

        task = asyncio.create_task(rounds())
        try:
            await _do(lambda: driver.find_element(By.ID, "send").click())
            await _find(driver, By.ID, "progress")
            await _find(driver, By.ID, "delivered", "1")
            await _find(driver, By.CSS_SELECTOR, "#status[data-status=done]", tr("sr", "Sent"))
            assert await _do(lambda: driver.find_element(By.ID, "left").text) == "0"
            # Once sent, stopping is no longer offered (the link, if the page showed it, hides).
            stops = await _do(lambda: driver.find_elements(By.ID, "stop"))
            assert not any([await _do(link.is_displayed) for link in stops])
        finally:
            stop.set()
            await task
        assert jana.last.body.endswith("\n\nРадионица")
