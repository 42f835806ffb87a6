"""Per-brand learned logo detector: a heat map + box head on frozen early backbone features.

It proposes where the brand's CURRENT mark is on a photo, including where local features
find nothing to match (3D / chrome emblems, lit signs at night, logos 2% of the photo's
width). It is trained per brand, without hand labels, on synthetic scenes composed from
the brand pack's own artwork (models/logo_synth.py materials: print, white, chrome,
brushed metal, 3D extrusion, lit acrylic with glow; fading, dirt; perspective up to 50
degrees, roll, blur, noise, JPEG, night) on procedural backgrounds cluttered with random
emblems, text and the pack's deprecated and foreign marks, which are negatives.

Network: the shipped EfficientNet-Lite0 (models/backbone.py), frozen and cut after its
stride-16 80-channel stage: [stride-8 block 4 (40 ch), stride-16 block 7 (80 ch) upsampled]
-> `DetectorHead` (1x1 + three dilated 3x3 convs) -> per stride-8 cell: centre heat
(CenterNet-style), box log-size and sub-cell offset. Input: the photo resized to
INPUT_SIZE (512x384 landscape, transposed for portrait).

Weights: models/weights/logo_detector_<brand id>.pt (head only, with the SHA-256 of the
artwork it was trained on; stale weights are refused) and a model card beside it.

Train: auditor train --head logo --brand demo   (or python -m models.logo_detector train --brand demo)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

INPUT_SIZE = (512, 384)  # (w, h) landscape; portrait photos are transposed
STRIDE = 8
FEAT_CH = 40 + 80
_S8_BLOCK, _S16_BLOCK = 4, 7  # last block of the stride-8 and of the 80-channel stride-16 stage
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
TRAIN_SIZE = (320, 240)  # training scenes are smaller than the input (the head is convolutional): more marks per second
REFINE_SIDE, REFINE_GROW = 192, 2.4  # a proposal is looked at again in a crop 2.4x its size, at 192 px (mark ~80 px)
RENDER_WORKERS = 1 if (os.cpu_count() or 1) > 1 else 0  # rendering (~55 ms a scene) overlaps the backbone (~60 ms)
MIN_PX, MAX_PX = 9.0, 200.0  # long side of a rendered mark at INPUT_SIZE (2% .. 40% of the width)


def weights_path(brand_id: str) -> Path:
    """Where the detector of a brand lives: models/weights/logo_detector_<brand id>.pt."""
    return WEIGHTS_DIR / f"logo_detector_{brand_id}.pt"


def input_size_for(width: int, height: int) -> tuple[int, int]:
    w, h = INPUT_SIZE
    return (w, h) if width >= height else (h, w)


# --------------------------------------------------------------------------- network


class EarlyFeatures(nn.Module):
    """Frozen EfficientNet-Lite0 up to its stride-16 80-channel stage -> (B, FEAT_CH, H/8, W/8)."""

    def __init__(self, backbone=None):
        super().__init__()
        if backbone is None:
            from models.backbone import LiteBackbone

            backbone = LiteBackbone()
        self.backbone = backbone

    @torch.inference_mode()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, kept = self.backbone.run_blocks(x, keep=(_S8_BLOCK,), stop=_S16_BLOCK)
        s8 = kept[_S8_BLOCK]
        up = F.interpolate(h, size=s8.shape[-2:], mode="bilinear", align_corners=False)
        return torch.cat([s8, up], 1)


class DetectorHead(nn.Module):
    """(B, FEAT_CH, h, w) -> (B, 5, h, w): heat logit, offset x/y (cells), log width/height (cells)."""

    def __init__(self, width: int = 32):
        super().__init__()
        self.cfg = {"width": width}

        def block(cin, d):
            return nn.Sequential(nn.Conv2d(cin, width, 3, padding=d, dilation=d), nn.BatchNorm2d(width), nn.ReLU())

        self.stem = nn.Sequential(nn.Conv2d(FEAT_CH, width, 1), nn.BatchNorm2d(width), nn.ReLU())
        self.body = nn.Sequential(block(width, 1), block(width, 2), block(width, 4))
        self.out = nn.Conv2d(2 * width, 5, 1)
        nn.init.constant_(self.out.bias, 0.0)
        with torch.no_grad():
            self.out.bias[0] = -4.0  # rare positives: start with a low heat

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        s = self.stem(f)
        return self.out(torch.cat([s, self.body(s)], 1))


def to_input(rgb: np.ndarray) -> tuple[torch.Tensor, tuple[float, float]]:
    """HxWx3 uint8 RGB -> (3, h, w) normalised tensor at the detector's input size, (sx, sy) photo px per input px."""
    H, W = rgb.shape[:2]
    w, h = input_size_for(W, H)
    small = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA if W > w else cv2.INTER_LINEAR)
    t = torch.from_numpy(np.ascontiguousarray(small)).permute(2, 0, 1).float().sub_(127.0).div_(128.0)
    return t, (W / w, H / h)


