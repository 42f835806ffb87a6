"""clean.defects decides per region: rust colour over a railing's thin bars, vetoes, darkness, people, per-kind thresholds."""
import numpy as np

import scenes_vision2 as scenes
from auditor.brandpack import load_brand
from auditor.checks import PhotoContext, run_check
from auditor.checks.clean import rust_evidence_map
from auditor.checks.netsignal import DEFECT_KINDS, NetOutputs
from auditor.ingest import encode_png, load_photo
from auditor.types import Verdict

W, H = 640, 480
GRID = (18, 24)  # the head's grid for a 640x480 photo (cells of ~26.7 px)
RAILING = (96, 240, 480, 352)  # x0, y0, x1, y1


def _ctx(img, net):
    ctx = PhotoContext(load_photo(encode_png(img), "drawn.png"), load_brand("demo"))
    ctx.seed("net", net)
    ctx.seed("defect_zoom", None)  # the head's outputs are given: no closer look
    return ctx


def _net(cells_by_kind, value=0.9, persons=()):
    prob = np.zeros((len(DEFECT_KINDS), *GRID), np.float32)
    for kind, (r0, r1, c0, c1) in cells_by_kind.items():
        prob[DEFECT_KINDS.index(kind), r0:r1, c0:c1] = value
    boxes = np.array([b for b, _ in persons], np.float32).reshape(-1, 4)
    scores = np.array([s for _, s in persons], np.float32)
    return NetOutputs((W, H), defect_prob=prob, person_boxes_xyxy=boxes, person_scores=scores)


def _cells(box):
    """Grid rows/cols a photo box covers."""
    x0, y0, x1, y1 = box
    return (int(y0 / H * GRID[0]), int(np.ceil(y1 / H * GRID[0])), int(x0 / W * GRID[1]), int(np.ceil(x1 / W * GRID[1])))


def _railing(img, box, rusty: bool, seed: int = 0) -> None:
    """Thin grey bars (3 px every 30 px) with two rails; with `rusty`, mottled rust on the bars only."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = box
    bars = np.zeros(img.shape[:2], bool)
    for x in range(x0, x1, 30):
        bars[y0:y1, x:x + 3] = True
    bars[y0:y0 + 3, x0:x1] = True
    bars[y1 - 3:y1, x0:x1] = True
    img[bars] = (120, 122, 125)
    if rusty:
        fine = rng.random(img.shape[:2])
        rust = np.stack([110 + 70 * fine, 50 + 35 * fine, 20 + 20 * fine], -1)
        patchy = bars & (rng.random(img.shape[:2]) < 0.8)
        img[patchy] = rust[patchy].astype(np.uint8)


def test_rust_on_thin_railing_bars_is_confirmed_over_the_region_not_per_cell():
    img = scenes.wall(W, H, 11)
    _railing(img, RAILING, rusty=True)
    # per cell the bars hold too little rust colour to count (the old per-cell gate missed this)
    assert rust_evidence_map(img, GRID)[_cells(RAILING)[0]:_cells(RAILING)[1], 4:18].max() < 0.7
    res = run_check("clean.defects", _ctx(img, _net({"rust": _cells(RAILING)})))
    assert res.verdict == Verdict.FAIL, res.message
    rust = [f for f in res.findings if f.kind == "rust"]
    assert rust and res.values["clean"] is False
    m = rust[0].measured
    assert m["rust_evidence"] >= 0.7 and m["rust_colour_share"] > 0.05 and m["lightness"] >= 25
    assert rust[0].region is not None and rust[0].thresholds["threshold"] == res.thresholds["kind_thresholds"]["rust"]


def test_head_rust_on_a_clean_grey_railing_is_vetoed_by_colour():
    img = scenes.wall(W, H, 12)
    _railing(img, RAILING, rusty=False)
    res = run_check("clean.defects", _ctx(img, _net({"rust": _cells(RAILING)})))
    assert res.verdict == Verdict.PASS, res.message
    assert res.values["clean"] is True and res.values["scores"]["rust"] < 0.65
    assert max(max(row) for row in res.values["heatmap"]) < 0.65  # the vetoed region is damped in the heat map


def test_rust_in_the_dark_is_left_to_the_head_and_asks_a_person():
    img = (scenes.wall(W, H, 13).astype(np.float32) * 0.12).astype(np.uint8)  # L* well under 25
    res = run_check("clean.defects", _ctx(img, _net({"rust": _cells(RAILING)})))
    rust = [f for f in res.findings if f.kind == "rust"]
    assert rust and rust[0].measured["lightness"] < 25
    assert res.verdict == Verdict.UNSURE and res.values["clean"] is False


def test_rust_coloured_pixels_inside_a_detected_person_are_not_rust_evidence():
    box = (200, 150, 330, 420)
    img = scenes.wall(W, H, 14)
    scenes.rust_patch(img, box, seed=3)  # a brown, mottled jacket stands in for skin and clothing
    without = run_check("clean.defects", _ctx(img, _net({"rust": _cells(box)})))
    assert "rust" in without.values["kinds"]
    with_person = run_check("clean.defects", _ctx(img, _net({"rust": _cells(box)}, persons=[(box, 0.9)])))
    assert "rust" not in with_person.values["kinds"], with_person.findings
    unsure_person = run_check("clean.defects", _ctx(img, _net({"rust": _cells(box)}, persons=[(box, 0.2)])))
    assert "rust" in unsure_person.values["kinds"]  # only confident person boxes are excluded


def test_per_kind_thresholds():
    img = scenes.wall(W, H, 15)
    net = _net({"litter": (14, 16, 3, 5)}, value=0.85)
    assert run_check("clean.defects", _ctx(img, net)).values["kinds"] == ["litter"]
    res = run_check("clean.defects", _ctx(img, net), {"kind_thresholds": {"litter": 0.9}})
    assert res.values["clean"] is True and res.verdict == Verdict.UNSURE  # 0.85 is close to 0.9: not a clear pass
    assert res.thresholds["kind_thresholds"]["litter"] == 0.9
    bad = run_check("clean.defects", _ctx(img, net), {"kind_thresholds": {"mud": 0.5}})
    assert bad.verdict == Verdict.UNSURE and "unknown defect kinds" in bad.message
