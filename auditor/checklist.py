"""Checklists: versioned YAML of sections and items, each bound to checks or answered by hand.

The types are the contract; `load_checklist` below reads and validates the YAML.
File layout: <checklists root>/<id>/<version>.yaml (see checklists/default/1.yaml):

    id: default
    version: 1
    title: {zh: ..., en: ...}
    sections:
      - id: EXT
        title: {zh: 外观形象, en: Exterior image}
        items:
          - id: EXT-02
            text: {zh: ..., en: ...}
            weight: 3                      # > 0
            areas: [facade]                # none = every area
            checks:                        # or `manual: true`, never both
              - {check: logo.present, params: {}, min_confidence: 0.6}

Check ids must be registered in `auditor.checks.CHECKS`; ids are unique; errors are
ConfigError with file:line:field and a did-you-mean for typos.
"""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping


@dataclass(frozen=True)
class CheckBinding:
    """An item's use of a check: which check, with which parameters (thresholds, filters)."""

    check_id: str
    params: Mapping[str, Any] = field(default_factory=dict)
    min_confidence: float = 0.5  # below this a fail becomes needs_review
    aggregate: str = "all"  # "all": every photo must pass; "any": one photo that passes is enough


@dataclass(frozen=True)
class Item:
    id: str  # "EXT-02"
    text_zh: str
    text_en: str
    weight: float
    areas: tuple[str, ...]  # areas whose photos are evidence; empty = every area
    checks: tuple[CheckBinding, ...] = ()
    manual: bool = False
    evidence: str = ""  # what a photo can show for this item, for people


@dataclass(frozen=True)
class Section:
    id: str  # "EXT"
    title_zh: str
    title_en: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Checklist:
    id: str  # "default"
    version: str  # "1"
    title_zh: str
    title_en: str
    sections: tuple[Section, ...]
    source: str = ""  # file it was loaded from

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(i for s in self.sections for i in s.items)

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def item(self, item_id: str) -> Item:
        for i in self.items:
            if i.id == item_id:
                return i
        raise KeyError(item_id)


# =========================================================================== loader
#
# A checklist lives at <checklists root>/<id>/<version>.yaml. "default" means the
# highest version of checklists/default/, "default@1" that exact version, and a path
# names a file anywhere. Everything is validated on load with file:line:field errors.

CHECKLISTS_ENV = "AUDITOR_CHECKLISTS"
DEFAULT_CHECKLIST = "default"
_VERSION_FILE = re.compile(r"[0-9A-Za-z_.-]+\.ya?ml")


def checklists_root() -> Path:
    """The folder of checklists and brand packs.

    $AUDITOR_CHECKLISTS if set; else the checklists/ folder beside the package (a source
    checkout or editable install); else ./checklists (a non-editable install run from
    the repository).
    """
    env = os.environ.get(CHECKLISTS_ENV)
    if env:
        return Path(env).expanduser()
    beside = Path(__file__).resolve().parent.parent / "checklists"
    if beside.is_dir():
        return beside
    here = Path.cwd() / "checklists"
    return here if here.is_dir() else beside