@dataclass(frozen=True)
class Detection:
    box_xyxy: tuple[float, float, float, float]  # photo pixels
    score: float  # 0..1 peak heat


def decode(out: np.ndarray, scale_xy: tuple[float, float], threshold: float, top_k: int = 8) -> list[Detection]:
    """Peaks of the heat (5, h, w) above `threshold` -> boxes in photo pixels, best first."""
    heat = 1.0 / (1.0 + np.exp(-out[0]))
    peak = cv2.dilate(heat, np.ones((3, 3), np.uint8))
    ys, xs = np.nonzero((heat >= peak) & (heat >= threshold))
    order = np.argsort(-heat[ys, xs])[:top_k]
    dets = []
    for i in order:
        y, x = ys[i], xs[i]
        cx, cy = (x + 0.5 + out[1, y, x]) * STRIDE, (y + 0.5 + out[2, y, x]) * STRIDE
        bw, bh = np.exp(np.clip(out[3:5, y, x], -3, 6)) * STRIDE
        sx, sy = scale_xy
        dets.append(Detection(((cx - bw / 2) * sx, (cy - bh / 2) * sy, (cx + bw / 2) * sx, (cy + bh / 2) * sy),
                              float(heat[y, x])))
    return dets


class LogoDetector:
    """Frozen early features + a brand's trained head; `detect(rgb)` -> [Detection]."""

    def __init__(self, head: DetectorHead, meta: dict, backbone=None):
        self.features = EarlyFeatures(backbone).eval()
        self.head = head.eval()
        self.meta = dict(meta)

    @classmethod
    def load(cls, path: str | Path, backbone=None) -> "LogoDetector":
        from models.heads import read_weights

        blob = read_weights(path, "logo_detector", "auditor train --head logo --brand ID")
        head = DetectorHead(**blob["cfg"])
        head.load_state_dict(blob["state"])
        meta = json.loads(blob.get("meta", "{}"))
        meta["artwork_sha256"] = blob.get("artwork_sha256")
        meta["brand"] = blob.get("brand")
        return cls(head, meta, backbone)

    @torch.inference_mode()
    def raw(self, rgb: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
        x, scale = to_input(rgb)
        return self.head(self.features(x[None]))[0].float().numpy(), scale

    def detect(self, rgb: np.ndarray, threshold: float = 0.2, top_k: int = 8) -> list[Detection]:
        out, scale = self.raw(rgb)
        return decode(out, scale, threshold, top_k)

    @torch.inference_mode()
    def refine(self, rgb: np.ndarray, box_xyxy) -> Detection | None:
        """A second look at one proposal: its surroundings (REFINE_GROW x the box) resized so the mark
        is ~80 px, as in training, and the strongest peak near the centre; None when there is none."""
        x0, y0, x1, y1 = box_xyxy
        cx, cy, side = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) * REFINE_GROW
        H, W = rgb.shape[:2]
        X0, Y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
        X1, Y1 = int(min(W, cx + side / 2)), int(min(H, cy + side / 2))
        if X1 - X0 < 4 or Y1 - Y0 < 4:
            return None
        crop = rgb[Y0:Y1, X0:X1]
        f = REFINE_SIDE / side
        w, h = max(16, int(round((X1 - X0) * f / 16)) * 16), max(16, int(round((Y1 - Y0) * f / 16)) * 16)
        small = cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
        x = torch.from_numpy(np.ascontiguousarray(small)).permute(2, 0, 1).float().sub_(127.0).div_(128.0)
        out = self.head(self.features(x[None]))[0].float().numpy()
        dets = decode(out, ((X1 - X0) / w, (Y1 - Y0) / h), 0.05, 4)
        near = [d for d in dets if abs((d.box_xyxy[0] + d.box_xyxy[2]) / 2 + X0 - cx) < side / 4
                and abs((d.box_xyxy[1] + d.box_xyxy[3]) / 2 + Y0 - cy) < side / 4]
        if not near:
            return None
        b = near[0].box_xyxy
        return Detection((b[0] + X0, b[1] + Y0, b[2] + X0, b[3] + Y0), near[0].score)


