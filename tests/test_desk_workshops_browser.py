"""A workshop made in the desk in headless Chromium reaches the bot at once: a young person
finds it there in their language, books it, and the booking shows in the desk."""

from __future__ import annotations

from typing import Any

from tests.conversation import onboard, tr
from tests.desk_support import console_link, running_desk
from tests.test_booking_conversation import open_card
from tests.test_desk_browser import _do, _find, driver  # noqa: F401  (the fixture)
from tests.test_roles import staff_member


async def test_create_in_the_desk_book_in_the_bot_see_it_in_the_desk(
    sqlite_url: str,
    driver: Any,  # noqa: F811
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    async with running_desk(sqlite_url) as desk:
        h = desk.harness
        staff = await staff_member(h, "en")
        await _do(driver.get, await console_link(staff))
        await _do(lambda: driver.find_element(By.ID, "sign-in").click())
        await _find(driver, By.ID, "count")
        await _do(lambda: driver.find_element(By.LINK_TEXT, "Workshops").click())
        await _find(driver, By.ID, "new-workshop")
        await _do(lambda: driver.find_element(By.ID, "new-workshop").click())
        form = await _find(driver, By.ID, "workshop-form")

        def fill() -> None:
            Select(form.find_element(By.NAME, "kind")).select_by_value("digital")
            form.find_element(By.NAME, "title").send_keys("Phone skills")
            form.find_element(By.CSS_SELECTOR, "details.language summary").click()  # Serbian
            form.find_element(By.NAME, "title_sr").send_keys("Вештине са телефоном")
            Select(form.find_element(By.NAME, "city")).select_by_value("kragujevac")
            form.find_element(By.NAME, "address").send_keys("Trg 1")
            # datetime-local inputs take keys in the browser's own format: set their value.
            for name, value in (
                ("starts", "2026-12-10T14:00"),
                ("ends", "2026-12-10T16:00"),
                ("closes", "2026-12-10T12:00"),
            ):
                field = form.find_element(By.NAME, name)
                driver.execute_script("arguments[0].value = arguments[1]", field, value)
            seats = form.find_element(By.NAME, "capacity")
            seats.clear()
            seats.send_keys("5")
            form.find_element(By.ID, "save").click()

        await _do(fill)
        await _find(driver, By.ID, "notice")
        title = await _do(lambda: driver.find_element(By.ID, "workshop-title").text)
        assert title == "Phone skills"
        workshop_url = await _do(lambda: driver.current_url)

        # At once in the bot, in the young person's language, and booked there.
        youth = await onboard(h, "sr", first_name="Милица")
        await open_card(youth, "sr", "Вештине са телефоном")
        await youth.click(tr("sr", "✅ Book a seat"))
        assert youth.last_answer == tr("sr", "✅ Booked! See you there.")

        await _do(driver.get, workshop_url.split("?")[0])
        booked = await _find(driver, By.ID, "booked", "Милица")
        assert "Милица" in await _do(lambda: booked.text)
        seats = await _do(lambda: driver.find_element(By.ID, "seats").text)
        assert "1/5" in seats
