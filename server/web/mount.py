"""Mount the console on the app: static files, pages, and the answers for sign-in and CSRF refusals."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.web import admin_routes, intake_routes, ledger_routes, report_routes, routes, site_routes
from server.web.pages import (
    HERE,
    CsrfRefused,
    GridworkerElsewhere,
    SignInRequired,
    not_found_page,
    redirect,
    render,
)
from server.web.session import current_user


def install_console(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(routes.router)
    app.include_router(ledger_routes.router)
    app.include_router(site_routes.router)
    app.include_router(intake_routes.router)
    app.include_router(report_routes.router)  # before admin's: /admin/deliveries
    app.include_router(admin_routes.router)
    api_not_found = app.exception_handlers.get(StarletteHTTPException)

    @app.exception_handler(StarletteHTTPException)
    async def console_not_found(request: Request, exc: StarletteHTTPException) -> Response:
        """An unknown console address is the console's 404 page; the API and everything else keep their answer."""
        if (
            exc.status_code == 404
            and request.method == "GET"
            and not request.url.path.startswith(("/api/", "/static/"))
        ):
            return not_found_page(request, current_user(request))
        return await api_not_found(request, exc)

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, exc: SignInRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("hx-request"):  # an htmx poll after the session ended: reload into the sign-in page
            return Response(status_code=204, headers={"HX-Redirect": f"/login?next={quote(target)}"})
        return redirect(f"/login?next={quote(target)}")

    @app.exception_handler(GridworkerElsewhere)
    async def gridworker_to_reports(request: Request, exc: GridworkerElsewhere) -> Response:
        return redirect("/intake")

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        return render(request, "403.html", None, status_code=403)
