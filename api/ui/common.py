"""What the pages share: the templates, the rendering, the error box and the login redirect."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from api import directory, idempotency
from api.auth import Principal, current_user
from api.deps import SettingsDep
from api.errors import Refusal
from api.ui import forms, labels, messages, prg, when
from api.ui.readable import Readable
from readmodel import repository as repo
from workflows import calendar

HERE = Path(__file__).parent
WEEKDAYS = ("mån", "tis", "ons", "tors", "fre", "lör", "sön")
HOME = "/ui/uppgifter"
LOGIN = "/ui/login"

templates = Jinja2Templates(directory=HERE / "templates")


def ui_router() -> APIRouter:
    """A resource's router: under ``/ui``, not in the OpenAPI document."""
    return APIRouter(prefix="/ui", include_in_schema=False)


def local_time(instant: datetime | None) -> str:
    """An instant as Stockholm wall-clock time (CAL-2), e.g. ``mån 2026-11-23 10:00``."""
    if instant is None:
        return ""
    moment = calendar.local(instant)
    return f"{WEEKDAYS[moment.weekday()]} {moment:%Y-%m-%d %H:%M}"


templates.env.filters["local"] = local_time
templates.env.filters["day"] = when.day
templates.env.globals.update(
    due_text=when.due_text,
    moment=when.moment,
    unit_label=labels.unit_label,
    mailbox_label=labels.mailbox_label,
    decision_status_label=labels.decision_status_label,
    field_label=labels.field_label,
    choice_label=labels.choice_label,
    action_label=labels.action_label,
    deadline_label=labels.deadline_label,
    stage_label=labels.stage_label,
    outcome_label=labels.outcome_label,
    role_label=labels.role_label,
    process_label=labels.process_label,
    status_label=labels.status_label,
    decision_kind_label=labels.decision_kind_label,
    order_status_label=labels.order_status_label,
    municipality_label=labels.municipality_label,
    # Unit ids in the processes' texts by name; a page about a case passes its own ``readable``
    # that also knows the case's decisions and orders (api.ui.readable).
    readable=Readable(units=dict(labels.unit_names())),
)


class LoginRequired(Exception):
    """No valid token: the page sends the browser to the login form."""


def ui_user(request: Request, settings: SettingsDep) -> Principal:
    """The logged-in caller, remembered in the directory of people (as ``api.auth.known_user``)."""
    try:
        user = current_user(request, settings)
    except HTTPException as error:
        raise LoginRequired from error
    directory.remember(request.app.state, user)
    return user


UiUser = Annotated[Principal, Depends(ui_user)]


@dataclass
class Problem:
    """What went wrong, for the error box: the HTTP status and the Swedish messages."""

    status_code: int
    messages: list[str]
    form: str = ""  # the id of the form whose values are shown again
    values: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, str] = field(default_factory=dict)  # input name -> its message

    @classmethod
    def of(
        cls,
        error: HTTPException,
        form: str = "",
        values: Mapping[str, str] | None = None,
        fields: list[forms.FormField] | None = None,
        process_type: str | None = None,
    ) -> Problem:
        """The problem of ``error`` for the form ``form`` with these ``fields``: codes in Swedish,
        a rule's refusal at the fields it names (api.ui.messages)."""
        at = error.fields if isinstance(error, Refusal) else ()
        shown, by_input = messages.explain(error.detail, fields or [], at, process_type)
        return cls(error.status_code, shown, form, values or {}, by_input)

    def redirect(self, request: Request, target: str) -> Response:
        """Post/redirect/get: 303 to the page ``target`` that shows this problem (api.ui.prg)."""
        return prg.redirect_with_problem(
            request, target, self.status_code, self.messages, self.form, dict(self.values), dict(self.fields)
        )

    @classmethod
    def pending(cls, request: Request) -> Problem | None:
        """The problem a failed post left for the page being shown."""
        data = prg.pending_problem(request)
        if data is None:
            return None
        return cls(
            int(data.get("status", status.HTTP_422_UNPROCESSABLE_CONTENT)),
            [str(m) for m in data.get("messages", [])],
            str(data.get("form", "")),
            {str(k): str(v) for k, v in dict(data.get("values", {})).items()},
            {str(k): str(v) for k, v in dict(data.get("fields", {})).items()},
        )


@dataclass
class GeneratedForm:
    """A form of a start request or an action: its fields and target (its Idempotency-Key is
    derived from what is posted: ``form_key``)."""

    form_id: str
    title: str
    action_url: str
    fields: list[forms.FormField]
    submit: str
    hidden: dict[str, str] = field(default_factory=dict)
    intro: str = ""
    due_at: datetime | None = None
    overdue: bool = False

    @property
    def has_required(self) -> bool:
        return any(f.required for f in self.fields)


def render(
    request: Request,
    template: str,
    user: Principal | None,
    problem: Problem | None = None,
    status_code: int = status.HTTP_200_OK,
    **context: Any,
) -> HTMLResponse:
    from_redirect = problem is None and request.method == "GET"
    if from_redirect:
        problem = Problem.pending(request)
    values = problem.values if problem else {}
    response = templates.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "problem": problem,
            "values": values,
            "failed_form": problem.form if problem else "",
            "field_errors": problem.fields if problem else {},
            **context,
        },
        status_code=problem.status_code if problem else status_code,
    )
    if from_redirect and prg.COOKIE in request.cookies:
        prg.drop(response)
    return response


def error_page(request: Request, user: Principal | None, error: HTTPException) -> HTMLResponse:
    return render(request, "error.html", user, Problem.of(error))


def form_values(form: FormData) -> dict[str, str]:
    return {key: value for key, value in form.items() if isinstance(value, str)}


# Issue 10: the same form posted again by the same person within this window is the same action
# (a double click, or Back and submit again with the fields the browser restored).
REPEAT_WINDOW = timedelta(minutes=10)


def form_key(session: Session, user: Principal, target: str, values: Mapping[str, str], now: datetime) -> str:
    """The Idempotency-Key of a page's form post: derived from what was posted (one caller, one
    target, one body: ``api.idempotency`` scopes the key to the caller and ``target``) and the
    window of ``now``, so that a repeat within ``REPEAT_WINDOW`` answers as the first post did and
    changes nothing. A key rendered into the form could not do that: Back renders the form again
    with a new key while the browser restores what was typed. The previous window's key is taken
    when a post already used it, so a repeat across the windows' edge is caught too; the same
    form sent again after the window is a new action. The JSON API's keys are the client's own."""
    body = sorted((name, value) for name, value in values.items() if name != "idempotency_key")
    window = int(now.timestamp() // REPEAT_WINDOW.total_seconds())
    previous, current = (_window_key(body, w) for w in (window - 1, window))
    if repo.get_idempotency_record(session, idempotency.scope(user, target, previous).digest) is not None:
        return previous
    return current


def _window_key(body: list[tuple[str, str]], window: int) -> str:
    text = json.dumps([body, window], ensure_ascii=False, separators=(",", ":"))
    return f"sida-{hashlib.sha256(text.encode()).hexdigest()}"
