"""The camera: how the flat scene becomes a phone photo.

Geometry: a rotation of the camera (yaw, pitch, roll) about its centre turns the frontal
canvas into a perspective view (H = K R K^-1); the frame is the largest upright rectangle
of the output's aspect inside that view (optionally zoomed in). Photometry: exposure,
white balance, glare, vignetting, blur, sensor noise, JPEG.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from samples.generator.scene import Rect


@dataclass(frozen=True)
class CameraView:
    canvas_w: int
    canvas_h: int
    out_w: int
    out_h: int
    H: np.ndarray  # 3x3 canvas px -> output px
    layout: Rect  # canvas rectangle certainly inside the photo
    yaw: float
    pitch: float
    roll: float

    def project(self, pts: np.ndarray) -> np.ndarray:
        pts = np.asarray(pts, np.float32).reshape(-1, 1, 2)
        return cv2.perspectiveTransform(pts, self.H).reshape(-1, 2)

    def unproject(self, pts) -> np.ndarray:
        pts = np.asarray(pts, np.float32).reshape(-1, 1, 2)
        return cv2.perspectiveTransform(pts, np.linalg.inv(self.H)).reshape(-1, 2)

    def warp(self, img: np.ndarray) -> np.ndarray:
        return cv2.warpPerspective(img, self.H, (self.out_w, self.out_h), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REFLECT)


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    y, p, r = map(math.radians, (yaw, pitch, roll))
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return rz @ rx @ ry


def _inscribed(quad: np.ndarray, aspect: float) -> tuple[float, float, float, float]:
    """Largest-ish upright rectangle of width/height `aspect` inside convex quad (tl,tr,br,bl)."""
    tl, tr, br, bl = quad
    x0, x1 = max(tl[0], bl[0]), min(tr[0], br[0])
    y0, y1 = max(tl[1], tr[1]), min(bl[1], br[1])
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = x1 - x0, y1 - y0
    if w / max(h, 1e-6) > aspect:
        w = h * aspect
    else:
        h = w / aspect
    contour = quad.reshape(-1, 1, 2).astype(np.float32)
    for _ in range(40):  # shrink until all four corners are inside (roll tilts the quad)
        corners = [(cx - w / 2, cy - h / 2), (cx + w / 2, cy - h / 2), (cx + w / 2, cy + h / 2), (cx - w / 2, cy + h / 2)]
        if all(cv2.pointPolygonTest(contour, (float(a), float(b)), False) >= 0 for a, b in corners):
            break
        w *= 0.96
        h *= 0.96
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def make_view(rng: np.random.Generator, out_w: int, out_h: int, *, yaw: float = 0.0, pitch: float = 0.0,
              roll: float = 0.0, zoom: float = 1.0, max_upscale: float = 1.5) -> CameraView:
    """A camera looking at a canvas drawn for an `out_w` x `out_h` photo.

    zoom >= 1 crops into the view (random offset). The canvas is drawn larger when the
    view would magnify it, up to `max_upscale`.
    """
    f = out_w * rng.uniform(0.9, 1.3)
    K = np.array([[f, 0, out_w / 2], [0, f, out_h / 2], [0, 0, 1]])
    Hrot = K @ _rotation(yaw, pitch, roll) @ np.linalg.inv(K)
    corners = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], np.float32)
    quad = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), Hrot).reshape(-1, 2)
    x0, y0, x1, y1 = _inscribed(quad, out_w / out_h)
    cw, ch = (x1 - x0) / zoom, (y1 - y0) / zoom
    ox = x0 + rng.uniform(0, (x1 - x0) - cw)
    oy = y0 + rng.uniform(0, (y1 - y0) - ch)
    mag = out_w / cw
    if out_w * out_h > 4_000_000:  # large photos: draw at the photo's size, let the view magnify
        max_upscale = 1.0
    s = float(np.clip(mag, 1.0, max_upscale))
    A = np.array([[out_w / cw, 0, -ox * out_w / cw], [0, out_h / ch, -oy * out_h / ch], [0, 0, 1]])
    S_inv = np.diag([1 / s, 1 / s, 1.0])
    H = A @ Hrot @ S_inv
    canvas_w, canvas_h = int(round(out_w * s)), int(round(out_h * s))
    inv = np.linalg.inv(H)
    back = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), inv).reshape(-1, 2)
    lx0, ly0, lx1, ly1 = _inscribed(back, out_w / out_h)
    lx0, ly0 = max(0.0, lx0), max(0.0, ly0)
    lx1, ly1 = min(float(canvas_w), lx1), min(float(canvas_h), ly1)
    return CameraView(canvas_w, canvas_h, out_w, out_h, H, Rect(lx0, ly0, lx1, ly1), yaw, pitch, roll)


# --- photometry -----------------------------------------------------------------------

EXPOSURE_TARGETS = {  # mean luma (0..255) the developed photo aims at
    "dark": (12.0, 42.0),
    "ok": (95.0, 160.0),
    "overexposed": (205.0, 232.0),
}
# At night a phone meters for the lit scene and compresses the lights (see `night_tone`). Mean luma of
# real night street photos: a well exposed one about 55..80 (lamps and lit signs near white, the sky
# dark), an underexposed one about 30 or less (surfaces nearly black, only the lights stand out).
NIGHT_EXPOSURE_TARGETS = {
    "dark": (10.0, 32.0),
    "ok": (56.0, 84.0),
}
NIGHT_KNEE = 0.55  # linear up to this level, then a logarithmic shoulder ...
NIGHT_WHITE = 12.0  # ... that reaches white here: a lamp is white, a lit sign's face just under it
NIGHT_HIGHLIGHT = 1.8  # the level (before the curve: about luma 200) a night exposure keeps its bright areas under


def night_tone(x: np.ndarray, knee: float = NIGHT_KNEE, white: float = NIGHT_WHITE) -> np.ndarray:
    """A phone's night tone curve: linear below `knee`, then a log shoulder up to white at `white`.

    x: any-shape float array of scene light after the exposure gain (0..~50; lamps and lit
    signs many times over 1); returns 0..1 with the slope continuous at the knee. A lit sign
    face 4-8 times brighter than the lit ground stays under white, so its letters still show.
    """
    x = np.asarray(x, np.float32)
    k = np.float32(knee)
    a = np.float32(_shoulder_scale(knee, white))
    span = np.float32(math.log1p((white - knee) / float(a)))
    over = np.maximum(x - k, 0)
    y = np.where(x <= k, x, k + (1 - k) * np.log1p(over / a) / span)
    return np.minimum(y, 1).astype(np.float32)


MAX_SHADOW_LIFT = 2.0  # a phone lifts shadows so far (`shadow_lift` increases up to 3)


def shadow_lift(y: np.ndarray, a: float) -> np.ndarray:
    """Local-tone-mapping-like lift of dark tones: y + a y (1 - y)^3, for y in 0..1 (any shape).

    Lifts the shadows most (y = 0.25 by 0.1 a), leaves the highlights nearly as they are
    (y = 0.85 by 0.004 a): the mean rises, a lit sign keeps its contrast. Increasing for a <= 3.
    """
    if a <= 0:
        return y
    return (y + np.float32(a) * y * (1 - y) ** 3).astype(np.float32)


def _shoulder_scale(knee: float, white: float) -> float:
    """The a in log(1 + (x - knee) / a) that makes the shoulder's slope 1 at the knee (bisection)."""
    lo, hi = 1e-4, 10.0
    for _ in range(60):  # slope at the knee (1 - knee) / (a log(1 + (white - knee) / a)) falls as a grows
        a = (lo + hi) / 2
        if (1 - knee) / (a * math.log1p((white - knee) / a)) > 1:
            lo = a
        else:
            hi = a
    return (lo + hi) / 2


