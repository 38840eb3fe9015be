"""The desk in tests: the real bot against the fake Bot API, with its web server on a free port
of 127.0.0.1, and a browser-like HTTP client (cookies kept, redirects not followed)."""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import create_web_app
from bot.web.server import start
from tests.conftest import ADMIN_ID
from tests.harness import Harness, Person, running_bot

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/desk/signin\?t=[\w-]+)")
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class DeskRun:
    harness: Harness
    base: str


@contextlib.asynccontextmanager
async def running_desk(database_url: str, **settings: Any) -> AsyncIterator[DeskRun]:
    port = free_port()
    values = {"web_port": port, **settings}
    async with running_bot(
        database_url, admin_ids=frozenset({ADMIN_ID}), strict_html=True, settings_values=values
    ) as harness:
        app: web.Application = create_web_app(
            harness.settings, harness.sessions, harness.clock, harness.assembled, harness.bot
        )
        runner, bound = await start(app, "127.0.0.1", port)
        try:
            yield DeskRun(harness, f"http://127.0.0.1:{bound}")
        finally:
            await runner.cleanup()


def browser() -> aiohttp.ClientSession:
    """Keeps cookies for 127.0.0.1 (aiohttp's jar ignores IP hosts unless told) and does not
    follow redirects, so each answer is checked as the browser gets it."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def console_link(person: Person) -> str:
    answer = await person.send("/console")
    found = LINK.search(answer.body)
    assert found, answer.body
    return found.group(1)


async def sign_in(client: aiohttp.ClientSession, link: str) -> aiohttp.ClientResponse:
    """Opens the link's page, then presses its button, as a person would."""
    async with client.get(link) as page:
        html = await page.text()
        if page.status != 200:  # a used or expired link says so at once
            assert page.status == 400, page.status
            return page
    found = re.search(r'name="t" value="([\w-]+)"', html)
    assert found, html
    return await press_sign_in(client, link.split("/desk/")[0], found.group(1))


async def press_sign_in(
    client: aiohttp.ClientSession, base: str, token: str
) -> aiohttp.ClientResponse:
    async with client.post(
        f"{base}/desk/signin", data={"t": token}, allow_redirects=False
    ) as response:
        await response.read()
        return response


async def page(client: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with client.get(url, allow_redirects=False) as response:
        return response.status, await response.text()


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "every form carries the CSRF token"
    return found.group(1)
