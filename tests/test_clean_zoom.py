"""clean.defects' closer look: the ground band at 2x finds small stains; region fusion is exact."""
import dataclasses

import numpy as np
import pytest

from auditor.brandpack import load_brand
from auditor.checks import PhotoContext, run_check
from auditor.checks.clean import ZOOM_BAND, ZoomLook, merge_regions, with_zoom, zoom_regions
from auditor.checks.netsignal import DEFECT_KINDS
from auditor.ingest import load_photo

STAIN = DEFECT_KINDS.index("stain")


def test_zoom_regions_are_placed_in_the_band_in_photo_pixels():
    prob = np.zeros((7, 18, 48), np.float32)
    prob[STAIN, 9, 12] = 0.95  # one confident cell of the band's 48 x 18 grid
    regions = zoom_regions(ZoomLook((0.0, 0.5, 1.0, 1.0), prob), STAIN, (1280, 960), 0.65, 0.0)
    assert len(regions) == 1
    (x0, y0, x1, y1), peak, share = regions[0]
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    # the cell's centre: x = 12.5 / 48 * 1280 = 333, y = 480 + 9.5 / 18 * 480 = 733
    assert abs(cx - 333) < 20 and abs(cy - 733) < 20
    assert peak > 0.8 and 0 < share < 0.001
    assert zoom_regions(ZoomLook((0.0, 0.5, 1.0, 1.0), prob), STAIN, (1280, 960), 0.97, 0.0) == []


def test_overlapping_regions_of_both_looks_merge_and_say_so():
    regions = [((100, 600, 200, 640), 0.7, 0.001, "photo"), ((150, 610, 260, 650), 0.9, 0.002, "closer"),
               ((900, 700, 950, 720), 0.8, 0.0005, "closer")]
    merged = sorted(merge_regions(regions), key=lambda r: r[0][0])
    assert merged[0] == ((100, 600, 260, 650), 0.9, 0.002, "both")
    assert merged[1] == ((900, 700, 950, 720), 0.8, 0.0005, "closer")


def test_heat_map_takes_the_closer_look_into_the_photo_grid():
    prob = np.zeros((7, 18, 24), np.float32)
    zoom = np.zeros((7, 18, 48), np.float32)
    zoom[STAIN, 0, 0] = 0.9  # top-left cell of the band = photo grid row 9, column 0
    zoom[STAIN, 17, 47] = 0.6
    out = with_zoom(prob, ZoomLook((0.0, 0.5, 1.0, 1.0), zoom), [STAIN])
    assert out[STAIN, 9, 0] == pytest.approx(0.9) and out[STAIN, 17, 23] == pytest.approx(0.6)
    assert out[STAIN, :9].max() == 0 and out[STAIN].sum() == pytest.approx(1.5)
    assert prob.max() == 0  # the input is left alone


def _render(index: int, defects: tuple[str, ...]):
    """Photo `index` of the generator's test stream (seed 5, never trained on), with only `defects`."""
    from samples.generator import render_one
    from samples.generator.plan import plan_set

    spec = plan_set(index + 1, 5, "test")[index]
    spec = dataclasses.replace(spec, defects=defects, people=0, wrong_uniforms=0, badges=())
    name, jpeg, entry = render_one(spec, 5, "test", (1280, 960))
    return load_photo(jpeg, name), entry["truth"]["clean"]


@pytest.mark.parametrize("index", [2, 20])
def test_a_small_floor_stain_is_found_by_the_closer_look_and_the_clean_floor_is_clean(index):
    pytest.importorskip("torch")
    brand = load_brand("demo")
    photo, truth = _render(index, ("stain",))
    assert [d["kind"] for d in truth["defects"]] == ["stain"]
    x, y, w, h = truth["defects"][0]["box"]
    assert h < 0.04 * photo.rgb.shape[0]  # under one cell of the whole-photo grid: the hard case
    res = run_check("clean.defects", PhotoContext(photo, brand))
    assert res.values["clean"] is False and "stain" in res.values["kinds"], res.message
    stain = [f for f in res.findings if f.kind == "stain"]
    fx0, fy0, fx1, fy1 = stain[0].region.xyxy
    assert fx0 < x + w and fx1 > x and fy0 < y + h and fy1 > y  # located on the stain
    assert stain[0].measured["look"] in ("closer", "both")
    assert stain[0].region.xyxy[1] >= ZOOM_BAND[1] * photo.rgb.shape[0] - 1

    clean_photo, clean_truth = _render(index, ())
    assert clean_truth["clean"] is True
    res = run_check("clean.defects", PhotoContext(clean_photo, brand))
    assert res.values["clean"] is True and res.values["kinds"] == [], res.message


def test_the_closer_look_runs_only_where_the_parameters_want_it():
    from auditor.checks import CHECKS

    spec = CHECKS["clean.defects"]
    assert "defect_zoom" in spec.signals_needed({})
    assert "defect_zoom" not in spec.signals_needed({"zoom": False})
    assert "defect_zoom" not in spec.signals_needed({"kinds": ["rust", "damage"]})  # no kind the closer look reads
    assert "defect_zoom" in spec.signals_needed({"kinds": ["rust", "litter"]})
