"""Comparison with the approved reference photo: alignment, colour matching, changes, clean.reference, CLI."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from auditor import ingest, scene_diff
from auditor.brandpack import load_brand
from auditor.checks import PhotoContext, run_check
from auditor.checks.netsignal import DEFECT_KINDS, NetOutputs
from auditor.cli import cli
from auditor.types import Verdict

DEMO = Path(__file__).resolve().parent.parent / "samples" / "demo"


def _demo_rgb(area: str, index: int = 0) -> np.ndarray:
    path = sorted((DEMO / area).glob("*.jpg"))[index]
    return ingest.load_photo(path, source=str(path)).rgb


def _revisit(rgb: np.ndarray, seed: int, shift: float = 0.025, gain: float = 1.12,
             cast=(1.05, 1.0, 0.92)) -> np.ndarray:
    """The same view photographed again: a little from elsewhere, another exposure and white balance, JPEG."""
    rng = np.random.default_rng(seed)
    H, W = rgb.shape[:2]
    src = np.float32([[0, 0], [W, 0], [W, H], [0, H]])
    dst = (src + rng.uniform(-shift, shift, (4, 2)) * [W, H]).astype(np.float32)
    out = cv2.warpPerspective(rgb, cv2.getPerspectiveTransform(src, dst), (W, H), borderMode=cv2.BORDER_REFLECT)
    out = np.clip(out.astype(np.float32) * gain * np.array(cast, np.float32), 0, 255).astype(np.uint8)
    ok, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return cv2.imdecode(enc, cv2.IMREAD_UNCHANGED)


def _with_litter(rgb: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Paste a crumpled-paper-like blob and a red can on the ground; returns the photo and their box."""
    out = rgb.copy()
    H, W = out.shape[:2]
    x, y = int(W * 0.45), int(H * 0.78)
    # white paper on dark ground, a brown paper bag on light ground: litter that a person would see
    ground = float(out[y - int(H * 0.03):y + int(H * 0.03), x - int(W * 0.04):x + int(W * 0.04)].mean())
    paper = (235, 235, 225) if ground < 150 else (120, 85, 50)
    cv2.ellipse(out, (x, y), (int(W * 0.035), int(H * 0.025)), 15, 0, 360, paper, -1)
    cv2.rectangle(out, (x + int(W * 0.05), y - 10), (x + int(W * 0.08), y + int(H * 0.03)), (200, 30, 35), -1)
    return out, (x - int(W * 0.035), y - int(H * 0.025), x + int(W * 0.08), y + int(H * 0.03))


def _overlap(a, b) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return iw * ih / max((b[2] - b[0]) * (b[3] - b[1]), 1e-9)


@pytest.mark.parametrize("area", ["facade", "entrance", "driveway"])
def test_a_revisit_of_the_same_view_aligns_and_shows_no_change(area):
    ref = _demo_rgb(area)
    cur = _revisit(ref, seed=1)
    a = scene_diff.align(cur, ref)
    assert a.ok, a.reason
    assert a.measured["inliers"] >= scene_diff.ALIGN_LIMITS["min_inliers"]
    assert 0.9 < a.measured["scale"] < 1.1
    assert scene_diff.changes(cur, ref, a) == []


def test_litter_that_the_reference_does_not_show_is_a_change_where_it_lies():
    ref = _demo_rgb("facade", 1)
    cur, box = _with_litter(_revisit(ref, seed=2))
    a = scene_diff.align(cur, ref)
    assert a.ok, a.reason
    found = scene_diff.changes(cur, ref, a)
    assert found, "the pasted litter was not found"
    assert max(_overlap(c.box_xyxy, box) for c in found) > 0.5
    assert all(_overlap(c.box_xyxy, box) > 0 for c in found), "a change away from the litter"
    assert found[0].mean_difference > 15.0


def test_another_view_does_not_align():
    a = scene_diff.align(_demo_rgb("facade", 0), _demo_rgb("driveway", 0))
    assert not a.ok
    assert "view" in a.reason or "texture" in a.reason
    with pytest.raises(ValueError, match="unaligned"):
        scene_diff.changes(_demo_rgb("facade", 0), _demo_rgb("driveway", 0), a)


