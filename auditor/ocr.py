"""Read sign text: the only module that runs rapidocr (PP-OCR detection + recognition, onnx).

`read_text(rgb)` reads a photo in three passes so that it stays within the speed budget:

1. the whole photo is detected at a fixed pixel budget (`PASS1_PIXELS`), with the int8
   detector (`DET_INT8`, four times cheaper than the float one); every detected
   line is cut out of the full-resolution working copy (not the small detection image) for
   recognition, which is what reads small text;
2. a targeted second pass re-detects, upscaled, the places where the first pass saw weak
   text evidence (text probability under the box threshold), small lines, or lines it read
   with low confidence, within a second pixel budget (`PASS2_PIXELS`);
3. the largest read sign lines with no neighbouring row read are re-detected at twice the
   scale (`COMPANION_PIXELS`): a sign's smaller second line (the English under a Chinese
   name) is often swallowed by the first line's detection box.

Tall crops (vertical text) are recognised three ways (rotated either way, and with its
characters re-tiled into a row) and the best reading is kept. Lines found twice are merged
(by overlap and similar text, keeping the surer reading; stacked rows whose loose boxes overlap
stay apart). Lines that sit next to each other on one row, or
stacked as one sign block, are also returned joined, as `kind="block"`, because sign texts
are often split over two lines.

`read_dim_panel(gray)` reads one dim panel (an unlit sign at night), denoised and stretched.

The engine loads once per process, lazily; its thread count comes from `configure()` or
the environment variable `AUDITOR_OCR_THREADS` (default 1: one photo per core).
"""
from __future__ import annotations

import os
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from auditor.types import Region

PASS1_PIXELS = 260_000  # detection pixels of the whole-photo pass (~0.1 s on one core, int8)
PASS1_MAX_UPSCALE = 2.0  # small photos are enlarged up to this much for detection
PASS2_PIXELS = 120_000  # detection pixels spent on targeted crops
PASS2_MAX_WINDOWS = 6
COMPANION_PIXELS = 64_000  # detection pixels for the unread lines stacked on read sign lines
COMPANION_MAX_WINDOWS = 2
MAX_LINES = 48  # lines recognised per pass (largest first)
TEXT_SCORE = 0.5  # recognition confidence below which a line is dropped
DET_BOX_THRESH = 0.5
DET_WEAK_THRESH = 0.12  # text probability that marks a place worth a closer look
SMALL_LINE_PX = 14  # a line this short (detection pixels) is re-read upscaled
LOW_CONFIDENCE = 0.85  # a line read less surely than this is re-read upscaled
TARGET_LINE_PX = 36  # line height the second pass aims for in its detection image
RETRY_TURNED_BELOW = 0.7  # a reading this unsure is retried turned upside down

# The wheel's PP-OCR detector quantised to int8 by scripts/setup (models/weights/ocr_det_int8.md): about four times
# cheaper on a CPU core than the float model, which is most of the OCR time. AUDITOR_OCR_DET=float
# (or a missing file) uses the wheel's float model.
DET_INT8 = Path(__file__).resolve().parent.parent / "models" / "derived" / "ocr_det_int8.onnx"
# ... but not on dark photos (mean luma under the night check's 90): the int8 activation ranges
# leave too few levels for a dim, unlit sign at night, and EXT-07 needs those signs found.
FAST_DET_MIN_LUMA = 90.0


@dataclass(frozen=True)
class TextLine:
    """One read line of text; `region` has the line's quad (polygon) in input pixels."""

    text: str
    confidence: float  # 0..1 recognition confidence
    region: Region
    kind: str = "line"  # "line" (one detected line) or "block" (neighbouring lines joined)


_lock = threading.Lock()
_engine: Any = None
_threads: int | None = None


def configure(threads: int | None = None) -> None:
    """Set the onnxruntime thread count (before first use; a later call reloads the models)."""
    global _threads, _engine
    with _lock:
        _threads = threads
        _engine = None


