"""A process whose workflow task keeps failing (issue 6 §2.4): `GET /processes/{id}` says so with
the read model's state (not 500), and an action waits a bounded time (Settings
``action_timeout_seconds``) and then answers 504 as the contract says. A start the workflow would
refuse is 422 and starts nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from api.errors import PROCESS_FAILING
from readmodel import models
from tests.engine_support import new_case, read_model, rows
from tests.stuck_workflow import StuckWorkflow
from tests.support import CASE_WORKER, PROVIDER, scenario, scenario_clock, sthlm
from tests.test_api_support import api_client, login, order_body

TODAY = sthlm(2026, 11, 23, 10, 0)


async def test_a_failing_process_reads_as_failing_and_an_action_on_it_answers_504_in_bounded_time(
    tmp_path: Path,
) -> None:
    with read_model("sqlite", tmp_path) as sessions:
        async with scenario(TODAY, sessions) as (env, worker):
            case_id = new_case(sessions, "failing")
            process_id = f"case-{case_id}/order/1"
            with sessions.begin() as session:
                session.add(
                    models.Process(
                        id=process_id,
                        case_id=case_id,
                        type="order",
                        seq=1,
                        stage="sent",
                        status="running",
                        started_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
                    )
                )
                session.flush()
                # the unit the order concerns, as the API's start records it (issue 6 §5)
                session.add(models.ProcessUnit(process_id=process_id, unit="hemtjanst-nord"))
            queue = f"stuck-{uuid.uuid4()}"
            async with (
                Worker(
                    env.client,
                    task_queue=queue,
                    workflows=[StuckWorkflow],
                    workflow_runner=UnsandboxedWorkflowRunner(),
                ),
                api_client(
                    env.client,
                    sessions,
                    worker.task_queue,
                    clock=scenario_clock(env),
                    query_timeout_seconds=1,
                    action_timeout_seconds=2,
                ) as http,
            ):
                await env.client.start_workflow("stuck-for-tests", id=process_id, task_queue=queue)
                headers = await login(http, CASE_WORKER)
                response = await http.get(f"/processes/{process_id}", headers=headers)
                assert response.status_code == 200, response.text
                body = response.json()
                assert (body["status"], body["stage"], body["deviations"]) == (
                    "failing",
                    "sent",
                    [PROCESS_FAILING],
                )
                assert "tekniskt fel" in PROCESS_FAILING

                headers = {**await login(http, PROVIDER), "Idempotency-Key": str(uuid.uuid4())}
                # The action gives up after the settings' action timeout and answers 504 (no timed
                # assertion: that it answers at all, instead of waiting on the stuck process, is the point).
                response = await http.post(
                    f"/processes/{process_id}/actions/confirm", json={"note": "Mottagen"}, headers=headers
                )
                assert response.status_code == 504, response.text
                assert response.json()["detail"].startswith("Processen svarade inte i tid")
                await env.client.get_workflow_handle(process_id).terminate("test finished")


async def test_an_order_the_workflow_would_refuse_is_422_over_http_and_starts_nothing(tmp_path: Path) -> None:
    """§2.2: an order with start_date 2019-06-02 and sent_at 2019-06-01T09:00+02:00."""
    with read_model("sqlite", tmp_path) as sessions:
        async with scenario(TODAY, sessions) as (env, worker):
            case_id = new_case(sessions, "refused-http")
            async with api_client(env.client, sessions, worker.task_queue, clock=scenario_clock(env)) as http:
                headers = {**await login(http, CASE_WORKER), "Idempotency-Key": str(uuid.uuid4())}
                body = order_body(case_id, start_date="2019-06-02", sent_at="2019-06-01T09:00:00+02:00")
                response = await http.post("/processes", json=body, headers=headers)
                assert response.status_code == 422, response.text
                assert "utanför kalenderns år 2020–2060" in str(response.json()["detail"])
        assert rows(sessions, models.Process, case_id=case_id) == []
        assert rows(sessions, models.Order, case_id=case_id) == []
        assert rows(sessions, models.Message, case_id=case_id) == []
