"""YAML with line numbers, and a small declarative schema that names file:line:field on errors.

`load_yaml(path)` parses a file into plain Python values (dict / list / str / int /
float / bool / None) plus a map from each field path (``sections[0].items[3].weight``)
to the 1-based line it is written on. `validate(doc, schema)` checks the values
against a schema built from `Obj`, `ListOf`, `MapOf`, `Str`, `Num`, `Bool`, `Any_`
and returns them with defaults filled in; the first problem raises
`auditor.errors.ConfigError(file, line, field, problem)`, e.g.::

    checklists/default/1.yaml:42: sections[0].items[3].weigth: unknown key; did you mean 'weight'?
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import yaml

from auditor.errors import ConfigError

_MISSING = object()


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class YamlDoc:
    """Parsed YAML: plain values plus the line of every field path (1-based)."""

    data: Any
    lines: Mapping[str, int]
    file: str

    def line(self, path: str) -> int | None:
        """The line of `path`, or of its closest enclosing field that has one."""
        p = path
        while True:
            if p in self.lines:
                return self.lines[p]
            if not p:
                return None
            p = _parent_path(p)

    def error(self, path: str, problem: str) -> ConfigError:
        return ConfigError(self.file, self.line(path), path or None, problem)


def _parent_path(path: str) -> str:
    if path.endswith("]"):
        return path[: path.rindex("[")]
    if "." in path:
        return path[: path.rindex(".")]
    return ""


def _join(path: str, key: Any) -> str:
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def parse_yaml(text: str, file: str = "<yaml>") -> YamlDoc:
    """Parse YAML text; malformed YAML raises ConfigError with the parser's line."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[str, int] = {}
        data = None if node is None else _to_plain(node, loader, "", lines, file)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 1
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        cm = exc.context_mark
        if cm is not None and mark is not None and cm.line != mark.line:
            problem += f" (the construct began on line {cm.line + 1})"
        raise ConfigError(file, line, None, f"malformed YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(file, None, None, f"malformed YAML: {exc}") from None
    finally:
        loader.dispose()
    if node is not None:
        lines.setdefault("", node.start_mark.line + 1)
    return YamlDoc(data, lines, file)


def load_yaml(path: str | Path, display_name: str | None = None) -> YamlDoc:
    """Read and parse a YAML file; `display_name` is what errors call the file."""
    p = Path(path)
    name = display_name or str(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(name, None, None, "file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(name, None, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(name, None, None, f"cannot read: {exc.strerror or exc}") from None
    return parse_yaml(text, name)


def _to_plain(node: yaml.Node, loader: yaml.SafeLoader, path: str, lines: dict[str, int], file: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<:` merge keys
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                raise ConfigError(file, key_node.start_mark.line + 1, path or None, "a key must be a plain value")
            sub = _join(path, key)
            if key in out:
                raise ConfigError(file, key_node.start_mark.line + 1, sub, "duplicate key")
            out[key] = _to_plain(value_node, loader, sub, lines, file)
            lines[sub] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_plain(v, loader, _join(path, i), lines, file) for i, v in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


# --------------------------------------------------------------------------- schema


def describe(value: Any) -> str:
    """A short rendering of a value for an error message: 'abc', 12, a list, a mapping."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        s = value if len(value) <= 40 else value[:37] + "..."
        return repr(s)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """'; did you mean 'x'?' for the closest choice, or ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


class Schema:
    """Base of schema nodes: `check(doc, path, value)` returns the normalised value."""

    def check(self, doc: YamlDoc, path: str, value: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Any_(Schema):
    def check(self, doc, path, value):
        return value


@dataclass(frozen=True)
class Str(Schema):
    enum: tuple[str, ...] | None = None
    pattern: str | None = None  # regular expression the whole string must match
    pattern_hint: str = ""  # what the pattern means, for the message
    nonempty: bool = True
    coerce_numbers: bool = False  # accept 1 for "1" (versions, ids written as numbers)

    def check(self, doc, path, value):
        if self.coerce_numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise doc.error(path, f"expected text, got {describe(value)}")
        if self.nonempty and not value.strip():
            raise doc.error(path, "must not be empty")
        if self.enum is not None and value not in self.enum:
            raise doc.error(
                path, f"{describe(value)} is not one of {', '.join(self.enum)}{did_you_mean(value, self.enum)}"
            )
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            hint = self.pattern_hint or f"a text matching {self.pattern}"
            raise doc.error(path, f"expected {hint}, got {describe(value)}")
        return value


@dataclass(frozen=True)
class Num(Schema):
    min: float | None = None
    max: float | None = None
    exclusive_min: bool = False
    integer: bool = False

    def check(self, doc, path, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "a whole number" if self.integer else "a number"
            raise doc.error(path, f"expected {kind}, got {describe(value)}")
        if self.integer and not float(value).is_integer():
            raise doc.error(path, f"expected a whole number, got {describe(value)}")
        if not math.isfinite(value):
            raise doc.error(path, f"expected a finite number, got {describe(value)}")
        if self.min is not None:
            if self.exclusive_min and value <= self.min:
                raise doc.error(path, f"must be greater than {self.min}, got {describe(value)}")
            if not self.exclusive_min and value < self.min:
                raise doc.error(path, f"must be at least {self.min}, got {describe(value)}")
        if self.max is not None and value > self.max:
            raise doc.error(path, f"must be at most {self.max}, got {describe(value)}")
        return int(value) if self.integer else value


@dataclass(frozen=True)
class Bool(Schema):
    def check(self, doc, path, value):
        if not isinstance(value, bool):
            raise doc.error(path, f"expected true or false, got {describe(value)}")
        return value


@dataclass(frozen=True)
class ListOf(Schema):
    item: Schema
    min_len: int = 0
    max_len: int | None = None
    scalar_ok: bool = False  # a single value stands for a one-element list

    def check(self, doc, path, value):
        if self.scalar_ok and value is not None and not isinstance(value, list):
            value = [value]
        if not isinstance(value, list):
            raise doc.error(path, f"expected a list, got {describe(value)}")
        if len(value) < self.min_len:
            raise doc.error(path, f"expected at least {self.min_len} entr{'y' if self.min_len == 1 else 'ies'}, got {len(value)}")
        if self.max_len is not None and len(value) > self.max_len:
            raise doc.error(path, f"expected at most {self.max_len} entries, got {len(value)}")
        return [self.item.check(doc, _join(path, i), v) for i, v in enumerate(value)]


@dataclass(frozen=True)
class MapOf(Schema):
    """A mapping with free keys (checked by `key`) and values checked by `value`."""

    value: Schema
    key: Schema = field(default_factory=lambda: Str(pattern=r"[A-Za-z_][A-Za-z0-9_.-]*", pattern_hint="a name of letters, digits, '_', '-', '.'"))
    min_len: int = 0

    def check(self, doc, path, value):
        if not isinstance(value, dict):
            raise doc.error(path, f"expected a mapping, got {describe(value)}")
        if len(value) < self.min_len:
            raise doc.error(path, f"expected at least {self.min_len} entries, got {len(value)}")
        out = {}
        for k, v in value.items():
            sub = _join(path, k)
            self.key.check(doc, sub, k)
            out[k] = self.value.check(doc, sub, v)
        return out


@dataclass(frozen=True)
class Key:
    """One key of an `Obj`: its schema, and whether it must be there (else its default)."""

    schema: Schema
    required: bool = True
    default: Any = None


def opt(schema: Schema, default: Any = None) -> Key:
    return Key(schema, required=False, default=default)


@dataclass(frozen=True)
class Obj(Schema):
    """A mapping with a fixed set of keys; unknown keys are errors with a suggestion."""

    keys: Mapping[str, Key | Schema]
    check_extra: Callable[[YamlDoc, str, dict], None] | None = None  # cross-field rules

    def check(self, doc, path, value):
        if not isinstance(value, dict):
            raise doc.error(path, f"expected a mapping, got {describe(value)}")
        known = list(self.keys)
        for k in value:
            if k not in self.keys:
                raise doc.error(_join(path, k), f"unknown key{did_you_mean(k, known)}")
        out: dict[str, Any] = {}
        for name, spec in self.keys.items():
            key = spec if isinstance(spec, Key) else Key(spec)
            sub = _join(path, name)
            if name not in value:
                if key.required:
                    where = f" in {path}" if path else ""
                    raise ConfigError(doc.file, doc.line(path), sub, f"missing required key '{name}'{where}")
                out[name] = key.default
                continue
            out[name] = key.schema.check(doc, sub, value[name])
        if self.check_extra is not None:
            self.check_extra(doc, path, out)
        return out


def validate(doc: YamlDoc, schema: Schema) -> Any:
    """Check `doc.data` against `schema`; returns the values with defaults filled in."""
    if doc.data is None:
        raise ConfigError(doc.file, None, None, "the file is empty")
    return schema.check(doc, "", doc.data)
