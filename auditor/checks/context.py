"""Per-photo context handed to checks: the photo, the brand, the area, and shared signals.

Signals are intermediate analyses that several checks read (OCR lines, logo matches,
network outputs). Each is computed at most once per photo, on first use, by the
provider registered for its name; the pipeline may seed one (e.g. batched network
outputs) before the checks run.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import cv2
import numpy as np

from auditor.brandpack import BrandPack
from auditor.types import Photo

SignalProvider = Callable[["PhotoContext"], Any]
SIGNALS: dict[str, SignalProvider] = {}
# Optional batch providers: compute a signal for many photos at once (batched inference).
BATCH_SIGNALS: dict[str, Callable[[list["PhotoContext"]], list[Any]]] = {}


def signal(name: str) -> Callable[[SignalProvider], SignalProvider]:
    """Decorator: register the provider of signal `name`."""

    def deco(func: SignalProvider) -> SignalProvider:
        SIGNALS[name] = func
        return func

    return deco


def batch_signal(name: str):
    """Decorator: register a provider that computes signal `name` for a list of contexts."""

    def deco(func):
        BATCH_SIGNALS[name] = func
        return func

    return deco


class PhotoContext:
    """One photo with its brand and area tag, and the site's approved reference photos of that area."""

    def __init__(self, photo: Photo, brand: BrandPack, area: str | None = None, references: Sequence[Photo] = ()):
        self.photo = photo
        self.brand = brand
        self.area = area
        self.references = tuple(references)
        self._cache: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        """The signal `name`, computed on first use."""
        if name not in self._cache:
            try:
                provider = SIGNALS[name]
            except KeyError:
                raise KeyError(f"no provider for signal '{name}' (known: {', '.join(sorted(SIGNALS))})") from None
            self._cache[name] = provider(self)
        return self._cache[name]

    def seed(self, name: str, value: Any) -> None:
        self._cache[name] = value

    def has(self, name: str) -> bool:
        return name in self._cache

    @property
    def rgb(self) -> np.ndarray:
        return self.photo.rgb

    def downscaled(self, max_side: int = 1024) -> tuple[np.ndarray, float]:
        """The working copy shrunk to at most `max_side` px, made once per photo and size: (rgb, factor).

        factor = small pixels per `Photo.rgb` pixel (<= 1). Shrinking the 2048 px working copy
        costs ~25 ms, so checks that measure at the same size share one copy.
        """
        key = f"_rgb_max{max_side}"
        if key not in self._cache:
            rgb = self.photo.rgb
            f = min(1.0, max_side / max(rgb.shape[:2]))
            small = rgb if f >= 1.0 else cv2.resize(
                rgb, (max(1, round(rgb.shape[1] * f)), max(1, round(rgb.shape[0] * f))), interpolation=cv2.INTER_AREA)
            self._cache[key] = (small, small.shape[1] / rgb.shape[1])
        return self._cache[key]

    @property
    def gray(self) -> np.ndarray:
        """HxW uint8 luma (BT.601) of the working copy."""
        if "_gray" not in self._cache:
            self._cache["_gray"] = cv2.cvtColor(np.ascontiguousarray(self.photo.rgb), cv2.COLOR_RGB2GRAY)
        return self._cache["_gray"]
