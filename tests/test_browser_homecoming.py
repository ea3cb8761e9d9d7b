"""A whole homecoming in Chromium (issue 10 §8): every step in the pages by the roles involved,
from the login form to the history page, asserting what the pages show.

HT-2/HT-3, simplified, on the suite's moment, Sunday 2026-11-22 07:00 Stockholm time: the case
worker starts the homecoming with night help and sends the orders; the homecoming team announces
the handover, whose date the form proposes: the earliest that is on time, Wednesday 2026-11-25
(announced no later than the 2nd working day before it, Monday 2026-11-23); the case worker
follows up before it (due at the end of Tuesday 2026-11-24) and moves the order to the chosen
provider from the handover date (proposed); the provider then sees its order; the supervisor
reads the process's history; a provider of another unit gets the 404 page (FU-10).
"""

from __future__ import annotations

from playwright.async_api import expect
from sqlalchemy.orm import Session, sessionmaker

from tests.browser import browser_scenario, logged_in
from tests.browser_steps import register_case, submit
from tests.support import CASE_WORKER, OTHER_PROVIDER, PROVIDER
from workflows.model import Actor

SUPERVISOR = Actor(user_id="sv-gun", role="supervisor", name="Gun Tillsyn")
TEAM = Actor(user_id="hg-hans", role="homecoming_team", name="Hans Hemgång", org="hemgangsteam")
PERSON = "Holger Exempel"


async def test_HT_2_HT_3_a_whole_homecoming_through_the_pages_from_login_to_history(
    sessions: sessionmaker[Session],
) -> None:
    async with browser_scenario(sessions) as (base, browser):
        async with logged_in(browser, base, CASE_WORKER) as anna:
            case_path = await register_case(anna, PERSON, "2026-11-02", "Städning")
            page = anna.page
            form = page.locator("#starta-homecoming")
            await form.locator("[name=mode]").select_option("simplified")
            await form.locator("[name=night_help_minutes]").fill("120")
            await form.locator("button[type=submit]").click()
            await expect(page.locator(".flash")).to_have_text("Processen är startad.")
            await expect(page.locator("h1")).to_have_text(f"Hemgång med hemgångsteam – {PERSON}")
            process_path = page.url.split("?", 1)[0].removeprefix(base)
            send = page.locator("#atgard-send_order")
            await expect(send.locator("[name=start_date]")).to_have_value("2026-11-22")
            await send.locator("[name=start_date]").fill("2026-11-23")
            await send.locator("[name=other]").fill("Utskriven från sjukhuset, nyckel hos dottern.")
            await send.locator("[name=night_other]").fill("Tillsyn klockan 02.")
            await submit(page, "send_order", "Skicka beställning")

        async with logged_in(browser, base, TEAM) as hans:
            rows = hans.page.locator("tbody tr", has_text=PERSON)
            # HT-2: the team's order (ORD-1: 24 hours on working days from Monday 08:00) ...
            confirm = rows.filter(has_text="Bekräfta mottagen beställning")
            await expect(confirm).to_contain_text("senast tis 24 nov 08:00")
            await expect(confirm).to_contain_text("Hemgångsteam")  # the decision's services
            await expect(rows).to_have_count(2)  # ... and the handover to announce
            page = await hans.go(process_path)
            form = page.locator("#atgard-announce_handover")
            # HT-3: the earliest handover announced on time (2 working days ahead)
            await expect(form.locator("[name=handover_date]")).to_have_value("2026-11-25")
            await submit(page, "announce_handover", "Meddela överlämning")
            await expect(page.locator("main")).not_to_contain_text("Avvikelse")

        async with logged_in(browser, base, CASE_WORKER) as anna:
            row = anna.page.locator("tbody tr", has_text="Följ upp inför överlämningen")
            await expect(row).to_contain_text("senast tis 24 nov 23:59")  # the day before the handover
            page = await anna.go(process_path)
            follow_up = page.locator("#atgard-follow_up")
            # No new decision: no decision date either (the form may propose the handover date
            # for a new decision; the validator refuses a date without one)
            await follow_up.locator("[name=decision_date]").fill("")
            await follow_up.locator("[name=note]").fill("Trivs hemma, ingen ändring.")
            await submit(page, "follow_up", "Registrera uppföljning")
            move = page.locator("#atgard-move_order")
            await expect(move.locator("[name=start_date]")).to_have_value("2026-11-25")
            await move.locator("[name=items-0-name]").fill("Personlig omvårdnad")
            await move.locator("[name=items-0-kind]").select_option("care")
            await move.locator("[name=items-0-minutes_per_month]").fill("900")
            await submit(page, "move_order", "Flytta beställningen")
            await expect(page.locator("main")).to_contain_text("överlämnad till vald hemtjänst")

        async with logged_in(browser, base, PROVIDER) as carl:  # HT-3: the order reaches the provider
            row = carl.page.locator("tbody tr", has_text=PERSON)
            confirm = row.filter(has_text="Bekräfta mottagen beställning")
            await expect(confirm).to_have_count(1)
            await confirm.locator("a").first.click()
            await expect(carl.page.locator("h1")).to_have_text(f"Beställning – {PERSON}")
            await expect(carl.page.locator("main")).to_contain_text("Personlig omvårdnad")
            await expect(carl.page.locator("main")).to_contain_text("2026-11-25")  # from the handover

        async with logged_in(browser, base, SUPERVISOR) as gun:
            page = await gun.go(process_path + "/historik")
            await expect(page.locator("h1")).to_contain_text("Historik: Hemgång med hemgångsteam")
            timeline = page.locator("ol.timeline")
            await expect(timeline).to_contain_text("Hans Hemgång (hemgångsteam)")
            await expect(timeline).to_contain_text("Anna Handläggare (biståndshandläggare)")
            await expect(timeline).to_contain_text("2026-11-25")
            temporal = page.locator('a[href$="%2Fhomecoming%2F1"]')
            await expect(temporal).to_have_text("arbetsflödet i Temporal Web UI")

        async with logged_in(browser, base, OTHER_PROVIDER) as dora:  # FU-10 through the browser
            response = await dora.page.goto(base + process_path)
            assert response is not None and response.status == 404
            await expect(dora.page.locator("main")).to_contain_text("Processen finns inte.")
            response = await dora.page.goto(base + case_path)
            assert response is not None and response.status == 404
