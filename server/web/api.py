"""The console's figures for API clients: GET /board, /map.geojson and the ledger exports (under /api/v1)."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from sqlmodel import Session

from rulebook.lifecycle import STATUSES
from rulebook.messages import language
from server.deps import CurrentUser, FieldUser, SessionDep, SettingsDep
from server.errors import Invalid
from server.web import board as board_service
from server.web import ledger
from server.web.ledger_routes import parse_filter

router = APIRouter(tags=["console"])


@router.get("/board")
def get_board(
    request: Request,
    user: FieldUser,
    session: SessionDep,
    settings: SettingsDep,
    date: date | None = None,
    district: str | None = None,
    street: str | None = None,
    site_id: uuid.UUID | None = None,
) -> dict:
    """The information board for the caller's scope, or a district, street or site of it: today's (or
    `date`'s) figures and this week's rounds."""
    return board_service.board(
        session=session,
        settings=settings,
        registry=request.app.state.checklists,
        user=user,
        day=date,
        area=board_service.area_sites(district=district, street=street, site_id=site_id),
    )


@router.get("/map.geojson", responses={200: {"content": {"application/geo+json": {}}}})
def get_map(
    user: CurrentUser,
    session: SessionDep,
    category: str | None = None,
    status: list[str] | None = Query(default=None),
    street: str | None = None,
    overdue: bool | None = None,
) -> JSONResponse:
    statuses = [s for value in (status or []) for s in value.split(",") if s]
    for s in statuses:
        if s not in STATUSES:
            raise Invalid("bad_request")
    # Straight to JSON (as the console's /map/sites.geojson): a city's thousands of features are not walked
    # again by response validation and jsonable_encoder.
    return JSONResponse(
        board_service.map_features(
            session=session, user=user, category=category, status=statuses or None, street=street, overdue=overdue
        )
    )


def _rows(request: Request, user, f):  # type: ignore[no-untyped-def]
    with Session(request.app.state.engine) as session:
        yield from ledger.iter_rows(session=session, settings=request.app.state.settings, user=user, f=f)


@router.get(
    "/hazards/export.xlsx",
    responses={200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}},
)
def export_xlsx(request: Request, user: CurrentUser) -> StreamingResponse:
    """The ledger's rows for the filters (same names as the console's ledger), as an Excel sheet."""
    f = parse_filter(request.query_params)
    lang = language(request.headers.get("accept-language"))
    title = "隐患排查治理台账" if lang == "zh" else "Hazard ledger"
    return StreamingResponse(
        ledger.stream_xlsx(
            _rows(request, user, f),
            settings=request.app.state.settings,
            registry=request.app.state.checklists,
            lang=lang,
            title=title,
            described=f.describe(lang),
        ),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="ledger.xlsx"'},
    )


@router.get("/hazards/export.csv", responses={200: {"content": {"text/csv": {}}}})
def export_csv(request: Request, user: CurrentUser) -> StreamingResponse:
    f = parse_filter(request.query_params)
    lang = language(request.headers.get("accept-language"))
    return StreamingResponse(
        ledger.stream_csv(
            _rows(request, user, f),
            settings=request.app.state.settings,
            registry=request.app.state.checklists,
            lang=lang,
        ),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="ledger.csv"'},
    )
