"""Where photo files live. Content-addressed by sha256: the same bytes are one set of files.

LocalDiskStore keeps them under the data dir (the embedded default); S3Store keeps them in an S3-compatible
object store (MinIO, Alibaba OSS, Tencent COS, AWS) when SAFEROUND_PHOTO_STORE=s3://bucket/prefix names one.
The service sees only the protocol."""

from __future__ import annotations

import functools
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

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

    def list_keys(self) -> list[str]:
        """Every key stored (for backups, sweeps and tests)."""


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

    def list_keys(self) -> list[str]:
        if not self.root.exists():
            return []
        keys = (str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())
        return sorted(key for key in keys if _KEY.match(key))  # not the temp files of a write in progress


class S3Store:
    """Photos in an S3-compatible bucket, under a prefix. A PUT is all or nothing in S3 itself."""

    def __init__(self, bucket: str, prefix: str, client: Any):
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client

    def _key(self, key: str) -> str:
        if not _KEY.match(key):
            raise ValueError(f"not a photo key: {key!r}")
        return self.prefix + key

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def read(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(key) from None

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def list_keys(self) -> list[str]:
        keys = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
            keys += [item["Key"][len(self.prefix) :] for item in page.get("Contents", [])]
        return sorted(keys)

    def ping(self) -> None:
        """Raise unless the bucket answers (for readiness checks)."""
        self.client.head_bucket(Bucket=self.bucket)


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
    """The store the settings name: s3://bucket/prefix, or the data dir's photos folder."""
    if settings.photo_store:
        return _s3_store(
            settings.photo_store,
            settings.s3_endpoint_url,
            settings.s3_region,
            settings.s3_access_key_id,
            settings.s3_secret_access_key,
        )
    return LocalDiskStore(settings.photos_dir)


@functools.lru_cache(maxsize=8)
def _s3_store(url: str, endpoint: str | None, region: str | None, key_id: str | None, secret: str | None) -> S3Store:
    """One client per configuration: making a boto3 client costs tens of milliseconds."""
    import boto3
    from botocore.config import Config

    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"SAFEROUND_PHOTO_STORE must look like s3://bucket/prefix (got {url!r})")
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region or "us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, s3={"addressing_style": "path"}),
    )
    return S3Store(parsed.netloc, parsed.path, client)