# --------------------------------------------------------------------------- synthetic scenes


def view_homography(w: float, h: float, yaw: float, pitch: float, roll: float, f_scale: float = 1.2) -> np.ndarray:
    """3x3 homography of a w x h plane seen by a pinhole camera turned by yaw/pitch/roll (degrees)."""
    yaw, pitch, roll = np.deg2rad([yaw, pitch, roll])
    f = max(w, h) * f_scale
    K = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]])
    cy, sy, cp, sp, cr, sr = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    R = (np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]]) @ np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
         @ np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]]))
    T = np.array([[1, 0, -w / 2], [0, 1, -h / 2], [0, 0, 0]], float)
    H = K @ (R @ T + np.array([[0, 0, 0], [0, 0, 0], [0, 0, f]]))
    return H / H[2, 2]


def _random_homography(rng, w: float, h: float, max_yaw: float) -> np.ndarray:
    roll = rng.normal(0, 4) if rng.random() > 0.15 else rng.uniform(-15, 15)  # 15%: a tilted sign
    return view_homography(w, h, rng.uniform(-max_yaw, max_yaw), rng.uniform(-max_yaw, max_yaw) * 0.45, roll,
                           rng.uniform(0.9, 1.6))


def paste_mark(scene: np.ndarray, rgba: np.ndarray, rng, size_px: float, centre: tuple[float, float],
               style: str, max_yaw: float = 50.0, view: tuple[float, float, float] | None = None,
               dim: float = 1.0) -> np.ndarray | None:
    """Render `rgba` in `style`, seen in perspective, with its long side ~size_px, centred at `centre`.

    view: (yaw, pitch, roll) in degrees; None draws one at random (yaw up to `max_yaw`).
    dim: factor on the mark's face (an unlit mark at night is as dark as its wall).

    Modifies `scene` (HxWx3 float32 0..255) in place. Returns the xyxy box of the mark's opaque part.
    """
    from models import logo_synth as S

    ys, xs = np.nonzero(rgba[..., 3] > 127)
    if len(xs) == 0:
        return None
    # render at about twice the target size (at least 48 px): materials need some pixels
    r = int(np.clip(size_px * 2, 48, 256))
    art = cv2.resize(rgba, (r, r), interpolation=cv2.INTER_AREA)
    pad = r // 4
    art = cv2.copyMakeBorder(art, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    face, a, glow = S._material(art, rng, style)
    face, a = S._degrade_logo(face, a, rng)
    face = face * dim
    R = art.shape[0]
    k = r / rgba.shape[0]
    box = np.array([[xs.min(), ys.min()], [xs.max() + 1, ys.min()], [xs.max() + 1, ys.max() + 1],
                    [xs.min(), ys.max() + 1]], np.float64) * k + pad
    Hp = _random_homography(rng, R, R, max_yaw) if view is None else view_homography(R, R, *view)
    quad = cv2.perspectiveTransform(box[None], Hp)[0]
    span = max(np.ptp(quad[:, 0]), np.ptp(quad[:, 1]))
    s = size_px / max(span, 1e-6)
    c = quad.mean(0)
    T = np.array([[s, 0, centre[0] - s * c[0]], [0, s, centre[1] - s * c[1]], [0, 0, 1]]) @ Hp
    h, w = scene.shape[:2]
    wa = cv2.warpPerspective(a, T, (w, h), flags=cv2.INTER_AREA)
    wf = cv2.warpPerspective(face * a[..., None], T, (w, h), flags=cv2.INTER_AREA)
    if style in ("chrome", "brushed", "extruded") and rng.random() < 0.5:  # drop shadow
        sh = cv2.GaussianBlur(wa, (0, 0), max(0.8, size_px * 0.02))
        M = np.float32([[1, 0, rng.uniform(-2, 2) * size_px * 0.02], [0, 1, rng.uniform(1, 3) * size_px * 0.02]])
        scene *= 1 - 0.5 * cv2.warpAffine(sh, M, (w, h))[..., None]
    scene *= 1 - wa[..., None]
    scene += wf
    if glow is not None:
        scene += cv2.warpPerspective(glow.astype(np.float32), T, (w, h), flags=cv2.INTER_LINEAR)
    q = cv2.perspectiveTransform(box[None], T)[0]
    return np.array([q[:, 0].min(), q[:, 1].min(), q[:, 0].max(), q[:, 1].max()])


def _clutter(scene: np.ndarray, rng, night: bool) -> None:
    """Panels of other textures, window grids and text blocks over the background."""
    from models import logo_synth as S

    h, w = scene.shape[:2]
    for _ in range(int(rng.integers(0, 4))):
        ph, pw = int(rng.integers(h // 8, h // 2)), int(rng.integers(w // 8, w // 2))
        y, x = int(rng.integers(0, h - ph)), int(rng.integers(0, w - pw))
        scene[y:y + ph, x:x + pw] = S.background(rng, ph, pw, night=night)


def _occlude(scene: np.ndarray, box, rng, night: bool) -> None:
    """Something in front of part of a mark: a person (head and shoulders), a pole or a cable."""
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    col = rng.uniform(10, 200, 3) * (0.3 if night else 1.0)
    m = np.zeros(scene.shape[:2], np.uint8)
    kind = rng.choice(["person", "pole", "cable"], p=[0.5, 0.3, 0.2])
    if kind == "person":
        r = bw * rng.uniform(0.15, 0.3)
        cx, cy = rng.uniform(x0, x1), rng.uniform(y0 + 0.3 * bh, y1 + 0.2 * bh)
        cv2.ellipse(m, (int(cx), int(cy)), (int(r), int(r * 1.25)), 0, 0, 360, 255, -1)
        cv2.ellipse(m, (int(cx), int(cy + 2.6 * r)), (int(2.2 * r), int(1.6 * r)), 0, 180, 360, 255, -1)
        cv2.rectangle(m, (int(cx - 2.2 * r), int(cy + 2.6 * r)), (int(cx + 2.2 * r), scene.shape[0]), 255, -1)
    elif kind == "pole":
        x = rng.uniform(x0, x1)
        cv2.rectangle(m, (int(x), 0), (int(x + max(2, bw * rng.uniform(0.05, 0.2))), scene.shape[0]), 255, -1)
    else:
        p0 = (int(x0 - bw), int(rng.uniform(y0, y1)))
        p1 = (int(x1 + bw), int(rng.uniform(y0, y1)))
        cv2.line(m, p0, p1, 255, max(1, int(bh * rng.uniform(0.02, 0.08))))
    inside = m[max(0, int(y0)):int(y1) + 1, max(0, int(x0)):int(x1) + 1]
    if inside.size == 0 or (inside > 127).mean() > 0.4:  # most of the mark hidden: not a fair label
        return
    a = cv2.GaussianBlur(m.astype(np.float32) / 255, (0, 0), 0.7)[..., None]
    scene *= 1 - a
    scene += a * col


def compose_scene(rng: np.random.Generator, current: Sequence[np.ndarray], negatives: Sequence[np.ndarray],
                  size: tuple[int, int] = INPUT_SIZE) -> tuple[np.ndarray, list[np.ndarray]]:
    """A synthetic photo (HxWx3 uint8) with 0-2 renders of the brand's current marks and their xyxy boxes.

    Distractors: the pack's deprecated / foreign marks (`negatives`), random emblems
    (logo_synth.random_logo) and look-alikes of them, text and clutter; they are not labelled.
    """
    from models import logo_synth as S

    w, h = size
    style_p = np.array([0.2, 0.14, 0.2, 0.1, 0.18, 0.18])
    night = rng.random() < 0.25
    scene = S.background(rng, h, w, night=night)
    _clutter(scene, rng, night)
    n_pos = int(rng.choice([0, 1, 1, 1, 2]))
    n_neg = int(rng.integers(0, 3))
    items = [("pos", None)] * n_pos + [("neg", None)] * n_neg + [("rand", None)] * int(rng.integers(0, 3))
    rng.shuffle(items)
    boxes, taken = [], []
    for kind, _ in items:
        size_px = float(np.exp(rng.uniform(np.log(MIN_PX), np.log(min(MAX_PX, 0.8 * h)))))
        for _ in range(10):  # a place that does not overlap earlier marks
            cx, cy = rng.uniform(size_px * 0.3, w - size_px * 0.3), rng.uniform(size_px * 0.3, h - size_px * 0.3)
            if all(abs(cx - tx) > (size_px + ts) * 0.6 or abs(cy - ty) > (size_px + ts) * 0.6 for tx, ty, ts in taken):
                break
        else:
            continue
        if kind == "pos":
            art = current[int(rng.integers(len(current)))]
        elif kind == "neg" and len(negatives):
            art = negatives[int(rng.integers(len(negatives)))]
        else:
            art = S.draw_logo(S.random_logo(rng), 192)
        style = str(rng.choice(S.STYLES, p=style_p / style_p.sum()))
        if night and style not in ("lit", "white") and rng.random() < 0.5:
            style = "lit"
        dim = rng.uniform(0.1, 0.45) if night and style != "lit" and rng.random() < 0.7 else 1.0
        box = paste_mark(scene, art, rng, size_px, (cx, cy), style, 50.0, dim=dim)
        if box is None:
            continue
        if rng.random() < 0.3:
            _occlude(scene, box, rng, night)
        taken.append((cx, cy, size_px))
        if kind == "pos" and box[0] >= -0.3 * (box[2] - box[0]) and box[2] <= w + 0.3 * (box[2] - box[0]):
            boxes.append(np.clip(box, 0, [w, h, w, h]))
    img = _finish(scene, rng)
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    visible = []
    for b in boxes:  # a white mark on a white wall is not a mark anyone can see: no label
        x0, y0, x1, y1 = (int(v) for v in (b[0], b[1], np.ceil(b[2]), np.ceil(b[3])))
        patch = gray[max(0, y0):y1, max(0, x0):x1]
        if patch.size and patch.std() >= 8:
            visible.append(b)
    return img, visible


def _finish(scene: np.ndarray, rng) -> np.ndarray:
    img = scene
    if rng.random() < 0.5:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.3))
    img = img * rng.uniform(0.75, 1.25) * (rng.uniform(0.85, 1.15, 3) if rng.random() < 0.5 else 1) + rng.uniform(-15, 15)
    if rng.random() < 0.3:
        img = 255 * (np.clip(img, 0, 255) / 255) ** rng.uniform(0.6, 1.6)
    img = np.clip(img + rng.normal(0, rng.uniform(0, 6), img.shape), 0, 255).astype(np.uint8)
    if rng.random() < 0.7:
        _, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 92))])
        img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return img


