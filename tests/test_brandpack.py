"""Brand packs: the demo pack, packs from any folder, and file:line:field errors."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from auditor.brandpack import DEFAULT_BRAND, brands_root, list_brands, load_brand
from auditor.colour import ciede2000, srgb_to_lab
from auditor.errors import ConfigError, UnknownBrandError

DEMO = brands_root() / "demo"


def test_demo_pack_loads():
    b = load_brand(DEFAULT_BRAND)
    assert b.id == "demo" and b.name_zh == "极光汽车" and b.name_en == "AURORA MOTORS"
    assert b.checklist == "default@2"
    assert "demo" in list_brands()
    kinds = {l.kind for l in b.current_logos()}
    assert kinds == {"artwork", "photo_day", "photo_night"}
    assert [l.id for l in b.logos if l.deprecated] == ["aurora_old_2015"]
    assert [l.id for l in b.logos if l.foreign] == ["vega_lookalike"]
    for logo in b.logos:
        assert logo.rgba.ndim == 3 and logo.rgba.shape[2] == 4 and logo.rgba.dtype == np.uint8
        assert logo.path.is_file()
    assert set(b.signboard_colours) <= set(b.palette)
    assert {r.id for r in b.roles} == {"advisor", "technician", "foreman", "inspector"}
    tech = next(r for r in b.roles if r.id == "technician")
    assert set(tech.colours) == {"summer", "winter"}
    groups = {t.group for t in b.texts}
    assert groups == {"brand", "service_brand", "slogan", "entrance", "exit", "area_sign"}
    assert [t.text for t in b.texts_for("lounge", "area_sign")] == ["客户休息区"]
    assert b.placement.xyxy[1] == 0.0 and b.placement.xyxy[3] < 1


def test_palette_lab_matches_the_hex():
    b = load_brand("demo")
    blue = b.palette["aurora_blue"]
    assert blue.hex == "#0A4DA2"
    assert float(ciede2000(blue.lab, srgb_to_lab(np.array([10, 77, 162], np.uint8)))) < 1e-6
    assert blue.tolerance == 12


def test_logo_alpha_is_zero_off_the_mark():
    colour = next(l for l in load_brand("demo").logos if l.id == "aurora_colour")
    a = colour.rgba[..., 3]
    assert a[0, 0] == 0 and a.max() == 255 and 0.15 < (a > 128).mean() < 0.7


def test_loaded_once_and_cached():
    assert load_brand("demo") is load_brand("demo")
    assert load_brand(DEMO) is load_brand("demo")
    assert load_brand(str(DEMO / "brand.yaml")) is load_brand("demo")


def test_unknown_brand_lists_known():
    with pytest.raises(UnknownBrandError, match=r"unknown brand 'acme'.*known: demo"):
        load_brand("acme")


@pytest.fixture
def pack(tmp_path) -> Path:
    """A copy of the demo pack in a folder of its own, under another id."""
    dest = tmp_path / "packs" / "other"
    shutil.copytree(DEMO, dest)
    text = (dest / "brand.yaml").read_text(encoding="utf-8").replace("id: demo\n", "")
    (dest / "brand.yaml").write_text(text, encoding="utf-8")
    return dest


def test_pack_from_any_folder(pack):
    b = load_brand(pack)
    assert b.id == "other"  # no id in the file: the folder name
    assert b.root == pack.resolve()
    assert load_brand("other", roots=(pack.parent,)).root == pack.resolve()
    with pytest.raises(UnknownBrandError):
        load_brand("other")  # not built in


def edit(pack: Path, old: str, new: str) -> Path:
    p = pack / "brand.yaml"
    text = p.read_text(encoding="utf-8")
    assert old in text, old
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return p


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


@pytest.mark.parametrize("old,new,field,match,needle", [
    ("summer: [work_blue, work_grey]", "summer: [work_blue, work_gray]",
     "roles[1].colours.summer[1]", "colour 'work_gray' is not in the palette; did you mean 'work_grey'", "work_gray"),
    ("signboard_colours: [aurora_blue, white, silver]", "signboard_colours: [aurora_blu, white, silver]",
     "signboard_colours[0]", "did you mean 'aurora_blue'", "[aurora_blu,"),
    ("kind: photo_night}", "kind: photo_nite}", "logos[4].kind", "'photo_nite' is not one of", "photo_nite"),
    ("group: slogan", "group: slogen", "texts[3].group", "did you mean 'slogan'", "slogen"),
    ('aurora_teal:   {hex: "#17B3A3"', 'aurora_teal:   {hex: "17B3A3"', "palette.aurora_teal.hex",
     "expected an sRGB colour like", "17B3A3"),
    ("tolerance: 12}", "tolerance: twelve}", "palette.aurora_blue.tolerance", "expected a number, got 'twelve'",
     "twelve"),
    ("  max_tilt_deg: 5", "  max_tilt: 5", "placement.max_tilt", "unknown key; did you mean 'max_tilt_deg'",
     "max_tilt:"),
    ("zone: [0.05, 0.0, 0.95, 0.55]", "zone: [0.05, 0.0, 1.95, 0.55]", "placement.zone[2]", "must be at most 1",
     "zone:"),
    ("file: logos/aurora_white.png", "file: logos/missing.png", "logos[1].file", "not found", "missing.png"),
    ("areas: [lounge]", "areas: [lobby]", "texts[8].areas[0]", "'lobby' is not one of", "lobby"),
])
def test_invalid_pack_names_file_line_field(pack, old, new, field, match, needle):
    p = edit(pack, old, new)
    with pytest.raises(ConfigError, match=match) as err:
        load_brand(pack)
    e = err.value
    assert e.field == field
    assert e.line == line_of(p, needle)
    assert str(e).startswith(f"{p}:{e.line}: {field}: ")


def test_logo_that_does_not_decode(pack):
    (pack / "logos" / "aurora_white.png").write_text("<html>oops</html>")
    with pytest.raises(ConfigError, match=r"logos\[1\]\.file: cannot use 'logos/aurora_white.png': not an image: looks like an HTML"):
        load_brand(pack)


def test_a_changed_pack_is_reloaded(pack):
    first = load_brand(pack)
    p = edit(pack, "name:\n  zh: 极光汽车", "name:\n  zh: 极光汽车新")
    import os
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))
    second = load_brand(pack)
    assert second is not first and second.name_zh == "极光汽车新"


def test_pack_needs_a_current_logo(pack):
    edit(pack, "  - {file: logos/aurora_colour.png, kind: artwork}\n", "")
    p = pack / "brand.yaml"
    text = p.read_text(encoding="utf-8")
    for name in ("aurora_white", "aurora_night", "aurora_photo_day", "aurora_photo_night"):
        text = "\n".join(line for line in text.splitlines() if name not in line) + "\n"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="at least one current logo"):
        load_brand(pack)


# --------------------------------------------------------------------------- the demo brand's artwork

from auditor.artwork import PACK_FILES, VARIANTS, draw_logo  # noqa: E402
from auditor.ingest import load_image_rgba  # noqa: E402


@pytest.mark.parametrize("variant", VARIANTS)
def test_draw_logo_variants(variant):
    img = draw_logo(96, variant)
    assert img.shape == (96, 96, 4) and img.dtype == np.uint8
    if variant.startswith("photo_"):
        assert img[..., 3].min() == 255  # a photograph of the installed sign is opaque
    else:
        assert img[0, 0, 3] == 0 and img[..., 3].max() == 255


def test_draw_logo_rejects_bad_arguments():
    with pytest.raises(ValueError, match="unknown logo variant 'gold'"):
        draw_logo(64, "gold")
    with pytest.raises(ValueError, match="size_px"):
        draw_logo(4, "colour")


def test_wordmark_widens_the_image():
    img = draw_logo(64, "colour", wordmark=True)
    assert img.shape[0] == 64 and img.shape[1] > 2 * 64


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    ma, mb = a[..., 3] > 128, b[..., 3] > 128
    return float((ma & mb).sum() / (ma | mb).sum())


def test_old_and_foreign_marks_differ_from_the_current_one():
    colour = draw_logo(128, "colour")
    assert mask_iou(colour, draw_logo(128, "white")) > 0.95
    assert mask_iou(colour, draw_logo(128, "deprecated")) < 0.6
    assert mask_iou(colour, draw_logo(128, "foreign")) < 0.75


def test_committed_logo_files_are_what_the_artwork_command_draws():
    for name, (variant, kind, deprecated, foreign) in PACK_FILES.items():
        committed = load_image_rgba(DEMO / "logos" / name)
        drawn = draw_logo(committed.shape[0], variant)
        assert committed.shape == drawn.shape
        assert np.abs(committed.astype(int) - drawn.astype(int)).mean() < 2.0, name
        ref = next(l for l in load_brand("demo").logos if l.path.name == name)
        assert (ref.kind, ref.deprecated, ref.foreign) == (kind, deprecated, foreign)


def test_the_emblem_gives_local_features_something_to_match():
    cv2 = pytest.importorskip("cv2")

    def gray(rgba):
        a = rgba[..., 3:] / 255.0
        return cv2.cvtColor((rgba[..., :3] * a + 128 * (1 - a)).astype(np.uint8), cv2.COLOR_RGB2GRAY)

    sift = cv2.SIFT_create()
    kr, dr = sift.detectAndCompute(gray(draw_logo(384, "colour")), None)
    assert len(kr) >= 80

    def inliers(variant):
        k, d = sift.detectAndCompute(gray(draw_logo(300, variant)), None)
        good = [m for m, n in cv2.BFMatcher().knnMatch(dr, d, k=2) if m.distance < 0.75 * n.distance]
        if len(good) < 4:
            return 0
        src = np.float32([kr[m.queryIdx].pt for m in good])
        dst = np.float32([k[m.trainIdx].pt for m in good])
        _, mask = cv2.findHomography(src, dst, cv2.RANSAC, 5.0)
        return 0 if mask is None else int(mask.sum())

    same, foreign, old = inliers("colour"), inliers("foreign"), inliers("deprecated")
    assert same >= 40
    assert foreign < same / 3 and old < same / 3
