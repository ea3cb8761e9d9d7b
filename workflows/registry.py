"""Every process workflow the worker runs, by its process type (DESIGN.md table)."""

from __future__ import annotations

from workflows.case_event import CaseEventWorkflow
from workflows.extra_visits import ExtraVisitsWorkflow
from workflows.follow_up import FollowUpWorkflow
from workflows.follow_up_cycle import FollowUpCycleWorkflow
from workflows.homecoming import HomecomingWorkflow
from workflows.new_urgent_case import NewUrgentCaseWorkflow
from workflows.order import OrderWorkflow
from workflows.process import ProcessWorkflow
from workflows.temporary_extension import TemporaryExtensionWorkflow
from workflows.urgent_change import UrgentChangeWorkflow

PROCESS_TYPES: dict[str, type[ProcessWorkflow]] = {
    OrderWorkflow.process_type: OrderWorkflow,
    NewUrgentCaseWorkflow.process_type: NewUrgentCaseWorkflow,
    ExtraVisitsWorkflow.process_type: ExtraVisitsWorkflow,
    UrgentChangeWorkflow.process_type: UrgentChangeWorkflow,
    TemporaryExtensionWorkflow.process_type: TemporaryExtensionWorkflow,
    HomecomingWorkflow.process_type: HomecomingWorkflow,
    FollowUpWorkflow.process_type: FollowUpWorkflow,
    FollowUpCycleWorkflow.process_type: FollowUpCycleWorkflow,
    CaseEventWorkflow.process_type: CaseEventWorkflow,
}
WORKFLOWS: list[type[ProcessWorkflow]] = list(PROCESS_TYPES.values())