# --------------------------------------------------------------------------- targets, loss


def targets(boxes: Sequence[np.ndarray], hw: tuple[int, int]) -> np.ndarray:
    """(6, h, w) float32: heat target, offset x/y, log w/h, regression mask for a list of xyxy boxes."""
    gh, gw = hw[0] // STRIDE, hw[1] // STRIDE
    t = np.zeros((6, gh, gw), np.float32)
    yy, xx = np.mgrid[0:gh, 0:gw].astype(np.float32)
    for b in boxes:
        bw, bh = max(b[2] - b[0], 1.0), max(b[3] - b[1], 1.0)
        cx, cy = (b[0] + b[2]) / 2 / STRIDE, (b[1] + b[3]) / 2 / STRIDE
        sig = max(0.5, 0.12 * np.sqrt(bw * bh) / STRIDE)
        g = np.exp(-((xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2) / (2 * sig * sig))
        t[0] = np.maximum(t[0], g)
        ix, iy = int(np.clip(cx, 0, gw - 1)), int(np.clip(cy, 0, gh - 1))
        for dy in (-1, 0, 1):  # the centre cell and its neighbours regress the box
            for dx in (-1, 0, 1):
                x, y = ix + dx, iy + dy
                if 0 <= x < gw and 0 <= y < gh and (dx == dy == 0 or g[y, x] > 0.3):
                    t[1:5, y, x] = (cx - x - 0.5, cy - y - 0.5, np.log(bw / STRIDE), np.log(bh / STRIDE))
                    t[5, y, x] = 1.0
        t[0, iy, ix] = 1.0
    return t


def loss_fn(out: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """CenterNet focal loss on the heat + L1 on offsets and log sizes where the mask is set."""
    p = torch.sigmoid(out[:, 0]).clamp(1e-4, 1 - 1e-4)
    gt = t[:, 0]
    pos = (gt >= 1.0).float()
    neg_w = (1 - gt) ** 4
    focal = -(pos * (1 - p) ** 2 * torch.log(p) + (1 - pos) * neg_w * p ** 2 * torch.log(1 - p)).sum()
    n_pos = pos.sum().clamp(min=1.0)
    m = t[:, 5:6]
    reg = (F.smooth_l1_loss(out[:, 1:5], t[:, 1:5], reduction="none") * m).sum() / m.sum().clamp(min=1.0)
    return focal / n_pos, reg


# --------------------------------------------------------------------------- training


def pack_artwork(brand) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(current marks, negatives) as RGBA: the pack's artwork references (and white / night
    variants of the colour artwork), and its deprecated and foreign marks."""
    current = [r.rgba for r in brand.logos if r.kind == "artwork" and not (r.deprecated or r.foreign)]
    negatives = [r.rgba for r in brand.logos if r.deprecated or r.foreign]
    if not current:
        raise ValueError(f"brand pack '{brand.id}' has no current artwork logo to train a detector on")
    white = []
    for a in current:
        w = a.copy()
        w[..., :3] = 255
        white.append(w)
    return current + white[:1], negatives


RENDER_CHUNK = 8  # scenes per render job (one backbone batch); each chunk has its own generator


def _render_chunk(seed: int, chunk: int, current, negatives) -> list[tuple[np.ndarray, list[np.ndarray]]]:
    rng = np.random.default_rng([seed, chunk])
    return [compose_scene(rng, current, negatives, TRAIN_SIZE) for _ in range(RENDER_CHUNK)]


_worker_art: tuple = ()


def _init_render_worker(current, negatives) -> None:
    global _worker_art
    cv2.setNumThreads(1)
    _worker_art = (current, negatives)


def _render_chunk_in_worker(job: tuple[int, int]):
    return _render_chunk(job[0], job[1], *_worker_art)


def _rendered_chunks(seed: int, current, negatives, workers: int):
    """Chunks of rendered scenes, in order; rendered `workers` processes ahead of the caller
    (the same scenes with or without workers: each chunk's generator is seeded by its index)."""
    if workers <= 0:
        chunk = 0
        while True:
            yield _render_chunk(seed, chunk, current, negatives)
            chunk += 1
    import multiprocessing

    ahead = 2 * workers  # bounded: at most this many rendered chunks wait for the backbone
    with multiprocessing.get_context("spawn").Pool(workers, _init_render_worker, (current, negatives)) as pool:
        pending = [pool.apply_async(_render_chunk_in_worker, ((seed, c),)) for c in range(ahead)]
        chunk = ahead
        while True:
            done = pending.pop(0).get()
            pending.append(pool.apply_async(_render_chunk_in_worker, ((seed, chunk),)))
            chunk += 1
            yield done


def _render_set(seed: int, n: int, deadline: float, current, negatives, extractor, log, workers: int = 0) -> dict:
    """Render up to `n` scenes (whole chunks) until `deadline`, and embed them with `extractor`."""
    feats, tgts, boxes = [], [], []
    chunks = _rendered_chunks(seed, current, negatives, workers)
    try:
        while len(boxes) < n:
            if boxes and time.monotonic() > deadline:  # at least one batch, however short the budget
                break
            scenes = next(chunks)
            x = torch.stack([torch.from_numpy(img).permute(2, 0, 1).float().sub_(127.0).div_(128.0) for img, _ in scenes])
            feats.append(extractor(x).half())
            for _, b in scenes:
                tgts.append(torch.from_numpy(targets(b, (TRAIN_SIZE[1], TRAIN_SIZE[0]))))
                boxes.append([list(map(float, bb)) for bb in b])
            if len(boxes) % 400 == 0:
                log(f"  seed {seed}: {len(boxes)} scenes")
    finally:
        chunks.close()  # stops the render workers
    return {"feats": torch.cat(feats), "targets": torch.stack(tgts), "boxes": boxes}


def evaluate(head: DetectorHead, data: dict, threshold: float = 0.3) -> dict:
    """Recall at IoU >= 0.5 and false detections per scene on a rendered set."""
    from models.heads import box_iou

    head.eval()
    tp = n_true = fp = 0
    with torch.no_grad():
        for s in range(0, len(data["boxes"]), 32):
            out = head(data["feats"][s:s + 32].float()).numpy()
            for o, truth in zip(out, data["boxes"][s:s + 32]):
                dets = decode(o, (1.0, 1.0), threshold)
                used = set()
                for d in dets:
                    ious = box_iou(np.asarray([d.box_xyxy], np.float32), np.asarray(truth, np.float32).reshape(-1, 4))[0]
                    best = max(((float(ious[k]), k) for k in range(len(truth)) if k not in used), default=(0, -1))
                    if best[0] >= 0.5:
                        used.add(best[1])
                        tp += 1
                    else:
                        fp += 1
                n_true += len(truth)
    return {"recall": tp / max(n_true, 1), "false_per_scene": fp / max(len(data["boxes"]), 1), "boxes": n_true,
            "scenes": len(data["boxes"]), "threshold": threshold}


def train(brand_id: str = "demo", out: Path | None = None, minutes: float = 16.0, seed: int = 1,
          threads: int | None = None, log=print, command: str | None = None, render_workers: int | None = None) -> dict:
    """Render scenes from the pack's artwork, embed them once, train the head; write weights + card.

    Scenes are rendered in `render_workers` processes (default RENDER_WORKERS) beside the backbone;
    0 renders in this process. The budget is wall time: a faster or idler machine sees more scenes."""
    from auditor.brandpack import load_brand
    from auditor.checks.logo import artwork_sha256

    t0 = time.monotonic()
    budget = minutes * 60
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    brand = load_brand(brand_id)
    current, negatives = pack_artwork(brand)
    out = Path(out) if out is not None else weights_path(brand.id)
    if out.suffix != ".pt":
        out = out / f"logo_detector_{brand.id}.pt"
    extractor = EarlyFeatures().eval()
    log(f"rendering validation scenes for '{brand.id}' ...")
    workers = RENDER_WORKERS if render_workers is None else render_workers
    val = _render_set(seed + 100_003, 200, t0 + 0.06 * budget, current, negatives, extractor, log, workers)
    log(f"rendering training scenes ({len(val['boxes'])} validation scenes done, {time.monotonic() - t0:.0f} s) ...")
    tr = _render_set(seed, 100_000, t0 + 0.55 * budget, current, negatives, extractor, log, workers)
    n_tr = len(tr["boxes"])
    log(f"  {n_tr} training scenes, {sum(map(len, tr['boxes']))} marks ({time.monotonic() - t0:.0f} s)")
    head = DetectorHead()
    opt = torch.optim.AdamW(head.parameters(), lr=2e-3, weight_decay=1e-4)
    rng = np.random.default_rng(seed)
    deadline = t0 + 0.95 * budget
    history, best, best_state, epoch = [], -1e9, None, 0
    while epoch == 0 or (time.monotonic() < deadline and epoch < 40):
        head.train()
        order = rng.permutation(n_tr)
        tot = 0.0
        for s in range(0, n_tr, 16):
            b = order[s:s + 16]
            f = tr["feats"][b].float()
            tg = tr["targets"][b]
            if rng.random() < 0.5:  # mirror: a mark's identity is not its handedness here, only the position
                f, tg = f.flip(-1), tg.flip(-1)
                tg[:, 1] = -tg[:, 1]
            f = F.dropout(f * (1 + 0.05 * torch.randn_like(f)), 0.05)
            focal, reg = loss_fn(head(f), tg)
            loss = focal + reg
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += float(loss.detach()) * len(b)
            if time.monotonic() > deadline:
                break
        m = evaluate(head, val)
        score = m["recall"] - 0.5 * m["false_per_scene"]
        history.append({"epoch": epoch, "loss": round(tot / n_tr, 4), **{k: round(v, 4) for k, v in m.items()
                                                                         if isinstance(v, float)}})
        log(f"epoch {epoch}: loss {tot / n_tr:.4f}  val recall {m['recall']:.3f}  false/scene {m['false_per_scene']:.3f}")
        if score > best:
            best, best_state = score, {k: v.detach().clone() for k, v in head.state_dict().items()}
        epoch += 1
    head.load_state_dict(best_state)
    metrics = {t: evaluate(head, val, t) for t in (0.2, 0.3, 0.5)}
    elapsed = time.monotonic() - t0
    cmd = command or f"python -m models.logo_detector train --brand {brand.id} --out {out} --minutes {minutes:g} --seed {seed}"
    meta = {"command": cmd, "brand": brand.id, "seconds": round(elapsed), "train_scenes": n_tr,
            "train_marks": sum(map(len, tr["boxes"])), "val_scenes": len(val["boxes"]), "epochs": epoch,
            "val": metrics, "history": history, "torch_threads": torch.get_num_threads(),
            "current_refs": [r.id for r in brand.logos if r.kind == "artwork" and not (r.deprecated or r.foreign)],
            "negative_refs": [r.id for r in brand.logos if r.deprecated or r.foreign]}
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"kind": "logo_detector", "cfg": head.cfg, "state": head.state_dict(), "brand": brand.id,
                "artwork_sha256": artwork_sha256(brand), "input": list(INPUT_SIZE), "meta": json.dumps(meta)}, out)
    write_card(out.with_suffix(".md"), meta, out)
    log(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB) and {out.with_suffix('.md')} in {elapsed:.0f} s")
    return {"weights": str(out), "metrics": metrics[0.3], "epochs": epoch, "seconds": round(elapsed)}


