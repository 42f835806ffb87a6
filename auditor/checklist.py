"""Checklists: versioned YAML of sections and items, each bound to checks or answered by hand.

CONTRACT (types fixed; the loader is built in the Foundation issue).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class CheckBinding:
    """An item's use of a check: which check, with which parameters (thresholds, filters)."""

    check_id: str
    params: Mapping[str, Any] = field(default_factory=dict)
    min_confidence: float = 0.5  # below this a fail becomes needs_review


@dataclass(frozen=True)
class Item:
    id: str  # "EXT-02"
    text_zh: str
    text_en: str
    weight: float
    areas: tuple[str, ...]  # areas whose photos are evidence; empty = every area
    checks: tuple[CheckBinding, ...] = ()
    manual: bool = False


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
