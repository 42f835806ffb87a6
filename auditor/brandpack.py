"""Brand packs: what differs between brands, as data (checklists/brands/<id>/brand.yaml + logos/).

The types are the contract; `load_brand` below reads and validates a pack folder. A
pack is a folder holding `brand.yaml` and its reference logos; it is found by id among
the built-in packs (`brands_root()`), under extra roots, or by its path, so a head
office adds a brand without touching code. brand.yaml (see checklists/brands/demo/):

    id: demo                          # optional; default: the folder name
    name: {zh: 极光汽车, en: AURORA MOTORS}
    checklist: default@1              # the checklist it is audited against
    palette:                          # name -> sRGB hex + CIEDE2000 tolerance
      aurora_blue: {hex: "#0A4DA2", tolerance: 12}
    signboard_colours: [aurora_blue]  # palette names a signboard panel may be
    placement: {zone: [x0, y0, x1, y1], min_width: 0.04, max_width: 0.45, max_tilt_deg: 5}
    roles:                            # uniform roles; seasons: all / summer / winter
      - {id: advisor, name: {zh: 服务顾问, en: Service advisor}, colours: {all: [aurora_blue]}}
    texts:                            # groups: brand service_brand slogan entrance exit area_sign
      - {text: 入口, group: entrance, areas: [entrance], alternatives: [Entrance]}
    logos:                            # kinds: artwork photo_day photo_night
      - {file: logos/mark.png, kind: artwork, deprecated: false, foreign: false}

Every palette name used must exist, every logo must decode, enums and ranges are
checked; errors are ConfigError with file:line:field.
"""
from __future__ import annotations

import functools
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


# =========================================================================== loader

DEFAULT_BRAND = "demo"
SEASONS = ("all", "summer", "winter")
TEXT_GROUPS = ("brand", "service_brand", "slogan", "entrance", "exit", "area_sign")
BRAND_FILE = "brand.yaml"


def brands_root() -> Path:
    """The folder of built-in brand packs: <checklists root>/brands."""
    from auditor.checklist import checklists_root

    return checklists_root() / "brands"


def list_brands(root: Path | None = None) -> list[str]:
    """Ids of the brand packs installed under `root` (default `brands_root()`), sorted."""
    base = Path(root) if root is not None else brands_root()
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / BRAND_FILE).is_file())


def resolve_brand_dir(id_or_path: str | Path, roots: tuple[str | Path, ...] = ()) -> Path:
    """The folder of a brand pack given its id (under `roots`, then built in) or a path.

    A path may name the pack folder or its brand.yaml. Raises UnknownBrandError.
    """
    from auditor.errors import UnknownBrandError

    text = str(id_or_path).strip()
    candidate = Path(text).expanduser()
    looks_like_path = (
        isinstance(id_or_path, Path) or "/" in text or "\\" in text or text.startswith((".", "~"))
    )
    if candidate.is_file() and candidate.name == BRAND_FILE:
        return candidate.parent.resolve()
    if not looks_like_path and text:
        for root in (*roots, brands_root()):
            if (Path(root) / text / BRAND_FILE).is_file():
                return (Path(root) / text).resolve()
    if (candidate / BRAND_FILE).is_file():
        return candidate.resolve()
    known = list_brands()
    for root in roots:
        known += [b for b in list_brands(Path(root)) if b not in known]
    raise UnknownBrandError(text, known)


def load_brand(id_or_path: str | Path | None = None, roots: tuple[str | Path, ...] = ()) -> "BrandPack":
    """Load and validate a brand pack by id ("demo"), by folder path, or by brand.yaml path.

    `roots` are extra folders of brand packs (one sub-folder per brand id) searched
    before the built-in ones, e.g. a labelled set's `brand_pack`. `None` loads the
    default brand. Packs are cached per resolved folder and modification times.
    Raises ConfigError (file:line:field) for an invalid pack, UnknownBrandError if
    there is no such brand.
    """
    folder = resolve_brand_dir(DEFAULT_BRAND if id_or_path is None else id_or_path, tuple(roots))
    return _load_brand_cached(str(folder), _pack_stamp(folder))


def _pack_stamp(folder: Path) -> tuple:
    """Modification times of brand.yaml and of the logo files: a changed pack is reloaded."""
    stamps = [(BRAND_FILE, (folder / BRAND_FILE).stat().st_mtime_ns)]
    logos = folder / "logos"
    if logos.is_dir():
        stamps += sorted((p.name, p.stat().st_mtime_ns) for p in logos.iterdir() if p.is_file())
    return tuple(stamps)


@functools.lru_cache(maxsize=32)
def _load_brand_cached(folder: str, stamp: tuple) -> "BrandPack":
    return _build_brand(Path(folder))


