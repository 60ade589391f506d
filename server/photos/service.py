"""Photos as evidence: storing uploads (files first, then the row), scope, and the links from records.

require_photos / attach_photos / photos_by_kind are what other services call; they never commit."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo

from sqlalchemy import ColumnElement, func, or_, true
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from server.audit import service as audit
from server.common import canonical_hash, utcnow
from server.config import Settings
from server.db import end_read, write_unit
from server.errors import Conflict, Forbidden, Invalid, not_found
from server.hazards.models import Hazard
from server.idempotency import stored_in_scope
from server.photos import imaging
from server.photos.caption import STRIP_VERSION, Caption, burn_caption
from server.photos.models import Photo, PhotoFields, PhotoLink, PhotoPublic, PhotoSize
from server.photos.storage import PhotoStore, photo_key
from server.scope import hazard_condition, site_condition
from server.sites.models import Site
from server.users.models import Role, User

log = logging.getLogger("saferound.photos")

RENDITIONS_VERSION = "r1"  # part of every ETag: bump it when the derived files are made differently


def to_public(photo: Photo) -> PhotoPublic:
    return PhotoPublic(**photo.model_dump(exclude={"request_hash"}))


def photo_condition(user: User) -> ColumnElement[bool]:
    """Photos a user may see: admin all; anyone the ones they uploaded; officers those linked to records at
    their sites; property staff those linked to their company's hazards."""
    if user.role == Role.admin:
        return true()
    linked = select(PhotoLink.photo_id)
    if user.role == Role.officer:
        linked = linked.where(site_condition(user, PhotoLink.site_id))
    else:
        linked = linked.join(Hazard, Hazard.id == PhotoLink.hazard_id).where(hazard_condition(user))
    return or_(Photo.uploaded_by == user.id, Photo.id.in_(linked))


# ---- upload ------------------------------------------------------------------------------------------


def upload_photo(
    *,
    session: Session,
    settings: Settings,
    store: PhotoStore,
    user: User,
    photo_id: uuid.UUID,
    fields: PhotoFields,
    content: bytes,
    gate: imaging.DecodeGate | None = None,
) -> tuple[PhotoPublic, bool]:
    """Store one photo under the phone's id. Returns (photo, created); a replay returns the stored one.

    Files are written before the row and removed again if the row cannot be written, so the
    database never names a file that is not there and a failed request leaves nothing behind."""
    user_id = user.id
    request_hash = canonical_hash({"sha256": hashlib.sha256(content).hexdigest(), **fields.model_dump(mode="json")})
    existing = stored_in_scope(session, Photo, photo_id, photo_condition(user), "photo")
    if existing is not None:
        return _replay(existing, request_hash), False
    end_read(session)  # the image work below holds no transaction

    processed = imaging.process_photo(
        content,
        max_pixels=settings.photo_max_pixels,
        tz=settings.tz,
        display_px=settings.photo_display_px,
        thumb_px=settings.photo_thumb_px,
        max_decoded_bytes=settings.photo_max_decoded_mb * 1024 * 1024,
        gate=gate,
    )
    files = rendition_files(processed, content)
    photo = Photo(
        id=photo_id,
        sha256=processed.sha256,
        kind=fields.kind.value,
        content_type=processed.content_type,
        size_bytes=len(content),
        width=processed.width,
        height=processed.height,
        taken_at=as_utc(fields.taken_at, settings.tz) or processed.taken_at,
        lat=fields.lat if fields.lat is not None else processed.lat,
        lon=fields.lon if fields.lon is not None else processed.lon,
        uploaded_by=user_id,
        request_hash=request_hash,
        created_at=utcnow(),
    )
    try:
        _put_all(store, files)
        with write_unit(session):
            session.add(photo)
            audit.record(
                session=session,
                actor_id=user_id,
                action="upload",
                target_type="photo",
                target_id=photo_id,
                detail={"sha256": processed.sha256, "kind": photo.kind},
            )
    except IntegrityError:  # the same id written concurrently: answer as a replay would
        existing = session.get(Photo, photo_id)
        _discard_files(session=session, store=store, sha256=processed.sha256, files=files)
        if existing is None:
            raise
        return _replay(existing, request_hash), False
    except BaseException:
        _discard_files(session=session, store=store, sha256=processed.sha256, files=files)
        raise
    _put_missing(store, files)  # a failed upload of the same bytes may have removed them meanwhile
    return to_public(photo), True


def ingest_photo(
    *,
    session: Session,
    settings: Settings,
    store: PhotoStore,
    user: User,
    photo_id: uuid.UUID,
    content: bytes,
    kind: str,
    **fields,
) -> PhotoPublic:  # type: ignore[no-untyped-def]
    """Store a photo made on the server (demo data, imports) through the same path as an upload."""
    photo, _created = upload_photo(
        session=session,
        settings=settings,
        store=store,
        user=user,
        photo_id=photo_id,
        fields=PhotoFields(kind=kind, **fields),
        content=content,
    )
    return photo


