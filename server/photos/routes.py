"""Photo upload and download."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from server.db import end_read
from server.deps import CurrentUser, SessionDep, SettingsDep
from server.photos import service
from server.photos.models import PhotoKind, PhotoPublic, PhotoSize
from server.photos.storage import PhotoStore, make_photo_store
from server.photos.upload import read_photo_upload

router = APIRouter(tags=["photos"])


def get_photo_store(settings: SettingsDep) -> PhotoStore:
    return make_photo_store(settings)


StoreDep = Annotated[PhotoStore, Depends(get_photo_store)]
Uploader = CurrentUser  # every role may upload: officers, property staff, admins

UPLOAD_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "kind"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "JPEG, PNG or WebP; at most photo_max_bytes",
                        },
                        "kind": {"type": "string", "enum": [k.value for k in PhotoKind]},
                        "taken_at": {
                            "type": "string",
                            "format": "date-time",
                            "description": "else EXIF DateTimeOriginal",
                        },
                        "lat": {"type": "number", "description": "else EXIF GPS"},
                        "lon": {"type": "number", "description": "else EXIF GPS"},
                    },
                }
            }
        },
    }
}


@router.put(
    "/photos/{photo_id}",
    response_model=PhotoPublic,
    status_code=201,
    openapi_extra=UPLOAD_FORM,
    responses={
        200: {"description": "A replay of the same upload"},
        409: {"description": "Other bytes"},
        413: {"description": "Too large"},
        415: {"description": "Not JPEG, PNG or WebP"},
    },
)
async def put_photo(
    request: Request,
    response: Response,
    photo_id: uuid.UUID,
    user: Uploader,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
) -> PhotoPublic:
    end_read(session)  # the body may take a minute over a phone's network: hold no transaction while it arrives
    upload = await read_photo_upload(request, max_file_bytes=settings.photo_max_bytes)
    photo, created = await run_in_threadpool(
        service.upload_photo,
        session=session,
        settings=settings,
        store=store,
        user=user,
        photo_id=photo_id,
        fields=upload.fields,
        content=upload.content,
        gate=request.app.state.decode_gate,
    )
    response.status_code = 201 if created else 200
    return photo


@router.get(
    "/photos/{photo_id}",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}},
        304: {"description": "Not modified (If-None-Match)"},
        403: {"description": "size=original asked by property staff"},
    },
)
def get_photo(
    request: Request,
    photo_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    size: PhotoSize = PhotoSize.display,
) -> Response:
    """thumb (320 px) and display (1600 px) are clean re-encoded JPEGs; original is the evidence as uploaded,
    for officers and admins only (property staff get 403 with a sentence)."""
    found = service.captioned_file(session=session, settings=settings, user=user, photo_id=photo_id, size=size)
    headers = {
        "ETag": found.etag,
        "Cache-Control": f"private, max-age={settings.photo_cache_seconds}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Content-Disposition": f"{'attachment' if size == PhotoSize.original else 'inline'}; "
        f'filename="{found.filename}"',
    }
    if etag_matches(request.headers.get("if-none-match"), found.etag):
        return Response(status_code=304, headers=headers)
    end_read(session)  # drawing a caption holds no transaction
    return Response(service.read_photo_file(store, found), media_type=found.content_type, headers=headers)


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: a list of tags or *, compared weakly."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags
