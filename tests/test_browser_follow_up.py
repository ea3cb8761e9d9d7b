"""A follow-up started now and recorded in Chromium (a fresh tester's findings): FU-1, FU-4, FU-6,
FU-7, FU-8 done in the pages by the case worker and the provider.

On the suite's moment, Sunday 2026-11-22 07:00, the case worker registers Greta's case and starts
a follow-up now from the case page (a changed need, FU-1): it is due 30 days on, Tue 2026-12-22,
and the plan form proposes 10:00 that day (FU-4). The provider's report and the chosen form
follow; the record form shows the new decision as its own fieldset and the case's decision as a
checkbox described in words; ticked with the outcome "Insatser avslutas", the decision ends (FU-8)
and the page has no serious accessibility violation.
"""

from __future__ import annotations

from playwright.async_api import expect
from sqlalchemy.orm import Session, sessionmaker

from tests.browser import browser_scenario, describe, logged_in, serious_violations
from tests.browser_steps import register_case
from tests.support import CASE_WORKER, PROVIDER


async def test_FU_1_FU_8_a_follow_up_started_now_on_the_case_page_ends_a_decision_chosen_by_name(
    sessions: sessionmaker[Session],
) -> None:
    async with browser_scenario(sessions) as (base, browser):
        async with logged_in(browser, base, CASE_WORKER) as anna:
            case_path = await register_case(anna, "Greta Exempel", "2026-11-16", "Personlig omvårdnad")
            page = anna.page
            start = page.locator("#atgard-start_now")
            title = "Starta en uppföljning nu (ändrat behov, klagomål)"
            await expect(start.locator("h3")).to_have_text(title)
            await start.locator("textarea[name=reason]").fill("Dottern ringde om ändrat behov")
            await start.locator("button[type=submit]").click()
            await expect(page.locator(".flash")).to_have_text("Processen är startad.")
            follow_up = page.url.split("?", 1)[0].removeprefix(base)
            assert follow_up.endswith("/follow-up/1")
            plan = page.locator("#atgard-plan")
            await expect(plan.locator("input[name=planned_at]")).to_have_value("2026-12-22T10:00")  # FU-4
            await plan.locator("button[type=submit]").click()
            await page.wait_for_url("**?utfort=plan")

        async with logged_in(browser, base, PROVIDER) as carl:
            page = await carl.go(follow_up)
            report = page.locator("#atgard-submit_report")
            for box in ("need_matches_order", "given_as_ordered", "fully_executed", "provider_attends"):
                await report.locator(f"input[name={box}]").check()
            await report.locator("[name=attend_reason]").fill("Vill beskriva kvällarna")
            await report.locator("button[type=submit]").click()
            await page.wait_for_url("**?utfort=submit_report")

        async with logged_in(browser, base, CASE_WORKER) as anna:
            page = await anna.go(follow_up)
            form = page.locator("#atgard-choose_form")
            await expect(form.locator("input[name=provider_attends]")).to_be_checked()  # FU-6: as reported
            await form.locator("select[name=form]").select_option("home_visit")
            await form.locator("button[type=submit]").click()
            await page.wait_for_url("**?utfort=choose_form")

            record = page.locator("#atgard-record")
            await expect(record.locator("fieldset.group > legend")).to_have_text("Nytt beslut")
            await expect(record.locator("textarea[name='new_decision-services']")).to_have_value(
                "Personlig omvårdnad"
            )
            violations = await serious_violations(page)
            assert violations == [], describe(violations)
            for box in ("gets_granted_help", "takes_part_when", "takes_part_how", "feels_good"):
                await record.locator(f"input[name={box}]").check()
            await record.locator("select[name=outcome]").select_option("services_ended")
            await record.get_by_label("Hemtjänst (omvårdnad): Personlig omvårdnad från 2026-11-16").check()
            await record.locator("button[type=submit]").click()
            await page.wait_for_url("**?utfort=record")
            await expect(page.locator("dl.facts").nth(1)).to_contain_text("insatser avslutade")
            page = await anna.go(case_path)
            await expect(page.locator("table", has_text="Slag")).to_contain_text("upphört")