def as_utc(moment: datetime | None, tz: tzinfo) -> datetime | None:
    """A phone's time without an offset is the deployment's local time, like a camera's EXIF clock."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(UTC)


def rendition_files(processed: imaging.ProcessedPhoto, original: bytes) -> dict[str, bytes]:
    return {
        photo_key(processed.sha256, "original", processed.extension): original,
        photo_key(processed.sha256, "display"): processed.display,
        photo_key(processed.sha256, "thumb"): processed.thumb,
    }


def _replay(existing: Photo, request_hash: str) -> PhotoPublic:
    if existing.request_hash != request_hash:
        raise Conflict("id_conflict", record="photo")
    return to_public(existing)


def _put_all(store: PhotoStore, files: dict[str, bytes]) -> None:
    for key, data in files.items():
        store.put(key, data)


def _put_missing(store: PhotoStore, files: dict[str, bytes]) -> None:
    for key, data in files.items():
        if not store.exists(key):
            store.put(key, data)


def _sha_in_use(session: Session, sha256: str) -> bool:
    in_use = session.exec(select(Photo.id).where(Photo.sha256 == sha256).limit(1)).first() is not None
    end_read(session)  # a fresh read next time: the second look must see what was committed meanwhile
    return in_use


def _discard_files(*, session: Session, store: PhotoStore, sha256: str, files: dict[str, bytes]) -> None:
    """Remove a failed upload's files unless a stored photo has the same bytes. If such a photo was
    committed while we deleted, put the files back: we hold the very same bytes."""
    try:
        if _sha_in_use(session, sha256):
            return
        for key in files:
            store.delete(key)
        if _sha_in_use(session, sha256):
            _put_all(store, files)
    except Exception:  # cleaning up must not hide the first error; an orphan file is harmless
        log.warning("could not clean up the files of a failed upload (sha256 %s)", sha256, exc_info=True)


# ---- serving -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoFile:
    key: str
    content_type: str
    etag: str
    filename: str
    clean_key: str = ""  # a captioned file is drawn from this rendition
    caption: tuple[str, ...] = ()


def find_photo_file(*, session: Session, user: User, photo_id: uuid.UUID, size: PhotoSize) -> PhotoFile:
    """Which stored file answers GET /photos/{id}?size=…; out of scope looks exactly like missing."""
    photo = session.exec(select(Photo).where(Photo.id == photo_id, photo_condition(user))).first()
    if photo is None:
        raise not_found("photo")
    if size == PhotoSize.original:
        if user.role == Role.property:
            raise Forbidden("original_restricted")
        extension = imaging.EXTENSIONS.get(_format_of(photo.content_type), "jpg")
        return PhotoFile(
            key=photo_key(photo.sha256, "original", extension),
            content_type=photo.content_type,
            etag=f'"{photo.sha256}-original"',
            filename=f"{photo.id}.{extension}",
        )
    return PhotoFile(
        key=photo_key(photo.sha256, size.value),
        content_type="image/jpeg",
        etag=f'"{photo.sha256}-{size.value}-{RENDITIONS_VERSION}"',
        filename=f"{photo.id}-{size.value}.jpg",
    )


def signature_file(*, session: Session, photo_id: uuid.UUID) -> PhotoFile:
    """An on-site signature's clean display rendition, for a printed notice (whose scope the caller checked)."""
    photo = session.get(Photo, photo_id)
    if photo is None:
        raise not_found("photo")
    return PhotoFile(
        key=photo_key(photo.sha256, PhotoSize.display.value),
        content_type="image/jpeg",
        etag=f'"{photo.sha256}-display-{RENDITIONS_VERSION}"',
        filename=f"{photo.id}-display.jpg",
    )


def captioned_file(
    *, session: Session, settings: Settings, user: User, photo_id: uuid.UUID, size: PhotoSize
) -> PhotoFile:
    """What GET /photos/{id} answers: the original untouched; display and thumb with the caption strip
    (site, time, who, coordinates) burned in, made once per caption and kept beside the clean rendition."""
    found = find_photo_file(session=session, user=user, photo_id=photo_id, size=size)
    if size == PhotoSize.original:
        return found
    photo = session.get(Photo, photo_id)
    lines = tuple(photo_caption(session=session, photo=photo).lines(settings.tz))
    tag = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
    return replace(
        found,
        key=photo_key(photo.sha256, f"{size.value}-{STRIP_VERSION}-{tag}"),
        etag=found.etag[:-1] + f'-{STRIP_VERSION}-{tag}"',
        clean_key=found.key,
        caption=lines,
    )


