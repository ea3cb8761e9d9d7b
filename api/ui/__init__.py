"""The HTML pages and forms under ``/ui`` (DESIGN.md: "the same as HTML pages and forms, in Swedish").

The pages read through the same repository functions and access rules as the JSON routes, and the
forms start processes and perform actions through ``api.services``, the code the JSON routes call.
Identity is the ``token`` cookie of the dev login (or any valid bearer token); without one a page
redirects to the login form. A form's Idempotency-Key is derived from who posts what where
(``common.form_key``), so a double click, or Back and submit again, is one action. A refused post
redirects to its page, which shows each message at its field (``messages``, ``prg``); an error of
a page's own address is a page too.

One module per resource: ``login``, ``tasks`` (the inbox), ``cases``, ``processes`` and
``mailboxes``; ``common`` holds the templates, the rendering and the login redirect they share.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import current_user
from api.limits import LimitError
from api.ui import case_events, cases, follow_ups, login, mailboxes, processes, tasks
from api.ui.common import HERE, LOGIN, LoginRequired, error_page
from api.validation import swedish_detail, swedish_errors

ROUTERS = (
    login.router,
    tasks.router,
    cases.router,
    case_events.router,
    processes.router,
    mailboxes.router,
    follow_ups.router,
)


def install(app: FastAPI) -> None:
    """Add the pages, their stylesheet and the redirect to the login form."""
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")

    @app.exception_handler(LoginRequired)
    async def _login_required(_request: Request, _error: LoginRequired) -> Response:
        return RedirectResponse(LOGIN, status.HTTP_303_SEE_OTHER)

    _errors_as_pages(app)


def is_page(request: Request) -> bool:
    """A request for a page (``/ui`` and below, not its stylesheet): its errors are pages too."""
    path = request.url.path
    return (path == "/ui" or path.startswith("/ui/")) and not path.startswith("/ui/static/")


def _errors_as_pages(app: FastAPI) -> None:
    """An error of a page's request (a NUL in its address, an unknown page, a wrong method) is a
    page with the Swedish message and the contract's status, not the JSON API's ``{"detail"}``."""
    kinds: tuple[type[Exception], ...] = (StarletteHTTPException, RequestValidationError, LimitError)
    as_json: dict[type[Exception], Any] = {kind: app.exception_handlers[kind] for kind in kinds}

    async def page(request: Request, error: Exception) -> Response:
        if not is_page(request):
            kind = next(kind for kind in kinds if isinstance(error, kind))
            answer: Response = await as_json[kind](request, error)
            return answer
        try:
            user = current_user(request, request.app.state.settings)
        except HTTPException:
            user = None
        return error_page(request, user, _as_http(error))

    for kind in kinds:
        app.add_exception_handler(kind, page)


def _as_http(error: Exception) -> HTTPException:
    """The error with its Swedish detail, as the JSON API would have answered it."""
    if isinstance(error, StarletteHTTPException):
        return HTTPException(error.status_code, swedish_detail(error))
    if isinstance(error, RequestValidationError):
        return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, swedish_errors(error.errors()))
    detail = error.problems if isinstance(error, LimitError) else str(error)
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)
