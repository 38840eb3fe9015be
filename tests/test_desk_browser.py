"""The desk in headless Chromium (Debian's chromium and chromium-driver): a staff member signs in
with the link the bot sent, filters the people table, opens a person and assigns a programme."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import update

from bot.people.models import User
from tests.conversation import onboard, plain, stored_user, tr
from tests.desk_support import console_link, running_desk
from tests.test_desk_reports import _assessment, _services, at
from tests.test_plan_conversation import sender_for
from tests.test_roles import staff_member

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def _browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path) and not shutil.which(os.path.basename(path)):
            return f"{path} is missing: apt-get install -y chromium chromium-driver"
    return None


@pytest.fixture
def driver() -> Iterator[Any]:
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(missing)
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=sr"):
        options.add_argument(flag)
    options.add_argument("--window-size=412,900")
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.implicitly_wait(0)
    # A phone's width: headless Chromium keeps a window at least 500 px wide, so the page's
    # width is set as the developer tools' device toolbar does.
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        yield browser
    finally:
        browser.quit()


PHONE = {"width": 412, "height": 900, "deviceScaleFactor": 1, "mobile": False}
CENTER = "arguments[0].scrollIntoView({block: 'center'})"


async def _do(call: Any, *args: Any) -> Any:
    """Selenium blocks; the bot and the desk run on this test's event loop meanwhile."""
    return await asyncio.to_thread(call, *args)


async def _find(driver: Any, by: str, value: str, text: str | None = None) -> Any:
    """The element once the page shows it (a click's page load finishes on its own time)."""
    from selenium.common.exceptions import StaleElementReferenceException

    def look() -> Any:
        found = driver.find_elements(by, value)
        try:
            if found and (text is None or text in found[0].text):
                return found[0]
        except StaleElementReferenceException:
            pass  # the old page went away between finding and reading: look again
        return None

    for _ in range(400):
        element = await _do(look)
        if element is not None:
            return element
        await asyncio.sleep(0.05)
    source = await _do(lambda: driver.page_source)
    raise AssertionError(f"the page never showed {value} {text or ''}: {source[:1500]}")