def _models():
    """(detector, fast whole-photo detector or None, recogniser), loaded once per process.

    The fast detector is an onnxruntime session of the int8 model (`x` NCHW float -> probability
    map), used by the whole-photo pass only; windows and panels keep the float detector.
    """
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                from rapidocr import RapidOCR  # heavy import: only when text is first read

                threads = _threads or int(os.environ.get("AUDITOR_OCR_THREADS", "1"))
                eng = RapidOCR(
                    params={
                        "Global.log_level": "error",
                        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                        "Det.box_thresh": DET_BOX_THRESH,
                    }
                )
                fast_model = det_model_path()
                fast = _ort_session(fast_model, threads) if fast_model is not None else None
                _engine = (eng._load_det_model(), fast, eng._load_rec_model())
    return _engine


def _ort_session(path: Path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 4
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return lambda x: sess.run(None, {name: x})[0]


def det_model_path() -> Path | None:
    """The detector model file to load instead of the wheel's, or None for the wheel's float model."""
    choice = os.environ.get("AUDITOR_OCR_DET", "int8").strip().lower()
    if choice in ("float", "fp32", "wheel"):
        return None
    if choice not in ("", "int8"):
        return Path(choice)
    return DET_INT8 if DET_INT8.is_file() else None


# --------------------------------------------------------------------------- detection


def _detect(rgb: np.ndarray, scale: float, fast: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Detect text lines in `rgb` (HxWx3 uint8) resized by `scale`; `fast`: with the int8 detector
    when there is one and the image is not dark (FAST_DET_MIN_LUMA).

    Returns (quads Nx4x2 float32 in `rgb` pixels, box scores N, probability map hxw float32
    of the detection image, whose pixel (x, y) is at (x / sx, y / sy) in `rgb`).
    """
    det, fast_det, _ = _models()
    h, w = rgb.shape[:2]
    dh = max(32, int(round(h * scale / 32)) * 32)
    dw = max(32, int(round(w * scale / 32)) * 32)
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    small = cv2.resize(rgb, (dw, dh), interpolation=interp)
    img = small[:, :, ::-1]  # the models take BGR
    x = ((img.astype(np.float32) / 255.0) - 0.5) / 0.5
    x = x.transpose(2, 0, 1)[None]
    if fast and fast_det is not None and float(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).mean()) >= FAST_DET_MIN_LUMA:
        pred = fast_det(x)
    else:
        pred = det.session(x)
    boxes, scores = det.postprocess_op(pred, (h, w))
    quads = np.asarray(boxes, np.float32).reshape(-1, 4, 2)
    return quads, np.asarray(scores, np.float32).reshape(-1), pred[0, 0].astype(np.float32)


def _largest(quads: np.ndarray, n: int) -> np.ndarray:
    """The `n` largest quads (a wall of tiny print must not eat the time budget)."""
    if len(quads) <= n:
        return quads
    areas = np.abs([cv2.contourArea(q.astype(np.float32)) for q in quads])
    return quads[np.argsort(-areas)[:n]]


# --------------------------------------------------------------------------- recognition


def _crop_quad(img: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The quad's content of `img` (HxWx3, RGB) as BGR, warped upright along the quad's first edge.

    Only the quad's bounding window is touched, so cutting many lines from a large photo stays cheap.
    """
    q = quad.astype(np.float32)
    x0, y0 = np.floor(q.min(0)).astype(int) - 2
    x1, y1 = np.ceil(q.max(0)).astype(int) + 2
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(img.shape[1], x1), min(img.shape[0], y1)
    sub = img[y0:y1, x0:x1, ::-1]
    q = q - np.array([x0, y0], np.float32)
    w = int(max(np.linalg.norm(q[0] - q[1]), np.linalg.norm(q[2] - q[3]), 2))
    h = int(max(np.linalg.norm(q[0] - q[3]), np.linalg.norm(q[1] - q[2]), 2))
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(q, dst)
    return cv2.warpPerspective(np.ascontiguousarray(sub), m, (w, h), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)


def _retile_vertical(crop: np.ndarray) -> np.ndarray:
    """A tall crop of stacked characters laid out as one row (each cell ~ square)."""
    h, w = crop.shape[:2]
    n = max(1, int(round(h / max(w, 1))))
    cells = [crop[int(i * h / n): int((i + 1) * h / n)] for i in range(n)]
    hh = min(c.shape[0] for c in cells)
    return np.ascontiguousarray(np.hstack([c[:hh] for c in cells]))


def _recognise(rgb: np.ndarray, quads: np.ndarray) -> list[tuple[str, float]]:
    """Read each quad of `rgb` (HxWx3 RGB); returns (text, confidence) per quad."""
    if len(quads) == 0:
        return []
    from rapidocr.ch_ppocr_rec.typings import TextRecInput

    rec = _models()[2]
    crops: list[np.ndarray] = []
    owner: list[int] = []
    for i, q in enumerate(quads):
        crop = _crop_quad(rgb, q)
        h, w = crop.shape[:2]
        if h >= 1.5 * w:  # vertical: rotated Latin either way, or stacked CJK characters
            variants = [np.ascontiguousarray(np.rot90(crop)), np.ascontiguousarray(np.rot90(crop, 3)),
                        _retile_vertical(crop)]
        else:
            variants = [crop]
        crops.extend(variants)
        owner.extend([i] * len(variants))
    # No orientation classifier: it turns slanted, low-contrast sign lines upside down more
    # often than photos show upside-down text; unsure readings are retried turned instead.
    best: list[tuple[str, float]] = [("", 0.0)] * len(quads)
    _keep_best(best, owner, rec(TextRecInput(img=crops)))
    retry = [i for i, (_, c) in enumerate(best) if c < RETRY_TURNED_BELOW]
    if retry:
        turned = [np.ascontiguousarray(np.rot90(_crop_quad(rgb, quads[i]), 2)) for i in retry]
        _keep_best(best, retry, rec(TextRecInput(img=turned)))
    return best


def _keep_best(best: list[tuple[str, float]], owner: list[int], out) -> None:
    for i, text, score in zip(owner, out.txts, out.scores):
        if text.strip() and float(score) > best[i][1]:
            best[i] = (text.strip(), float(score))


# --------------------------------------------------------------------------- second pass


def _second_pass_windows(
    shape: tuple[int, int], prob: np.ndarray, quads: np.ndarray, readings: list[tuple[str, float]], scale: float
) -> list[tuple[tuple[int, int, int, int], float]]:
    """Windows (xyxy in input pixels, detection scale) worth re-detecting upscaled."""
    h, w = shape
    ph, pw = prob.shape
    sx, sy = pw / w, ph / h
    cands: list[tuple[float, tuple[float, float, float, float], float]] = []  # (priority, xyxy, line height)
    # Weak text evidence that the first pass did not turn into a confident line.
    weak = (prob > DET_WEAK_THRESH).astype(np.uint8)
    weak = cv2.dilate(weak, np.ones((3, 7), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(weak, connectivity=8)
    covered = np.zeros((ph, pw), np.uint8)
    for q, (text, conf) in zip(quads, readings):
        if conf >= LOW_CONFIDENCE:
            cv2.fillPoly(covered, [np.round(q * [sx, sy]).astype(np.int32)], 1)
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if area < 6 or bh < 2:
            continue
        if covered[y:y + bh, x:x + bw].mean() > 0.6:
            continue
        line_h = min(bh, max(3, area / max(bw, 1)))
        xyxy = (x / sx, y / sy, (x + bw) / sx, (y + bh) / sy)
        cands.append((float(area), xyxy, line_h / sy))
    # Small or unsure lines of the first pass.
    for q, (text, conf) in zip(quads, readings):
        x0, y0 = q.min(0)
        x1, y1 = q.max(0)
        line_h = min(np.linalg.norm(q[0] - q[3]), np.linalg.norm(q[0] - q[1]))
        if line_h * scale < SMALL_LINE_PX or conf < LOW_CONFIDENCE:
            cands.append(((x1 - x0) * (y1 - y0) * scale * scale + 1e3, (x0, y0, x1, y1), float(line_h)))
    cands.sort(key=lambda c: -c[0])
    windows: list[tuple[tuple[int, int, int, int], float]] = []
    spent = 0.0
    for _, (x0, y0, x1, y1), line_h in cands:
        pad = max(line_h * 1.5, 8)
        bx = (max(0, int(x0 - pad)), max(0, int(y0 - pad)), min(w, int(x1 + pad)), min(h, int(y1 + pad)))
        if any(_inside(bx, wb) for wb, _ in windows):
            continue
        s2 = float(np.clip(TARGET_LINE_PX / max(line_h, 1.0), scale * 1.5, 4.0))
        px = (bx[2] - bx[0]) * (bx[3] - bx[1]) * s2 * s2
        if px > PASS2_PIXELS:  # too big to enlarge that much: shrink the enlargement
            s2 = float(np.sqrt(PASS2_PIXELS / max((bx[2] - bx[0]) * (bx[3] - bx[1]), 1)))
            if s2 < scale * 1.3:
                continue
            px = PASS2_PIXELS
        if spent + px > PASS2_PIXELS:
            continue
        windows.append((bx, s2))
        spent += px
        if len(windows) >= PASS2_MAX_WINDOWS:
            break
    return windows


def _inside(a, b, frac: float = 0.8) -> bool:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    area = max(1, (a[2] - a[0]) * (a[3] - a[1]))
    return ix * iy / area >= frac


def _companion_windows(lines: list["TextLine"], shape: tuple[int, int], scale: float) -> list[tuple[tuple[int, int, int, int], float]]:
    """Windows around read sign lines with no read line stacked on them, to re-detect enlarged.

    A sign's second line (the English under the Chinese name, in smaller, condensed type) is often
    swallowed by the detection box of the first at the whole-photo scale, and the recogniser then
    reads only the first. Detected again at twice the scale, the two lines separate. The largest
    lines go first, within COMPANION_PIXELS; returns (xyxy, detection scale).
    """
    h, w = shape
    cands: list[tuple[float, tuple[int, int, int, int]]] = []
    for line in lines:
        x0, y0, x1, y1 = line.region.xyxy
        lh = y1 - y0
        if lh < 12 or line.region.width < lh or line.confidence < LOW_CONFIDENCE:
            continue
        stacked = any(o is not line and abs(o.region.center[1] - line.region.center[1]) < 1.5 * lh
                      and abs(o.region.center[1] - line.region.center[1]) > 0.3 * lh
                      and min(x1, o.region.xyxy[2]) - max(x0, o.region.xyxy[0]) > 0.3 * min(line.region.width, o.region.width)
                      for o in lines)
        if stacked:
            continue  # its neighbour row is read already
        bx = (int(max(0, x0 - 0.3 * lh)), int(max(0, y0 - 0.8 * lh)), int(min(w, x1 + 0.3 * lh)), int(min(h, y1 + 0.8 * lh)))
        cands.append((line.region.area, bx))
    cands.sort(key=lambda c: -c[0])
    out: list[tuple[tuple[int, int, int, int], float]] = []
    spent = 0.0
    s2 = min(4.0, 2.0 * scale)
    for _, bx in cands:
        if any(_inside(bx, wb) for wb, _ in out):
            continue
        px = (bx[2] - bx[0]) * (bx[3] - bx[1]) * s2 * s2
        if spent + px > COMPANION_PIXELS:
            continue
        out.append((bx, s2))
        spent += px
        if len(out) >= COMPANION_MAX_WINDOWS:
            break
    return out


# --------------------------------------------------------------------------- merging


def normalise(text: str) -> str:
    """NFKC, case-folded, without white space: the form texts are compared in."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _quad_region(q: np.ndarray) -> Region:
    return Region.from_polygon([(float(x), float(y)) for x, y in q])


def _overlap_small(a: Region, b: Region) -> float:
    """Intersection of the two quads over the smaller quad's area (slanted lines stay apart)."""
    if a.iou(b) == 0.0 and _overlap_boxes(a, b) == 0.0:
        return 0.0
    pa = np.array(a.polygon or _corners(a), np.float32)
    pb = np.array(b.polygon or _corners(b), np.float32)
    area_a, area_b = abs(cv2.contourArea(pa)), abs(cv2.contourArea(pb))
    inter, _ = cv2.intersectConvexConvex(cv2.convexHull(pa), cv2.convexHull(pb))
    small = min(area_a, area_b)
    return float(inter) / small if small > 0 else 0.0


def _overlap_boxes(a: Region, b: Region) -> float:
    ax0, ay0, ax1, ay1 = a.xyxy
    bx0, by0, bx1, by1 = b.xyxy
    return max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))


def _corners(r: Region) -> list[tuple[float, float]]:
    x0, y0, x1, y1 = r.xyxy
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _dedupe(lines: list[TextLine]) -> list[TextLine]:
    """Keep one reading of each place: the surest, preferring longer text on near ties.

    Overlapping readings are one place when their texts are alike or they lie on one row; two
    different texts on stacked rows (loose boxes of a two-line sign overlap) are both kept.
    """
    order = sorted(lines, key=lambda l: -(l.confidence + 0.02 * min(len(normalise(l.text)), 10)))
    kept: list[TextLine] = []
    for line in order:
        dup = False
        for k in kept:
            ov = _overlap_small(line.region, k.region)
            if ov > 0.6 and (_similar(line.text, k.text) or not _stacked_rows(line, k)):
                dup = True
                break
        if not dup:
            kept.append(line)
    kept.sort(key=lambda l: (round(l.region.xyxy[1] / 8), l.region.xyxy[0]))
    return kept


def _similar(a: str, b: str) -> bool:
    """Two readings of the same text (one contains the other, or they share most characters)."""
    import difflib

    na, nb = normalise(a), normalise(b)
    return na in nb or nb in na or difflib.SequenceMatcher(None, na, nb).ratio() >= 0.5


def _stacked_rows(a: TextLine, b: TextLine) -> bool:
    """Two different rows of a sign (loose detection boxes of stacked lines overlap): centres a
    good part of a line height apart across the lines."""
    ha, hb = _line_height(a), _line_height(b)
    if a.region.width >= a.region.height and b.region.width >= b.region.height:
        d = abs(a.region.center[1] - b.region.center[1])
    else:
        d = abs(a.region.center[0] - b.region.center[0])
    return d > 0.35 * min(ha, hb)


def _line_height(l: TextLine) -> float:
    p = l.region.polygon
    if p and len(p) == 4:
        return float(min(np.hypot(p[0][0] - p[3][0], p[0][1] - p[3][1]), np.hypot(p[0][0] - p[1][0], p[0][1] - p[1][1])))
    return l.region.height


def _blocks(lines: list[TextLine]) -> list[TextLine]:
    """Neighbouring lines joined: same row (left to right), then stacked rows (top to bottom)."""

    def join(parts: list[TextLine]) -> TextLine:
        xs0 = min(p.region.xyxy[0] for p in parts)
        ys0 = min(p.region.xyxy[1] for p in parts)
        xs1 = max(p.region.xyxy[2] for p in parts)
        ys1 = max(p.region.xyxy[3] for p in parts)
        return TextLine(" ".join(p.text for p in parts), min(p.confidence for p in parts),
                        Region.from_polygon([(xs0, ys0), (xs1, ys0), (xs1, ys1), (xs0, ys1)]), "block")

    def same_row(a: TextLine, b: TextLine) -> bool:
        ha, hb = _line_height(a), _line_height(b)
        if max(ha, hb) > 1.6 * min(ha, hb):
            return False
        cya, cyb = a.region.center[1], b.region.center[1]
        gap = b.region.xyxy[0] - a.region.xyxy[2]
        return abs(cya - cyb) < 0.5 * min(ha, hb) and -0.2 * ha < gap < 1.5 * max(ha, hb)

    def stacked(a: TextLine, b: TextLine) -> bool:
        ha, hb = _line_height(a), _line_height(b)
        if max(ha, hb) > 1.8 * min(ha, hb):
            return False
        # Centre to centre, because detected boxes of neighbouring rows often overlap.
        dy = b.region.center[1] - a.region.center[1]
        ov = min(a.region.xyxy[2], b.region.xyxy[2]) - max(a.region.xyxy[0], b.region.xyxy[0])
        return 0.6 * max(ha, hb) < dy < 2.2 * max(ha, hb) and ov > 0.3 * min(a.region.width, b.region.width)

    rows: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda l: l.region.xyxy[0]):
        for row in rows:
            if same_row(row[-1], line):
                row.append(line)
                break
        else:
            rows.append([line])
    out = [join(r) for r in rows if len(r) > 1]
    row_lines = [join(r) if len(r) > 1 else r[0] for r in rows]
    # Whether two neighbours make one row is a close call (a few pixels of box decide it), so the
    # members of a joined row may also stack with the line above or below them on their own.
    row_lines += [l for r in rows if len(r) > 1 for l in r]
    row_lines.sort(key=lambda l: l.region.xyxy[1])
    for i, a in enumerate(row_lines):
        for b in row_lines[i + 1:]:
            if stacked(a, b):
                out.append(join([a, b]))
    return out


# --------------------------------------------------------------------------- public API


def _read_window(rgb: np.ndarray, window: tuple[int, int, int, int], scale: float, max_lines: int,
                 skip: list[TextLine] = ()) -> list[TextLine]:
    """Lines detected in `window` (xyxy of `rgb`) at `scale` and read on `rgb`; lines lying mostly
    on one of `skip` (read already) are not read again."""
    x0, y0, x1, y1 = window
    sub = rgb[y0:y1, x0:x1]
    if min(sub.shape[:2]) < 4:
        return []
    quads, _, _ = _detect(sub, scale)
    if len(quads) == 0:
        return []
    quads = _largest(quads, max_lines) + np.array([x0, y0], np.float32)
    if skip:
        quads = [q for q in quads if not any(_overlap_small(_quad_region(q), l.region) > 0.6 for l in skip)]
        if not quads:
            return []
        quads = np.stack(quads)
    return [TextLine(t, c, _quad_region(q)) for q, (t, c) in zip(quads, _recognise(rgb, quads))
            if t and c >= TEXT_SCORE]


def read_text(rgb: np.ndarray, *, second_pass: bool = True, pass1_pixels: int = PASS1_PIXELS) -> tuple[TextLine, ...]:
    """Every line of text on a photo, Chinese and English.

    Args:
        rgb: HxWx3 uint8 RGB image.
        second_pass: re-read small, faint or unsure text upscaled (costs up to PASS2_PIXELS).
        pass1_pixels: detection pixel budget of the whole-photo pass.
    Returns:
        TextLines (kind "line"; plus kind "block" for joined neighbours) with quads in `rgb`
        pixel coordinates, top to bottom.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"read_text needs an HxWx3 uint8 RGB image, got {rgb.dtype} {rgb.shape}")
    h, w = rgb.shape[:2]
    if min(h, w) < 8:
        return ()
    scale = min(PASS1_MAX_UPSCALE, float(np.sqrt(pass1_pixels / (h * w))))
    quads, _, prob = _detect(rgb, scale, fast=True)
    quads = _largest(quads, MAX_LINES)
    readings = _recognise(rgb, quads)
    lines = [TextLine(t, c, _quad_region(q)) for q, (t, c) in zip(quads, readings) if t and c >= TEXT_SCORE]
    if second_pass:
        for window, s2 in _second_pass_windows((h, w), prob, quads, readings, scale):
            lines += _read_window(rgb, window, s2, MAX_LINES // 4)
        for window, s2 in _companion_windows(_dedupe(lines), (h, w), scale):
            lines += _read_window(rgb, window, s2, 4, skip=lines)
    lines = _dedupe(lines)
    return tuple(lines) + tuple(_blocks(lines))


PANEL_PIXELS = 40_000  # detection pixels for one dim panel


def read_dim_panel(gray: np.ndarray, *, pixels: int = PANEL_PIXELS) -> tuple[TextLine, ...]:
    """Text on a dim panel (an unlit sign at night): denoised and stretched to full contrast, then read.

    `gray` is the panel's HxW uint8 luma window. An unlit sign's letters differ from its face by a
    few luma levels under night-time sensor noise, too little for the detector as shot; blurred by
    about a stroke's width and stretched between the window's 2nd and 98th percentiles they read.
    Returns TextLines (kind "line") in `gray` pixels.
    """
    h, w = gray.shape[:2]
    if min(h, w) < 8:
        return ()
    sigma = float(np.clip(min(h, w) / 60.0, 1.0, 3.0))
    g = cv2.GaussianBlur(gray, (0, 0), sigma).astype(np.float32)
    lo, hi = np.percentile(g, [2, 98])
    if hi - lo < 2.0:
        return ()
    s = np.clip((g - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)
    rgb = np.ascontiguousarray(np.dstack([s, s, s]))
    scale = min(PASS1_MAX_UPSCALE, float(np.sqrt(pixels / (h * w))))
    quads, _, _ = _detect(rgb, scale)
    quads = _largest(quads, 6)
    return tuple(TextLine(t, c, _quad_region(q)) for q, (t, c) in zip(quads, _recognise(rgb, quads))
                 if t and c >= TEXT_SCORE)


def _text_signal(ctx) -> tuple[TextLine, ...]:
    return read_text(ctx.photo.rgb)


# Registered last: importing auditor.checks (which imports this module back) needs the names above.
from auditor.checks.context import signal  # noqa: E402

signal("text")(_text_signal)
