"""The cases list with the registration of a case, a case's page, the start of a process from
either, and a message about the case to a function mailbox (COM-2)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import quote, urlencode

from fastapi import HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from api import services
from api.auth import Principal
from api.deps import ClientDep, NowDep, OptionalClientDep, ProfilesDep, SessionDep, SettingsDep
from api.errors import not_found
from api.limits import LimitError
from api.routes import cases as case_routes
from api.routes import mailboxes as mailbox_routes
from api.schemas import DecisionOut, InboxTaskOut, OrderOut
from api.ui import choices, forms, labels, people, processes
from api.ui.case_event_forms import event_forms
from api.ui.common import (
    GeneratedForm,
    Problem,
    UiUser,
    error_page,
    form_key,
    form_values,
    render,
    ui_router,
)
from api.ui.readable import process_names, readable
from api.validation import validation_detail
from readmodel import repository as repo
from readmodel.models import Case
from workflows.model import CASE_WORKER
from workflows.process import ProcessWorkflow
from workflows.profiles import Profile, provider_mailbox
from workflows.registry import PROCESS_TYPES

router = ui_router()

CASES = "/ui/arenden"
REGISTER_FORM = "registrera-arende"
MESSAGE_FORM = "skriv-meddelande"


@dataclass
class DecisionForm:
    """One current decision of a case being registered (api.routes.cases.DecisionIn)."""

    kind: Literal["care", "service", "safety_alarm", "hsl", "meals", "night"]
    services: list[str]
    start_date: date
    end_date: date | None = None
    new_case: bool = False


@dataclass
class CaseForm:
    """The registration of a person's case (api.routes.cases.CaseIn) as a form."""

    person_name: str
    provider_id: str | None = None
    case_worker_id: str | None = None
    decisions: list[DecisionForm] = field(default_factory=list)


@dataclass
class MessageForm:
    """COM-2: a message about this one case to a function mailbox (api.routes.mailboxes.MessageIn)."""

    mailbox: str
    subject: str
    body: str
    changed_need: bool = False
    reason_self_contact: str | None = None


def _startable(user: Principal, profile: Profile | None, creates_case: bool) -> list[type[ProcessWorkflow]]:
    """The process types the caller may start here (and the case's profile enables)."""
    return [
        cls
        for cls in PROCESS_TYPES.values()
        if creates_case == cls.CREATES_CASE
        and services.may_start(user, cls)
        and (profile is None or profile.enables(cls.process_type))
    ]


def start_fields(
    cls: type[ProcessWorkflow], items: choices.Items, profile: Profile | None = None
) -> list[forms.FormField]:
    """The start form's fields: decisions, units and case workers to choose from, not ids to type."""
    return items.apply(forms.describe(cls.START_REQUEST, profile.name if profile else None))


def _start_forms(
    user: Principal, profile: Profile | None, case_id: str | None, items: choices.Items
) -> list[GeneratedForm]:
    return [
        GeneratedForm(
            form_id=f"starta-{cls.process_type}",
            title=f"Starta {labels.process_label(cls.process_type).lower()}",
            action_url="/ui/processer",
            fields=start_fields(cls, items, profile),
            submit="Starta",
            hidden={"type": cls.process_type, **({"case_id": case_id} if case_id else {})},
        )
        for cls in _startable(user, profile, creates_case=case_id is None)
    ]


def _register_form(user: Principal, profile: str, items: choices.Items) -> list[GeneratedForm]:
    """The registration of a case in ``profile`` (the one POST /cases uses for a body without one);
    the responsible case worker one of those the directory knows, by default the caller."""
    if user.role not in case_routes.REGISTRARS:
        return []
    mine = user.role == CASE_WORKER
    fields = items.apply(forms.describe(CaseForm, profile))
    fields = forms.with_proposals(fields, {"case_worker_id": user.sub} if mine else {})
    return [
        GeneratedForm(
            form_id=REGISTER_FORM,
            title="Registrera ärende med gällande beslut",
            action_url=CASES,
            fields=fields,
            submit="Registrera ärendet",
            intro="Ansvarig handläggare blir du om fältet lämnas tomt." if mine else "",
        )
    ]


@router.get("/arenden", response_class=HTMLResponse)
async def cases(
    request: Request, user: UiUser, session: SessionDep, settings: SettingsDep, profiles: ProfilesDep
) -> HTMLResponse:
    """The cases visible to the caller; registering a case; the start of processes that create their
    case (in the caller's municipality's profile, as ``api.starting.choose_profile`` picks it)."""
    rows = repo.list_cases(session, user)
    mine = user.municipality if user.municipality in profiles else None
    new_case_profile = profiles.get(mine or settings.default_profile)
    items = choices.with_case_workers(choices.Items(), session, user)
    return render(
        request,
        "cases.html",
        user,
        cases=people.facts_of_cases(session, user, rows),
        start_forms=_register_form(user, settings.default_profile, items)
        + _start_forms(user, new_case_profile, None, items),
        flash=_registered_elsewhere(request, session, user),
    )


