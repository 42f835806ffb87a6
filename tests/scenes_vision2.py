"""Small drawn scenes for the vision II tests: walls, people in uniforms, rust, plaques.

Boxes are xyxy pixels. Everything is drawn with numpy/OpenCV; no files.
"""
from __future__ import annotations

import cv2
import numpy as np


def wall(w: int = 640, h: int = 480, seed: int = 0, colour=(200, 200, 195)) -> np.ndarray:
    """HxWx3 uint8: a lit wall above a floor, with a little sensor noise."""
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.float32)
    img[:] = colour
    img[int(h * 0.75):] = (150, 145, 140)
    img *= np.linspace(1.05, 0.9, w)[None, :, None]
    img += rng.normal(0, 3, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def draw_person(img: np.ndarray, x0: int, y0: int, height: int, shirt, trousers, badge: bool) -> tuple:
    """Draw a standing person (head, shirt, trousers, optional white chest badge); return its box."""
    w = int(height * 0.36)
    skin = (205, 160, 130)
    head_h = int(height * 0.16)
    cx = x0 + w // 2
    cv2.ellipse(img, (cx, y0 + head_h // 2), (int(w * 0.22), head_h // 2), 0, 0, 360, skin, -1)
    cv2.ellipse(img, (cx, y0 + int(head_h * 0.25)), (int(w * 0.23), int(head_h * 0.28)), 0, 180, 360, (40, 30, 25), -1)
    ty0, ty1 = y0 + head_h, y0 + int(height * 0.55)
    cv2.rectangle(img, (x0, ty0), (x0 + w, ty1), shirt, -1)
    cv2.rectangle(img, (x0 - int(w * 0.08), ty0 + 4), (x0 + 2, ty1 - 5), shirt, -1)  # arms
    cv2.rectangle(img, (x0 + w - 2, ty0 + 4), (x0 + w + int(w * 0.08), ty1 - 5), shirt, -1)
    shade = tuple(int(c * 0.8) for c in shirt)
    cv2.line(img, (cx, ty0), (cx, ty1), shade, 2)
    cv2.rectangle(img, (x0 + int(w * 0.08), ty1), (cx - 2, y0 + height), trousers, -1)
    cv2.rectangle(img, (cx + 2, ty1), (x0 + w - int(w * 0.08), y0 + height), trousers, -1)
    if badge:
        bw, bh = int(w * 0.2), int(w * 0.11)
        bx, by = x0 + int(w * 0.6), ty0 + int((ty1 - ty0) * 0.2)
        cv2.rectangle(img, (bx, by), (bx + bw, by + bh), (248, 248, 248), -1)
        cv2.line(img, (bx + 2, by + bh // 2), (bx + bw - 3, by + bh // 2), (60, 60, 60), 1)
    return (x0 - int(w * 0.08), y0, x0 + w + int(w * 0.08), y0 + height)


def rust_patch(img: np.ndarray, box, seed: int = 0) -> None:
    """Mottled rust (browns and oranges of varying lightness) over a grey metal railing, in place."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = box
    h, w = y1 - y0, x1 - x0
    metal = np.full((h, w, 3), (120, 122, 125), np.float32)
    for yy in range(0, h, max(6, h // 6)):
        metal[yy:yy + 3] = (90, 92, 95)
    blobs = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), 3)
    blobs = (blobs - blobs.min()) / (np.ptp(blobs) + 1e-6)
    fine = rng.random((h, w)).astype(np.float32)
    rust = np.stack([110 + 70 * fine, 50 + 35 * fine, 20 + 20 * fine], -1)
    alpha = np.clip((blobs - 0.3) * 3, 0, 1)[..., None]
    img[y0:y1, x0:x1] = np.clip(metal * (1 - alpha) + rust * alpha, 0, 255).astype(np.uint8)


def orange_plaque(img: np.ndarray, box) -> None:
    """A clean, flat orange plaque with a white border, in place."""
    x0, y0, x1, y1 = box
    cv2.rectangle(img, (x0, y0), (x1, y1), (245, 245, 245), -1)
    cv2.rectangle(img, (x0 + 6, y0 + 6), (x1 - 6, y1 - 6), (235, 110, 20), -1)


UNIFORMS = {  # shirt, trousers (sRGB) close to the demo brand's roles
    "technician": ((31, 79, 143), (138, 144, 153)),
    "foreman": ((19, 140, 128), (58, 63, 69)),
    "inspector": ((232, 112, 42), (58, 63, 69)),
    "advisor": ((43, 46, 51), (43, 46, 51)),
}


def scene(seed: int, n_people: int | None = None, rust: bool | None = None, plaque: bool | None = None,
          role: str | None = None, badge: bool | None = None):
    """A drawn 640x480 scene: (rgb, person boxes, rust boxes, area)."""
    r = np.random.default_rng(seed)
    wall_colour = tuple(int(v) for v in r.integers(150, 230, 3))
    img = wall(640, 480, seed, wall_colour)
    n = int(r.integers(0, 4)) if n_people is None else n_people
    persons = []
    xs = r.permutation(np.arange(20, 560, 150))[:n] if n else []
    for x in sorted(int(v) for v in xs):
        height = int(r.integers(260, 330))
        shirt, trousers = UNIFORMS[role or r.choice(list(UNIFORMS))]
        persons.append(draw_person(img, x + int(r.integers(0, 20)), int(r.integers(60, 470 - height)), height, shirt,
                                   trousers, bool(r.random() < 0.6) if badge is None else badge))
    rusts = []
    if (r.random() < 0.5) if rust is None else rust:
        x0, y0 = int(r.integers(0, 440)), int(r.integers(360, 400))
        box = (x0, y0, x0 + int(r.integers(120, 200)), y0 + int(r.integers(60, 80)))
        rust_patch(img, box, seed)
        rusts.append(box)
    if (r.random() < 0.4) if plaque is None else plaque:
        x0 = int(r.integers(0, 480))
        orange_plaque(img, (x0, 10, x0 + 150, 90))
    return img, tuple(persons), tuple(rusts), ("staff" if persons else "facade")


_TINY_WEIGHTS: dict[str, str] = {}


def tiny_weights() -> str:
    """Heads trained here, once per test process, on 48 drawn scenes (about half a minute on CPU)."""
    if "dir" not in _TINY_WEIGHTS:
        import tempfile

        from models.data import Sample
        from models.train import train_heads

        def sample(i, **kw):
            img, persons, rusts, area = scene(i, **kw)
            return Sample(f"scene{i}", lambda img=img: (img, 1.0), area, tuple(("rust", b) for b in rusts), persons)

        train = [sample(i) for i in range(48)]
        val = [sample(1000 + i) for i in range(8)]
        out = tempfile.mkdtemp(prefix="tiny_heads_")
        train_heads(train, val, out, copies=2, epochs=25, patience=8, progress=False, command="tests: tiny_weights()")
        _TINY_WEIGHTS["dir"] = out
    return _TINY_WEIGHTS["dir"]
