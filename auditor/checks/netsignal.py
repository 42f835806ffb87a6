"""The `net` signal: what the network saw in a photo, as plain numpy arrays (no torch here).

The providers import `auditor.inference` (and with it torch) only when a check
first asks for the signal, so `import auditor.checks` stays free of torch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from auditor.checks.context import batch_signal, signal

AREAS = ("facade", "entrance", "driveway", "reception", "workshop", "lounge", "staff", "other")
DEFECT_KINDS = ("litter", "clutter", "stain", "rust", "damage", "dirty_glass", "dead_greenery")


@dataclass(frozen=True, eq=False)
class NetOutputs:
    """Network outputs for one photo; a field is None when its head has no weights.

    image_wh: (width, height) of the photo's working copy (`Photo.rgb`); boxes are in its pixels.
    area_probs: (8,) float32 probabilities over `AREAS`, summing to 1.
    defect_prob: (7, gh, gw) float32 in [0, 1], per `DEFECT_KINDS`, one value per grid cell;
        the grid covers the whole image (cell = image_wh / (gw, gh)).
    person_boxes_xyxy: (N, 4) float32 person boxes, best first; person_scores: (N,) in [0, 1].
    person_heat: (gh, gw) float32 in [0, 1]: probability that a person's centre lies in each cell.
    weights: head name -> weights file used.
    """

    image_wh: tuple[int, int]
    area_probs: np.ndarray | None = None
    defect_prob: np.ndarray | None = None
    person_boxes_xyxy: np.ndarray | None = None
    person_scores: np.ndarray | None = None
    person_heat: np.ndarray | None = None
    weights: Mapping[str, str] = field(default_factory=dict)
    areas: tuple[str, ...] = AREAS
    defect_kinds: tuple[str, ...] = DEFECT_KINDS

    def confident_person_boxes(self, min_score: float) -> list[tuple[float, float, float, float]]:
        """Person boxes (xyxy, image pixels) the head is at least `min_score` sure of."""
        if self.person_boxes_xyxy is None or self.person_scores is None:
            return []
        return [tuple(map(float, b)) for b, s in zip(self.person_boxes_xyxy, self.person_scores) if s >= min_score]

    def cell_box_xyxy(self, row: int, col: int) -> tuple[float, float, float, float]:
        """The image pixels covered by one defect-grid cell."""
        gh, gw = self.defect_prob.shape[1:]
        cw, ch = self.image_wh[0] / gw, self.image_wh[1] / gh
        return (col * cw, row * ch, (col + 1) * cw, (row + 1) * ch)


@signal("net")
def net_for_photo(ctx) -> NetOutputs:
    from auditor import inference  # torch is imported here, on first use only

    return inference.run_net([ctx.photo.rgb])[0]


@batch_signal("net")
def net_for_photos(contexts) -> list[NetOutputs]:
    from auditor import inference

    return inference.run_net([c.photo.rgb for c in contexts])
