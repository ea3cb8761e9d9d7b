"""A whole temporary extension in Chromium (issue 10 §8): every step in the pages by the roles
involved, from the login form to the history page, asserting what the pages show.

EXT-2..EXT-5 on the suite's moment, Sunday 2026-11-22 07:00 Stockholm time: the provider's
manager inserted night supervision on Friday 2026-11-20 (day 1), so day 14, the follow-up's last
day (EXT-4), is Thursday 2026-12-03; the case worker confirms the start, follows up (the need
remains), registers the person's application and grants the decision, whose date the form
proposes: day 1, 2026-11-20 (EXT-5); the supervisor reads the case's history; a provider of
another unit guessing the process's address gets the 404 page (FU-10).
"""

from __future__ import annotations

from playwright.async_api import expect
from sqlalchemy.orm import Session, sessionmaker

from tests.browser import browser_scenario, logged_in
from tests.browser_steps import register_case, submit
from tests.support import CASE_WORKER, OTHER_PROVIDER, PROVIDER
from workflows.model import Actor

SUPERVISOR = Actor(user_id="sv-gun", role="supervisor", name="Gun Tillsyn")
PERSON = "Sigrid Exempel"


async def test_EXT_2_EXT_5_a_whole_temporary_extension_through_the_pages_from_login_to_history(
    sessions: sessionmaker[Session],
) -> None:
    async with browser_scenario(sessions) as (base, browser):
        async with logged_in(browser, base, CASE_WORKER) as anna:
            case_path = await register_case(anna, PERSON, "2026-11-02", "Personlig omvårdnad")

        async with logged_in(browser, base, PROVIDER) as carl:
            page = await carl.go(case_path)
            form = page.locator("#starta-temporary-extension")
            await form.locator("[name=started_on]").fill("2026-11-20")
            await form.locator("[name=inserted]").fill("Tillsyn två gånger per natt")
            await form.locator("[name=reason]").fill("Urinvägsinfektion, orolig nattetid")
            await form.locator("button[type=submit]").click()
            await expect(page.locator(".flash")).to_have_text("Processen är startad.")
            await expect(page.locator("h1")).to_have_text(f"Tillfällig utökning (14 dagar) – {PERSON}")
            process_path = page.url.split("?", 1)[0].removeprefix(base)
            await expect(page.locator("main")).to_contain_text("2026-12-03")  # EXT-2: day 14
            # EXT-3: no deadline until the lasting change is established: on the page, not the inbox
            lasting = page.locator("#atgard-report_lasting")
            await lasting.locator("[name=established_on]").fill("2026-11-22")
            await lasting.locator("[name=message]").fill("Behovet bedöms bestå efter 14 dagar.")
            await submit(page, "report_lasting", "Meddela varaktig förändring")

        async with logged_in(browser, base, CASE_WORKER) as anna:
            inbox = anna.page.locator("tbody tr", has_text=PERSON)
            await expect(inbox).to_have_count(2)  # COM-1 confirmation and EXT-4 follow-up
            follow_up = inbox.filter(has_text="Följ upp med utföraren")
            await expect(follow_up).to_contain_text("senast tors 3 dec 23:59")  # EXT-4: end of day 14
            page = await anna.go(process_path)
            await submit(page, "confirm_start", "Bekräfta uppstart (14 dagar)")
            form = page.locator("#atgard-follow_up")
            await form.locator("[name=outcome]").select_option("remains")
            await form.locator("[name=provider_contact]").fill("Carl Samordnare")
            await submit(page, "follow_up", "Registrera uppföljning")
            await page.locator("#atgard-register_application [name=received_on]").fill("2026-11-22")
            await submit(page, "register_application", "Registrera ansökan")
            form = page.locator("#atgard-decide")
            # EXT-5: back-dated to day 1, the date the provider first inserted the support
            await expect(form.locator("[name=decision_date]")).to_have_value("2026-11-20")
            await form.locator("[name=granted]").check()
            await form.locator("[name=items-0-name]").fill("Tillsyn natt")
            await form.locator("[name=items-0-kind]").select_option("care")
            await form.locator("[name=items-0-minutes_per_month]").fill("600")
            await submit(page, "decide", "Fatta beslut")
            await expect(page.locator("main")).to_contain_text("beviljat")
            await expect(page.locator("#atgard-decide")).to_have_count(0)

        async with logged_in(browser, base, SUPERVISOR) as gun:
            page = await gun.go(case_path + "/historik")
            await expect(page.locator("h1")).to_have_text(f"Historik för ärendet – {PERSON}")
            timeline = page.locator("ol.timeline")
            await expect(timeline).to_contain_text("Carl Samordnare (hemtjänstutförare)")
            await expect(timeline).to_contain_text("Anna Handläggare (biståndshandläggare)")
            await expect(timeline).to_contain_text("Tillsyn två gånger per natt")
            process = page.locator('a[href*="/workflows/case-"][href$="%2Ftemporary-extension%2F1"]')
            await expect(process).to_have_text("arbetsflödet i Temporal Web UI")
            # EXT-5: the updated order followed the decision, a process of its own
            order = page.locator('a[href$="%2Forder%2Ftemporary-extension-1"]')
            await expect(order).to_have_text("arbetsflödet i Temporal Web UI")

        async with logged_in(browser, base, OTHER_PROVIDER) as dora:  # FU-10 through the browser
            response = await dora.page.goto(base + process_path)
            assert response is not None and response.status == 404
            await expect(dora.page.locator("main")).to_contain_text("Processen finns inte.")
