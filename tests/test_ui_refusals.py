"""A refusal where it belongs (issue 10, the second tester's findings §3, §4): a rule's refusal
names the fields it is about, so the page shows it next to each of them with ``aria-invalid`` and
``aria-describedby``, in Swedish without the field's code; and a long text typed in a refused form
is shown again whole, whatever its length.

The app runs on the suite's scenario server (its clock starts Sunday 2026-11-22 07:00 Stockholm
time, tests.support.SUITE_MOMENT), called in the test's own event loop.
"""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import httpx
import pytest
from temporalio.exceptions import ApplicationError

from api.errors import refusal_fields
from api.ui import messages
from api.ui.prg import FailedInputs
from tests.support import CASE_WORKER, OTHER_PROVIDER, PROVIDER, SUITE_MOMENT, profile, sthlm
from tests.test_api_support import act, keyed, login, new_case
from tests.test_ui import ui_login
from workflows.io.case_event import DeathReport, PauseReport
from workflows.io.extra_visits import VisitDecision
from workflows.model import INVALID, FieldError, invalid
from workflows.rules import case_event as case_event_rules
from workflows.rules import extra_visits as visit_rules
from workflows.rules import follow_up as follow_up_rules
from workflows.rules import homecoming as homecoming_rules
from workflows.rules import urgent_change as urgent_rules


def at_field(page: str, field_id: str) -> str:
    """The message shown next to the input ``field_id`` (asserting aria-invalid/-describedby)."""
    tag = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{field_id}"[^>]*>', page)
    assert tag is not None, f"{field_id} not in the page"
    assert 'aria-invalid="true"' in tag.group(0), tag.group(0)
    assert f"{field_id}-fel" in tag.group(0) or "-fel" in tag.group(0), tag.group(0)
    described = re.search(r'aria-describedby="([^"]+)"', tag.group(0))
    assert described is not None
    error_id = next(i for i in described.group(1).split() if i.endswith("-fel"))
    message = re.search(rf'<p class="field-error" id="{error_id}">([^<]*)</p>', page)
    assert message is not None, error_id
    return html.unescape(message.group(1))


async def refused_page(http: httpx.AsyncClient, url: str, form: dict[str, str], status: int = 422) -> str:
    """Post ``form`` to ``url`` (refused: post/redirect/get) and the page that shows the error."""
    posted = await http.post(url, data=form)
    assert posted.status_code == 303, posted.text
    shown = await http.get(posted.headers["location"])
    assert shown.status_code == status, shown.text
    return shown.text


# -- the rules name their fields ---------------------------------------------------------------


def fields_of_refusal(call: object, *args: object, **kwargs: object) -> tuple[str, ...]:
    with pytest.raises(FieldError) as refused:
        call(*args, **kwargs)  # type: ignore[operator]
    return refused.value.fields


def test_the_rules_the_tester_met_name_the_field_they_refuse() -> None:
    """§3: UC-4's decision date, HT-4's handover before the announcement, FU-4's questions 1-4,
    HT-3's move without services, END-3's pause without services, END-2's death date, UC-5's
    unknown visit: each refusal names the input it is about."""
    now = sthlm(2026, 11, 22, 7)
    rules = profile().deadlines
    assert fields_of_refusal(
        urgent_rules.check_decision_date, date(2026, 1, 1), "lasting", now - timedelta(hours=3), rules
    ) == ("decision_date",)
    assert fields_of_refusal(
        homecoming_rules.check_handover, "regular", None, now - timedelta(hours=1), ["Dusch"], now
    ) == ("planned_at",)
    assert fields_of_refusal(follow_up_rules.check_report, False, "", True, "", True, "", True, "") == (
        "need_reason",
        "attend_reason",
    )  # FU-4: question 1 answered no, question 4 yes
    assert fields_of_refusal(
        homecoming_rules.check_move,
        "hemtjanst-nord",
        None,
        "hemgangsteam",
        False,
        None,
        date(2026, 12, 1),
        [],
    ) == ("items",)
    pause = PauseReport(scope="services", starts_on=date(2026, 11, 23))
    assert fields_of_refusal(case_event_rules.check_report, pause, now) == ("services",)
    death = DeathReport(died_on=date(2026, 11, 30))
    assert fields_of_refusal(case_event_rules.check_report, death, now) == ("died_on",)
    review = [VisitDecision(visit_id="v9", decision="approve")]
    assert fields_of_refusal(visit_rules.check_review, review, []) == ("decisions.0.visit_id",)


