"""A role finishes its work in the pages (a fresh tester's findings): forms generated from the
action dataclasses offer the case's decisions, orders and visits by name, a nested new decision
as its own fieldset, the rule's proposals prefilled, the follow-up started now (FU-1) on the
cycle's and the case's page, and the responsible case worker chosen among case workers.

Each test runs on a dated scenario server, on SQLite and PostgreSQL; the forms are posted as a
browser posts them untouched (tests/page_forms.py), with what a person changes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from activities.follow_up import cycle_id
from api.ui import forms
from readmodel import models
from readmodel.database import make_session_factory
from tests.page_forms import choices, posted
from tests.support import CASE_WORKER, PROVIDER, SENIOR, sthlm
from tests.test_api_support import login
from tests.test_case_events_api import ADJUSTMENT, Api, api
from tests.test_follow_up_cycle import eventually
from tests.test_read_model import _postgres, _sqlite
from tests.test_ui import ui_login
from workflows.io.extra_visits import Review
from workflows.io.follow_up import Record
from workflows.model import Actor

CARE = {"kind": "care", "services": ["Personlig omvårdnad"], "start_date": "2027-01-04"}
CLEANING = {"kind": "service", "services": ["Städning"], "start_date": "2027-02-01"}


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with _sqlite(tmp_path) if request.param == "sqlite" else _postgres() as engine:
        yield make_session_factory(engine)


async def register(app: Api, *decisions: dict[str, Any]) -> str:
    body = {"person_name": "Greta Exempel", "provider_id": "hemtjanst-nord", "decisions": list(decisions)}
    response = await app.http.post("/cases", json=body, headers=app.headers("case_worker"))
    assert response.status_code == 201, response.text
    case_id: str = response.json()["case_id"]
    return case_id


async def as_user(app: Api, actor: Actor) -> None:
    """Log in through the login form (as a browser on this site: its origin) and keep the cookie."""
    app.http.headers["Origin"] = "http://test"
    assert (await ui_login(app.http, actor)).status_code == 303


async def page(app: Api, url: str) -> str:
    response = await app.http.get(url)
    assert response.status_code == 200, response.text
    return response.text


async def submit(app: Api, url: str, form: dict[str, str]) -> str:
    """Post a form as the browser does (the app's own origin, a fresh key): → where it redirects."""
    response = await app.http.post(url, data={**form, "idempotency_key": str(uuid.uuid4())})
    assert response.status_code == 303, response.text
    return response.headers["location"]


def action_url(pid: str, action: str) -> str:
    return f"/ui/processer/{pid}/atgard/{action}"


def unticked(form: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in form.items() if k not in names}


async def test_FU_1_FU_4_FU_8_a_follow_up_started_now_from_the_case_page_runs_through_its_forms(
    sessions: sessionmaker[Session],
) -> None:
    """FU-1: on Tue 2027-04-06 the case worker starts a follow-up now from the case page (the
    cycle's start_now) and lands on it; it is due 30 days on, Thu 2027-05-06 (Kristi
    himmelfärdsdag), so the plan form proposes Wed 2027-05-05 10:00 (FU-4). The provider's report
    says the need no longer matches the order and that it attends: the form and the record propose
    that (FU-6, FU-7). The record offers the living decisions by name to end, and a new decision
    as its own fieldset, proposed like the current one from today with its order (FU-8)."""
    async with api(sthlm(2027, 4, 6, 9), sessions) as app:
        case_id = await register(app, CARE, CLEANING)
        cycle = cycle_id(case_id)
        await as_user(app, PROVIDER)
        assert "atgard-start_now" not in await page(app, f"/ui/arenden/{case_id}")  # the case worker's
        await as_user(app, CASE_WORKER)
        case_page = await page(app, f"/ui/arenden/{case_id}")
        assert "Starta en uppföljning nu (ändrat behov, klagomål)" in case_page
        start = posted(case_page, "atgard-start_now")
        assert set(start) == {"tillbaka", "reason"}  # asked now: no other moment
        assert start["tillbaka"] == f"/ui/arenden/{case_id}"
        refused = await submit(app, action_url(cycle, "start_now"), {**start, "reason": ""})
        assert refused == f"/ui/arenden/{case_id}"  # the error shown where the form was
        shown = (await app.http.get(refused)).text
        assert 'id="atgard-start_now-reason" name="reason" required aria-invalid="true"' in shown
        landed = await submit(app, action_url(cycle, "start_now"), {**start, "reason": "Dottern ringde"})
        pid = f"case-{case_id}/follow-up/1"
        assert landed == f"/ui/processer/{pid}?startad=1"
        assert "atgard-start_now" not in await page(app, f"/ui/arenden/{case_id}")  # one at a time
        assert "atgard-start_now" not in await page(app, f"/ui/processer/{cycle}")

        plan = posted(await page(app, landed), "atgard-plan")
        assert plan["planned_at"] == "2027-05-05T10:00"  # FU-4: before the holiday it is due on
        await submit(app, action_url(pid, "plan"), plan)

        await as_user(app, PROVIDER)
        report = posted(await page(app, f"/ui/processer/{pid}"), "atgard-submit_report")
        report |= {"need_reason": "Behöver hjälp vid dusch", "given_as_ordered": "on", "fully_executed": "on"}
        report |= {"provider_attends": "on", "attend_reason": "Vill beskriva duschen"}
        await submit(app, action_url(pid, "submit_report"), report)

        await as_user(app, CASE_WORKER)
        form = posted(await page(app, f"/ui/processer/{pid}"), "atgard-choose_form")
        assert form["provider_attends"] == "on"  # FU-6: as the report said
        await submit(app, action_url(pid, "choose_form"), {**form, "form": "home_visit"})

        record_page = await page(app, f"/ui/processer/{pid}")
        record = posted(record_page, "atgard-record")
        assert "need_matches_order" not in record  # FU-7: proposed as the report said: no
        assert "<legend>Nytt beslut</legend>" in record_page
        assert "Fylls i när utfall är ”Nytt beslut”." in record_page
        assert record["new_decision-services"] == "Personlig omvårdnad\nStädning"
        assert record["new_decision-start_date"] == "2027-04-06"
        assert record["new_decision-order_start_date"] == "2027-04-06"
        assert (record["new_decision-order_items-0-name"], record["new_decision-order_items-0-kind"]) == (
            "Personlig omvårdnad",
            "care",
        )
        decisions = [d.id for d in app.rows(models.Decision, case_id=case_id)]
        assert choices(record_page, "atgard-record", "ended_decision_ids") == [
            (decisions[0], "Hemtjänst (omvårdnad): Personlig omvårdnad från 2027-01-04", False),
            (decisions[1], "Serviceinsatser: Städning från 2027-02-01", False),
        ]
        assert "ett per rad" not in record_page and ">Beslut (id)" not in record_page

        decided = record | {
            "outcome": "new_decision",
            **{q: "on" for q in ("gets_granted_help", "takes_part_when", "takes_part_how", "feels_good")},
            "care_plan_current": "on",
            "new_decision-services": "Personlig omvårdnad\nStädning\nDusch",
            "new_decision-order_items-2-name": "Dusch",
            "new_decision-order_items-2-kind": "care",
        }
        assert await submit(app, action_url(pid, "record"), decided) == f"/ui/processer/{pid}?utfort=record"
        state = await app.http.get(f"/processes/{pid}", headers=app.headers("case_worker"))
        assert (state.json()["outcome"], state.json()["details"]["decision_id"]) == (
            "new_decision",
            f"{pid}/decision",
        )
        (new,) = app.rows(models.Decision, id=f"{pid}/decision")
        assert (new.kind, new.services, new.start_date) == (
            "care",
            ["Personlig omvårdnad", "Städning", "Dusch"],
            date(2027, 4, 6),
        )
        order_id = f"case-{case_id}/order/follow-up-1"
        (order,) = await eventually(lambda: app.rows(models.Order, id=order_id), "the new order's row")
        assert [i["name"] for i in order.items] == ["Personlig omvårdnad", "Städning", "Dusch"]
        assert order.start_date == date(2027, 4, 6)


async def test_END_1_END_6_the_case_workers_forms_offer_the_cases_decisions_and_orders_by_name(
    sessions: sessionmaker[Session],
) -> None:
    """END-1: the provider reports on Mon 2027-03-15 that cleaning ended Fri 2027-03-12; the case
    worker's confirmation offers the case's decisions and its order as checkboxes described in
    words (the ids only their values), all proposed; unticking the care decision ends only
    cleaning and its order. END-6: the handling of a time adjustment proposes the performed time,
    780 minutes."""
    async with api(sthlm(2027, 3, 15, 9), sessions) as app:
        case_id = await register(app, CARE, CLEANING)
        items = [{"name": "Städning", "kind": "service"}]
        order = {"type": "order", "case_id": case_id, "start_date": "2027-03-22", "items": items}
        started = await app.http.post("/processes", json=order, headers=app.headers("case_worker"))
        assert started.status_code == 201, started.text
        order_id = started.json()["process_id"]
        report = {"type": "service_ended", "ended_on": "2027-03-12", "services": ["Städning"]}
        pid = (await app.report("provider", case_id, report))["event"]["process_id"]

        await as_user(app, CASE_WORKER)
        confirm_page = await page(app, f"/ui/processer/{pid}")
        care, cleaning = [d.id for d in app.rows(models.Decision, case_id=case_id)]
        assert choices(confirm_page, "atgard-confirm_end", "ended_decision_ids") == [
            (care, "Hemtjänst (omvårdnad): Personlig omvårdnad från 2027-01-04", True),
            (cleaning, "Serviceinsatser: Städning från 2027-02-01", True),
        ]
        assert choices(confirm_page, "atgard-confirm_end", "ended_order_ids") == [
            (order_id, "Beställning till Hemtjänst Nord från 2027-03-22: Städning", True)
        ]
        form = posted(confirm_page, "atgard-confirm_end")
        assert form["ended_on"] == "2027-03-12"
        form = unticked(form, "ended_decision_ids-0") | {"confirmed_with_person": "on"}
        await submit(app, action_url(pid, "confirm_end"), form)
        status = {d.id: d.status for d in app.rows(models.Decision, case_id=case_id)}
        assert status == {care: "active", cleaning: "ended"}
        (ended,) = app.rows(models.Order, id=order_id)
        assert ended.status == "ended"

        adjusted = (await app.report("provider", case_id, ADJUSTMENT))["event"]["process_id"]
        handle = posted(await page(app, f"/ui/processer/{adjusted}"), "atgard-handle_time_adjustment")
        assert handle["adjusted_minutes"] == "780"  # END-6: the performed time, reported by the provider
        await submit(app, action_url(adjusted, "handle_time_adjustment"), handle | {"approved": "on"})
        state = await app.http.get(f"/processes/{adjusted}", headers=app.headers("case_worker"))
        assert (state.json()["outcome"], state.json()["details"]["adjusted_minutes"]) == ("adjusted", 780)


async def test_UC_5_the_review_and_the_answer_offer_the_registered_visits_by_date_and_services(
    sessions: sessionmaker[Session],
) -> None:
    """UC-5: two extra visits of November 2026 registered; on Wed 2026-11-25 the weekly review
    offers each row the visits pending review by date and services, and leaves out the rows
    nobody filled in (a preselected kind of item alone is no row). The question to the provider
    comes back in its answer form with the questioned visit chosen."""
    async with api(sthlm(2026, 11, 25, 10), sessions) as app:
        case_id = await register(app, {**CARE, "start_date": "2026-10-01"})
        start = {"type": "extra-visits", "case_id": case_id, "month": "2026-11"}
        started = await app.http.post("/processes", json=start, headers=app.headers("provider"))
        assert started.status_code == 201, started.text
        pid = started.json()["process_id"]
        for day, service in (("2026-11-20", "Toalettbesök"), ("2026-11-24", "Dusch")):
            visit = {"visit_date": day, "kind": "extra_visit", "services": [service], "reason": "Feber"}
            await app.act("provider", pid, "register_visit", visit)

        await as_user(app, CASE_WORKER)
        review_page = await page(app, f"/ui/processer/{pid}")
        assert "<legend>Beslut per besök</legend>" in review_page
        assert choices(review_page, "atgard-review", "decisions-0-visit_id") == [
            ("", "– välj –", True),
            ("v1", "Extra besök 2026-11-20: Toalettbesök (registrerad)", False),
            ("v2", "Extra besök 2026-11-24: Dusch (registrerad)", False),
        ]
        review = posted(review_page, "atgard-review")
        asked = {"decisions-0-visit_id": "v1", "decisions-0-decision": "question"}
        await submit(app, action_url(pid, "review"), review | asked | {"decisions-0-question": "Hur länge?"})
        state = await app.http.get(f"/processes/{pid}", headers=app.headers("case_worker"))
        statuses = {v["visit_id"]: v["status"] for v in state.json()["details"]["visits"]}
        assert statuses == {"v1": "questioned", "v2": "registered"}

        await as_user(app, PROVIDER)
        answer_page = await page(app, f"/ui/processer/{pid}")
        assert choices(answer_page, "atgard-answer_question", "visit_id") == [
            ("", "– välj –", False),
            ("v1", "Extra besök 2026-11-20: Toalettbesök (ifrågasatt) – fråga: Hur länge?", True),
        ]
        answer = posted(answer_page, "atgard-answer_question") | {"answer": "Två nätter."}
        await submit(app, action_url(pid, "answer_question"), answer)
        state = await app.http.get(f"/processes/{pid}", headers=app.headers("case_worker"))
        assert [v["answer"] for v in state.json()["details"]["visits"]] == ["Två nätter.", None]


OLLE = Actor(user_id="cw-olle", role="case_worker", name="Olle Handläggare")


async def test_FU_9_the_responsible_case_worker_is_chosen_among_case_workers_and_checked(
    sessions: sessionmaker[Session],
) -> None:
    """The registration offers the case workers the directory knows, by name, the caller first and
    chosen; a user id known in another role is refused at the field, over the page and the JSON
    API alike (422, Swedish). A case registered for another case worker (whose board, FU-9, it
    joins) lands the registering one on the cases list with a notice, not on a 404."""
    async with api(sthlm(2026, 11, 23, 10), sessions) as app:
        for known in (OLLE, PROVIDER):  # they have used the system: the directory of people knows them
            assert (await app.http.get("/cases", headers=await login(app.http, known))).status_code == 200
        await as_user(app, SENIOR)
        senior_page = await page(app, "/ui/arenden")
        assert choices(senior_page, "registrera-arende", "case_worker_id")[0] == (
            "",
            "– ingen ansvarig ännu –",
            True,
        )
        await as_user(app, CASE_WORKER)
        cases_page = await page(app, "/ui/arenden")
        assert choices(cases_page, "registrera-arende", "case_worker_id") == [
            ("", "– du själv –", False),
            ("cw-anna", "Anna Handläggare (du)", True),
            ("cw-olle", "Olle Handläggare", False),
        ]
        assert "<legend>Gällande beslut</legend>" in cases_page and "Beslut per besök" not in cases_page
        form = posted(cases_page, "registrera-arende") | {"person_name": "Helga Nilsson"}
        form |= {
            "decisions-0-kind": "care",
            "decisions-0-services": "Dusch",
            "decisions-0-start_date": "2026-11-16",
        }

        refused = await submit(app, "/ui/arenden", form | {"case_worker_id": PROVIDER.user_id})
        shown = await app.http.get(refused)
        assert shown.status_code == 422
        assert 'id="registrera-arende-case_worker_id" name="case_worker_id" aria-invalid="true"' in shown.text
        assert "Carl Samordnare är hemtjänstutförare, inte biståndshandläggare" in shown.text
        body = {"person_name": "Helga Nilsson", "case_worker_id": PROVIDER.user_id}
        answer = await app.http.post("/cases", json=body, headers=app.headers("case_worker"))
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["loc"] == ["case_worker_id"]

        landed = await submit(app, "/ui/arenden", form | {"case_worker_id": OLLE.user_id})
        assert landed == "/ui/arenden?registrerat_for=cw-olle"
        notice = await page(app, landed)
        assert "Ärendet är registrerat med Olle Handläggare som ansvarig biståndshandläggare." in notice
        (case,) = app.rows(models.Case, person_name="Helga Nilsson")
        assert case.case_worker_id == OLLE.user_id
        await as_user(app, OLLE)
        assert "Helga Nilsson" in await page(app, "/ui/arenden")


async def test_UC_4_a_grant_without_services_is_refused_at_the_field_and_a_refusal_ignores_the_date(
    sessions: sessionmaker[Session],
) -> None:
    """UC-4: the lasting change that started Mon 2026-11-23 07:00 is answered in the form that
    proposes its decision date, 2026-11-23 (UC-1). Granted without a service: 422, the Swedish
    message at the services. The same form answered "not granted" as the browser sends it (the
    proposed date with it) is accepted: the date belongs to a grant only."""
    async with api(sthlm(2026, 11, 23, 10), sessions) as app:
        case_id = await register(app, {**CARE, "start_date": "2026-11-02"})
        change = {"type": "urgent-change", "case_id": case_id, "kind": "lasting"}
        change |= {
            "started_at": "2026-11-23T07:00:00+01:00",
            "description": "Behöver hjälp vid toalettbesök.",
        }
        started = await app.http.post("/processes", json=change, headers=app.headers("provider"))
        assert started.status_code == 201, started.text
        pid = started.json()["process_id"]
        await app.act("provider", pid, "notify_case_worker", {})

        await as_user(app, CASE_WORKER)
        respond = posted(await page(app, f"/ui/processer/{pid}"), "atgard-respond")
        assert (respond["decision_date"], respond["services"]) == ("2026-11-23", "")
        refused = await submit(app, action_url(pid, "respond"), respond | {"outcome": "granted"})
        shown = await app.http.get(refused)
        assert shown.status_code == 422
        assert re.search(
            r'<textarea id="atgard-respond-services" name="services" aria-invalid="true"', shown.text
        )
        assert "Insatser: ange minst en insats som beviljas." in shown.text
        done = await submit(app, action_url(pid, "respond"), respond | {"outcome": "not_granted"})
        assert done == f"/ui/processer/{pid}?utfort=respond"
        assert not app.rows(models.Decision, process_id=pid)


async def test_NEW_3_NEW_4_the_order_of_a_new_urgent_case_is_proposed_from_its_decision(
    sessions: sessionmaker[Session],
) -> None:
    """NEW-4 / NEW-3: decided Mon 2026-11-23 with two services, the order form proposes that
    start date and the decision's services as its items (of the decision's kind); sent as
    proposed, the order carries them."""
    async with api(sthlm(2026, 11, 23, 10), sessions) as app:
        start = {"type": "new-urgent-case", "person_name": "Nils Nilsson"}
        started = await app.http.post("/processes", json=start, headers=app.headers("case_worker"))
        assert started.status_code == 201, started.text
        pid, case_id = started.json()["process_id"], started.json()["case_id"]
        await app.act("case_worker", pid, "take_over", {})
        await app.act("case_worker", pid, "phone_provider", {"phoned_name": "Carl Samordnare"})
        services = ["Personlig omvårdnad", "Tillsyn"]
        decide = {"granted": True, "services": services, "decision_date": "2026-11-23"}
        await app.act("case_worker", pid, "decide", decide)

        await as_user(app, CASE_WORKER)
        order = posted(await page(app, f"/ui/processer/{pid}"), "atgard-send_order")
        assert order["start_date"] == "2026-11-23"
        assert [(order[f"items-{i}-name"], order[f"items-{i}-kind"]) for i in (0, 1)] == [
            ("Personlig omvårdnad", "care"),
            ("Tillsyn", "care"),
        ]
        assert (
            await submit(app, action_url(pid, "send_order"), order)
            == f"/ui/processer/{pid}?utfort=send_order"
        )
        (sent,) = await eventually(lambda: app.rows(models.Order, case_id=case_id), "the order's row")
        assert ([i["name"] for i in sent.items], sent.start_date) == (services, date(2026, 11, 23))


# -- the form generator, without a server ---------------------------------------------------------

RECORD_QUALITY = {q: "on" for q in ("gets_granted_help", "takes_part_when", "takes_part_how", "feels_good")}


def test_FU_8_a_nested_decision_is_a_fieldset_of_its_own_fields_and_only_comes_with_its_outcome() -> None:
    """FU-8: ``new_decision`` is a fieldset of the decision's fields (its order's items rows in it),
    not one text field; posted with the outcome "new_decision" it is the nested object, with any
    other outcome what the form proposed for it is left out (the outcome "unchanged" stays so).
    The ended decisions come as checked boxes, only with the outcome "services_ended"."""
    fields = {ff.name: ff for ff in forms.describe(Record)}
    group = fields["new_decision"]
    assert (group.kind, group.required, group.hint) == (
        "group",
        False,
        "Fylls i när utfall är ”Nytt beslut”.",
    )
    assert [c.name for c in group.columns][:3] == ["services", "start_date", "end_date"]
    assert {c.name: c.kind for c in group.columns}["order_items"] == "rows"
    proposed = {
        "new_decision-services": "Personlig omvårdnad\nDusch",
        "new_decision-start_date": "2027-04-06",
        "new_decision-kind": "care",  # the dataclass's default, preselected
        "new_decision-order_items-0-name": "Personlig omvårdnad",
        "new_decision-order_items-0-kind": "care",
        "new_decision-order_items-1-kind": "",
        "ended_decision_ids-0": "c-1/decision/1",
    }
    decided = forms.body_of(Record, {**RECORD_QUALITY, **proposed, "outcome": "new_decision"})
    assert decided["new_decision"] == {
        "services": ["Personlig omvårdnad", "Dusch"],
        "start_date": "2027-04-06",
        "kind": "care",
        "order_items": [{"name": "Personlig omvårdnad", "kind": "care"}],
    }
    assert "ended_decision_ids" not in decided
    unchanged = forms.body_of(Record, {**RECORD_QUALITY, **proposed, "outcome": "unchanged"})
    assert "new_decision" not in unchanged and "ended_decision_ids" not in unchanged
    ended = forms.body_of(Record, {**RECORD_QUALITY, **proposed, "outcome": "services_ended"})
    assert (ended["ended_decision_ids"], "new_decision" in ended) == (["c-1/decision/1"], False)
    nothing = forms.body_of(Record, {"new_decision-kind": "care", "outcome": "new_decision"})
    assert "new_decision" not in nothing  # a preselected choice alone is nothing entered


def test_fields_naming_items_offer_them_in_words_and_take_proposals_of_every_shape() -> None:
    """A list of decision ids becomes checkboxes of the decisions in words, one id a select with its
    own empty choice; rows get a row per item offered; a group and rows take their proposals."""
    offered = {
        "ended_decision_ids": [("c-1/decision/1", "Hemtjänst (omvårdnad): Dusch från 2027-01-04")],
        "visit_id": [
            ("v1", "Extra besök 2026-11-20"),
            ("v2", "Extra besök 2026-11-21"),
            ("v3", "x"),
            ("v4", "y"),
        ],
    }
    record = {ff.name: ff for ff in forms.with_choices(forms.describe(Record), offered)}
    assert (record["ended_decision_ids"].kind, record["ended_decision_ids"].options) == (
        "choices",
        offered["ended_decision_ids"],
    )
    review = forms.with_choices(forms.describe(Review), offered)[0]
    visit = {c.name: c for c in review.columns}["visit_id"]
    assert (review.rows, visit.kind, visit.options[0]) == (4, "select", ("", "– välj –"))
    proposed = forms.with_proposals(
        list(record.values()),
        {"ended_decision_ids": ["c-1/decision/1"], "new_decision": {"services": ["Dusch"]}},
    )
    by_name = {ff.name: ff for ff in proposed}
    assert by_name["ended_decision_ids"].chosen == ["c-1/decision/1"]
    assert {c.name: c.default for c in by_name["new_decision"].columns}["services"] == "Dusch"
    items = {c.name: c for c in by_name["new_decision"].columns}["order_items"]
    rows = forms.with_proposals([items], {"order_items": [{"name": "Dusch", "kind": "care"}] * 3})[0]
    assert rows.rows == 4 and [c.default for c in rows.row_columns(2)][:2] == ["Dusch", "care"]
    assert [c.default for c in rows.row_columns(3)][:2] == ["", ""]
