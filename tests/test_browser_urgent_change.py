"""A whole urgent change in Chromium (issue 10 §8): every step done in the pages by the roles
involved, from the login form to the history page, asserting what the pages show.

UC-1, UC-4, COM-2: the case worker registers Greta's case; the provider reports a lasting change
whose support started Sunday 2026-11-22 04:00 and notifies the case worker; the case worker
grants the decision, whose date the form proposes: the day support started (2026-11-22); the
supervisor reads the case's history. The scenario server's clock starts at the suite's moment,
Sunday 2026-11-22 07:00 Stockholm time.
"""

from __future__ import annotations

from playwright.async_api import expect
from sqlalchemy.orm import Session, sessionmaker

from tests.browser import browser_scenario, logged_in
from tests.support import CASE_WORKER, OTHER_PROVIDER, PROVIDER
from workflows.model import Actor

SUPERVISOR = Actor(user_id="sv-gun", role="supervisor", name="Gun Tillsyn")


async def test_UC_1_UC_4_a_whole_urgent_change_through_the_pages_from_login_to_history(
    sessions: sessionmaker[Session],
) -> None:
    async with browser_scenario(sessions) as (base, browser):
        async with logged_in(browser, base, CASE_WORKER) as anna:
            page = await anna.go("/ui/arenden")
            await page.fill("#registrera-arende-person_name", "Greta Exempel")
            await page.select_option("#registrera-arende-provider_id", label="Hemtjänst Nord")
            await page.select_option("#registrera-arende-decisions-0-kind", "care")
            await page.fill("#registrera-arende-decisions-0-services", "Personlig omvårdnad")
            await page.fill("#registrera-arende-decisions-0-start_date", "2026-11-16")
            await page.click("#registrera-arende button[type=submit]")
            await expect(page.locator(".flash")).to_have_text("Ärendet är registrerat.")
            await expect(page.locator("h1")).to_have_text("Greta Exempel")
            case_url = page.url.split("?", 1)[0]

        async with logged_in(browser, base, PROVIDER) as carl:
            page = await carl.go(case_url.removeprefix(base))
            await expect(page.locator("dl.facts")).to_contain_text("Hemtjänst Nord")
            # Issue 10 §1: the responsible case worker by name (the directory of people), not cw-anna
            await expect(page.locator("dl.facts")).to_contain_text("Anna Handläggare")
            await expect(page.locator("main")).not_to_contain_text(CASE_WORKER.user_id)
            form = page.locator("#starta-urgent-change")
            await form.locator("select[name=kind]").select_option("lasting")
            await form.locator("input[name=started_at]").fill("2026-11-22T04:00")
            await form.locator("textarea[name=description]").fill("Behöver hjälp vid toalettbesök.")
            await form.locator("button[type=submit]").click()
            await expect(page.locator(".flash")).to_have_text("Processen är startad.")
            await expect(page.locator("h1")).to_have_text("Akut förändrat behov – Greta Exempel")
            process_url = page.url.split("?", 1)[0]
            await page.locator("#atgard-notify_case_worker button[type=submit]").click()
            await expect(page.locator(".flash")).to_have_text("Klart: Underrätta biståndshandläggaren.")
            # UC-1: escalation has no deadline: an optional action on the page, not a task with a
            # deadline in the inbox; the inbox lists it apart, collapsed, with a link (issue 10)
            await expect(page.locator("#atgard-escalate")).to_be_visible()
            inbox = await carl.go("/ui/uppgifter")
            await expect(inbox.locator("main table")).to_have_count(0)
            optional = inbox.locator("details.optional")
            await expect(optional.locator("a", has_text="Eskalera")).to_be_hidden()
            await optional.locator("summary").click()
            await optional.locator("a", has_text="Eskalera").click()
            await inbox.wait_for_url(process_url)

        async with logged_in(browser, base, CASE_WORKER) as anna:
            row = anna.page.locator("tbody tr", has_text="Greta Exempel")
            await expect(row).to_contain_text("Personlig omvårdnad")
            await row.locator("a").first.click()
            await anna.page.wait_for_url(process_url)
            form = anna.page.locator("#atgard-respond")
            # UC-4: the decision is dated from the day the support started, proposed in the form
            await expect(form.locator("input[name=decision_date]")).to_have_value("2026-11-22")
            await form.locator("select[name=outcome]").select_option("granted")
            await form.locator("textarea[name=services]").fill("Tillsyn")
            await form.locator("button[type=submit]").click()
            await expect(anna.page.locator(".flash")).to_have_text("Klart: Svara.")
            await expect(anna.page.locator("dl.facts").nth(1)).to_contain_text("beviljat")

        async with logged_in(browser, base, SUPERVISOR) as gun:
            page = await gun.go(case_url.removeprefix(base) + "/historik")
            await expect(page.locator("h1")).to_have_text("Historik för ärendet – Greta Exempel")
            timeline = page.locator("ol.timeline")
            await expect(timeline).to_contain_text("Beslut om hemtjänst (omvårdnad) från 2026-11-16.")
            await expect(timeline).to_contain_text("Carl Samordnare (hemtjänstutförare)")
            await expect(timeline).to_contain_text("Anna Handläggare (biståndshandläggare)")
            temporal = page.locator('a[href*="/workflows/case-"][href*="urgent-change"]')
            await expect(temporal).to_have_text("arbetsflödet i Temporal Web UI")

        async with logged_in(browser, base, OTHER_PROVIDER) as dora:  # FU-10 through the browser
            response = await dora.page.goto(process_url)
            assert response is not None and response.status == 404
            await expect(dora.page.locator("main")).to_contain_text("Processen finns inte.")
