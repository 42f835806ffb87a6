"""Read and validate a labelled photo set (a folder with `labels.json`, spec/labels.md).

Every problem is a `LabelSetError` whose one-line message names the file, the photo
(index and file name) and the field, says what was expected and what came, and
suggests the closest valid key for a misspelt one. Unknown keys inside `truth` are
not errors (a set may carry extra annotations) but are reported as warnings, with a
suggestion, so that a typo does not silently drop a label.

Boxes are converted from the file's `[x, y, w, h]` to `xyxy` tuples.
"""
from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from auditor.errors import LabelSetError
from auditor.types import AREAS  # noqa: F401  (re-exported: the areas a photo may be labelled with)
EXPOSURES = ("dark", "ok", "overexposed")
DEFECT_KINDS = ("litter", "clutter", "stain", "rust", "damage", "dirty_glass", "dead_greenery")
TRUTH_GROUPS = ("logo", "text", "lighting", "clean", "people")
GROUP_KEYS: Mapping[str, tuple[str, ...]] = {
    "logo": ("present", "boxes", "placement_ok"),
    "text": ("must_read", "must_not_read"),
    "lighting": ("exposure", "night", "signs_lit"),
    "clean": ("clean", "defects"),
    "people": ("count", "uniform_ok", "badge_visible", "persons"),
}
LABELS_FILE = "labels.json"

XYXY = tuple[float, float, float, float]


@dataclass(frozen=True)
class LogoTruth:
    present: bool | None = None
    boxes_xyxy: tuple[XYXY, ...] | None = None  # None: not labelled
    placement_ok: bool | None = None


@dataclass(frozen=True)
class TextTruth:
    must_read: tuple[str, ...] = ()
    must_not_read: tuple[str, ...] = ()


@dataclass(frozen=True)
class LightingTruth:
    exposure: str | None = None  # one of EXPOSURES
    night: bool | None = None
    signs_lit: bool | None = None


@dataclass(frozen=True)
class DefectTruth:
    kind: str  # one of DEFECT_KINDS
    box_xyxy: XYXY | None = None


@dataclass(frozen=True)
class CleanTruth:
    clean: bool | None = None
    defects: tuple[DefectTruth, ...] = ()


@dataclass(frozen=True)
class PersonTruth:
    box_xyxy: XYXY
    role: str | None = None
    badge: bool | None = None


@dataclass(frozen=True)
class PeopleTruth:
    count: int | None = None
    uniform_ok: bool | None = None
    badge_visible: bool | None = None
    persons: tuple[PersonTruth, ...] = ()  # empty: no person boxes given


@dataclass(frozen=True)
class Truth:
    """What a person labelled on one photo; a group that is None was not labelled."""

    logo: LogoTruth | None = None
    text: TextTruth | None = None
    lighting: LightingTruth | None = None
    clean: CleanTruth | None = None
    people: PeopleTruth | None = None

    def groups(self) -> tuple[str, ...]:
        return tuple(g for g in TRUTH_GROUPS if getattr(self, g) is not None)


@dataclass(frozen=True)
class LabelledPhoto:
    index: int  # position in labels.json
    file: str  # as written, relative to the set's root
    path: Path  # absolute
    area: str | None
    brand: str | None  # this photo's own brand (overrides the set's), None = the set's
    truth: Truth


@dataclass(frozen=True)
class LabelSet:
    root: Path
    labels_path: Path
    brand: str | None  # None = the default brand
    brand_pack: Path | None  # folder of extra brand packs (one sub-folder per brand id)
    photos: tuple[LabelledPhoto, ...]
    warnings: tuple[str, ...] = ()

    def brand_of(self, photo: LabelledPhoto) -> str | None:
        return photo.brand if photo.brand is not None else self.brand