REGISTERED_FOR = "registrerat_for"  # the case worker a case was registered for (the cases list)


def _registered_elsewhere(request: Request, session: SessionDep, user: Principal) -> str:
    """After registering a case for another case worker, which the caller does not see: where it went."""
    owner = request.query_params.get(REGISTERED_FOR)
    if not owner:
        return ""
    name = people.person_ref(owner, user, people.names(session, [owner]))
    return (
        f"Ärendet är registrerat med {name} som ansvarig biståndshandläggare. Det finns i hens "
        "ärendelista; du ser det inte här eftersom du inte är ansvarig för det."
    )


def _parse_case(values: dict[str, str]) -> case_routes.CaseIn:
    body = forms.body_of(CaseForm, values)
    try:
        return case_routes.CaseIn.model_validate(body)
    except LimitError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, error.problems) from error
    except ValidationError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, validation_detail(error)) from error


@router.post("/arenden", response_model=None)
async def register_case(
    request: Request,
    user: UiUser,
    session: SessionDep,
    settings: SettingsDep,
    profiles: ProfilesDep,
    now: NowDep,
) -> Response:
    """The registration form → the route of POST /cases → the new case's page (303)."""
    values = form_values(await request.form())
    try:
        if user.role not in case_routes.REGISTRARS:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Bara handläggare registrerar ärenden.")
        body = _parse_case(values)
        created = await case_routes.register_case(
            body,
            user,
            session,
            settings,
            profiles,
            now,
            request,
            Response(),
            form_key(session, user, case_routes.TARGET, values, now),
        )
    except HTTPException as error:
        problem = Problem.of(error, REGISTER_FORM, values, forms.describe(CaseForm), "cases")
        return problem.redirect(request, CASES)
    if repo.get_visible_case(session, user, created.case_id) is None:  # another case worker's case
        case = repo.get_case(session, created.case_id)
        owner = case.case_worker_id if case is not None else None
        return RedirectResponse(
            f"{CASES}?{urlencode({REGISTERED_FOR: owner or ''})}", status.HTTP_303_SEE_OTHER
        )
    target = f"{CASES}/{quote(created.case_id)}?registrerat=1"
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)


def _mailbox_choices(case: Case, profile: Profile | None, user: Principal) -> list[tuple[str, str]]:
    """Where a message about the case may go: the authority's functions and the case's provider."""
    names: list[str] = []
    if profile is not None:
        boxes = profile.mailboxes
        names += [boxes.case_workers, boxes.reception, boxes.senior_case_worker, boxes.on_call]
    if case.provider_id and provider_mailbox(case.provider_id) != provider_mailbox(user.org or ""):
        names.append(provider_mailbox(case.provider_id))
    return [("", "– välj –")] + [(n, labels.mailbox_label(n)) for n in dict.fromkeys(names)]


def _message_form(case: Case, profile: Profile | None, user: Principal) -> list[GeneratedForm]:
    if user.role in services.READ_ONLY:
        return []
    fields = [
        dataclasses.replace(ff, kind="select", options=_mailbox_choices(case, profile, user))
        if ff.name == "mailbox"
        else ff
        for ff in forms.describe(MessageForm)
    ]
    return [
        GeneratedForm(
            form_id=MESSAGE_FORM,
            title="Skriv till en funktionsbrevlåda om ärendet",
            action_url=f"{CASES}/{quote(case.id)}/meddelande",
            fields=fields,
            submit="Skicka meddelandet",
            intro="Meddelandet gäller bara det här ärendet (COM-2) och går till en funktion, inte en person.",
        )
    ]


def _flash(request: Request) -> str:
    if request.query_params.get("registrerat"):
        return "Ärendet är registrerat."
    if request.query_params.get("skickat"):
        return "Meddelandet är skickat."
    return ""


@router.get("/arenden/{case_id}", response_class=HTMLResponse)
async def case_page(
    case_id: str,
    request: Request,
    user: UiUser,
    session: SessionDep,
    client: OptionalClientDep,
    settings: SettingsDep,
    profiles: ProfilesDep,
    now: NowDep,
) -> HTMLResponse:
    """One case: the person, decisions, orders oldest first (ORD-7), processes, open tasks, the
    start forms and the message form."""
    case: Case | None = repo.get_visible_case(session, user, case_id)
    if case is None:
        return error_page(request, user, not_found("Ärendet finns inte."))
    decisions = list(repo.decisions_of_case(session, case_id))
    profile = profiles.get(case.profile)
    items = choices.with_case_workers(choices.case_items(session, user, case_id), session, user)
    start_forms = [] if case.closed_at else _start_forms(user, profile, case_id, items)
    if not case.closed_at:  # e.g. a follow-up now (FU-1), from the case's follow-up cycle
        back = f"{CASES}/{quote(case_id)}"
        start_forms += await processes.forms_of_case(
            session, client, settings, user, case_id, now, profile, items, back
        )
    return render(
        request,
        "case.html",
        user,
        readable=readable(session, user, [case_id]),
        case=case,
        facts=people.facts_of(session, user, case),
        processes=repo.processes_of_case(session, user, case_id),
        process_names=process_names(session, case_id),
        decisions=[DecisionOut.model_validate(d) for d in decisions],
        orders=[OrderOut.model_validate(o) for o in repo.orders_of_case(session, user, case_id)],
        tasks=[
            InboxTaskOut.model_validate(t).with_overdue(now)
            for t in repo.open_tasks_of_case(session, user, case_id)
        ],
        # END-2: a closed case offers no new process and no event.
        start_forms=start_forms,
        message_forms=_message_form(case, profile, user),
        event_forms=[] if case.closed_at else event_forms(user, case_id),  # END-1..END-6
        flash=_flash(request),
        now=now,
    )


