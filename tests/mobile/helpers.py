"""Building what a phone test needs: sites and an officer on the live server, a signed-in phone,
camera-like JPEGs, checklist runs answered the way an officer would."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from mobile.services import ChecklistRun, Phone
from tests.live_server import Admin, LiveServer, Officer


def camera_jpeg(
    path: Path, size: tuple[int, int] = (64, 48), *, seed: int = 0, exif: Image.Exif | None = None, quality: int = 90
) -> Path:
    """A JPEG with some texture (noise over a gradient), like a photo and unlike a flat test card."""
    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    noise = Image.effect_noise(size, 40 + rng.random() * 20).convert("RGB")
    image = Image.blend(base, noise, 0.5)
    image = Image.merge(
        "RGB", [c.point(lambda v, k=k: (v + k * 37 + seed * 11) % 256) for k, c in enumerate(image.split())]
    )
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, **({"exif": exif} if exif is not None else {}))
    path.write_bytes(buf.getvalue())
    return path


@dataclass
class Field:
    server: LiveServer
    admin: Admin
    tmp: Path
    org: dict[str, Any]
    sites: list[dict[str, Any]]
    officer: Officer
    phones: list[Phone] = field(default_factory=list)
    _photo_seq: int = 0

    @classmethod
    def build(cls, server: LiveServer, admin: Admin, tmp: Path, n_sites: int = 2) -> Field:
        org = admin.org()
        sites = [admin.site(org) for _ in range(n_sites)]
        return cls(server, admin, tmp, org, sites, admin.officer(sites))

    def phone(self, url: str | None = None, name: str = "phone", sign_in: bool = True, **kwargs: Any) -> Phone:
        """A phone with its own data dir, signed in as the officer (through `url`, e.g. a proxy)."""
        kwargs.setdefault("backoff_base", 0.05)
        phone = Phone(self.tmp / name, url or self.server.url, **kwargs)
        if sign_in:
            phone.sign_in(url or self.server.url, self.officer.username, self.officer.password)
        self.phones.append(phone)
        return phone

    def photo(self, phone: Phone, kind: str = "problem", size: tuple[int, int] = (64, 48)) -> str:
        self._photo_seq += 1
        source = camera_jpeg(self.tmp / f"camera-{self._photo_seq}.jpg", size, seed=self._photo_seq)
        return phone.add_photo(source, kind)

    def close(self) -> None:
        for phone in self.phones:
            phone.close()


def answer_run(
    phone: Phone,
    run: ChecklistRun,
    *,
    fail: int = 0,
    photos: Field | None = None,
    photo_size: tuple[int, int] = (64, 48),
) -> list[str]:
    """Answer every applicable item: the first `fail` items fail (with a problem photo), the rest pass.
    Returns the failed item ids."""
    failed = []
    for index, item in enumerate(run.applicable_items()):
        if index < fail:
            photo_ids = [photos.photo(phone, "problem", photo_size)] if photos else []
            phone.save_answer(run, item["id"], "fail", note="现场发现问题", photo_ids=photo_ids)
            failed.append(item["id"])
        else:
            phone.save_answer(run, item["id"], "pass")
    return failed
