"""Where photo files live. Content-addressed by sha256: the same bytes are one set of files.

LocalDiskStore keeps them under the data dir; an S3-compatible store can implement the same
protocol later without the service noticing."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from server.config import Settings

_KEY = re.compile(
    r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}-(original\.(jpg|png|webp)|(display|thumb)(-c\d+-[0-9a-f]{16})?\.jpg)$"
)


def photo_key(sha256: str, size: str, extension: str = "jpg") -> str:
    """e.g. ab/cd/abcd…-display.jpg; the original keeps its own extension; a captioned rendition is
    …-display-c1-<caption hash>.jpg."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}-{size}.{extension if size == 'original' else 'jpg'}"


class PhotoStore(Protocol):
    def put(self, key: str, data: bytes) -> None:
        """Store the bytes under the key, all or nothing."""

    def read(self, key: str) -> bytes:
        """The bytes; FileNotFoundError if there are none."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the key; a missing key is not an error."""


class LocalDiskStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):  # keys are made by photo_key(); anything else is a bug, not a path to follow
            raise ValueError(f"not a photo key: {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        """Write a temp file beside the target, fsync it, then rename: a crash never leaves half a file
        under a real name."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def make_photo_store(settings: Settings) -> PhotoStore:
    return LocalDiskStore(settings.photos_dir)
