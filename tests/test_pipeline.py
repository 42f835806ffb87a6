"""The pipeline: planning by area, the quality gate, rescaling of regions, batched signals."""
from __future__ import annotations

import numpy as np
import pytest

from auditor.checklist import load_checklist
from auditor.checks import CHECKS, register, run_check
from auditor.checks.context import BATCH_SIGNALS, SIGNALS, PhotoContext
from auditor.pipeline import PlannedCheck, analyse_photos, plan_for_area
from auditor.types import CheckResult, Finding, Photo, Region, Verdict


def _photo(width=400, height=300, scale=0.5) -> Photo:
    rgb = np.full((int(height * scale), int(width * scale), 3), 128, np.uint8)
    return Photo(rgb=rgb, width=width, height=height, source="t.jpg", sha256="0" * 64,
                 phash="0" * 16, format="JPEG", byte_size=1)


@pytest.fixture
def test_checks():
    """Register throw-away checks and signals; remove them afterwards."""
    added_checks, added_signals = [], []

    def add(check_id, func, needs=(), needs_if=None, defaults=None):
        register(check_id, title_en=check_id, title_zh=check_id, needs=needs, needs_if=needs_if,
                 defaults=defaults)(func)
        added_checks.append(check_id)

    def add_batch_signal(name, func):
        BATCH_SIGNALS[name] = func
        added_signals.append(name)

    yield add, add_batch_signal
    for c in added_checks:
        CHECKS.pop(c, None)
    for s in added_signals:
        BATCH_SIGNALS.pop(s, None)
        SIGNALS.pop(s, None)


def test_plan_for_area_takes_bindings_of_items_that_apply():
    checklist = load_checklist("default")
    facade_plan = plan_for_area(checklist, "facade")
    facade = {p.check_id for p in facade_plan}
    staff = {p.check_id for p in plan_for_area(checklist, "staff")}
    assert "logo.present" in facade
    # one run per distinct binding: the same check with other parameters runs again
    keys = [(p.check_id, repr(sorted(p.params.items()))) for p in facade_plan]
    assert len(keys) == len(set(keys))
    assert "logo.present" not in staff
    assert "people.badge" in staff
    # the gate and the area classifier always run, first the gate
    assert plan_for_area(checklist, "lounge")[0].check_id in ("quality.photo", "area.classify")
    assert {"quality.photo", "area.classify"} <= {p.check_id for p in plan_for_area(checklist, "lounge")}


def test_plan_for_area_never_plans_manual_items():
    checklist = load_checklist("default")
    manual_items = [i for i in checklist.items if i.manual]
    assert len(manual_items) >= 3
    assert all(not i.checks for i in manual_items)


def test_quality_gate_turns_fails_into_unsure_but_not_passes(test_checks):
    add, _ = test_checks
    add("test.gate", lambda ctx, p: CheckResult("test.gate", Verdict.FAIL, message="too blurred"))
    add("test.fails", lambda ctx, p: CheckResult("test.fails", Verdict.FAIL, message="logo missing"))
    add("test.passes", lambda ctx, p: CheckResult("test.passes", Verdict.PASS))
    import auditor.pipeline as pipeline

    old = pipeline.QUALITY_CHECK
    pipeline.QUALITY_CHECK = "test.gate"
    try:
        [analysis] = analyse_photos(
            [(_photo(), "facade")], brand=None,
            plan=[PlannedCheck("test.gate", {}), PlannedCheck("test.fails", {}), PlannedCheck("test.passes", {})],
        )
    finally:
        pipeline.QUALITY_CHECK = old
    assert analysis.result("test.gate").verdict == Verdict.FAIL
    softened = analysis.result("test.fails")
    assert softened.verdict == Verdict.UNSURE
    assert "retake" in softened.message and "too blurred" in softened.message
    assert analysis.result("test.passes").verdict == Verdict.PASS


def test_regions_come_back_in_original_pixels(test_checks):
    add, _ = test_checks
    box = Region.from_xywh(10, 20, 30, 40)  # in working-copy pixels (scale 0.5)
    add("test.box", lambda ctx, p: CheckResult("test.box", Verdict.PASS, findings=(Finding("logo", "x", box),)))
    [analysis] = analyse_photos([(_photo(scale=0.5), None)], brand=None, plan=[PlannedCheck("test.box", {})])
    assert analysis.result("test.box").findings[0].region.xywh == (20.0, 40.0, 60.0, 80.0)


def test_batched_signal_is_computed_once_for_all_photos(test_checks):
    add, add_batch = test_checks
    calls = []

    def batch(contexts):
        calls.append(len(contexts))
        return [float(i) for i, _ in enumerate(contexts)]

    add_batch("test_net", batch)
    add("test.uses_net", lambda ctx, p: CheckResult("test.uses_net", Verdict.PASS, values={"v": ctx.get("test_net")}),
        needs=("test_net",))
    analyses = analyse_photos([(_photo(), None)] * 3, brand=None, plan=[PlannedCheck("test.uses_net", {})])
    assert calls == [3]
    assert [a.result("test.uses_net").values["v"] for a in analyses] == [0.0, 1.0, 2.0]


def test_a_look_switched_off_by_parameters_is_not_computed(test_checks):
    add, add_batch = test_checks
    calls = []

    def batch(contexts):
        calls.append(len(contexts))
        return ["zoomed"] * len(contexts)

    add_batch("test_zoom", batch)
    add("test.zooms", lambda ctx, p: CheckResult("test.zooms", Verdict.PASS,
                                                 values={"v": ctx.get("test_zoom") if p["zoom"] else None}),
        needs=("test_zoom",), needs_if={"test_zoom": lambda p: p["zoom"]}, defaults={"zoom": True})
    off = analyse_photos([(_photo(), None)] * 2, brand=None, plan=[PlannedCheck("test.zooms", {"zoom": False})])
    assert calls == [] and [a.result("test.zooms").values["v"] for a in off] == [None, None]
    on = analyse_photos([(_photo(), None)] * 2, brand=None, plan=[PlannedCheck("test.zooms", {})])
    assert calls == [2] and [a.result("test.zooms").values["v"] for a in on] == ["zoomed", "zoomed"]


def test_needs_if_must_name_a_signal_the_check_needs():
    with pytest.raises(ValueError, match="not in needs"):
        register("test.bad_needs", title_en="x", title_zh="x", needs=("net",), needs_if={"zoom": lambda p: True})


def test_a_crashing_check_is_unsure_with_the_reason(test_checks):
    add, _ = test_checks

    def boom(ctx, params):
        raise ValueError("bad homography")

    add("test.boom", boom)
    ctx = PhotoContext(_photo(), None, None)
    r = run_check("test.boom", ctx, {"t": 1})
    assert r.verdict == Verdict.UNSURE
    assert "bad homography" in r.message
    assert r.params == {"t": 1}


def test_check_result_round_trips_through_json():
    r = CheckResult("logo.present", Verdict.FAIL, confidence=0.8, message="m",
                    findings=(Finding("logo", "seen", Region.from_polygon([(0, 0), (10, 0), (10, 5), (0, 5)]),
                                      {"inliers": np.int64(12)}, {"min_inliers": 8}, 0.7),),
                    values={"present": np.bool_(True)}, params={"min_inliers": 8})
    d = r.to_dict()
    import json

    back = CheckResult.from_dict(json.loads(json.dumps(d)))
    assert back.verdict == Verdict.FAIL
    assert back.findings[0].region.polygon == ((0, 0), (10, 0), (10, 5), (0, 5))
    assert back.findings[0].measured["inliers"] == 12
    assert back.values["present"] is True