def _display_path(path: Path) -> str:
    """A path relative to the working folder when it is below it (shorter messages)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _brand_schema():
    from auditor.checklist import photo_areas

    AREAS = photo_areas()
    from auditor.yamlconf import Bool, ListOf, MapOf, Num, Obj, Str, opt

    names = Obj({"zh": Str(), "en": Str()})
    palette_entry = Obj({
        "hex": Str(pattern=r"#[0-9A-Fa-f]{6}", pattern_hint="an sRGB colour like '#0A4DA2'"),
        "tolerance": Num(min=0, max=100, exclusive_min=True),
    })
    colour_list = ListOf(Str(), min_len=1, scalar_ok=True)
    return Obj({
        "id": opt(Str(pattern=r"[A-Za-z0-9_.-]+", pattern_hint="an id of letters, digits, '_', '-', '.'")),
        "name": names,
        "checklist": opt(Str(pattern=r"[A-Za-z0-9_.-]+(@[A-Za-z0-9_.-]+)?", pattern_hint="a checklist id like 'default@1'"), "default"),
        "palette": MapOf(palette_entry, min_len=1),
        "signboard_colours": opt(ListOf(Str()), []),
        "placement": Obj({
            "zone": ListOf(Num(min=0, max=1), min_len=4, max_len=4),
            "min_width": Num(min=0, max=1, exclusive_min=True),
            "max_width": Num(min=0, max=1, exclusive_min=True),
            "max_tilt_deg": opt(Num(min=0, max=90), 5.0),
        }),
        "roles": opt(ListOf(Obj({
            "id": Str(pattern=r"[A-Za-z0-9_-]+", pattern_hint="an id of letters, digits, '_', '-'"),
            "name": names,
            "colours": MapOf(colour_list, key=Str(enum=SEASONS), min_len=1),
        })), []),
        "texts": opt(ListOf(Obj({
            "text": Str(coerce_numbers=True),
            "group": Str(enum=TEXT_GROUPS),
            "areas": opt(ListOf(Str(enum=AREAS), scalar_ok=True), []),
            "alternatives": opt(ListOf(Str(coerce_numbers=True), scalar_ok=True), []),
        })), []),
        "logos": ListOf(Obj({
            "file": Str(),
            "id": opt(Str(pattern=r"[A-Za-z0-9_.-]+", pattern_hint="an id of letters, digits, '_', '-', '.'")),
            "kind": opt(Str(enum=LOGO_KINDS), "artwork"),
            "deprecated": opt(Bool(), False),
            "foreign": opt(Bool(), False),
        }), min_len=1),
    })


def _build_brand(folder: Path) -> "BrandPack":
    from auditor.colour import hex_to_lab
    from auditor.errors import PhotoError
    from auditor.ingest import load_image_rgba
    from auditor.yamlconf import load_yaml, validate

    yaml_path = folder / BRAND_FILE
    doc = load_yaml(yaml_path, _display_path(yaml_path))
    data = validate(doc, _brand_schema())
    brand_id = data["id"] or folder.name

    palette = {
        name: PaletteColour(name, entry["hex"].upper(), hex_to_lab(entry["hex"]), float(entry["tolerance"]))
        for name, entry in data["palette"].items()
    }

    def known_colour(path: str, name: str) -> None:
        if name not in palette:
            from auditor.yamlconf import did_you_mean

            raise doc.error(path, f"colour '{name}' is not in the palette{did_you_mean(name, list(palette))}")

    for i, name in enumerate(data["signboard_colours"]):
        known_colour(f"signboard_colours[{i}]", name)

    pl = data["placement"]
    x0, y0, x1, y1 = (float(v) for v in pl["zone"])
    if not (x0 < x1 and y0 < y1):
        raise doc.error("placement.zone", f"expected [x0, y0, x1, y1] with x0 < x1 and y0 < y1, got {pl['zone']}")
    if pl["min_width"] > pl["max_width"]:
        raise doc.error("placement.min_width", f"min_width {pl['min_width']} is more than max_width {pl['max_width']}")
    placement = PlacementZone((x0, y0, x1, y1), float(pl["min_width"]), float(pl["max_width"]), float(pl["max_tilt_deg"]))

    roles = []
    seen_roles: set[str] = set()
    for i, r in enumerate(data["roles"]):
        if r["id"] in seen_roles:
            raise doc.error(f"roles[{i}].id", f"duplicate role id '{r['id']}'")
        seen_roles.add(r["id"])
        for season, names in r["colours"].items():
            for j, name in enumerate(names):
                known_colour(f"roles[{i}].colours.{season}[{j}]", name)
        roles.append(UniformRole(r["id"], r["name"]["zh"], r["name"]["en"],
                                 {s: tuple(c) for s, c in r["colours"].items()}))

    texts = tuple(
        RequiredText(str(t["text"]), t["group"], tuple(t["areas"]), tuple(str(a) for a in t["alternatives"]))
        for t in data["texts"]
    )

    logos = []
    seen_logos: set[str] = set()
    root = folder.resolve()
    for i, entry in enumerate(data["logos"]):
        path = (folder / entry["file"]).resolve()
        field = f"logos[{i}].file"
        if root not in path.parents:
            raise doc.error(field, f"'{entry['file']}' is outside the brand pack folder")
        if not path.is_file():
            raise doc.error(field, f"file '{entry['file']}' not found in {_display_path(folder)}")
        try:
            rgba = load_image_rgba(path)
        except PhotoError as exc:
            raise doc.error(field, f"cannot use '{entry['file']}': {exc.reason}") from None
        logo_id = entry["id"] or path.stem
        if logo_id in seen_logos:
            raise doc.error(f"logos[{i}]", f"duplicate logo id '{logo_id}'")
        if entry["deprecated"] and entry["foreign"]:
            raise doc.error(f"logos[{i}]", "a logo is either deprecated (an old mark of this brand) or foreign, not both")
        seen_logos.add(logo_id)
        logos.append(LogoReference(logo_id, path, entry["kind"], rgba, bool(entry["deprecated"]), bool(entry["foreign"])))
    if not any(not l.deprecated and not l.foreign for l in logos):
        raise doc.error("logos", "needs at least one current logo (not deprecated, not foreign)")

    return BrandPack(
        id=brand_id,
        name_zh=data["name"]["zh"],
        name_en=data["name"]["en"],
        root=root,
        palette=palette,
        logos=tuple(logos),
        placement=placement,
        roles=tuple(roles),
        texts=texts,
        checklist=data["checklist"],
        signboard_colours=tuple(data["signboard_colours"]),
    )