async def test_staff_sign_in_filter_open_a_person_and_assign_a_programme(
    sqlite_url: str, driver: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    async with running_desk(sqlite_url) as desk:
        h = desk.harness
        staff = await staff_member(h, "sr")
        await onboard(h, "sr", first_name="Јована")
        iva = await onboard(h, "bg", first_name="Ивa")
        await onboard(h, "en", first_name="Marko")
        link = await console_link(staff)

        await _do(driver.get, link)
        assert tr("sr", "Sign in to the desk") in await _do(lambda: driver.page_source)
        await _do(lambda: driver.find_element(By.ID, "sign-in").click())
        count = await _find(driver, By.ID, "count")
        assert (await _do(lambda: count.text)).startswith("4 ")  # Sara, Јована, Ива, Marko

        # Only the Bulgarian speakers, as a staff member would narrow the table.
        await _do(lambda: driver.find_element(By.CSS_SELECTOR, "#more-filters summary").click())
        await _do(lambda: Select(driver.find_element(By.NAME, "lang")).select_by_value("bg"))
        await _do(lambda: driver.find_element(By.CSS_SELECTOR, "#filters button").click())
        await _find(driver, By.ID, "count", "1 ")
        rows = await _do(lambda: driver.find_elements(By.CSS_SELECTOR, "#people tbody tr"))
        assert len(rows) == 1
        assert "lang=bg" in await _do(lambda: driver.current_url)

        await _do(lambda: driver.find_element(By.LINK_TEXT, "Ивa").click())
        await _find(driver, By.ID, "person-name", "Ивa")
        form = await _do(lambda: driver.find_element(By.ID, "programme-form"))
        await _do(lambda: Select(form.find_element(By.NAME, "programme")).select_by_value("di_bg"))
        button = await _do(form.find_element, By.TAG_NAME, "button")
        await _do(driver.execute_script, CENTER, button)
        await _do(button.click)
        await _find(driver, By.ID, "notice", tr("sr", "Saved."))
        shown = await _do(lambda: driver.find_element(By.ID, "programme").text)
        assert shown == tr("sr", "Leaving care in Bulgaria")
        assert (await stored_user(h, iva.id)).programme == "di_bg"  # type: ignore[union-attr]


async def test_a_mentor_writes_a_plan_and_the_young_person_gets_one_message(
    sqlite_url: str, driver: Any
) -> None:
    """Signed in through the bot's link, on a phone-sized screen: two goals, five tasks (one
    row added by the page's script), one save, one message in the young person's language."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from tests.test_roles import invite_youth, new_mentor

    async with running_desk(sqlite_url) as desk:
        h = desk.harness
        staff = await staff_member(h)
        mentor = await new_mentor(h, staff, "sr")
        youth = await onboard(
            h, "bg", first_name="Калина", start=f"/start {await invite_youth(mentor, 'sr')}"
        )
        before = len(youth.messages)
        link = await console_link(mentor)

        await _do(driver.get, link)
        await _do(lambda: driver.find_element(By.ID, "sign-in").click())
        await _find(driver, By.ID, "count")
        await _do(lambda: driver.find_element(By.LINK_TEXT, "Калина").click())
        await _find(driver, By.ID, "person-name", "Калина")
        await _do(lambda: driver.find_element(By.ID, "open-plan").click())
        await _find(driver, By.ID, "plan-title", "Калина")

        goals = await _do(driver.find_elements, By.CSS_SELECTOR, "fieldset.goal")
        assert len(goals) == 2  # an empty plan offers two goals to write into

        async def fill_goal(goal: Any, title: str, domain: str, tasks: list[str]) -> None:
            key = await _do(goal.get_attribute, "data-goal")
            await _do(goal.find_element(By.NAME, f"{key}.title").send_keys, title)
            select = await _do(goal.find_element, By.NAME, f"{key}.domain")
            await _do(lambda: Select(select).select_by_value(domain))
            rows = await _do(goal.find_elements, By.CSS_SELECTOR, ".task.new")
            while len(rows) < len(tasks):  # the page's own "Another task" button
                button = await _do(goal.find_element, By.CSS_SELECTOR, ".add-task")
                # Scrolled from under the sticky save bar, as a thumb would.
                await _do(driver.execute_script, CENTER, button)
                await _do(button.click)
                rows = await _do(goal.find_elements, By.CSS_SELECTOR, ".task.new")
            for row, task in zip(rows, tasks, strict=False):
                row_key = await _do(row.get_attribute, "data-task")
                await _do(row.find_element(By.NAME, f"{row_key}.title").send_keys, task)

        tasks = ["Write a CV", "Apply for 3 jobs", "Ask Ana", "Buy a suit"]
        await fill_goal(goals[0], "Find a job", "work", tasks)
        await fill_goal(goals[1], "A place to live", "housing", ["Visit the flat"])
        # A deadline on the first task (the date picker's typing differs per browser locale).
        first = await _do(goals[0].find_element, By.CSS_SELECTOR, ".task.new input[type=date]")
        day = (h.clock.now().date()).isoformat()
        await _do(driver.execute_script, "arguments[0].value = arguments[1]", first, day)
        await _do(lambda: driver.find_element(By.ID, "save-plan").click())
        await _find(driver, By.ID, "notice", tr("sr", "Saved."))
        soon = "The young person gets one message in Telegram that sums up the changes."
        assert tr("sr", soon) in await _do(lambda: driver.find_element(By.ID, "notice").text)
        history = await _do(lambda: driver.find_element(By.ID, "history").text)
        assert "Write a CV" in history and tr("sr", "Desk") in history

        # The reminder sender sends the summary written with the save.
        assert await sender_for(h).tick() == 1
        assert len(youth.messages) == before + 1
        body = youth.last.body
        assert plain(tr("bg", "🎯 New goal: {goal}", goal="<b>Find a job</b>")) in body
        assert plain(tr("bg", "🎯 New goal: {goal}", goal="<b>A place to live</b>")) in body
        for title in [*tasks, "Visit the flat"]:
            assert title in body
        assert await _count_tasks(h) == 5


async def _count_tasks(h: Any) -> int:
    from sqlalchemy import func, select

    from bot.plans.models import Task

    async with h.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Task)) or 0)


async def _shot(driver: Any, name: str) -> None:
    """PUTOKAZ_SCREENSHOTS=<dir>: keep what the browser showed, to look at by eye."""
    folder = os.environ.get("PUTOKAZ_SCREENSHOTS")
    if folder:
        height = await _do(driver.execute_script, "return document.body.scrollHeight")
        tall = {**PHONE, "height": max(900, int(height) + 40)}
        await _do(driver.execute_cdp_cmd, "Emulation.setDeviceMetricsOverride", tall)
        await _do(driver.save_screenshot, os.path.join(folder, f"{name}.png"))
        await _do(driver.execute_cdp_cmd, "Emulation.setDeviceMetricsOverride", PHONE)


async def test_staff_open_the_dashboard_narrow_it_and_read_the_charts_on_a_phone(
    sqlite_url: str, driver: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    async with running_desk(sqlite_url) as desk:
        h = desk.harness
        staff = await staff_member(h, "sr")
        jovana = await onboard(h, "sr", first_name="Јована")
        marko = await onboard(h, "en", first_name="Marko")
        ids = [(await stored_user(h, p.id)).id for p in (jovana, marko)]  # type: ignore[union-attr]
        async with h.sessions.begin() as session:
            await session.execute(update(User).where(User.id.in_(ids)).values(programme="nova"))
        scores = {"education": 2.5, "work": 1.5, "housing": 4.0, "money": 2.0}
        await _assessment(desk, ids[0], at(date(2026, 5, 2)), scores)
        scores = {"education": 3.5, "work": 3.0, "housing": 4.5, "money": 2.5}
        await _assessment(desk, ids[0], at(date(2026, 11, 20)), scores)
        staff_id = (await stored_user(h, staff.id)).id  # type: ignore[union-attr]
        await _services(desk, ids[0], ids[1], staff_id)
        link = await console_link(staff)
        await _do(driver.get, link)
        await _do(lambda: driver.find_element(By.ID, "sign-in").click())
        await _find(driver, By.ID, "count")

        # The navigation's "Reports" opens the staff dashboard in Serbian.
        await _do(lambda: driver.find_element(By.LINK_TEXT, tr("sr", "Reports")).click())
        await _find(driver, By.ID, "period")
        assert tr("sr", "Life domains") in await _do(lambda: driver.page_source)
        charts = await _do(lambda: driver.find_elements(By.CSS_SELECTOR, "svg.chart"))
        assert len(charts) == 2
        # The charts fit a phone's width: nothing scrolls sideways.
        widths = await _do(
            lambda: driver.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth]"
            )
        )
        await _shot(driver, "reports_wide")
        assert widths[0] <= widths[1], widths

        # Narrowed to a programme and a month: the address keeps the choice, the page says it.
        form = await _do(lambda: driver.find_element(By.ID, "report-filters"))
        await _do(lambda: Select(form.find_element(By.NAME, "programme")).select_by_value("nova"))
        for name, value in (("from", "2026-11-01"), ("to", "2026-11-29")):
            field = await _do(lambda name=name: form.find_element(By.NAME, name))
            # A date field takes what a person types in their own order; set it as a script
            # would, the browser then submits it in ISO form.
            await _do(driver.execute_script, "arguments[0].value = arguments[1]", field, value)
        await _do(lambda: form.find_element(By.TAG_NAME, "button").click())
        await _find(driver, By.ID, "period", tr("sr", "NOVA: work and activation"))
        await _shot(driver, "reports")
        url = await _do(lambda: driver.current_url)
        assert "programme=nova" in url and "from=2026-11-01" in url
        downloads = await _do(
            lambda: [
                a.get_attribute("href")
                for a in driver.find_elements(By.CSS_SELECTOR, ".downloads a")
            ]
        )
        assert any(
            h.endswith(".xlsx?from=2026-11-01&to=2026-11-29&programme=nova") for h in downloads
        )

        # And the caseload, one tap away.
        await _do(lambda: driver.find_element(By.LINK_TEXT, tr("sr", "Caseload")).click())
        await _find(driver, By.ID, "unseen", tr("sr", "Not seen for two weeks"))
        await _shot(driver, "caseload")


async def test_a_mentor_reads_the_self_assessment_history_and_stars_on_a_phone(
    sqlite_url: str, driver: Any
) -> None:
    """Two full self-assessments and two short checks: both stars drawn, the change per domain
    in the table, nothing wider than a phone."""
    from selenium.webdriver.common.by import By

    from tests.test_desk_assessments import TAKEN, _seen

    async with running_desk(sqlite_url) as desk:
        seen = await _seen(desk, "sr", TAKEN)
        await _do(driver.get, await console_link(seen.mentor))
        await _do(lambda: driver.find_element(By.ID, "sign-in").click())
        await _find(driver, By.ID, "count")  # the people table, once signed in
        await _do(lambda: driver.find_element(By.LINK_TEXT, "Калина").click())
        await _find(driver, By.ID, "taken")
        stars = await _do(driver.find_elements, By.CSS_SELECTOR, "svg")
        assert len(stars) == 2  # one per kind
        # Drawn at a size one can read: each star takes most of the screen's width.
        sizes = [await _do(getattr, star, "size") for star in stars]
        assert all(300 <= size["width"] <= 412 and size["height"] > 200 for size in sizes), sizes
        table = await _do(lambda: driver.find_element(By.ID, "scores-full").text)
        assert tr("sr", "Education and training") in table and "+1,5" in table
        widths = await _do(
            lambda: driver.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth]"
            )
        )
        assert widths[0] <= widths[1], widths
        await _shot(driver, "person_history")
