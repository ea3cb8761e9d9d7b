"""The tester's findings on issue 7 over HTTP and through the forms: one running process of each
type per case (409, also for concurrent starts), who sees a homecoming (the team and the chosen
provider; not the alarm team or the night district, which see only their orders), and forms that
propose and show only what they can submit. Each test on its own scenario server."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy.orm import Session, sessionmaker

from tests.page_forms import posted
from tests.support import sthlm
from tests.test_api_support import login_all, new_case
from tests.test_homecoming_api import app_at, post_form, ui_as, value_of

UNITS = {
    "alarm": {"sub": "la-lisa", "name": "Lisa Larm", "role": "provider", "org": "larmteam"},
    "night": {"sub": "na-nils", "name": "Nils Natt", "role": "provider", "org": "nattdistrikt"},
    "syd": {"sub": "pv-dora", "name": "Dora Samordnare", "role": "provider", "org": "hemtjanst-syd"},
}


async def test_HT_1_EXT_2_a_second_running_process_of_the_type_on_the_case_is_409_even_at_once(
    sessions: sessionmaker[Session],
) -> None:
    """Six concurrent homecoming starts on one case give one process (the others 409); a
    temporary extension likewise."""
    async with app_at(sthlm(2027, 3, 15, 10), sessions) as app:
        case_id = await new_case(app.http)
        body = {"type": "homecoming", "case_id": case_id, "mode": "simplified"}

        async def one() -> int:
            response = await app.http.post("/processes", json=body, headers=app.headers("case_worker"))
            return response.status_code

        codes = await asyncio.gather(*(one() for _ in range(6)))
        assert sorted(codes) == [201, 409, 409, 409, 409, 409]
        again = await app.http.post("/processes", json=body, headers=app.headers("case_worker"))
        assert again.status_code == 409
        assert "redan en pågående process" in again.json()["detail"]
        ext = {"type": "temporary-extension", "case_id": case_id, "started_on": "2027-03-15"}
        ext |= {"inserted": "Tillsyn natt", "reason": "Infektion"}
        first = await app.http.post("/processes", json=ext, headers=app.headers("provider"))
        assert first.status_code == 201, first.text
        second = await app.http.post("/processes", json=ext, headers=app.headers("provider"))
        assert second.status_code == 409


async def test_HT_2_the_team_and_the_chosen_provider_see_the_homecoming_alarm_team_and_night_do_not(
    sessions: sessionmaker[Session],
) -> None:
    """Simplified with a safety alarm and night help, chosen provider hemtjanst-syd (not the case's
    provider): before the order moves, syd sees the case, the process and the HT-3 announcement
    in its mailbox; the alarm team and the night district get 404 on the process, see their own
    orders and nothing of the process's tasks."""
    async with app_at(sthlm(2026, 12, 23, 10), sessions) as app:
        app.tokens |= await login_all(app.http, UNITS)
        case_id = await new_case(app.http)
        state = await app.start(
            "case_worker",
            case_id,
            mode="simplified",
            safety_alarm=True,
            night_help_minutes=120,
            chosen_provider_id="hemtjanst-syd",
        )
        pid = state["process_id"]
        await app.act("case_worker", pid, "send_order", {"start_date": "2026-12-23"})
        await app.act("team", pid, "announce_handover", {"handover_date": "2026-12-29"})
        assert (await app.get("syd", f"/processes/{pid}"))["stage"] == "handover_announced"
        syd_case = await app.get("syd", f"/cases/{case_id}")
        assert [p["id"] for p in syd_case["processes"]] == [pid]
        assert syd_case["orders"] == []
        for unit, receiver in (("alarm", "larmteam"), ("night", "nattdistrikt")):
            await app.get(unit, f"/processes/{pid}", status=404)
            await app.get(unit, f"/processes/{pid}/history", status=404)
            seen = await app.get(unit, f"/cases/{case_id}")
            assert seen["processes"] == [p for p in seen["processes"] if p["type"] == "order"]
            assert [o["provider_id"] for o in seen["orders"]] == [receiver]
            assert pid not in {t["process_id"] for t in await app.get(unit, "/tasks")}
        await app.act("case_worker", pid, "follow_up", {"contacted_person": True})
        move = {"start_date": "2026-12-29", "items": [{"name": "Hemtjänst", "kind": "care"}]}
        state = await app.act("case_worker", pid, "move_order", move)
        assert state["outcome"] == "handed_over"
        assert (await app.get("syd", f"/processes/{pid}"))["outcome"] == "handed_over"
        # one running at a time: the ended homecoming lets the next one start
        assert (await app.start("case_worker", case_id, mode="simplified"))["process_id"].endswith("/2")


async def test_HT_3_the_forms_show_and_propose_only_what_they_can_submit(
    sessions: sessionmaker[Session],
) -> None:
    """Simplified: the announce form has the handover date (proposed Tue 2026-12-29) and no
    planned_at or services; the follow-up form proposes a new decision's date (the handover date)
    and, submitted as it comes with "new decision" unchecked, is accepted: the date applies only
    to a new decision (``only_when``) and is left out."""
    async with app_at(sthlm(2026, 12, 23, 10), sessions) as app:
        case_id = await new_case(app.http)
        await ui_as(app, "case_worker")
        start = {"idempotency_key": str(uuid.uuid4()), "type": "homecoming", "case_id": case_id}
        started = await app.http.post("/ui/processer", data={**start, "mode": "simplified"})
        assert started.status_code == 303, started.text
        pid = started.headers["location"].removeprefix("/ui/processer/").split("?")[0]
        page = (await app.http.get(f"/ui/processer/{pid}")).text
        assert 'id="atgard-send_order-alarm_other"' not in page  # no alarm order in this decision
        await post_form(app, pid, "send_order", {"start_date": "2026-12-23"})
        await ui_as(app, "team")
        page = (await app.http.get(f"/ui/processer/{pid}")).text
        assert value_of(page, "atgard-announce_handover", "handover_date") == "2026-12-29"
        assert 'id="atgard-announce_handover-planned_at"' not in page
        assert 'id="atgard-announce_handover-services"' not in page
        await post_form(app, pid, "announce_handover", {"handover_date": "2026-12-29"})
        await ui_as(app, "case_worker")
        page = (await app.http.get(f"/ui/processer/{pid}")).text
        # The new decision's date is proposed (the handover date) and applies only to a new decision:
        # the form submitted as it comes, "new decision" unchecked, leaves it out and is accepted.
        assert value_of(page, "atgard-follow_up", "decision_date") == "2026-12-29"
        form = posted(page, "atgard-follow_up")
        assert (form["decision_date"], "new_decision" in form) == ("2026-12-29", False)
        await post_form(app, pid, "follow_up", form)
        state = await app.get("case_worker", f"/processes/{pid}")
        assert state["details"]["followed_up"]["new_decision"] is False
