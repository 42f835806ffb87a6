"""Draw what the checks found on a photo: regions, labels, heat maps.

Pure drawing on arrays (no file I/O, no codecs: encoding goes through auditor.ingest).
Colours follow the verdict of the finding's check: fail red, pass green, unsure amber,
anything else grey. Labels use a CJK-capable system font (Noto Sans CJK) when present.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from auditor.types import CheckResult, Finding, Verdict

VERDICT_RGB = {
    Verdict.FAIL: (220, 38, 38),
    Verdict.PASS: (22, 163, 74),
    Verdict.UNSURE: (245, 158, 11),
}
OTHER_RGB = (120, 120, 120)
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


@lru_cache(maxsize=16)
def label_font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """A font of `size` px that draws Chinese when a CJK font is installed (else Pillow's default)."""
    for path in FONT_CANDIDATES:
        if Path(path).exists():
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def finding_label(finding: Finding) -> str:
    """'kind key=value 0.87': the finding's kind, its first scalar measurement and its confidence."""
    parts = [finding.kind]
    for key, value in finding.measured.items():
        if isinstance(value, (bool, np.bool_)):
            parts.append(f"{key}={'yes' if value else 'no'}")
        elif isinstance(value, (int, np.integer)):
            parts.append(f"{key}={int(value)}")
        elif isinstance(value, (float, np.floating)):
            parts.append(f"{key}={float(value):.3g}")
        elif isinstance(value, str) and len(value) <= 24:
            parts.append(f"{key}={value}")
        else:
            continue
        break
    parts.append(f"{float(finding.confidence):.2f}")
    return " ".join(parts)


def draw_findings(rgb: np.ndarray, results: Iterable[CheckResult], *, scale: float = 1.0) -> np.ndarray:
    """Draw every finding that has a region, with its label.

    Args:
        rgb: HxWx3 uint8 RGB image to draw on (not modified).
        results: check results; each finding is coloured by its check's verdict.
        scale: factor from the regions' pixel frame to `rgb`'s (e.g. `photo.scale` when the
            regions are in original-photo pixels and `rgb` is the working copy).

    Returns:
        A new HxWx3 uint8 RGB image.
    """
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 RGB image, got shape {rgb.shape}")
    h, w = rgb.shape[:2]
    img = Image.fromarray(rgb, "RGB")
    draw = ImageDraw.Draw(img)
    line_w = max(2, round(min(h, w) / 300))
    font = label_font(max(12, round(min(h, w) / 40)))
    for result in results:
        colour = VERDICT_RGB.get(result.verdict, OTHER_RGB)
        for finding in result.findings:
            if finding.region is None:
                continue
            region = finding.region.scaled(scale) if scale != 1.0 else finding.region
            if region.polygon and len(region.polygon) >= 3:
                pts = [(float(x), float(y)) for x, y in region.polygon]
                draw.line(pts + [pts[0]], fill=colour, width=line_w, joint="curve")
            else:
                x0, y0, x1, y1 = region.xyxy
                draw.rectangle([x0, y0, max(x0, x1), max(y0, y1)], outline=colour, width=line_w)
            _draw_label(draw, finding_label(finding), region.xyxy, colour, font, (w, h))
    return np.asarray(img, dtype=np.uint8).copy()


def _draw_label(draw: ImageDraw.ImageDraw, text: str, xyxy: Sequence[float], colour, font, size) -> None:
    w, h = size
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    tw, th = right - left + 6, bottom - top + 6
    x = min(max(0.0, xyxy[0]), max(0.0, w - tw))
    y = xyxy[1] - th if xyxy[1] - th >= 0 else min(max(0.0, xyxy[1]), max(0.0, h - th))
    draw.rectangle([x, y, x + tw, y + th], fill=colour)
    draw.text((x + 3 - left, y + 3 - top), text, fill=(255, 255, 255), font=font)


def overlay_heatmap(rgb: np.ndarray, heat01: np.ndarray, *, alpha: float = 0.5) -> np.ndarray:
    """Blend a heat map over an image: cold (0) leaves the pixel, hot (1) tints it red.

    Args:
        rgb: HxWx3 uint8 RGB.
        heat01: hxw float array with values in [0, 1], any resolution (resized bilinearly to HxW).
        alpha: opacity of the hottest cells, 0..1.

    Returns:
        A new HxWx3 uint8 RGB image.
    """
    rgb = np.asarray(rgb, dtype=np.uint8)
    heat = np.asarray(heat01, dtype=np.float32)
    if heat.ndim != 2:
        raise ValueError(f"expected a 2-D heat map, got shape {heat.shape}")
    h, w = rgb.shape[:2]
    heat = np.nan_to_num(heat, nan=0.0).clip(0.0, 1.0)
    if heat.shape != (h, w):
        heat_img = Image.fromarray(heat, mode="F").resize((w, h), Image.BILINEAR)
        heat = np.asarray(heat_img, dtype=np.float32).clip(0.0, 1.0)
    colour = _heat_colours(heat)
    a = (alpha * heat)[..., None]
    return (rgb.astype(np.float32) * (1.0 - a) + colour * a).round().clip(0, 255).astype(np.uint8)


def _heat_colours(heat01: np.ndarray) -> np.ndarray:
    """HxW in [0, 1] -> HxWx3 float RGB, yellow (low) to red (high)."""
    r = np.full_like(heat01, 255.0)
    g = 220.0 * (1.0 - heat01)
    b = np.zeros_like(heat01)
    return np.stack([r, g, b], axis=-1)


def thumbnail(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """A copy whose longer side is at most `max_side` px (HxWx3 uint8 RGB in and out)."""
    h, w = rgb.shape[:2]
    f = max_side / max(h, w)
    if f >= 1.0:
        return np.asarray(rgb, dtype=np.uint8).copy()
    img = Image.fromarray(np.asarray(rgb, dtype=np.uint8), "RGB").resize(
        (max(1, round(w * f)), max(1, round(h * f))), Image.LANCZOS
    )
    return np.asarray(img, dtype=np.uint8).copy()


def legend() -> dict[str, Any]:
    """Verdict -> colour hex, for pages that explain the drawing."""
    return {v.value: "#%02x%02x%02x" % c for v, c in VERDICT_RGB.items()}