@router.post("/arenden/{case_id}/meddelande", response_model=None)
async def write_message(
    case_id: str,
    request: Request,
    user: UiUser,
    session: SessionDep,
    profiles: ProfilesDep,
    now: NowDep,
) -> Response:
    """COM-2: the message form → the route of POST /mailboxes/{mailbox}/messages → the case (303)."""
    values = form_values(await request.form())
    page = f"{CASES}/{quote(case_id)}"
    body: dict[str, Any] = forms.body_of(MessageForm, values)
    mailbox = str(body.pop("mailbox", ""))
    try:
        if repo.get_visible_case(session, user, case_id) is None:
            raise not_found("Ärendet finns inte.")
        if not mailbox:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                [{"loc": ["mailbox"], "msg": "måste fyllas i", "type": "missing"}],
            )
        try:
            message = mailbox_routes.MessageIn.model_validate({**body, "case_id": case_id})
        except LimitError as error:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, error.problems) from error
        except ValidationError as error:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, validation_detail(error)) from error
        await mailbox_routes.post_message(
            mailbox,
            message,
            user,
            session,
            profiles,
            now,
            Response(),
            form_key(session, user, mailbox_routes.target(mailbox), values, now),
        )
    except HTTPException as error:
        unseen = repo.get_visible_case(session, user, case_id) is None
        if error.status_code == status.HTTP_404_NOT_FOUND and unseen:
            return error_page(request, user, error)
        problem = Problem.of(error, MESSAGE_FORM, values, forms.describe(MessageForm))
        return problem.redirect(request, page)
    return RedirectResponse(f"{page}?skickat=1", status.HTTP_303_SEE_OTHER)


@router.post("/processer", response_model=None)
async def start_process(
    request: Request,
    user: UiUser,
    session: SessionDep,
    client: ClientDep,
    settings: SettingsDep,
    profiles: ProfilesDep,
    now: NowDep,
) -> Response:
    """The start form of a case (or of the cases list) → services.start_process → the process page;
    a refused start → back to the page of the form, with the error (post/redirect/get)."""
    values = form_values(await request.form())
    process_type = values.get("type", "")
    case_id = values.get("case_id") or None
    cls = PROCESS_TYPES.get(process_type)
    body: dict[str, Any] = {"type": process_type}
    fields: list[forms.FormField] = []
    if cls is not None:
        fields = forms.describe(cls.START_REQUEST)
        body |= forms.body_of(cls.START_REQUEST, values)
    if case_id is not None:
        body["case_id"] = case_id
    try:
        state, _created = await services.start_process(
            session,
            client,
            settings,
            profiles,
            user,
            body,
            form_key(session, user, services.START_TARGET, values, now),
            now,
        )
    except HTTPException as error:
        problem = Problem.of(error, f"starta-{process_type}", values, fields, process_type)
        return problem.redirect(request, CASES if case_id is None else f"{CASES}/{quote(case_id)}")
    return RedirectResponse(f"/ui/processer/{state.process_id}?startad=1", status.HTTP_303_SEE_OTHER)


@router.get("/arenden/{case_id}/historik", response_class=HTMLResponse)
async def case_history(
    case_id: str,
    request: Request,
    user: UiUser,
    session: SessionDep,
    client: ClientDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """Historik: the case's history across all its processes the caller may see, as one timeline."""
    from api.ui.processes import temporal_link  # one link rule for both history pages

    case: Case | None = repo.get_visible_case(session, user, case_id)
    if case is None:
        return error_page(request, user, not_found("Ärendet finns inte."))
    facts = people.facts_of(session, user, case)
    rows = list(repo.processes_of_case(session, user, case_id))
    names = process_names(session, case_id)
    entries: list[tuple[datetime, str, str, str, str]] = []
    links: list[tuple[str, str, str]] = []
    for row in rows:
        state = await services.process_state(session, client, row, settings)
        label = names.get(row.id) or labels.process_label(row.type)
        links.append((row.id, label, temporal_link(settings, user, row.id)))
        entries += [(e.at, label, row.id, e.actor, e.text) for e in state.timeline]
    entries.sort(key=lambda e: e[0])
    return render(
        request,
        "history.html",
        user,
        readable=readable(session, user, [case_id]),
        heading="Historik för ärendet",
        case=case,
        facts=facts,
        entries=entries,
        links=links,
    )