def test_a_featureless_frame_does_not_align():
    flat = np.full((480, 640, 3), 128, np.uint8)
    a = scene_diff.align(flat, _demo_rgb("facade", 0))
    assert not a.ok and "texture" in a.reason


def test_colour_matching_undoes_a_gain_and_offset_per_channel():
    rng = np.random.default_rng(0)
    src = rng.integers(20, 200, (64, 64, 3)).astype(np.uint8)
    target = np.clip(src.astype(np.float32) * [1.2, 1.0, 0.8] + [5, -10, 12], 0, 255).astype(np.uint8)
    matched = scene_diff.match_colours(src, target, np.ones((64, 64), bool))
    assert np.abs(matched.astype(int) - target.astype(int)).mean() < 1.5


# ------------------------------------------------------------------ the check


@pytest.fixture(scope="module")
def brand():
    return load_brand("demo")


def _photo(rgb: np.ndarray, name: str):
    return ingest.load_photo(ingest.encode_jpeg(rgb, 92), source=name)


def test_without_a_reference_the_check_does_not_apply(brand):
    ctx = PhotoContext(_photo(_demo_rgb("facade"), "a.jpg"), brand, "facade")
    r = run_check("clean.reference", ctx)
    assert r.verdict == Verdict.NOT_APPLICABLE


def test_a_reference_of_another_view_asks_for_a_retake(brand):
    ctx = PhotoContext(_photo(_demo_rgb("facade"), "a.jpg"), brand, "facade",
                       references=[_photo(_demo_rgb("driveway"), "ref.jpg")])
    r = run_check("clean.reference", ctx)
    assert r.verdict == Verdict.UNSURE
    assert r.values["aligned"] is False and "retake" in r.message


def test_the_best_aligned_reference_is_used_and_the_change_is_located(brand):
    ref_rgb = _demo_rgb("facade", 1)
    cur_rgb, box = _with_litter(_revisit(ref_rgb, seed=3))
    refs = [_photo(_demo_rgb("driveway"), "other-view.jpg"), _photo(ref_rgb, "approved.jpg")]
    ctx = PhotoContext(_photo(cur_rgb, "now.jpg"), brand, "facade", references=refs)
    r = run_check("clean.reference", ctx)
    assert r.values["aligned"] is True and r.values["reference"] == "approved.jpg"
    assert r.verdict in (Verdict.FAIL, Verdict.UNSURE, Verdict.PASS)
    assert r.findings, r.message
    best = max(r.findings, key=lambda f: _overlap(f.region.xyxy, box))
    assert _overlap(best.region.xyxy, box) > 0.5
    assert best.measured["difference"] > 15 and "head_probability" in best.measured


def test_an_unchanged_revisit_passes(brand):
    ref_rgb = _demo_rgb("entrance", 0)
    ctx = PhotoContext(_photo(_revisit(ref_rgb, seed=4), "now.jpg"), brand, "entrance",
                       references=[_photo(ref_rgb, "approved.jpg")])
    r = run_check("clean.reference", ctx)
    assert r.verdict == Verdict.PASS, r.message
    assert r.values["changed_share"] == 0


# ------------------------------------------------------------------ the command


def test_check_command_compares_with_a_reference(tmp_path):
    ref_rgb = _demo_rgb("facade", 1)
    cur_rgb, _ = _with_litter(_revisit(ref_rgb, seed=5))
    (tmp_path / "ref.jpg").write_bytes(ingest.encode_jpeg(ref_rgb, 92))
    (tmp_path / "now.jpg").write_bytes(ingest.encode_jpeg(cur_rgb, 92))
    res = CliRunner().invoke(cli, ["check", str(tmp_path / "now.jpg"), "--reference", str(tmp_path / "ref.jpg")])
    assert res.exit_code == 0, res.output
    line = next(l for l in res.output.splitlines() if l.strip().startswith("clean.reference"))
    assert "not_applicable" not in line


