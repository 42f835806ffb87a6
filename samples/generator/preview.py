"""Contact sheet of a labelled set with its boxes drawn, for looking at what was generated.

python -m samples.generator.preview SET_DIR OUT.png [--start 0] [--count 12] [--cols 3] [--width 480]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

COLOURS = {"logo": (0, 255, 0), "defect": (255, 60, 60), "person": (60, 160, 255), "mark": (255, 0, 255),
           "obstacle": (255, 200, 0)}


def annotate(rgb: np.ndarray, entry: dict) -> np.ndarray:
    """Draw an entry's truth boxes and a one-line summary on a copy of `rgb` (HxWx3 uint8)."""
    img = rgb.copy()
    t = entry["truth"]

    def box(b, col, label):
        x, y, w, h = b
        cv2.rectangle(img, (x, y), (x + w, y + h), col, 2)
        cv2.putText(img, label, (x, max(12, y - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, col, 1, cv2.LINE_AA)

    for b in t["logo"]["boxes"]:
        box(b, COLOURS["logo"], f"logo ok={t['logo']['placement_ok']}")
    for d in (t["clean"] or {"defects": []})["defects"]:
        box(d["box"], COLOURS["defect"], d["kind"])
    for p in t["people"]["persons"]:
        box(p["box"], COLOURS["person"], f"{p['role']} badge={int(p['badge'])}")
    for m in entry.get("wrong_marks", []):
        box(m["box"], COLOURS["mark"], m["variant"])
    for o in entry.get("obstacles", []):
        box(o["box"], COLOURS["obstacle"], o["kind"])
    lt = t["lighting"]
    line = f"{entry['file']} {lt['exposure']} night={int(lt['night'])} lit={lt['signs_lit']} read={len(t['text']['must_read'])}"
    cv2.putText(img, line, (6, img.shape[0] - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(img, line, (6, img.shape[0] - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1, cv2.LINE_AA)
    return img


def contact_sheet(set_dir: Path, start: int, count: int, cols: int, width: int) -> np.ndarray:
    labels = json.loads((set_dir / "labels.json").read_text(encoding="utf-8"))
    tiles = []
    for entry in labels["photos"][start:start + count]:
        bgr = cv2.imread(str(set_dir / entry["file"]), cv2.IMREAD_COLOR)
        rgb = annotate(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), entry)
        h = int(rgb.shape[0] * width / rgb.shape[1])
        tiles.append(cv2.resize(rgb, (width, h), interpolation=cv2.INTER_AREA))
    if not tiles:
        raise SystemExit("no photos in that range")
    th = max(t.shape[0] for t in tiles)
    rows = []
    for r in range(0, len(tiles), cols):
        row = [np.pad(t, ((0, th - t.shape[0]), (0, 0), (0, 0))) for t in tiles[r:r + cols]]
        row += [np.zeros_like(row[0])] * (cols - len(row))
        rows.append(np.hstack(row))
    return np.vstack(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m samples.generator.preview")
    ap.add_argument("set_dir", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--cols", type=int, default=3)
    ap.add_argument("--width", type=int, default=480)
    a = ap.parse_args(argv)
    sheet = contact_sheet(a.set_dir, a.start, a.count, a.cols, a.width)
    cv2.imwrite(str(a.out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
