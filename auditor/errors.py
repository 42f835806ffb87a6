"""Exceptions that say what was expected and what came."""
from __future__ import annotations


class AuditorError(Exception):
    """Base of every error the library raises on purpose; its message is one line for a person."""


class PhotoError(AuditorError):
    """A photo could not be accepted: not an image, truncated, too large, absurd size, ..."""

    def __init__(self, source: str, reason: str):
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class ConfigError(AuditorError):
    """A checklist or brand pack is invalid; names the file, line and field."""

    def __init__(self, file: str, line: int | None, field: str | None, problem: str):
        self.file = file
        self.line = line
        self.field = field
        self.problem = problem
        where = file if line is None else f"{file}:{line}"
        what = f"{field}: " if field else ""
        super().__init__(f"{where}: {what}{problem}")


class UnknownBrandError(AuditorError):
    def __init__(self, brand: str, known: list[str]):
        self.brand = brand
        self.known = known
        hint = f" (known: {', '.join(known)})" if known else ""
        super().__init__(f"unknown brand '{brand}': no built-in pack and no folder of that name{hint}")


class UnknownChecklistError(AuditorError):
    def __init__(self, checklist: str, known: list[str]):
        hint = f" (known: {', '.join(known)})" if known else ""
        super().__init__(f"unknown checklist '{checklist}'{hint}")


class LabelSetError(AuditorError):
    """A labelled photo set (labels.json) does not follow spec/labels.md."""
