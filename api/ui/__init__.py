"""The HTML pages and forms under ``/ui`` (DESIGN.md: "the same as HTML pages and forms, in Swedish").

The pages read through the same repository functions and access rules as the JSON routes, and the
forms start processes and perform actions through ``api.services``, the code the JSON routes call.
Identity is the ``token`` cookie of the dev login (or any valid bearer token); without one a page
redirects to the login form. Every form carries a hidden Idempotency-Key made when the form was
rendered, so a double-clicked submit has one effect.

One module per resource: ``login``, ``tasks`` (the inbox), ``cases``, ``processes`` and
``mailboxes``; ``common`` holds the templates, the rendering and the login redirect they share.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.ui import case_events, cases, follow_ups, login, mailboxes, processes, tasks
from api.ui.common import HERE, LOGIN, LoginRequired

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