def luma(img01: np.ndarray) -> np.ndarray:
    return img01[..., 0] * 0.299 + img01[..., 1] * 0.587 + img01[..., 2] * 0.114


@dataclass(frozen=True)
class Optics:
    """Randomised photographic defects of one shot (all values chosen by `sample_optics`)."""

    wb_gains: tuple[float, float, float]
    vignette: float
    glare: tuple[float, float, float] | None  # (x frac, y frac, strength)
    motion_len: int
    motion_angle: float
    defocus_sigma: float
    noise_sigma: float
    jpeg_quality: int

    @property
    def blur_px(self) -> float:
        """A rough size of the blur in pixels (for text legibility)."""
        return max(self.motion_len / 2.0, self.defocus_sigma * 2.0)


def sample_optics(rng: np.random.Generator, *, night: bool) -> Optics:
    cast = rng.uniform(-0.10, 0.10, 3) if rng.random() < 0.6 else np.zeros(3)
    gains = tuple(float(1 + c) for c in cast)
    blur_kind = rng.random()
    motion_len, defocus = 0, 0.0
    if blur_kind < 0.2:
        motion_len = int(rng.integers(3, 10))
    elif blur_kind < 0.45:
        defocus = float(rng.uniform(0.6, 2.0))
    glare = None
    if rng.random() < 0.25:
        glare = (float(rng.uniform(0, 1)), float(rng.uniform(0, 0.6)), float(rng.uniform(0.15, 0.6)))
    return Optics(
        wb_gains=gains,  # type: ignore[arg-type]
        vignette=float(rng.uniform(0.0, 0.4)),
        glare=glare,
        motion_len=motion_len,
        motion_angle=float(rng.uniform(0, 180)),
        defocus_sigma=defocus,
        noise_sigma=float(rng.uniform(0.006, 0.03) * (2.0 if night else 1.0)),
        jpeg_quality=int(rng.integers(60, 96)),
    )


