"""What the generator needs from a brand pack: colours, roles, sign texts, placement zone, marks.

Everything brand-specific is read from the pack (`auditor.brandpack.load_brand`), so a set can
be generated for any brand pack. The demo brand's marks are drawn by `auditor.artwork`
at the size needed; other packs' marks are resampled from their reference images.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from auditor.brandpack import BrandPack, load_brand

RGB = tuple[float, float, float]

# Shown with a foreign (look-alike) mark: the other fictional brand of auditor.artwork.
FOREIGN_NAME = ("维加汽车", "VEGA AUTO")


def hex_to_rgb01(hex_str: str) -> RGB:
    h = hex_str.lstrip("#")
    return tuple(int(h[i:i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


def rgb_to_lab(rgb: RGB) -> np.ndarray:
    return cv2.cvtColor(np.asarray(rgb, np.float32).reshape(1, 1, 3), cv2.COLOR_RGB2LAB)[0, 0]


@dataclass(frozen=True)
class RoleStyle:
    """A uniform role as colours to paint, per season: garment (top), second colour.

    The second colour is trousers, or a shirt under a suit jacket when it is very light
    (then the trousers take the garment colour).
    """

    id: str
    name_zh: str
    name_en: str
    seasons: dict  # season -> (main RGB, second RGB)

    def outfit(self, season: str) -> tuple[RGB, RGB, RGB | None]:
        """(top, bottom, shirt or None) for a season ('all' fits any)."""
        main, second = self.seasons.get(season) or self.seasons.get("all") or next(iter(self.seasons.values()))
        if rgb_to_lab(second)[0] > 85 and rgb_to_lab(main)[0] < 60:
            return main, main, second
        return main, second, None


@dataclass(frozen=True)
class SignText:
    """A text a sign shows: the main line and its translation (may be None)."""

    main: str
    second: str | None
    group: str
    areas: tuple[str, ...]


@dataclass(frozen=True)
class BrandStyle:
    """Brand data in the form the renderer uses (RGB colours in 0..1)."""

    key: str  # what load_style was called with (brand id or folder)
    pack: BrandPack
    name_zh: str
    name_en: str
    signboard_rgb: tuple[RGB, ...]
    roles: tuple[RoleStyle, ...]
    texts: tuple[SignText, ...]
    role_colours_lab: np.ndarray  # Nx3 Lab of every colour a role wears

    @property
    def placement(self):
        return self.pack.placement

    @property
    def seasons(self) -> tuple[str, ...]:
        keys = {s for r in self.roles for s in r.seasons}
        return tuple(sorted(keys - {"all"})) or ("all",)

    def sign_texts(self, group: str, area: str | None = None) -> tuple[SignText, ...]:
        return tuple(t for t in self.texts if t.group == group and (area is None or not t.areas or area in t.areas))


def _is_latin(s: str) -> bool:
    return all(ord(c) < 0x2E80 for c in s)


def _sign_texts(pack: BrandPack) -> tuple[SignText, ...]:
    out = []
    for t in pack.texts:
        second = None
        if not _is_latin(t.text):
            second = next((a for a in t.alternatives if _is_latin(a)), None)
        out.append(SignText(t.text, second, t.group, tuple(t.areas)))
    return tuple(out)


def style_from_pack(pack: BrandPack, key: str | None = None) -> BrandStyle:
    palette = pack.palette
    sign_names = pack.signboard_colours or tuple(palette)[:1]
    signboard = tuple(hex_to_rgb01(palette[n].hex) for n in sign_names if n in palette)
    roles, labs = [], []
    for r in pack.roles:
        seasons = {}
        for season, names in r.colours.items():
            rgb = [hex_to_rgb01(palette[n].hex) for n in names if n in palette]
            if not rgb:
                continue
            seasons[season] = (rgb[0], rgb[1] if len(rgb) > 1 else rgb[0])
            labs.extend(rgb_to_lab(c) for c in rgb)
        if seasons:
            roles.append(RoleStyle(r.id, r.name_zh, r.name_en, seasons))
    return BrandStyle(
        key=key or pack.id,
        pack=pack,
        name_zh=pack.name_zh,
        name_en=pack.name_en,
        signboard_rgb=signboard or ((0.1, 0.3, 0.6),),
        roles=tuple(roles),
        texts=_sign_texts(pack),
        role_colours_lab=np.array(labs, np.float32).reshape(-1, 3),
    )


@functools.lru_cache(maxsize=8)
def load_style(brand: str = "demo") -> BrandStyle:
    """The brand pack `brand` (id or folder) as a BrandStyle."""
    return style_from_pack(load_brand(brand), key=brand)


# --- marks ------------------------------------------------------------------------------

def _reference(pack: BrandPack, *, deprecated=False, foreign=False):
    refs = [r for r in pack.logos if r.deprecated == deprecated and r.foreign == foreign]
    art = [r for r in refs if r.kind == "artwork"]
    return (art or [None])[0]


@functools.lru_cache(maxsize=64)
def _mark_cached(brand_key: str, variant: str, size_px: int) -> np.ndarray:
    pack = load_style(brand_key).pack
    if pack.id == "demo" or variant == "foreign":
        from auditor import artwork

        if pack.id == "demo" or _reference(pack, foreign=True) is None:
            return artwork.draw_logo(size_px, variant)
    if variant == "deprecated":
        ref = _reference(pack, deprecated=True)
        if ref is None:
            raise LookupError(f"brand pack '{pack.id}' has no deprecated mark")
    elif variant == "foreign":
        ref = _reference(pack, foreign=True)
    else:
        ref = _reference(pack)
        if ref is None:
            raise LookupError(f"brand pack '{pack.id}' has no artwork logo")
    rgba = ref.rgba
    if variant in ("white", "night"):
        rgba = rgba.copy()
        rgba[..., :3] = 255
    h, w = rgba.shape[:2]
    scale = size_px / max(h, w)
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(rgba, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interp)


def has_deprecated(style: BrandStyle) -> bool:
    return style.pack.id == "demo" or _reference(style.pack, deprecated=True) is not None


_MASTER_SIZES = (64, 128, 256, 512, 1024)


def mark_rgba(style: BrandStyle, variant: str, size_px: float) -> np.ndarray:
    """A mark as HxWx4 uint8 RGBA with its longer side `size_px` (16..1024).

    variant: "colour", "white" (current mark), "deprecated" (the brand's old mark),
    "foreign" (another brand's look-alike mark). Drawn once per process at a few master
    sizes and reduced (area-averaged) to the size asked for.
    """
    size = int(np.clip(round(size_px), 16, 1024))
    master_size = next(m for m in _MASTER_SIZES if m >= size)
    master = _mark_cached(style.key, variant, master_size)
    if size == master_size:
        return master
    h, w = master.shape[:2]
    scale = size / max(h, w)
    return cv2.resize(master, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