def write_card(path: Path, meta: dict, weights: Path) -> None:
    v = meta["val"]
    lines = [
        f"# Model card: logo detector of brand `{meta['brand']}` (`{weights.name}`)",
        "",
        "Proposes where the brand's CURRENT mark is on a photo (heat map + box per stride-8 cell), for",
        "`logo.present` / `logo.placement` (auditor/checks/logo.py), which verifies each proposal by zoomed",
        "SIFT + strict geometry, or else by the learned logo verifier. Code: `models/logo_detector.py`.",
        "",
        "## What is stored",
        f"Only the head (`DetectorHead`, {weights.stat().st_size / 1e6 if weights.exists() else 0:.2f} MB) and the SHA-256 of the",
        "artwork it was trained on (other artwork: the weights are refused, retrain). Features: the shipped ImageNet",
        "EfficientNet-Lite0 (frozen) up to its stride-16 80-channel stage, at 512x384 (portrait 384x512):",
        "stride-8 block 4 (40 ch) + stride-16 block 7 (80 ch) upsampled.",
        "",
        "## Data (synthetic only, made from the brand pack; no photo, no hand label)",
        f"- {meta['train_scenes']} training scenes with {meta['train_marks']} marks; {meta['val_scenes']} validation scenes (other seed).",
        f"- positives: the pack's current artwork ({', '.join(meta['current_refs'])}, and an all-white version)",
        "  rendered in models/logo_synth.py materials: flat print, white, chrome, brushed metal, 3D extrusion with",
        "  side and drop shadow, lit acrylic with glow; unlit marks as dark as their wall at night; sun fading and",
        "  dirt; 30% partly hidden by a person, a pole or a cable; perspective up to 50 degrees yaw",
        f"  (pitch 0.45x), roll, 15% tilted up to 15 degrees; long side {MIN_PX:g}-{MAX_PX:g} px at 512 px width;",
        f"  scenes of {TRAIN_SIZE[0]}x{TRAIN_SIZE[1]} px (the head is convolutional; small scenes give more marks per second).",
        f"- negatives (never labelled): the pack's deprecated and foreign marks ({', '.join(meta['negative_refs']) or 'none'}),",
        "  random emblems (logo_synth.random_logo), clutter panels, facade / window / brick / metal / text / sky",
        "  backgrounds; 25% night scenes with street lights. Camera: blur, colour cast, gamma, noise, JPEG q30-92.",
        "",
        "## Validation (synthetic scenes of another seed)",
        "| heat threshold | recall at IoU 0.5 | false detections per scene |",
        "|---|---|---|",
        *[f"| {t} | {m['recall']:.3f} | {m['false_per_scene']:.3f} |" for t, m in v.items()],
        "",
        "End-to-end numbers (with geometric verification and the verifier) come from `auditor evaluate`.",
        "",
        "## Training",
        f"`{meta['command']}` — {meta['seconds']} s on this machine's shared CPU ({meta['torch_threads']} torch threads),",
        f"{meta['epochs']} epochs on cached features; the best epoch by validation recall - 0.5 x false/scene is kept.",
        "",
        "## Limits",
        "- Synthetic renders only: real chrome reflections, neon tubes and heavy occlusion differ; a proposal is",
        "  never accepted on the heat alone (logo.py asks for geometry or the verifier as well).",
        "- Marks wider than ~40% of the photo are left to the feature matcher.",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m models.logo_detector")
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train a brand's detector from its pack's artwork")
    t.add_argument("--brand", default="demo")
    t.add_argument("--out", type=Path, default=None)
    t.add_argument("--minutes", type=float, default=16.0)
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--threads", type=int, default=2)
    s = sub.add_parser("scenes", help="write a few synthetic training scenes (with boxes) to look at")
    s.add_argument("--brand", default="demo")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--n", type=int, default=8)
    args = ap.parse_args(argv)
    if args.cmd == "train":
        train(args.brand, args.out, args.minutes, args.seed, args.threads)
    else:
        from auditor.brandpack import load_brand

        cur, neg = pack_artwork(load_brand(args.brand))
        rng = np.random.default_rng(0)
        args.out.mkdir(parents=True, exist_ok=True)
        for i in range(args.n):
            img, boxes = compose_scene(rng, cur, neg)
            img = img.copy()
            for b in boxes:
                cv2.rectangle(img, (int(b[0]), int(b[1])), (int(b[2]), int(b[3])), (0, 255, 0), 1)
            cv2.imwrite(str(args.out / f"scene_{i}.png"), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    return 0


if __name__ == "__main__":
    sys.exit(main())