def test_a_refusal_carries_its_fields_from_the_workflow_to_the_page() -> None:
    """The fields travel in the ApplicationError's details (an update validator's refusal) and
    become the messages at those inputs, the error box naming the field first."""
    error = invalid("Ange insatserna i det nya beslutet (services).", "services")
    assert (error.type, error.message) == (INVALID, "Ange insatserna i det nya beslutet (services).")
    assert refusal_fields(error) == ("services",)
    assert refusal_fields(ApplicationError("x", type=INVALID)) == ()
    shown, at = messages.explain(error.message, [], refusal_fields(error), "homecoming")
    assert shown == ["Insatser: Ange insatserna i det nya beslutet."]
    assert at == {"services": "Ange insatserna i det nya beslutet."}
    _shown, nested = messages.explain("Det finns inget extra besök v9.", [], ("decisions.0.visit_id",))
    assert list(nested) == ["decisions-0-visit_id"]


def test_a_pydantic_error_names_its_field_once_and_ends_in_one_full_stop() -> None:
    """§1, §7: "Path – Funktionsbrevlåda" and "startdatum.." in the error box."""
    detail = [
        {"loc": ["path", "mailbox"], "msg": "innehåller ett otillåtet tecken (NUL)", "type": "x"},
        {"loc": ["body", "decisions", 0], "msg": "Beslutets slutdatum ligger före startdatum.", "type": "v"},
    ]
    shown, _at = messages.explain(detail, [], (), "cases")
    assert shown[0] == "Funktionsbrevlåda: innehåller ett otillåtet tecken (NUL)."
    assert shown[1] == "Gällande beslut – rad 1: Beslutets slutdatum ligger före startdatum."


# -- at the field on the pages -------------------------------------------------------------------


async def test_END_3_END_2_a_pause_without_services_and_a_death_ahead_show_at_their_fields(
    http: httpx.AsyncClient,
) -> None:
    """END-3: "Ange vilka insatser som får uppehåll" next to Insatser, without "(services)";
    END-2: a date of death in the future next to Dödsdatum, without "died_on"."""
    case_id = await new_case(http)
    await ui_login(http, CASE_WORKER)
    url = f"/ui/arenden/{case_id}/handelser"
    pause = {"type": "pause", "scope": "services", "starts_on": "2026-11-23", "services": ""}
    page = await refused_page(http, url, pause)
    assert at_field(page, "handelse-pause-services") == "Ange vilka insatser som får uppehåll."
    assert "(services)" not in page and "Insatser: Ange vilka insatser som får uppehåll." in page
    await ui_login(http, PROVIDER)
    page = await refused_page(http, url, {"type": "death", "died_on": "2026-11-30"})
    assert at_field(page, "handelse-death-died_on") == "Dödsdatum (2026-11-30) ligger i framtiden."
    assert "died_on" not in re.sub(r'(id|name|for|aria-describedby)="[^"]*"', "", page)


async def test_HT_4_a_homecoming_without_services_and_a_provider_choosing_a_simplified_decision(
    http: httpx.AsyncClient,
) -> None:
    """HT-4: a regular decision names its services: the message at the services' rows (the first
    row's input aria-invalid); HT-1: only the case worker starts a simplified or regular
    homecoming: the provider's choice is refused (403) at Handläggning."""
    case_id = await new_case(http)
    await ui_login(http, CASE_WORKER)
    start = {"type": "homecoming", "case_id": case_id, "mode": "regular", "origin": "short_term_stay"}
    page = await refused_page(http, "/ui/processer", start)
    assert at_field(page, "starta-homecoming-items-0-name") == "Ange insatserna i beslutet om hemtjänst."
    assert 'id="starta-homecoming-items-fel">Ange insatserna i beslutet om hemtjänst.</p>' in page
    assert "(items)" not in page
    await ui_login(http, PROVIDER)
    page = await refused_page(http, "/ui/processer", {**start, "mode": "simplified"}, status=403)
    assert "biståndshandläggaren (HT-1)" in at_field(page, "starta-homecoming-mode")


async def test_UC_4_a_decision_dated_otherwise_than_proposed_shows_at_the_decision_date(
    http: httpx.AsyncClient,
) -> None:
    """UC-4: the update validator's refusal reaches the page at Beslutsdatum (the workflow's
    ApplicationError names the field in its details)."""
    case_id = await new_case(http)
    started = SUITE_MOMENT - timedelta(hours=3)
    body = {
        "type": "urgent-change",
        "case_id": case_id,
        "kind": "lasting",
        "started_at": started.isoformat(),
        "description": "Behöver hjälp vid toalettbesök.",
    }
    started_state = await http.post("/processes", json=body, headers=keyed(await login(http, PROVIDER)))
    assert started_state.status_code == 201, started_state.text
    pid = started_state.json()["process_id"]
    assert (await act(http, pid, "notify_case_worker", {})).status_code == 200
    await ui_login(http, CASE_WORKER)
    form = {"outcome": "granted", "decision_date": "2026-11-01", "services": "Tillsyn"}
    page = await refused_page(http, f"/ui/processer/{pid}/atgard/respond", form)
    message = at_field(page, "atgard-respond-decision_date")
    assert message.startswith("Beslutet ska dateras från den dag det utökade stödet började: 2026-11-22")


