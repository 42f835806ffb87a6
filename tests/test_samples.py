"""The demo-photo generator: labels in the spec format, boxes on the photos, determinism, coverage."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from samples.generator import generate_set, parse_size, plan_set
from samples.generator.defects import DEFECT_KINDS
from samples.generator.plan import AREAS

ROOT = Path(__file__).resolve().parents[1]
SPEC_AREAS = {"facade", "entrance", "driveway", "reception", "workshop", "lounge", "staff", "other", None}
EXPOSURES = {"dark", "ok", "overexposed"}
SMALL = (320, 240)


def _is_box(b) -> bool:
    return isinstance(b, list) and len(b) == 4 and all(isinstance(v, int) for v in b) and b[2] > 0 and b[3] > 0


def validate_labels(labels: dict, root: Path) -> list[str]:
    """Every way `labels` departs from spec/labels.md (empty when it conforms)."""
    errors: list[str] = []
    if not isinstance(labels.get("brand"), (str, type(None))):
        errors.append("brand must be a string or null")
    if "brand_pack" in labels and not isinstance(labels["brand_pack"], (str, type(None))):
        errors.append("brand_pack must be a string or null")
    photos = labels.get("photos")
    if not isinstance(photos, list) or not photos:
        return errors + ["photos must be a non-empty list"]
    for p in photos:
        where = p.get("file", "?")
        if not isinstance(p.get("file"), str) or not (root / p["file"]).is_file():
            errors.append(f"{where}: file missing")
        if p.get("area") not in SPEC_AREAS:
            errors.append(f"{where}: bad area {p.get('area')!r}")
        t = p.get("truth")
        if not isinstance(t, dict):
            errors.append(f"{where}: truth missing")
            continue
        logo = t["logo"]
        if not isinstance(logo["present"], bool) or not all(_is_box(b) for b in logo["boxes"]):
            errors.append(f"{where}: bad logo {logo}")
        if logo["present"] != bool(logo["boxes"]):
            errors.append(f"{where}: logo present disagrees with boxes")
        if logo["placement_ok"] not in (True, False, None):
            errors.append(f"{where}: bad placement_ok")
        text = t["text"]
        if not all(isinstance(s, str) and s for s in text["must_read"] + text["must_not_read"]):
            errors.append(f"{where}: bad text {text}")
        lt = t["lighting"]
        if lt["exposure"] not in EXPOSURES or not isinstance(lt["night"], bool):
            errors.append(f"{where}: bad lighting {lt}")
        if lt["signs_lit"] is not None and not lt["night"]:
            errors.append(f"{where}: signs_lit given on a day photo")
        clean = t["clean"] or {"clean": True, "defects": []}  # null: not labelled
        if clean["clean"] != (not clean["defects"]):
            errors.append(f"{where}: clean flag disagrees with defects")
        for d in clean["defects"]:
            if d["kind"] not in DEFECT_KINDS or not _is_box(d["box"]):
                errors.append(f"{where}: bad defect {d}")
        people = t["people"]
        persons = people["persons"]
        if people["count"] != len(persons):
            errors.append(f"{where}: count {people['count']} != {len(persons)} persons")
        for q in persons:
            if not _is_box(q["box"]) or not isinstance(q["badge"], bool) or not isinstance(q["role"], (str, type(None))):
                errors.append(f"{where}: bad person {q}")
        if persons:
            if people["uniform_ok"] != all(q["uniform_ok"] for q in persons):
                errors.append(f"{where}: uniform_ok disagrees with persons")
            if people["badge_visible"] != any(q["badge"] for q in persons):
                errors.append(f"{where}: badge_visible disagrees with persons")
        elif people["uniform_ok"] is not None or people["badge_visible"] is not None:
            errors.append(f"{where}: uniform/badge labelled without people")
    return errors


def _boxes(p: dict):
    t = p["truth"]
    yield from t["logo"]["boxes"]
    yield from (d["box"] for d in (t["clean"] or {"defects": []})["defects"])
    yield from (q["box"] for q in t["people"]["persons"])
    yield from (m["box"] for m in p.get("wrong_marks", []))


@pytest.fixture(scope="module")
def set60(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("set60")
    path = generate_set(out, 60, seed=11, split="train", size=SMALL, jobs=1)
    return out, json.loads(path.read_text(encoding="utf-8"))


def test_labels_follow_the_spec(set60):
    root, labels = set60
    assert labels["brand"] == "demo" and labels["brand_pack"] is None
    assert len(labels["photos"]) == 60
    assert validate_labels(labels, root) == []


def test_validator_rejects_broken_labels(set60):
    root, labels = set60
    broken = json.loads(json.dumps(labels))
    broken["photos"][0]["truth"]["clean"] = {"clean": True, "defects": [{"kind": "mud", "box": [1, 2, 3]}]}
    broken["photos"][1]["area"] = "garage"
    errors = validate_labels(broken, root)
    assert any("bad defect" in e for e in errors) and any("bad area" in e for e in errors)


def test_every_box_lies_inside_its_photo(set60):
    root, labels = set60
    for p in labels["photos"]:
        with Image.open(root / p["file"]) as im:
            w, h = im.size
            assert im.format == "JPEG"
        assert (w, h) == SMALL
        for x, y, bw, bh in _boxes(p):
            assert 0 <= x and 0 <= y and x + bw <= w and y + bh <= h, (p["file"], [x, y, bw, bh])


def test_every_area_and_defect_kind_appears_in_60_photos(set60):
    _, labels = set60
    photos = labels["photos"]
    assert {p["area"] for p in photos} == set(AREAS)
    kinds = {d["kind"] for p in photos if p["truth"]["clean"] for d in p["truth"]["clean"]["defects"]}
    assert kinds == set(DEFECT_KINDS)
    assert any(p["truth"]["clean"] and p["truth"]["clean"]["clean"] for p in photos)
    assert sum(p["truth"]["clean"] is None for p in photos) <= 10  # only where the photo hides its defects


def test_60_photos_cover_the_cases_each_check_needs(set60):
    _, labels = set60
    truths = [p["truth"] for p in labels["photos"]]
    assert {t["logo"]["placement_ok"] for t in truths} >= {True, False}
    assert any(t["logo"]["present"] for t in truths) and any(not t["logo"]["present"] for t in truths)
    assert {m["variant"] for p in labels["photos"] for m in p.get("wrong_marks", [])} == {"deprecated", "foreign"}
    assert {t["lighting"]["exposure"] for t in truths} == EXPOSURES
    assert {t["lighting"]["signs_lit"] for t in truths if t["lighting"]["night"]} == {True, False}
    dark_indoor = [p for p in labels["photos"] if p["area"] in ("reception", "workshop", "lounge", "staff")
                   and p["truth"]["lighting"]["exposure"] == "dark"]
    assert dark_indoor and not any(p["truth"]["lighting"]["night"] for p in dark_indoor)
    assert {t["people"]["uniform_ok"] for t in truths if t["people"]["count"]} == {True, False}
    assert {q["badge"] for t in truths for q in t["people"]["persons"]} == {True, False}
    assert {t["people"]["count"] for t in truths} >= {0, 1}
    assert any(len(t["text"]["must_read"]) >= 2 for t in truths)


def test_text_truth_is_what_the_brand_pack_says(set60):
    from auditor.brandpack import load_brand

    pack = load_brand("demo")
    known = {t.text for t in pack.texts} | {a for t in pack.texts for a in t.alternatives} | {"维加汽车", "VEGA AUTO"}
    read = {s for p in set60[1]["photos"] for s in p["truth"]["text"]["must_read"]}
    assert read and read <= known
    assert pack.name_zh in read
    for p in set60[1]["photos"]:
        if p["truth"]["lighting"]["exposure"] != "ok" or p["truth"]["lighting"]["signs_lit"] is False:
            assert p["truth"]["text"]["must_read"] == [], p["file"]


def test_same_seed_same_set_and_splits_differ(tmp_path):
    a = generate_set(tmp_path / "a", 4, seed=5, split="val", size=SMALL)
    b = generate_set(tmp_path / "b", 4, seed=5, split="val", size=SMALL, jobs=2)
    c = generate_set(tmp_path / "c", 4, seed=5, split="test", size=SMALL)
    la, lb, lc = (json.loads(p.read_text(encoding="utf-8")) for p in (a, b, c))
    assert la["photos"] == lb["photos"]
    for p in la["photos"]:
        assert (tmp_path / "a" / p["file"]).read_bytes() == (tmp_path / "b" / p["file"]).read_bytes()
    files_c = {(tmp_path / "c" / p["file"]).read_bytes() for p in lc["photos"]}
    files_a = {(tmp_path / "a" / p["file"]).read_bytes() for p in la["photos"]}
    assert not files_a & files_c


def test_longer_set_starts_with_the_shorter_one():
    assert plan_set(30, seed=3, split="train")[:12] == plan_set(12, seed=3, split="train")


def test_brand_pack_given_as_a_folder_is_recorded_relative(tmp_path):
    labels = json.loads(generate_set(tmp_path / "out", 1, seed=1, size=SMALL,
                                     brand=str(ROOT / "checklists/brands/demo")).read_text(encoding="utf-8"))
    assert labels["brand"] == "demo"
    assert (tmp_path / "out" / labels["brand_pack"] / "demo" / "brand.yaml").is_file()


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="n must be"):
        generate_set(tmp_path, 0, seed=1)
    with pytest.raises(ValueError, match="unknown split"):
        generate_set(tmp_path, 1, seed=1, split="holdout")
    with pytest.raises(ValueError, match="size must"):
        parse_size("big")
    r = subprocess.run([sys.executable, "-m", "samples.generator", "--out", str(tmp_path), "--size", "10x10"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "size must be" in r.stderr and "Traceback" not in r.stderr


def test_committed_demo_set_is_valid():
    demo = ROOT / "samples" / "demo"
    if not (demo / "labels.json").exists():
        pytest.skip("samples/demo not generated yet")
    labels = json.loads((demo / "labels.json").read_text(encoding="utf-8"))
    assert validate_labels(labels, demo) == []
    assert {p["area"] for p in labels["photos"]} == set(AREAS)
    assert {d["kind"] for p in labels["photos"] if p["truth"]["clean"]
            for d in p["truth"]["clean"]["defects"]} == set(DEFECT_KINDS)
    total = sum(f.stat().st_size for f in demo.rglob("*") if f.is_file())
    assert total <= 6_000_000


def test_the_committed_demo_set_is_what_its_command_draws(tmp_path):
    """samples/README.md's command must redraw samples/demo: a generator change that alters the
    photos must regenerate the demo (a longer set starts with the shorter one, so 9 photos tell)."""
    demo = ROOT / "samples" / "demo"
    generate_set(tmp_path, 9, seed=2026, split="test", size=(1024, 768), max_quality=85, jobs=1)
    drawn = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.jpg"))
    assert len(drawn) == 9
    changed = [str(p) for p in drawn if (tmp_path / p).read_bytes() != (demo / p).read_bytes()]
    assert not changed, f"the generator no longer draws these demo photos: {changed}"


def test_night_photos_are_exposed_like_real_night_photos(set60):
    """Night 'ok' photos as bright as real night street photos (mean luma ~55-80) with their lights in
    view, 'dark' ones underexposed: the label follows what the photo shows."""
    import numpy as np

    root, labels = set60
    night = [p for p in labels["photos"] if p["truth"]["lighting"]["night"]]
    assert {p["truth"]["lighting"]["exposure"] for p in night} == {"ok", "dark"}
    for p in night:
        with Image.open(root / p["file"]) as im:
            g = np.asarray(im.convert("L"), np.float32)
        mean, p995 = float(g.mean()), float(np.percentile(g, 99.5))
        if p["truth"]["lighting"]["exposure"] == "ok":
            assert 45 <= mean <= 95 and p995 >= 150, (p["file"], mean, p995)
        else:
            assert mean <= 36, (p["file"], mean)


def test_night_tone_curve_keeps_order_and_lights_white():
    import numpy as np

    from samples.generator.camera import MAX_SHADOW_LIFT, night_tone, shadow_lift

    x = np.linspace(0, 30, 3001, dtype=np.float32)
    y = night_tone(x)
    assert np.all(np.diff(y) >= 0) and y[0] == 0 and y[-1] == 1
    assert np.allclose(y[x <= 0.5], x[x <= 0.5])  # dark and mid tones untouched
    assert 0.75 < float(night_tone(np.float32(2.0))) < 0.9  # a lit sign face: bright, not white
    t = np.linspace(0, 1, 1001, dtype=np.float32)
    lifted = shadow_lift(t, MAX_SHADOW_LIFT)
    assert np.all(np.diff(lifted) > 0) and lifted[0] == 0 and abs(lifted[-1] - 1) < 1e-6
