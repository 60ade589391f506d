"""Rectification notices."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from server.deps import CurrentUser, OfficerUser, SessionDep, SettingsDep
from server.inputs import UTCTime
from server.notices import printing, service
from server.notices.models import NoticeIn, NoticePublic
from server.paging import DEFAULT_LIMIT, Cursor, Limit, Page
from server.photos import service as photos
from server.photos.models import PhotoSize
from server.photos.storage import make_photo_store

router = APIRouter(tags=["notices"])


@router.post("/notices", response_model=NoticePublic, status_code=201)
def create_notice(
    request: Request, body: NoticeIn, user: OfficerUser, session: SessionDep, settings: SettingsDep
) -> NoticePublic:
    notice, _ = service.issue_notice(
        session=session,
        settings=settings,
        registry=request.app.state.checklists,
        user=user,
        notice_id=uuid.uuid4(),
        data=body,
    )
    return notice


@router.put(
    "/notices/{notice_id}",
    response_model=NoticePublic,
    status_code=201,
    responses={200: {"description": "A replay of the same notice"}},
)
def put_notice(
    request: Request,
    response: Response,
    notice_id: uuid.UUID,
    body: NoticeIn,
    user: OfficerUser,
    session: SessionDep,
    settings: SettingsDep,
) -> NoticePublic:
    notice, created = service.issue_notice(
        session=session,
        settings=settings,
        registry=request.app.state.checklists,
        user=user,
        notice_id=notice_id,
        data=body,
    )
    response.status_code = 201 if created else 200
    return notice


@router.get("/notices", response_model=Page[NoticePublic])
def list_notices(
    user: CurrentUser,
    session: SessionDep,
    organization_id: uuid.UUID | None = None,
    acknowledged: bool | None = None,
    since: UTCTime | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Response:
    body = service.page_notices(
        session=session,
        user=user,
        organization_id=organization_id,
        acknowledged=acknowledged,
        since=since,
        cursor=cursor,
        limit=limit,
    )
    return Response(body, media_type="application/json")  # Page[NoticePublic], written once (server/wire_json.py)


@router.get("/notices/{notice_id}.pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def notice_pdf(
    request: Request, notice_id: uuid.UUID, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> Response:
    notice = service.get_notice(session=session, user=user, notice_id=notice_id)
    document = service.notice_document(session=session, registry=request.app.state.checklists, notice=notice)
    store = make_photo_store(settings)

    signatures = {j.signature_photo_id for j in document.joint_inspections if j.signature_photo_id}

    def before_photo(photo_id: uuid.UUID) -> bytes:
        if photo_id in signatures:  # part of an inspection the notice names: shown as signed, no caption strip
            return photos.read_photo_file(store, photos.signature_file(session=session, photo_id=photo_id))
        found = photos.captioned_file(
            session=session, settings=settings, user=user, photo_id=photo_id, size=PhotoSize.display
        )
        return photos.read_photo_file(store, found)

    etag = f'"{printing.document_version(document)}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    pdf, _version = printing.printed_notice(
        document=document,
        user_id=user.id,
        cache=request.app.state.notice_pdfs,
        limiter=request.app.state.notice_pdf_limiter,
        photo_loader=before_photo,
        tz=settings.tz,
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{notice.number}.pdf"', **headers},
    )


@router.get("/notices/{notice_id}", response_model=NoticePublic)
def get_notice(notice_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> NoticePublic:
    return service.to_public(session, service.get_notice(session=session, user=user, notice_id=notice_id))


@router.post("/notices/{notice_id}/acknowledge", response_model=NoticePublic)
def acknowledge(notice_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> NoticePublic:
    return service.acknowledge_notice(session=session, user=user, notice_id=notice_id)