async def test_COM_6_a_changed_need_without_reason_and_COM_2_another_units_mailbox_at_their_fields(
    http: httpx.AsyncClient,
) -> None:
    """COM-6: the reason next to its field, without "(reason_self_contact)"; COM-2: a message to
    a unit that does not work with the case would reach no one: refused at the mailbox (it
    answered "skickat" and Hemtjänst Syd never saw it)."""
    case_id = await new_case(http)
    await ui_login(http, PROVIDER)
    url = f"/ui/arenden/{case_id}/meddelande"
    form = {
        "mailbox": "case-workers",
        "subject": "Ökat behov",
        "body": "Behöver mer hjälp.",
        "changed_need": "on",
    }
    page = await refused_page(http, url, form)
    assert at_field(page, "skriv-meddelande-reason_self_contact").startswith(
        "Ange varför brukaren inte själv"
    )
    assert "reason_self_contact)" not in page
    await ui_login(http, CASE_WORKER)
    page = await refused_page(http, url, {**form, "mailbox": "provider-hemtjanst-syd", "changed_need": ""})
    assert at_field(page, "skriv-meddelande-mailbox").startswith("Enheten arbetar inte med ärendet")
    refused = await http.post(
        "/mailboxes/provider-hemtjanst-syd/messages",
        json={"case_id": case_id, "subject": "Hej", "body": "Text"},
        headers=keyed(await login(http, CASE_WORKER)),
    )
    assert refused.status_code == 422
    await ui_login(http, OTHER_PROVIDER)
    assert "Hej" not in (await http.get("/ui/brevlador/provider-hemtjanst-syd")).text


async def test_a_login_without_unit_shows_it_at_the_unit_field_in_swedish(http: httpx.AsyncClient) -> None:
    """§1: "Rollen provider kräver org" on the login page."""
    page = await refused_page(http, "/ui/login", {"role": "provider", "sub": "pv-x", "name": "X", "org": ""})
    assert at_field(page, "login-org") == "Rollen hemtjänstutförare kräver en enhet, den man arbetar för."
    assert "provider" not in re.sub(r'(value|id|name|for)="[^"]*"', "", page.split("<main", 1)[1])


# -- a long text survives a refusal (§4) ----------------------------------------------------------


async def test_a_long_message_is_shown_again_whole_when_its_subject_is_missing(
    http: httpx.AsyncClient,
) -> None:
    """§4: 2 300 characters of a message to a mailbox, refused for its missing subject: the page
    shows them again, whole (a cookie keeps about 3.5 kB; the server keeps the values)."""
    case_id = await new_case(http)
    await ui_login(http, CASE_WORKER)
    body = "Åäö, långt meddelande om nyckeln och portkoden. " * 48  # 2 304 characters, 2.6 kB UTF-8
    assert len(body) >= 2300
    form = {"mailbox": "case-workers", "subject": "", "body": body, "reason_self_contact": "x" * 900}
    page = await refused_page(http, f"/ui/arenden/{case_id}/meddelande", form)
    assert at_field(page, "skriv-meddelande-subject") == "måste fyllas i"
    assert html.escape(body.strip(), quote=False) in page and "x" * 900 in page
    again = await http.get(f"/ui/arenden/{case_id}")  # shown once, then forgotten
    assert again.status_code == 200 and body.strip() not in again.text


def test_the_kept_values_are_bounded_in_number_bytes_and_time_and_only_their_owner_takes_them() -> None:
    store = FailedInputs(ttl=120, max_entries=2, max_bytes=1000)
    first = store.put("anna", {"body": "a" * 400}, now=0)
    assert store.take(first, "berit", now=1) is None  # another login
    assert store.take(first, "anna", now=1) == {"body": "a" * 400}
    assert store.take(first, "anna", now=2) is None  # once
    late = store.put("anna", {"body": "b"}, now=10)
    assert store.take(late, "anna", now=131) is None  # after two minutes
    tokens = [store.put("anna", {"body": "c" * 400}, now=200) for _ in range(3)]
    assert len(store) == 2 and store.take(tokens[0], "anna", now=201) is None  # the oldest went
    assert store.take(store.put("anna", {"body": "d" * 2000}, now=300), "anna", now=301) is None  # too big
