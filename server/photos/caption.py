"""The caption strip burned into derived photos (display, thumb, the notice PDF): site, time in the deployment's
zone, who took it, coordinates — the "watermark camera" habit. The original file is never touched."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

STRIP_VERSION = "c1"  # part of the cache key and ETag: bump it when the strip is drawn differently


@dataclass(frozen=True)
class Caption:
    site: str | None
    taken_at: datetime | None
    who: str
    lat: float | None
    lon: float | None

    def lines(self, tz: tzinfo) -> list[str]:
        when = self.taken_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if self.taken_at else "时间未知"
        where = f"{self.lat:.5f}, {self.lon:.5f}" if self.lat is not None and self.lon is not None else "无定位"
        return [f"{self.site or '未关联站点'}  {when}", f"拍摄：{self.who}  {where}"]


@lru_cache(maxsize=8)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def burn_caption(jpeg: bytes, lines: list[str], font_path: Path) -> bytes:
    """The image, same size, with a translucent dark strip along its bottom holding `lines` in white."""
    image = Image.open(io.BytesIO(jpeg)).convert("RGB")
    width, height = image.size
    size = max(9, round(min(width, height * 1.4) / 34))
    font = _font(str(font_path), size)
    line_height = round(size * 1.35)
    pad = max(3, size // 3)
    strip_height = line_height * len(lines) + 2 * pad
    if strip_height > height / 4:  # an icon-sized image: a strip would hide all of it
        return jpeg
    top = height - strip_height
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rectangle((0, top, width, height), fill=(16, 16, 16, 170))
    for n, line in enumerate(lines):
        text = _fit(draw, line, font, width - 2 * pad)
        draw.text((pad, top + pad + n * line_height), text, font=font, fill=(255, 255, 255, 255))
    out = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    buffer = io.BytesIO()
    out.save(buffer, "JPEG", quality=85, optimize=True)
    return buffer.getvalue()


def _fit(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    """Shorten a line that does not fit (a long site name on a thumbnail) with an ellipsis."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"