def load_label_set(path: str | Path) -> LabelSet:
    """Read a labelled set from its folder (or its labels.json) and validate it.

    Raises:
        LabelSetError: the file is missing, not JSON, or does not follow spec/labels.md.
    """
    path = Path(path)
    labels_path = path / LABELS_FILE if path.is_dir() else path
    if not labels_path.exists():
        if not path.exists():
            raise LabelSetError(f"{path}: no such folder")
        raise LabelSetError(f"{labels_path}: not found (a labelled set is a folder with {LABELS_FILE})")
    try:
        raw = json.loads(labels_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise LabelSetError(f"{labels_path}: not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise LabelSetError(f"{labels_path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    return parse_label_set(raw, labels_path)


def parse_label_set(raw: Any, labels_path: Path) -> LabelSet:
    """Validate the decoded JSON of a labels file (see `load_label_set`)."""
    root = labels_path.parent.resolve()
    warnings: list[str] = []
    where = str(labels_path)
    if not isinstance(raw, dict):
        raise LabelSetError(f"{where}: expected a JSON object with 'photos', got {_kind(raw)}")
    photos_raw = raw.get("photos")
    if photos_raw is None:
        close = difflib.get_close_matches("photos", [k for k in raw if isinstance(k, str)], n=1, cutoff=0.6)
        hint = f" ('{close[0]}' is not a key: did you mean 'photos'?)" if close else ""
        raise LabelSetError(f"{where}: missing key 'photos'{hint}")
    if not isinstance(photos_raw, list):
        raise LabelSetError(f"{where}: photos: expected a list, got {_kind(photos_raw)}")
    brand = _opt_str(raw.get("brand"), f"{where}: brand")
    brand_pack_raw = _opt_str(raw.get("brand_pack"), f"{where}: brand_pack")
    brand_pack = None
    if brand_pack_raw is not None:
        brand_pack = (root / brand_pack_raw).resolve()
        if not brand_pack.is_dir():
            raise LabelSetError(f"{where}: brand_pack: folder '{brand_pack_raw}' not found (looked in {brand_pack})")

    photos = []
    seen: dict[str, int] = {}
    for i, p in enumerate(photos_raw):
        photo = _parse_photo(i, p, root, where, warnings)
        if photo.file in seen:
            raise LabelSetError(
                f"{where}: photos[{i}] ({photo.file}): listed twice (first as photos[{seen[photo.file]}])"
            )
        seen[photo.file] = i
        photos.append(photo)
    return LabelSet(root, labels_path, brand, brand_pack, tuple(photos), tuple(warnings))


# ---------------------------------------------------------------- parsing helpers


def _parse_photo(i: int, p: Any, root: Path, where: str, warnings: list[str]) -> LabelledPhoto:
    if not isinstance(p, dict):
        raise LabelSetError(f"{where}: photos[{i}]: expected an object, got {_kind(p)}")
    file = p.get("file")
    if not isinstance(file, str) or not file.strip():
        raise LabelSetError(f"{where}: photos[{i}]: file: expected a path relative to the labels file, got {file!r}")
    at = f"{where}: photos[{i}] ({file})"
    path = (root / file).resolve()
    if not path.is_file():
        raise LabelSetError(f"{at}: file not found ({path})")
    area = p.get("area")
    if area is not None and area not in AREAS:
        raise LabelSetError(f"{at}: area: expected one of {', '.join(AREAS)} or null, got {area!r}{_suggest(area, AREAS)}")
    brand = _opt_str(p.get("brand"), f"{at}: brand")
    truth_raw = p.get("truth")
    if truth_raw is None:
        truth = Truth()
    elif not isinstance(truth_raw, dict):
        raise LabelSetError(f"{at}: truth: expected an object, got {_kind(truth_raw)}")
    else:
        for key in truth_raw:
            if key not in TRUTH_GROUPS:
                warnings.append(f"{at}: truth.{key}: unknown label group, ignored{_suggest(key, TRUTH_GROUPS)}")
        groups = {}
        for g in TRUTH_GROUPS:
            value = truth_raw.get(g)
            if value is None:
                continue
            if not isinstance(value, dict):
                raise LabelSetError(f"{at}: truth.{g}: expected an object or null, got {_kind(value)}")
            for key in value:
                if key not in GROUP_KEYS[g]:
                    warnings.append(f"{at}: truth.{g}.{key}: unknown key, ignored{_suggest(key, GROUP_KEYS[g])}")
            groups[g] = _GROUP_PARSERS[g](value, f"{at}: truth.{g}")
        truth = Truth(**groups)
    return LabelledPhoto(i, file, path, area, brand, truth)


def _parse_logo(d: dict, at: str) -> LogoTruth:
    boxes = d.get("boxes")
    boxes_xyxy = None
    if boxes is not None:
        if not isinstance(boxes, list):
            raise LabelSetError(f"{at}.boxes: expected a list of [x, y, w, h], got {_kind(boxes)}")
        boxes_xyxy = tuple(_box(b, f"{at}.boxes[{j}]") for j, b in enumerate(boxes))
    present = _opt_bool(d.get("present"), f"{at}.present")
    if present is False and boxes_xyxy:
        raise LabelSetError(f"{at}: present is false but {len(boxes_xyxy)} logo box(es) are given")
    return LogoTruth(present, boxes_xyxy, _opt_bool(d.get("placement_ok"), f"{at}.placement_ok"))


def _parse_text(d: dict, at: str) -> TextTruth:
    return TextTruth(_str_list(d.get("must_read"), f"{at}.must_read"), _str_list(d.get("must_not_read"), f"{at}.must_not_read"))


def _parse_lighting(d: dict, at: str) -> LightingTruth:
    exposure = d.get("exposure")
    if exposure is not None and exposure not in EXPOSURES:
        raise LabelSetError(
            f"{at}.exposure: expected one of {', '.join(EXPOSURES)} or null, got {exposure!r}{_suggest(exposure, EXPOSURES)}"
        )
    return LightingTruth(exposure, _opt_bool(d.get("night"), f"{at}.night"), _opt_bool(d.get("signs_lit"), f"{at}.signs_lit"))


def _parse_clean(d: dict, at: str) -> CleanTruth:
    defects_raw = d.get("defects")
    defects = []
    if defects_raw is not None:
        if not isinstance(defects_raw, list):
            raise LabelSetError(f"{at}.defects: expected a list, got {_kind(defects_raw)}")
        for j, item in enumerate(defects_raw):
            here = f"{at}.defects[{j}]"
            if not isinstance(item, dict):
                raise LabelSetError(f"{here}: expected an object with kind and box, got {_kind(item)}")
            kind = item.get("kind")
            if kind not in DEFECT_KINDS:
                raise LabelSetError(
                    f"{here}.kind: expected one of {', '.join(DEFECT_KINDS)}, got {kind!r}{_suggest(kind, DEFECT_KINDS)}"
                )
            box = item.get("box")
            defects.append(DefectTruth(kind, None if box is None else _box(box, f"{here}.box")))
    clean = _opt_bool(d.get("clean"), f"{at}.clean")
    if clean is True and defects:
        raise LabelSetError(f"{at}: clean is true but {len(defects)} defect(s) are listed")
    return CleanTruth(clean, tuple(defects))


def _parse_people(d: dict, at: str) -> PeopleTruth:
    count = d.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise LabelSetError(f"{at}.count: expected a whole number >= 0 or null, got {count!r}")
    persons_raw = d.get("persons")
    persons = []
    if persons_raw is not None:
        if not isinstance(persons_raw, list):
            raise LabelSetError(f"{at}.persons: expected a list, got {_kind(persons_raw)}")
        for j, item in enumerate(persons_raw):
            here = f"{at}.persons[{j}]"
            if not isinstance(item, dict):
                raise LabelSetError(f"{here}: expected an object with box, role, badge, got {_kind(item)}")
            if item.get("box") is None:
                raise LabelSetError(f"{here}.box: missing (a listed person needs a box [x, y, w, h])")
            persons.append(
                PersonTruth(
                    _box(item["box"], f"{here}.box"),
                    _opt_str(item.get("role"), f"{here}.role"),
                    _opt_bool(item.get("badge"), f"{here}.badge"),
                )
            )
    if count is not None and persons and count != len(persons):
        raise LabelSetError(f"{at}: count is {count} but {len(persons)} person box(es) are given")
    return PeopleTruth(
        count,
        _opt_bool(d.get("uniform_ok"), f"{at}.uniform_ok"),
        _opt_bool(d.get("badge_visible"), f"{at}.badge_visible"),
        tuple(persons),
    )


_GROUP_PARSERS = {
    "logo": _parse_logo,
    "text": _parse_text,
    "lighting": _parse_lighting,
    "clean": _parse_clean,
    "people": _parse_people,
}


def _box(b: Any, at: str) -> XYXY:
    if (
        not isinstance(b, (list, tuple))
        or len(b) != 4
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in b)
    ):
        raise LabelSetError(f"{at}: expected [x, y, w, h] (4 numbers), got {b!r}")
    x, y, w, h = (float(v) for v in b)
    if w <= 0 or h <= 0:
        raise LabelSetError(f"{at}: width and height must be > 0, got {b!r}")
    return (x, y, x + w, y + h)


def _opt_bool(v: Any, at: str) -> bool | None:
    if v is None or isinstance(v, bool):
        return v
    raise LabelSetError(f"{at}: expected true, false or null, got {v!r}")


def _opt_str(v: Any, at: str) -> str | None:
    if v is None or isinstance(v, str):
        return v
    raise LabelSetError(f"{at}: expected a string or null, got {v!r}")


def _str_list(v: Any, at: str) -> tuple[str, ...]:
    if v is None:
        return ()
    if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
        raise LabelSetError(f"{at}: expected a list of strings, got {v!r}")
    return tuple(v)


def _kind(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(v), type(v).__name__
    )


def _suggest(word: Any, valid) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(valid), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
