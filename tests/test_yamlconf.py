"""YAML with line numbers and the declarative schema."""
from __future__ import annotations

import pytest

from auditor.errors import ConfigError
from auditor.yamlconf import Bool, ListOf, MapOf, Num, Obj, Str, load_yaml, opt, parse_yaml, validate

TEXT = """\
name: shop
size: 3
tags:
  - a
  - b
nested:
  deep:
    - {x: 1, y: 2}
    - x: 3
      y: four
"""

GOOD = TEXT.replace("y: four", "y: 4")

SCHEMA = Obj({
    "name": Str(),
    "size": Num(min=1, max=10, integer=True),
    "tags": ListOf(Str(enum=("a", "b", "c"))),
    "nested": Obj({"deep": ListOf(Obj({"x": Num(), "y": Num()}))}),
    "flag": opt(Bool(), False),
})


def test_values_and_lines():
    doc = parse_yaml(TEXT, "t.yaml")
    assert doc.data["nested"]["deep"][1] == {"x": 3, "y": "four"}
    assert doc.line("name") == 1
    assert doc.line("tags[1]") == 5
    assert doc.line("nested.deep[0].y") == 8
    assert doc.line("nested.deep[1].y") == 10
    assert doc.line("nested.deep[1].nothing") == 9  # falls back to the enclosing field


def test_type_error_names_file_line_field():
    doc = parse_yaml(TEXT, "t.yaml")
    with pytest.raises(ConfigError) as err:
        validate(doc, SCHEMA)
    assert str(err.value) == "t.yaml:10: nested.deep[1].y: expected a number, got 'four'"
    assert (err.value.file, err.value.line, err.value.field) == ("t.yaml", 10, "nested.deep[1].y")


def test_unknown_key_suggests_the_closest():
    doc = parse_yaml(TEXT.replace("size: 3", "szie: 3"), "t.yaml")
    with pytest.raises(ConfigError, match=r"^t.yaml:2: szie: unknown key; did you mean 'size'\?$"):
        validate(doc, SCHEMA)
    doc = parse_yaml(TEXT.replace("size: 3", "colour: 3"), "t.yaml")
    with pytest.raises(ConfigError, match=r"^t.yaml:2: colour: unknown key$"):
        validate(doc, SCHEMA)


def test_missing_key_enum_and_range():
    with pytest.raises(ConfigError, match="missing required key 'size'"):
        validate(parse_yaml(GOOD.replace("size: 3\n", ""), "t.yaml"), SCHEMA)
    with pytest.raises(ConfigError, match=r"t.yaml:5: tags\[1\]: 'bb' is not one of a, b, c; did you mean 'b'\?"):
        validate(parse_yaml(GOOD.replace("  - b", "  - bb"), "t.yaml"), SCHEMA)
    with pytest.raises(ConfigError, match="size: must be at most 10, got 30"):
        validate(parse_yaml(GOOD.replace("size: 3", "size: 30"), "t.yaml"), SCHEMA)
    with pytest.raises(ConfigError, match="size: expected a whole number, got 2.5"):
        validate(parse_yaml(GOOD.replace("size: 3", "size: 2.5"), "t.yaml"), SCHEMA)
    with pytest.raises(ConfigError, match="flag: expected true or false, got 'yes please'"):
        validate(parse_yaml(GOOD + "flag: yes please\n", "t.yaml"), SCHEMA)


def test_defaults_are_filled():
    out = validate(parse_yaml(TEXT.replace("y: four", "y: 4"), "t.yaml"), SCHEMA)
    assert out["flag"] is False and out["size"] == 3


def test_malformed_yaml_has_the_parser_line():
    with pytest.raises(ConfigError, match=r"^t.yaml:3: malformed YAML") as err:
        parse_yaml("a: 1\nb: [1, 2\nc: 3\n", "t.yaml")
    assert err.value.field is None
    with pytest.raises(ConfigError, match=r"t.yaml:2: malformed YAML"):
        parse_yaml("a: 1\n  b: 2\n", "t.yaml")


def test_duplicate_keys_are_errors():
    with pytest.raises(ConfigError, match=r"t.yaml:3: a: duplicate key"):
        parse_yaml("a: 1\nb: 2\na: 3\n", "t.yaml")


def test_mapof_checks_keys_and_values():
    schema = MapOf(Num(), key=Str(enum=("all", "summer", "winter")))
    with pytest.raises(ConfigError, match=r"t.yaml:2: sumer: 'sumer' is not one of .*did you mean 'summer'"):
        validate(parse_yaml("all: 1\nsumer: 2\n", "t.yaml"), schema)


def test_empty_and_missing_files(tmp_path):
    p = tmp_path / "empty.yaml"
    p.write_text("# nothing\n")
    with pytest.raises(ConfigError, match="the file is empty"):
        validate(load_yaml(p), SCHEMA)
    with pytest.raises(ConfigError, match="file not found"):
        load_yaml(tmp_path / "nope.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_yaml(bad)


def test_scalar_ok_lists():
    out = validate(parse_yaml("tags: a\n", "t.yaml"), Obj({"tags": ListOf(Str(), scalar_ok=True)}))
    assert out == {"tags": ["a"]}