def _version_key(version: str) -> tuple:
    """Sort key: numeric parts numerically ("10" > "9", "1.2" > "1.10" is false)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[._-]", version))


def _versions(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    found = [p.stem for p in folder.iterdir() if p.is_file() and _VERSION_FILE.fullmatch(p.name)]
    return sorted(found, key=_version_key)


def list_checklists(root: Path | None = None) -> list[str]:
    """Every installed checklist as "id@version", sorted by id then version."""
    base = Path(root) if root is not None else checklists_root()
    if not base.is_dir():
        return []
    out = []
    for d in sorted(p for p in base.iterdir() if p.is_dir() and p.name != "brands"):
        out += [f"{d.name}@{v}" for v in _versions(d)]
    return out


def resolve_checklist_file(id_or_path: str | Path) -> Path:
    """The YAML file of "id", "id@version" or a path; raises UnknownChecklistError."""
    from auditor.errors import UnknownChecklistError

    text = str(id_or_path).strip()
    candidate = Path(text).expanduser()
    if isinstance(id_or_path, Path) or candidate.suffix in (".yaml", ".yml") or "/" in text:
        if candidate.is_file():
            return candidate
        versions = _versions(candidate)
        if versions:  # a folder of versions: the latest
            return next(p for p in candidate.iterdir() if p.is_file() and p.stem == versions[-1])
        raise UnknownChecklistError(text, list_checklists())
    cid, _, version = text.partition("@")
    folder = checklists_root() / cid
    versions = _versions(folder)
    if cid and cid != "brands" and versions:
        if not version:
            version = versions[-1]
        for ext in (".yaml", ".yml"):
            if (folder / f"{version}{ext}").is_file():
                return folder / f"{version}{ext}"
    raise UnknownChecklistError(text, list_checklists())


def load_checklist(id_or_path: str | Path | None = None) -> Checklist:
    """Load and validate a checklist: "default" (latest version), "default@1", or a YAML path.

    Raises ConfigError (file:line:field) for an invalid file, UnknownChecklistError when
    there is no such checklist. Cached per file and modification time.
    """
    path = resolve_checklist_file(DEFAULT_CHECKLIST if id_or_path is None else id_or_path)
    return _load_cached(str(path.resolve()), path.stat().st_mtime_ns, _display(path))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@functools.lru_cache(maxsize=32)
def _load_cached(path: str, mtime_ns: int, display: str) -> Checklist:
    return _build_checklist(Path(path), display)


def _schema():
    AREAS = photo_areas()
    from auditor.yamlconf import Any_, Bool, ListOf, MapOf, Num, Obj, Str, opt

    names = Obj({"zh": Str(), "en": Str()})
    ident = Str(pattern=r"[A-Za-z0-9_-]+", pattern_hint="an id of letters, digits, '_', '-'")
    binding = Obj({
        "check": Str(),
        "params": opt(MapOf(Any_(), key=Str(pattern=r"[A-Za-z_][A-Za-z0-9_]*", pattern_hint="a parameter name")), {}),
        "min_confidence": opt(Num(min=0, max=1), 0.5),
        "aggregate": opt(Str(enum=("all", "any")), "all"),
    })
    item = Obj({
        "id": ident,
        "text": names,
        "weight": Num(min=0, exclusive_min=True, max=1000),
        "areas": opt(ListOf(Str(enum=AREAS), scalar_ok=True), []),
        "checks": opt(ListOf(binding), []),
        "manual": opt(Bool(), False),
        "evidence": opt(Str(), ""),  # what a photo can show, for people; not used by scoring
    })
    return Obj({
        "id": opt(ident),
        "version": opt(Str(coerce_numbers=True, pattern=r"[0-9A-Za-z_.-]+", pattern_hint="a version like 1 or 2.1")),
        "title": names,
        "sections": ListOf(Obj({"id": ident, "title": names, "items": ListOf(item, min_len=1)}), min_len=1),
    })


def _build_checklist(path: Path, display: str) -> Checklist:
    from auditor.checks import CHECKS
    from auditor.yamlconf import did_you_mean, load_yaml, validate

    doc = load_yaml(path, display)
    data = validate(doc, _schema())
    folder_id, file_version = path.parent.name, path.stem
    cid = data["id"] or folder_id
    version = data["version"] or file_version
    if _VERSION_FILE.fullmatch(path.name) and path.parent.parent.resolve() == checklists_root().resolve():
        # an installed checklist: its folder and file name are its id and version
        if data["id"] and data["id"] != folder_id:
            raise doc.error("id", f"id '{data['id']}' does not match its folder '{folder_id}'")
        if data["version"] and data["version"] != file_version:
            raise doc.error("version", f"version '{data['version']}' does not match its file name '{path.name}'")

    seen_sections: set[str] = set()
    seen_items: set[str] = set()
    sections = []
    for si, s in enumerate(data["sections"]):
        sp = f"sections[{si}]"
        if s["id"] in seen_sections:
            raise doc.error(f"{sp}.id", f"duplicate section id '{s['id']}'")
        seen_sections.add(s["id"])
        items = []
        for ii, it in enumerate(s["items"]):
            ip = f"{sp}.items[{ii}]"
            if it["id"] in seen_items:
                raise doc.error(f"{ip}.id", f"duplicate item id '{it['id']}'")
            seen_items.add(it["id"])
            if it["manual"] and it["checks"]:
                raise doc.error(f"{ip}.manual", "an item is either manual or has checks, not both")
            if not it["manual"] and not it["checks"]:
                raise doc.error(ip, "needs 'checks' (a list of check bindings) or 'manual: true'")
            bindings = []
            for bi, b in enumerate(it["checks"]):
                bp = f"{ip}.checks[{bi}]"
                spec = CHECKS.get(b["check"])
                if spec is None:
                    raise doc.error(f"{bp}.check", f"unknown check '{b['check']}'{did_you_mean(b['check'], sorted(CHECKS))}")
                for key in b["params"]:
                    # a parameter close to (but not) one of the check's thresholds is a typo;
                    # other parameters are filters the check reads (group, kinds, mode, ...)
                    if spec.defaults and key not in spec.defaults and did_you_mean(key, list(spec.defaults)):
                        raise doc.error(f"{bp}.params.{key}", f"unknown parameter of {b['check']}{did_you_mean(key, list(spec.defaults))}")
                bindings.append(CheckBinding(b["check"], dict(b["params"]), float(b["min_confidence"]), b["aggregate"]))
            items.append(Item(
                id=it["id"],
                text_zh=it["text"]["zh"],
                text_en=it["text"]["en"],
                weight=float(it["weight"]),
                areas=tuple(it["areas"]),
                checks=tuple(bindings),
                manual=bool(it["manual"]),
                evidence=it["evidence"],
            ))
        sections.append(Section(s["id"], s["title"]["zh"], s["title"]["en"], tuple(items)))
    return Checklist(cid, str(version), data["title"]["zh"], data["title"]["en"], tuple(sections), source=str(path))


def photo_areas() -> tuple[str, ...]:
    """The fixed photo areas (facade, entrance, ...), wherever the core defines them."""
    from auditor.types import AREAS

    return AREAS
