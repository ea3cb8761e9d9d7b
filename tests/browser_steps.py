"""Steps the browser tests share (no tests here): registering a case through the cases page and
submitting a process's action form, each waiting for the page's confirmation."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser import Window


async def register_case(window: Window, person: str, decision_start: str, services: str) -> str:
    """The case worker registers ``person``'s case (provider Hemtjänst Nord, a care decision) on
    the cases page; returns the case page's path."""
    page = await window.go("/ui/arenden")
    await page.fill("#registrera-arende-person_name", person)
    await page.select_option("#registrera-arende-provider_id", label="Hemtjänst Nord")
    await page.select_option("#registrera-arende-decisions-0-kind", "care")
    await page.fill("#registrera-arende-decisions-0-services", services)
    await page.fill("#registrera-arende-decisions-0-start_date", decision_start)
    await page.click("#registrera-arende button[type=submit]")
    await expect(page.locator(".flash")).to_have_text("Ärendet är registrerat.")
    await expect(page.locator("h1")).to_have_text(person)
    return page.url.split("?", 1)[0].removeprefix(window.base)


async def submit(page: Page, action: str, done: str) -> None:
    """Submit the form of ``action`` on a process page; the page confirms ``Klart: <done>.``"""
    await page.locator(f"#atgard-{action} button[type=submit]").click()
    await expect(page.locator(".flash")).to_have_text(f"Klart: {done}.")
