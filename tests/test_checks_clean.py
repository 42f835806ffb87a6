"""clean.defects: defects found and located; rust-coloured flat surfaces are not rust."""
import numpy as np
import pytest

import scenes_vision2 as scenes
from auditor.checks import PhotoContext, run_check
from auditor.checks.clean import rust_colour_mask, rust_evidence_map
from auditor.checks.netsignal import DEFECT_KINDS, NetOutputs
from auditor.brandpack import load_brand
from auditor.ingest import encode_png, load_photo
from auditor.types import Region, Verdict


def _ctx(img, net=None):
    ctx = PhotoContext(load_photo(encode_png(img), "drawn.png"), load_brand("demo"))
    if net is not None:
        ctx.seed("net", net)
        ctx.seed("defect_zoom", None)  # the head's outputs are given: no closer look
    return ctx


def _net(img, rust_cells=()):
    prob = np.zeros((7, 18, 24), np.float32)
    for r, c in rust_cells:
        prob[DEFECT_KINDS.index("rust"), r, c] = 0.9
    return NetOutputs((img.shape[1], img.shape[0]), defect_prob=prob)


def test_rust_colour_mask_separates_rust_from_orange_paint_and_grass():
    import cv2

    def lab(rgb):
        return cv2.cvtColor(np.array([[rgb]], np.float32) / 255.0, cv2.COLOR_RGB2Lab)

    assert rust_colour_mask(lab((140, 70, 40)))[0, 0]
    assert not rust_colour_mask(lab((235, 110, 20)))[0, 0]  # safety orange paint
    assert not rust_colour_mask(lab((60, 140, 50)))[0, 0]  # grass
    assert not rust_colour_mask(lab((128, 128, 128)))[0, 0]


def test_rust_evidence_is_high_on_mottled_rust_and_zero_on_a_flat_plaque():
    img = scenes.wall(640, 480, 1)
    scenes.rust_patch(img, (48, 192, 240, 336), seed=1)
    scenes.orange_plaque(img, (384, 96, 576, 224))
    ev = rust_evidence_map(img, (18, 24))
    assert ev[8:12, 2:9].mean() > 0.7  # rust cells: x 48..240 -> cols 1.8..9, y 192..336 -> rows 7.2..12.6
    assert ev[3:9, 14:22].max() < 0.1  # plaque cells: cols 14.4..21.6, rows 3.6..8.4
    assert ev[0:4].max() < 0.1  # bare wall


def test_head_claiming_rust_on_a_plaque_is_overruled_by_colour_and_texture():
    img = scenes.wall(640, 480, 2)
    scenes.orange_plaque(img, (384, 96, 576, 224))
    net = _net(img, rust_cells=[(r, c) for r in range(7, 13) for c in range(15, 21)])
    res = run_check("clean.defects", _ctx(img, net))
    assert res.verdict == Verdict.PASS, res.message
    assert res.values["clean"] is True and res.values["kinds"] == []


def test_kinds_filter_and_bad_kind():
    img = scenes.wall(640, 480, 3)
    prob = np.zeros((7, 18, 24), np.float32)
    prob[DEFECT_KINDS.index("litter"), 14:16, 3:5] = 0.95
    net = NetOutputs((640, 480), defect_prob=prob)
    assert run_check("clean.defects", _ctx(img, net)).values["kinds"] == ["litter"]
    only_rust = run_check("clean.defects", _ctx(img, net), {"kinds": ["rust"]})
    assert only_rust.values["clean"] is True
    bad = run_check("clean.defects", _ctx(img, net), {"kinds": ["mud"]})
    assert bad.verdict == Verdict.UNSURE and "unknown defect kinds" in bad.message


def test_without_weights_the_check_says_so():
    img = scenes.wall(320, 240, 4)
    res = run_check("clean.defects", _ctx(img, NetOutputs((320, 240))))
    assert res.verdict == Verdict.UNSURE and "auditor train" in res.message


@pytest.mark.slow
def test_rust_patch_is_found_and_located_and_plaque_is_not():
    from auditor import inference

    inference.use_weights(scenes.tiny_weights())
    try:
        img, _, _, _ = scenes.scene(4242, n_people=0, rust=False, plaque=False)
        rust_box = (150, 380, 330, 450)
        scenes.rust_patch(img, rust_box, seed=9)
        scenes.orange_plaque(img, (420, 20, 570, 100))
        res = run_check("clean.defects", _ctx(img))
        assert res.verdict == Verdict.FAIL
        rust = [f for f in res.findings if f.kind == "rust"]
        assert rust, res.findings
        assert max(f.region.iou(Region(tuple(map(float, rust_box)))) for f in rust) > 0.4
        plaque = Region((420.0, 20.0, 570.0, 100.0))
        assert all(f.region.iou(plaque) < 0.1 for f in res.findings)
        assert res.values["heatmap"] and len(res.values["heatmap"]) == 18
    finally:
        inference.reset_weights()
