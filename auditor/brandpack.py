"""Brand packs: what differs between brands, as data (checklists/brands/<id>/brand.yaml + logos/).

CONTRACT (types fixed; the loader is built in the Foundation issue).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

LOGO_KINDS = ("artwork", "photo_day", "photo_night")


@dataclass(frozen=True)
class PaletteColour:
    name: str
    hex: str  # sRGB "#RRGGBB"
    lab: tuple[float, float, float]  # CIE L*a*b* (D65)
    tolerance: float  # CIEDE2000


@dataclass(frozen=True, eq=False)
class LogoReference:
    id: str
    path: Path
    kind: str  # one of LOGO_KINDS
    rgba: np.ndarray  # HxWx4 uint8 (alpha 0 outside the mark)
    deprecated: bool = False  # an old mark of this brand: finding it is a finding
    foreign: bool = False  # another brand's mark, kept to tell look-alikes apart


@dataclass(frozen=True)
class PlacementZone:
    """Where the logo belongs on a façade photo, as fractions of the image."""

    xyxy: tuple[float, float, float, float]
    min_width: float  # logo width / image width
    max_width: float
    max_tilt_deg: float = 5.0


@dataclass(frozen=True)
class UniformRole:
    id: str  # "advisor", "technician", ...
    name_zh: str
    name_en: str
    colours: Mapping[str, tuple[str, ...]]  # season ("all", "summer", "winter") -> palette colour names


@dataclass(frozen=True)
class RequiredText:
    text: str
    group: str  # "brand", "service_brand", "slogan", "entrance", "exit", "area_sign"
    areas: tuple[str, ...]  # areas whose photos should show it
    alternatives: tuple[str, ...] = ()  # other spellings that count (e.g. "Entrance" for "入口")


@dataclass(frozen=True, eq=False)
class BrandPack:
    id: str
    name_zh: str
    name_en: str
    root: Path
    palette: Mapping[str, PaletteColour]
    logos: tuple[LogoReference, ...]
    placement: PlacementZone
    roles: tuple[UniformRole, ...]
    texts: tuple[RequiredText, ...]
    checklist: str  # checklist id and version it is audited against, e.g. "default@1"
    signboard_colours: tuple[str, ...] = ()  # palette names a signboard panel may be

    def texts_for(self, area: str | None = None, group: str | None = None) -> tuple[RequiredText, ...]:
        return tuple(
            t for t in self.texts
            if (area is None or not t.areas or area in t.areas) and (group is None or t.group == group)
        )

    def current_logos(self) -> tuple[LogoReference, ...]:
        return tuple(l for l in self.logos if not l.deprecated and not l.foreign)
