"""The Temporal worker: every workflow of the system and the read-model activities."""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.case_events import CaseEventActivities
from activities.follow_up import FollowUpActivities
from activities.read_model import ReadModelActivities
from runtime.settings import WORKFLOW_TASK_SLOTS, Settings

SHARED_WORKFLOW_MODULES = (
    "model",
    "limits",
    "glossary",
    "search",
    "effects",
    "follow_up_effects",
    "steps",
    "process",
    "homecoming_start",
)

# Modules imported as the real thing, not re-imported inside the workflow sandbox:
# holidays (through dateutil) calls time.localtime at import and zoneinfo reads files, both of
# which the sandbox refuses (DESIGN.md, Temporal facts); the calendar and the profiles are pure
# and deterministic but build on them; sqlalchemy and pydantic are large and side-effect free.
# The process inputs and rules are pure; configured here so that pydantic, resolving a passed-through
# dataclass's annotations, finds their modules in the sandbox's sys.modules (e.g. ServiceItem's ItemKind).
PASSTHROUGH_MODULES = (
    "holidays",
    "dateutil",
    "zoneinfo",
    "sqlalchemy",
    "pydantic",
    "pydantic_core",
    "workflows.calendar",
    "workflows.profiles",
    "workflows.io",
    "workflows.rules",
    # The read-model records: pydantic resolves the batch's nested dataclasses (ReadModelBatch,
    # BatchOutcome) by their module, which must be the one in the sandbox's sys.modules.
    "activities.records",
    # The project's modules that every process imports (under imports_passed_through) and that
    # hold no process of their own: the step engine, the effects, the process base, the model.
    # Named here too (issue 9), so that no import form re-runs them in the sandbox of every new
    # workflow (``from workflows import follow_up_effects`` did). Their workflow calls go through
    # ``temporalio.workflow``, which acts on the running workflow. The modules of the processes
    # themselves stay sandboxed: the sandbox keeps checking the code that decides what a process
    # does (its module is imported afresh, with the restricted standard library, per run).
    *(f"workflows.{name}" for name in SHARED_WORKFLOW_MODULES),
    "activities.read_model",
    "activities.follow_up",
    "activities.case_events",
)

# Read-model activities are synchronous (SQLAlchemy sessions) and run in this many threads.
ACTIVITY_THREADS = 16


def workflow_runner() -> SandboxedWorkflowRunner:
    """The default sandbox with the pass-through modules above."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )


def build_worker(
    client: Client,
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    activity_executor: Executor | None = None,
    task_queue: str | None = None,
    read_model: ReadModelActivities | None = None,
) -> Worker:
    """A worker on the settings' task queue with all workflows and activities registered.

    Pass ``activity_executor`` to own the thread pool (and shut it down); otherwise a pool is
    created that lives as long as the process. ``task_queue`` overrides the settings (tests use
    a fresh queue per test); ``read_model`` the read-model activities (tests inject faults).
    """
    # Imported here so that the runtime package loads even before every process module exists.
    from workflows.registry import WORKFLOWS

    executor = activity_executor or ThreadPoolExecutor(
        max_workers=ACTIVITY_THREADS, thread_name_prefix="activity"
    )
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=list(WORKFLOWS),
        activities=[
            *(read_model or ReadModelActivities(sessions)).all(),
            *FollowUpActivities(sessions, client).all(),
            *CaseEventActivities(sessions, client).all(),
        ],
        activity_executor=executor,
        max_concurrent_activities=ACTIVITY_THREADS,
        max_cached_workflows=settings.worker_max_cached_workflows,
        max_concurrent_workflow_tasks=WORKFLOW_TASK_SLOTS,
        workflow_runner=workflow_runner(),
    )
