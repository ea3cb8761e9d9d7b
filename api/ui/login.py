"""The dev login's form, the logout and ``/ui`` itself (a redirect to the inbox)."""

from __future__ import annotations

from fastapi import HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.auth import TOKEN_COOKIE
from api.deps import SettingsDep
from api.limits import LimitError
from api.routes.auth import DevLogin, dev_login
from api.ui import messages
from api.ui.common import HOME, LOGIN, Problem, form_values, render, ui_router
from api.validation import validation_detail
from workflows.model import ROLE_LABELS, ROLES

router = ui_router()


def _login_page(
    request: Request, enabled: bool, problem: Problem | None = None, status_code: int = status.HTTP_200_OK
) -> HTMLResponse:
    roles = [(role, ROLE_LABELS[role]) for role in ROLES]
    return render(request, "login.html", None, problem, status_code, roles=roles, enabled=enabled)


@router.get("", response_class=RedirectResponse)
async def home() -> RedirectResponse:
    return RedirectResponse(HOME, status.HTTP_303_SEE_OTHER)


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, settings: SettingsDep) -> HTMLResponse:
    return _login_page(request, settings.dev_login_enabled)


@router.post("/login", response_model=None)
async def login(request: Request, settings: SettingsDep) -> Response:
    """The dev login's form: the same route logic sets the ``token`` cookie, then the inbox."""
    if not settings.dev_login_enabled:
        return _login_page(request, enabled=False, status_code=status.HTTP_404_NOT_FOUND)
    values = form_values(await request.form())
    try:
        body = DevLogin.model_validate({k: v for k, v in values.items() if v != "" or k == "sub"})
    except (ValidationError, LimitError) as error:
        detail = error.problems if isinstance(error, LimitError) else validation_detail(error)
        shown, fields = messages.explain(detail)
        problem = Problem(status.HTTP_422_UNPROCESSABLE_CONTENT, shown, "login", values, fields)
        return problem.redirect(request, LOGIN)
    response = RedirectResponse(HOME, status.HTTP_303_SEE_OTHER)
    try:
        await dev_login(body, settings, response)
    except HTTPException:  # dev login is off here: as the JSON route, 404
        return _login_page(request, enabled=False, status_code=status.HTTP_404_NOT_FOUND)
    return response


@router.get("/logga-ut")
async def logout() -> RedirectResponse:
    response = RedirectResponse(LOGIN, status.HTTP_303_SEE_OTHER)
    response.delete_cookie(TOKEN_COOKIE)
    return response