def _motion_kernel(length: int, angle: float) -> np.ndarray:
    k = np.zeros((length, length), np.float32)
    c = (length - 1) / 2
    dx, dy = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    cv2.line(k, (int(round(c - dx * c)), int(round(c - dy * c))), (int(round(c + dx * c)), int(round(c + dy * c))), 1.0, 1)
    return k / max(k.sum(), 1e-6)


def develop(frame: np.ndarray, optics: Optics, exposure: str, rng: np.random.Generator, *,
            target_luma: float | None = None, night: bool = False) -> np.ndarray:
    """Turn a linear-ish HxWx3 float frame into an 8-bit photo (before JPEG).

    The frame is scaled so that its mean luma lands in the range of `exposure`
    (EXPOSURE_TARGETS, or NIGHT_EXPOSURE_TARGETS with `night`) unless `target_luma` is given;
    then white balance, glare, vignetting, blur, noise and clipping are applied. A night
    frame (lamps and lit signs many times brighter than the lit surfaces) goes through
    `night_tone` instead of a hard clip, as a phone's night processing does.
    """
    if night:
        return _develop_night(frame, optics, exposure, rng, target_luma)
    h, w = frame.shape[:2]
    mult, add = _optics_fields(optics, h, w)
    probe = frame[::4, ::4]
    ph, pw = probe.shape[:2]
    probe = probe * cv2.resize(mult, (pw, ph), interpolation=cv2.INTER_LINEAR)
    if add is not None:
        probe += cv2.resize(add, (pw, ph), interpolation=cv2.INTER_LINEAR)[..., None]
    lo, hi = EXPOSURE_TARGETS[exposure]
    target = target_luma if target_luma is not None else rng.uniform(lo, hi)
    gain = 1.0
    for _ in range(8):  # gain -> clip -> measure (on a 1/4 probe): converge on the target mean luma
        m = float(luma(np.clip(probe * np.float32(gain), 0, 1)).mean()) * 255
        if m <= 0.5 or abs(m - target) < 3:
            break
        gain *= target / m
    capped = exposure == "overexposed" and gain > 3.0
    g_img = 3.0 if capped else gain
    img = frame * cv2.resize(mult * np.float32(g_img), (w, h), interpolation=cv2.INTER_LINEAR)
    if add is not None:
        img += cv2.resize(add * np.float32(g_img), (w, h), interpolation=cv2.INTER_LINEAR)[..., None]
    if capped:
        # past ~1.6 stops a phone clips the bright parts but dark things stay visible: cap the gain
        # and lift the rest with a roll-off curve 1 - (1 - x)^k until the mean is reached
        gain = 3.0
        k = 1.0
        for _ in range(8):
            lifted = 1 - (1 - np.clip(probe * np.float32(gain), 0, 1)) ** np.float32(k)
            m = float(luma(lifted).mean()) * 255
            if abs(m - target) < 4:
                break
            k *= (1 + (target - m) / 120) if m < target else 0.9
        np.clip(img, 0, 1, out=img)
        img = 1 - (1 - img) ** np.float32(k)
    if optics.motion_len > 1:
        img = cv2.filter2D(img, -1, _motion_kernel(optics.motion_len, optics.motion_angle))
    # every lens and demosaic softens a little; some shots are out of focus
    img = cv2.GaussianBlur(img, (0, 0), max(optics.defocus_sigma, 0.55))
    # bloom: light over 1 bleeds into neighbours (lit signs, lamps, glare); done at 1/4 size
    small = cv2.resize(img, (w // 4, h // 4), interpolation=cv2.INTER_AREA)
    over = np.clip(small - 1.0, 0, None)
    if over.max() > 0.05:
        over = cv2.GaussianBlur(over, (0, 0), max(1.0, w / 600))
        img += cv2.resize(over, (w, h), interpolation=cv2.INTER_LINEAR) * np.float32(0.8)
    sigma = optics.noise_sigma
    noise = rng.standard_normal((h // 2 + 1, w // 2 + 1, 3), dtype=np.float32) * np.float32(sigma)
    noise = cv2.resize(noise, (w, h), interpolation=cv2.INTER_NEAREST)
    noise *= np.float32(0.35) + np.clip(img, 0, 1)  # brighter pixels carry more (shot) noise
    img += noise
    np.clip(img, 0, 1, out=img)
    return cv2.convertScaleAbs(img, alpha=255.0, beta=0.5)


def _optics_fields(optics: Optics, h: int, w: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(multiplier h/8 x w/8 x 3: white balance x vignetting, additive glare h/8 x w/8 or None).

    All smooth, so made at 1/8 size and resized by the caller.
    """
    sh, sw = h // 8 + 1, w // 8 + 1
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    yy, xx = yy * (h / sh), xx * (w / sw)
    mult = np.broadcast_to(np.asarray(optics.wb_gains, np.float32), (sh, sw, 3)).copy()
    if optics.vignette > 0:
        r2 = ((xx / w * 2 - 1) ** 2 + (yy / h * 2 - 1) ** 2) / 2
        mult *= (1 - np.float32(optics.vignette) * np.clip(r2, 0, 1))[..., None]
    add = None
    if optics.glare is not None:
        gx, gy, gs = optics.glare
        add = (gs * 0.9 * np.exp(-((xx - gx * w) ** 2 + (yy - gy * h) ** 2) / (0.18 * w) ** 2)).astype(np.float32)
    return mult, add


def _tone_rgb(rgb: np.ndarray, lift: float) -> np.ndarray:
    """`night_tone` (then `shadow_lift`) applied to each pixel's brightest channel, the other two scaled
    alike: a lit blue sign stays blue instead of turning cyan-white. rgb: HxWx3 float >= 0."""
    m = rgb.max(axis=2, keepdims=True)
    t = shadow_lift(night_tone(m), lift)
    return rgb * (t / np.maximum(m, np.float32(1e-6)))


def _bisect(f, lo: float, hi: float, steps: int = 40) -> float:
    """The x in [lo, hi] (log scale) where the increasing function f crosses 0 (an end if it does not)."""
    for _ in range(steps):
        mid = math.sqrt(lo * hi)
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
    return math.sqrt(lo * hi)


def _develop_night(frame: np.ndarray, optics: Optics, exposure: str, rng: np.random.Generator,
                   target_luma: float | None) -> np.ndarray:
    """`develop` for a night frame: gain so that the TONED photo's mean luma meets the target."""
    h, w = frame.shape[:2]
    mult, add = _optics_fields(optics, h, w)
    probe = frame[::4, ::4]
    ph, pw = probe.shape[:2]
    probe = probe * cv2.resize(mult, (pw, ph), interpolation=cv2.INTER_LINEAR)
    glare_probe = None
    if add is not None:
        glare_probe = cv2.resize(add, (pw, ph), interpolation=cv2.INTER_LINEAR)[..., None]
    lo, hi = NIGHT_EXPOSURE_TARGETS["dark" if exposure == "dark" else "ok"]
    target = target_luma if target_luma is not None else float(rng.uniform(lo, hi))
    # glare is stray light in the lens: it scales with the exposure like the scene does
    probe_total = probe if glare_probe is None else probe + glare_probe * np.float32(0.15)

    def toned_mean(g: float, a: float) -> float:
        return float(luma(_tone_rgb(probe_total * np.float32(g), a)).mean()) * 255

    # Night processing meters like HDR: the gain that meets the target mean, unless it would push the
    # bright areas (lit signs, showroom windows; the top 1% of the frame) past NIGHT_HIGHLIGHT; then
    # the highlights keep that gain and a lift of the shadows (`shadow_lift`) meets the target instead.
    gain = _bisect(lambda g: toned_mean(g, 0.0) - target, 1e-3, 1e3)
    bright = float(np.percentile(luma(probe_total), 99))
    lift = 0.0
    if bright > 0 and gain * bright > NIGHT_HIGHLIGHT:
        gain = NIGHT_HIGHLIGHT / bright
        lift = _bisect(lambda a: toned_mean(gain, a) - target, 1e-3, MAX_SHADOW_LIFT)
    gain = np.float32(gain)
    img = frame * cv2.resize(mult * gain, (w, h), interpolation=cv2.INTER_LINEAR)
    if add is not None:
        img += cv2.resize(add * gain * np.float32(0.15), (w, h), interpolation=cv2.INTER_LINEAR)[..., None]
    if optics.motion_len > 1:
        img = cv2.filter2D(img, -1, _motion_kernel(optics.motion_len, optics.motion_angle))
    img = cv2.GaussianBlur(img, (0, 0), max(optics.defocus_sigma, 0.55))
    # bloom: lamps and lit signs (far over 1 before the tone curve) bleed into their surroundings
    small = cv2.resize(img, (w // 4, h // 4), interpolation=cv2.INTER_AREA)
    over = np.clip(small - 2.0, 0, 8.0)
    if over.max() > 0.05:
        over = cv2.GaussianBlur(over, (0, 0), max(1.0, w / 600))
        img += cv2.resize(over, (w, h), interpolation=cv2.INTER_LINEAR) * np.float32(0.15)
    # sensor noise before the tone curve: the dark parts of a night photo are the grainy ones
    noise = rng.standard_normal((h // 2 + 1, w // 2 + 1, 3), dtype=np.float32) * np.float32(optics.noise_sigma)
    noise = cv2.resize(noise, (w, h), interpolation=cv2.INTER_NEAREST)
    noise *= np.float32(0.35) + np.clip(img, 0, 1)
    img = _tone_rgb(np.maximum(img + noise, 0), lift)
    np.clip(img, 0, 1, out=img)
    return cv2.convertScaleAbs(img, alpha=255.0, beta=0.5)


def encode_jpeg(rgb8: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb8, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()