def test_an_unreadable_reference_stops_the_check_with_exit_3(tmp_path):
    (tmp_path / "ref.jpg").write_bytes(b"not a photo")
    (tmp_path / "now.jpg").write_bytes(ingest.encode_jpeg(_demo_rgb("facade"), 90))
    res = CliRunner().invoke(cli, ["check", str(tmp_path / "now.jpg"), "--reference", str(tmp_path / "ref.jpg")])
    assert res.exit_code == 3
    assert "reference photo" in res.output and "ref.jpg" in res.output


def test_audit_references_must_be_in_area_folders(tmp_path):
    (tmp_path / "site" / "facade").mkdir(parents=True)
    (tmp_path / "site" / "facade" / "a.jpg").write_bytes(ingest.encode_jpeg(_demo_rgb("facade"), 90))
    (tmp_path / "refs" / "frontdoor").mkdir(parents=True)
    res = CliRunner().invoke(cli, ["audit", str(tmp_path / "site"), "--references", str(tmp_path / "refs"),
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "frontdoor" in res.output and "facade" in res.output


# ------------------------------------------------------------------ clean.defects and the reference


def _unsure_revisit(brand):
    """A view whose defect head fires (unsure on its own), photographed again without any change."""
    ref_rgb = _demo_rgb("entrance", 4)
    cur = _photo(_revisit(ref_rgb, seed=6, shift=0.015), "now.jpg")
    alone = run_check("clean.defects", PhotoContext(cur, brand, "entrance"))
    assert alone.verdict == Verdict.UNSURE and alone.findings, alone.message
    return ref_rgb, cur, alone


def test_head_findings_where_the_approved_view_is_unchanged_pass(brand):
    ref_rgb, cur, alone = _unsure_revisit(brand)
    ctx = PhotoContext(cur, brand, "entrance", references=[_photo(ref_rgb, "approved.jpg")])
    r = run_check("clean.defects", ctx)
    assert r.verdict == Verdict.PASS, r.message
    assert "unchanged since the approved reference photo approved.jpg" in r.message
    assert [f.kind for f in r.findings] == [f.kind for f in alone.findings]  # still shown, with why they pass
    assert all(f.measured["unchanged_since_reference"] == "approved.jpg" for f in r.findings)


def test_a_change_where_the_head_fires_keeps_the_finding_open(brand):
    # The head's outputs are given (it fires on the new litter); the alignment and the change are real.
    ref_rgb = _demo_rgb("entrance", 4)
    rgb, litter = _with_litter(_revisit(ref_rgb, seed=6, shift=0.015))
    H, W = rgb.shape[:2]
    gw, gh = 24, 18
    prob = np.zeros((len(DEFECT_KINDS), gh, gw), np.float32)
    cx, cy = (litter[0] + litter[2]) / 2 / W * gw, (litter[1] + litter[3]) / 2 / H * gh
    prob[DEFECT_KINDS.index("litter"), int(cy) - 1:int(cy) + 1, int(cx) - 1:int(cx) + 1] = 0.95
    ctx = PhotoContext(_photo(rgb, "now.jpg"), brand, "entrance", references=[_photo(ref_rgb, "approved.jpg")])
    ctx.seed("net", NetOutputs((W, H), defect_prob=prob))
    ctx.seed("defect_zoom", None)
    r = run_check("clean.defects", ctx)
    assert any(_overlap(c.box_xyxy, litter) > 0 for c in ctx.get("reference_diff").changes)
    assert [f.kind for f in r.findings] == ["litter"], r.message
    assert r.verdict != Verdict.PASS, r.message
    assert "unchanged since" not in r.message and "unchanged_since_reference" not in r.findings[0].measured

    unchanged = PhotoContext(_photo(_revisit(ref_rgb, seed=6, shift=0.015), "now.jpg"), brand, "entrance",
                             references=[_photo(ref_rgb, "approved.jpg")])
    unchanged.seed("net", NetOutputs((W, H), defect_prob=prob))
    unchanged.seed("defect_zoom", None)
    assert run_check("clean.defects", unchanged).verdict == Verdict.PASS  # the same finding, nothing changed there