def read_photo_file(store: PhotoStore, found: PhotoFile) -> bytes:
    """The file's bytes; a captioned one is drawn the first time it is asked for (no transaction held)."""
    if not found.caption or store.exists(found.key):
        return store.read(found.key)
    from server.notices.pdf import find_cjk_font

    data = burn_caption(store.read(found.clean_key), list(found.caption), find_cjk_font())
    store.put(found.key, data)
    return data


def photo_caption(*, session: Session, photo: Photo) -> Caption:
    """Who took it, when, where, and the site of the first record that names it."""
    site_name = session.exec(
        select(Site.name)
        .join(PhotoLink, PhotoLink.site_id == Site.id)
        .where(PhotoLink.photo_id == photo.id)
        .order_by(PhotoLink.created_at, PhotoLink.id)
    ).first()
    who = session.get(User, photo.uploaded_by)
    return Caption(
        site=site_name,
        taken_at=photo.taken_at or photo.created_at,
        who=(who.display_name or who.username) if who else "",
        lat=photo.lat,
        lon=photo.lon,
    )


def _format_of(content_type: str) -> str:
    return next((name for name, ctype in imaging.CONTENT_TYPES.items() if ctype == content_type), "JPEG")


# ---- links from records (called inside other services' transactions; never commit here) ----------------


def require_photos(*, session: Session, user: User, photo_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """{photo_id: kind} for photos the user may name; Invalid("unknown_photos") naming every other id."""
    wanted = list(dict.fromkeys(photo_ids))
    if not wanted:
        return {}
    rows = session.exec(select(Photo.id, Photo.kind).where(Photo.id.in_(wanted), photo_condition(user))).all()
    kinds = {row[0]: row[1] for row in rows}
    missing = [photo_id for photo_id in wanted if photo_id not in kinds]
    if missing:
        raise Invalid("unknown_photos", photo_ids=[str(photo_id) for photo_id in missing])
    return kinds


def attach_photos(
    *,
    session: Session,
    photo_ids: list[uuid.UUID],
    site_id: uuid.UUID,
    hazard_id: uuid.UUID | None = None,
    inspection_id: uuid.UUID | None = None,
    training_id: uuid.UUID | None = None,
) -> None:
    """Link photos to a record (and its site); a link that is already there is not added twice."""
    wanted = list(dict.fromkeys(photo_ids))
    if not wanted:
        return
    same_target = [PhotoLink.photo_id.in_(wanted), PhotoLink.site_id == site_id]
    for column, value in (
        (PhotoLink.hazard_id, hazard_id),
        (PhotoLink.inspection_id, inspection_id),
        (PhotoLink.training_id, training_id),
    ):
        same_target.append(column.is_(None) if value is None else column == value)
    linked = set(session.exec(select(PhotoLink.photo_id).where(*same_target)).all())
    for photo_id in wanted:
        if photo_id not in linked:
            session.add(
                PhotoLink(
                    photo_id=photo_id,
                    site_id=site_id,
                    hazard_id=hazard_id,
                    inspection_id=inspection_id,
                    training_id=training_id,
                    created_at=utcnow(),
                )
            )


def attach_photos_to_new_inspection(
    *,
    session: Session,
    photos: Iterable[tuple[uuid.UUID, uuid.UUID | None]],
    site_id: uuid.UUID,
    inspection_id: uuid.UUID,
) -> None:
    """attach_photos() for an inspection written in this unit of work, each (photo, hazard it shows or None)
    once. No link to the inspection can exist yet, so none is looked up; the links go in one INSERT."""
    for photo_id, hazard_id in dict.fromkeys(photos):
        session.add(
            PhotoLink(
                photo_id=photo_id,
                site_id=site_id,
                hazard_id=hazard_id,
                inspection_id=inspection_id,
                created_at=utcnow(),
            )
        )


def photos_by_kind(*, session: Session, hazard_id: uuid.UUID) -> dict[str, list[uuid.UUID]]:
    """Every photo linked to the hazard, grouped by kind, oldest first (taken_at, else upload time)."""
    rows = session.exec(
        select(Photo.id, Photo.kind)
        .join(PhotoLink, PhotoLink.photo_id == Photo.id)
        .where(PhotoLink.hazard_id == hazard_id)
        .order_by(func.coalesce(Photo.taken_at, Photo.created_at), Photo.created_at, Photo.id)
    ).all()
    grouped: dict[str, list[uuid.UUID]] = {}
    for photo_id, kind in rows:
        if photo_id not in grouped.setdefault(kind, []):
            grouped[kind].append(photo_id)
    return grouped
