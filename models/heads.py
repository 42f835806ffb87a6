"""The project's heads on the shared backbone features (see `models.backbone`).

- `AreaHead`   : pooled (B, 1280) -> logits (B, 8) over `AREAS`.
- `DefectHead` : dense (B, 432, h, w) -> logits (B, 7, h, w), one map per `DEFECT_KINDS`
                 (multi-label: a cell may show rust and dirt at once).
- `PersonHead` : dense (B, 432, h, w) -> (B, 5, h, w): channel 0 is the logit of a
                 person's centre in that cell, channels 1..4 the log distances
                 (left, top, right, bottom) from the cell centre to the box edges, in cells.

Each head is saved as one file: {"head": name, "config": {...}, "state_dict": ...,
"meta": {...}} (`save_head` / `load_head`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
from torch import nn

from models.backbone import DENSE_CHANNELS, POOLED_CHANNELS

AREAS = ("facade", "entrance", "driveway", "reception", "workshop", "lounge", "staff", "other")
DEFECT_KINDS = ("litter", "clutter", "stain", "rust", "damage", "dirty_glass", "dead_greenery")
HEAD_NAMES = ("area", "clean", "people")


class AreaHead(nn.Module):
    def __init__(self, hidden: int = 128, n_classes: int = len(AREAS), dropout: float = 0.3):
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(POOLED_CHANNELS, hidden), nn.ReLU(inplace=True),
            nn.Dropout(dropout), nn.Linear(hidden, n_classes),
        )

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.mlp(pooled)


def _dense_trunk(hidden: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Dropout2d(dropout),
        nn.Conv2d(DENSE_CHANNELS, hidden, 1), nn.ReLU(inplace=True),
        nn.Conv2d(hidden, hidden, 3, padding=1), nn.ReLU(inplace=True),
    )


class DefectHead(nn.Module):
    """Per-cell defect logits; with `members` > 1 an ensemble of independently trained heads.

    An ensemble's logit is the mean of its members' logits: members trained from different
    seeds on the same features disagree most on the generator's hard negatives (flower pots,
    reflections), so averaging removes many single-head false alarms.
    """

    def __init__(self, hidden: int = 64, n_kinds: int = len(DEFECT_KINDS), dropout: float = 0.2, members: int = 1):
        super().__init__()
        if members > 1:
            self.members = nn.ModuleList(DefectHead(hidden, n_kinds, dropout) for _ in range(members))
            return
        self.trunk = _dense_trunk(hidden, dropout)
        self.out = nn.Conv2d(hidden, n_kinds, 1)
        nn.init.constant_(self.out.bias, -4.0)  # defects are rare: start near "clean"

    def forward(self, dense: torch.Tensor) -> torch.Tensor:
        if hasattr(self, "members"):
            return torch.stack([m(dense) for m in self.members]).mean(0)
        return self.out(self.trunk(dense))


class PersonHead(nn.Module):
    def __init__(self, hidden: int = 64, dropout: float = 0.2):
        super().__init__()
        self.trunk = _dense_trunk(hidden, dropout)
        self.centre = nn.Conv2d(hidden, 1, 1)
        self.ltrb = nn.Conv2d(hidden, 4, 1)
        nn.init.constant_(self.centre.bias, -4.0)

    def forward(self, dense: torch.Tensor) -> torch.Tensor:
        t = self.trunk(dense)
        return torch.cat([self.centre(t), self.ltrb(t)], dim=1)


HEAD_CLASSES = {"area": AreaHead, "clean": DefectHead, "people": PersonHead}


def build_head(name: str, config: Mapping[str, Any] | None = None) -> nn.Module:
    if name not in HEAD_CLASSES:
        raise ValueError(f"unknown head '{name}' (known: {', '.join(HEAD_NAMES)})")
    return HEAD_CLASSES[name](**dict(config or {}))


def save_head(path: str | Path, name: str, head: nn.Module, config: Mapping[str, Any], meta: Mapping[str, Any]) -> None:
    torch.save({"head": name, "config": dict(config), "state_dict": head.state_dict(), "meta": dict(meta)}, str(path))


def load_head(path: str | Path) -> tuple[str, nn.Module, dict]:
    """(head name, module in eval mode, meta) from a weights file written by `save_head`."""
    blob = torch.load(str(path), map_location="cpu", weights_only=False)
    if not isinstance(blob, dict) or "head" not in blob or "state_dict" not in blob:
        raise ValueError(f"{path}: not a head weights file (expected keys head, config, state_dict)")
    head = build_head(blob["head"], blob.get("config"))
    head.load_state_dict(blob["state_dict"])
    return blob["head"], head.eval(), dict(blob.get("meta") or {})


def read_weights(path: str | Path, kind: str, train_hint: str) -> dict:
    """The dict saved in a weights file of `kind` (e.g. "logo_detector"), checked to be one."""
    p, what = Path(path), kind.replace("_", " ")
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no {what} weights (train: {train_hint})")
    blob = torch.load(p, map_location="cpu", weights_only=True)
    if not isinstance(blob, dict) or blob.get("kind") != kind:
        raise ValueError(f"{p}: not a {what} weights file")
    return blob


# ---- decoding person boxes (numpy; shared by inference and evaluation during training)

def decode_people(
    centre_prob: np.ndarray, log_ltrb: np.ndarray, input_wh: tuple[int, int],
    threshold: float = 0.3, nms_iou: float = 0.45, max_people: int = 30,
) -> tuple[np.ndarray, np.ndarray]:
    """Boxes from a person centre map.

    Args:
        centre_prob: (h, w) probabilities in [0, 1].
        log_ltrb: (4, h, w) log distances in cells from each cell centre to the box edges.
        input_wh: the size (w, h) of the image the grid covers, in the pixels wanted out.
    Returns:
        (boxes_xyxy (N, 4) float32 in those pixels, scores (N,) float32), best first.
    """
    h, w = centre_prob.shape
    cell_w, cell_h = input_wh[0] / w, input_wh[1] / h
    padded = np.pad(centre_prob, 1, constant_values=0.0)
    neighbours = np.max(
        np.stack([padded[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)]), axis=0
    )
    peaks = (centre_prob >= neighbours) & (centre_prob >= threshold)
    ys, xs = np.nonzero(peaks)
    if len(ys) == 0:
        return np.zeros((0, 4), np.float32), np.zeros((0,), np.float32)
    scores = centre_prob[ys, xs]
    d = np.exp(np.clip(log_ltrb[:, ys, xs], -4, 4))  # (4, N) in cells
    cx, cy = (xs + 0.5), (ys + 0.5)
    boxes = np.stack([(cx - d[0]) * cell_w, (cy - d[1]) * cell_h, (cx + d[2]) * cell_w, (cy + d[3]) * cell_h], 1)
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, input_wh[0])
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, input_wh[1])
    keep = nms(boxes, scores, nms_iou)[:max_people]
    return boxes[keep].astype(np.float32), scores[keep].astype(np.float32)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix (len(a), len(b)) of xyxy boxes."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), np.float32)
    ix0 = np.maximum(a[:, None, 0], b[None, :, 0])
    iy0 = np.maximum(a[:, None, 1], b[None, :, 1])
    ix1 = np.minimum(a[:, None, 2], b[None, :, 2])
    iy1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> list[int]:
    order = list(np.argsort(-scores))
    keep: list[int] = []
    while order:
        i = order.pop(0)
        keep.append(int(i))
        if order:
            ious = box_iou(boxes[i:i + 1], boxes[order])[0]
            order = [j for j, v in zip(order, ious) if v < iou]
    return keep
