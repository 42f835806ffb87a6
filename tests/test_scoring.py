"""Scoring: item verdicts from check results, manual answers and overrides; weighted scores."""
from __future__ import annotations

import pytest

from auditor.checklist import CheckBinding, Checklist, Item, Section, load_checklist
from auditor.scoring import ScoredPhoto, score_audit
from auditor.types import CheckResult, ItemStatus, Override, Verdict

LOGO = CheckBinding("logo.present", {}, 0.6)
TEXT = CheckBinding("signage.text_required", {"group": "entrance"}, 0.5)
CLEAN = CheckBinding("clean.defects", {"kinds": ["rust"]}, 0.5)

CHECKLIST = Checklist(
    "test", "1", "测试", "Test",
    (
        Section("A", "甲", "A", (
            Item("A-1", "标识", "logo", 3.0, ("facade",), (LOGO,)),
            Item("A-2", "入口", "entrance", 1.0, ("entrance",), (TEXT,)),
            Item("A-3", "清洁", "clean", 2.0, (), (CLEAN,)),
        )),
        Section("B", "乙", "B", (
            Item("B-1", "接待", "greeting", 1.0, ("reception",), manual=True),
            Item("B-2", "仪表", "grooming", 2.0, (), manual=True),
        )),
    ),
)


def r(check_id, verdict, confidence=0.9, params=None, message=""):
    return CheckResult(check_id, Verdict(verdict), confidence, message=message or f"{check_id} {verdict}",
                       params=params or {})


def logo(v, c=0.9):
    return r("logo.present", v, c)


def text(v, c=0.9, group="entrance"):
    return r("signage.text_required", v, c, {"group": group})


def clean(v, c=0.9, kinds=("rust",)):
    return r("clean.defects", v, c, {"kinds": list(kinds)})


def test_all_pass_and_manual_answers():
    photos = [
        ScoredPhoto("p1", "facade", (logo("pass"), clean("pass"))),
        ScoredPhoto("p2", "entrance", (text("pass"), clean("pass"))),
    ]
    s = score_audit(CHECKLIST, photos, manual_answers={"B-1": True, "B-2": False})
    assert [i.status for i in s.items] == [ItemStatus.PASS, ItemStatus.PASS, ItemStatus.PASS,
                                          ItemStatus.PASS, ItemStatus.FAIL]
    assert s.sections[0].score == 100.0 and s.sections[1].score == pytest.approx(100 / 3, abs=0.01)
    assert s.earned == 7.0 and s.possible == 9.0
    assert s.total == pytest.approx(77.78, abs=0.01)
    assert s.item("B-2").manual_answer is False
    ev = s.item("A-3").evidence
    assert {(e.photo_id, e.check_id, e.verdict) for e in ev} == {("p1", "clean.defects", Verdict.PASS),
                                                               ("p2", "clean.defects", Verdict.PASS)}


def test_confident_fail_fails_the_item_even_if_another_photo_passes():
    photos = [ScoredPhoto("p1", "facade", (clean("pass"),)), ScoredPhoto("p2", "other", (clean("fail", 0.8),))]
    v = score_audit(CHECKLIST, photos).item("A-3")
    assert v.status == ItemStatus.FAIL and v.score == 0.0 and v.confidence == 0.8
    assert "clean.defects failed on 1 photo" in v.note


def test_low_confidence_fail_and_unsure_need_review():
    s = score_audit(CHECKLIST, [ScoredPhoto("p1", "facade", (logo("fail", 0.3), clean("unsure", 0.2)))])
    assert s.item("A-1").status == ItemStatus.NEEDS_REVIEW and s.item("A-1").score is None
    assert s.item("A-3").status == ItemStatus.NEEDS_REVIEW
    assert s.sections[0].possible == 0 and s.sections[0].score is None and s.total is None


def test_not_implemented_never_passes():
    v = score_audit(CHECKLIST, [ScoredPhoto("p1", "facade", (r("logo.present", "not_implemented", 0.0),))]).item("A-1")
    assert v.status == ItemStatus.NEEDS_REVIEW
    assert "not implemented" in v.note


def test_no_photo_of_the_area_is_not_applicable():
    s = score_audit(CHECKLIST, [ScoredPhoto("p1", "facade", (logo("pass"),))])
    v = s.item("A-2")
    assert v.status == ItemStatus.NOT_APPLICABLE and v.score is None
    assert v.note == "no photo of area entrance"
    assert s.item("B-1").status == ItemStatus.MANUAL and s.item("B-1").score is None


def test_all_not_applicable_results():
    v = score_audit(CHECKLIST, [ScoredPhoto("p1", "facade", (logo("not_applicable"),))]).item("A-1")
    assert v.status == ItemStatus.NOT_APPLICABLE and len(v.evidence) == 1


def test_results_with_other_params_are_not_evidence():
    photos = [ScoredPhoto("p1", "entrance", (text("fail", 0.99, group="exit"), text("pass")))]
    v = score_audit(CHECKLIST, photos).item("A-2")
    assert v.status == ItemStatus.PASS and len(v.evidence) == 1
    # a binding that produced no result at all on a relevant photo asks for review
    v = score_audit(CHECKLIST, [ScoredPhoto("p1", "entrance", (text("pass", group="exit"),))]).item("A-2")
    assert v.status == ItemStatus.NEEDS_REVIEW and "no result of signage.text_required(group=entrance)" in v.note


def test_photos_of_other_areas_do_not_count():
    v = score_audit(CHECKLIST, [ScoredPhoto("p1", "lounge", (logo("fail", 0.99),))]).item("A-1")
    assert v.status == ItemStatus.NOT_APPLICABLE


def test_override_replaces_status_and_keeps_the_automatic_one():
    photos = [ScoredPhoto("p1", "facade", (logo("fail", 0.95),))]
    ov = Override("A-1", ItemStatus.PASS, "logo is there, hidden by a tree in this photo", by="li")
    s = score_audit(CHECKLIST, photos, overrides={"A-1": ov})
    v = s.item("A-1")
    assert v.status == ItemStatus.PASS and v.automatic_status == ItemStatus.FAIL
    assert v.override is ov and v.score == 1.0 and len(v.evidence) == 1
    assert "overridden by li from fail to pass" in v.note
    ov2 = Override("B-1", ItemStatus.NOT_APPLICABLE, "no customers during the visit")
    v2 = score_audit(CHECKLIST, photos, overrides={"B-1": ov2}).item("B-1")
    assert v2.status == ItemStatus.NOT_APPLICABLE and v2.automatic_status == ItemStatus.MANUAL and v2.score is None


def test_bad_answers_and_overrides_are_rejected():
    with pytest.raises(ValueError, match="unknown item 'Z-9'"):
        score_audit(CHECKLIST, [], manual_answers={"Z-9": True})
    with pytest.raises(ValueError, match="override"):
        score_audit(CHECKLIST, [], manual_answers={"A-1": True})
    with pytest.raises(ValueError, match="unknown item"):
        score_audit(CHECKLIST, [], overrides={"Q": Override("Q", ItemStatus.PASS, "x")})


def test_default_checklist_scores_end_to_end():
    c = load_checklist("default")
    results = []
    for item in c.items:
        for b in item.checks:
            results.append(CheckResult(b.check_id, Verdict.PASS, 0.9, params=dict(b.params)))
    areas = ["facade", "entrance", "driveway", "reception", "workshop", "lounge", "staff", "other"]
    photos = [ScoredPhoto(f"p-{a}", a, tuple(results)) for a in areas]
    s = score_audit(c, photos, manual_answers={"STF-05": True, "STF-06": True, "STF-07": True, "STF-08": False})
    assert len(s.items) == 17 and all(i.status in (ItemStatus.PASS, ItemStatus.FAIL) for i in s.items)
    assert s.item("STF-08").status == ItemStatus.FAIL
    total_weight = sum(i.weight for i in c.items)
    assert s.total == pytest.approx(100 * (total_weight - 1) / total_weight, abs=0.01)
    # with the vision checks not built, nothing automatic may pass
    unbuilt = [ScoredPhoto("p", "facade", tuple(CheckResult(x.check_id, Verdict.NOT_IMPLEMENTED, 0.0, params=dict(x.params))
                                                for i in c.items for x in i.checks))]
    s2 = score_audit(c, unbuilt)
    assert not any(i.status == ItemStatus.PASS for i in s2.items)


def test_aggregate_any_passes_when_one_photo_shows_the_thing():
    """An entrance sign seen on one entrance photo passes EXT-05 even if another photo misses it."""
    from auditor.checklist import load_checklist
    from auditor.scoring import ScoredPhoto, score_audit
    from auditor.types import CheckResult, ItemStatus, Verdict

    checklist = load_checklist("default")
    item = checklist.item("EXT-05")
    results_seen, results_missed = [], []
    for b in item.checks:
        assert b.aggregate == "any"
        results_seen.append(CheckResult(b.check_id, Verdict.PASS, 0.9, params=dict(b.params)))
        results_missed.append(CheckResult(b.check_id, Verdict.FAIL, 0.9, params=dict(b.params)))
    photos = [ScoredPhoto("a", "entrance", tuple(results_missed)), ScoredPhoto("b", "entrance", tuple(results_seen))]
    assert score_audit(checklist, photos).item("EXT-05").status == ItemStatus.PASS
    only_missed = [ScoredPhoto("a", "entrance", tuple(results_missed))]
    assert score_audit(checklist, only_missed).item("EXT-05").status == ItemStatus.FAIL


def test_aggregate_all_fails_on_one_dirty_photo():
    from auditor.checklist import load_checklist
    from auditor.scoring import ScoredPhoto, score_audit
    from auditor.types import CheckResult, ItemStatus, Verdict

    checklist = load_checklist("default")
    b = next(b for b in checklist.item("EXT-04").checks if b.check_id == "clean.defects")
    assert b.aggregate == "all"
    clean = CheckResult(b.check_id, Verdict.PASS, 0.9, params=dict(b.params))
    dirty = CheckResult(b.check_id, Verdict.FAIL, 0.9, params=dict(b.params))
    photos = [ScoredPhoto("a", "lounge", (clean,)), ScoredPhoto("b", "reception", (dirty,))]
    assert score_audit(checklist, photos).item("EXT-04").status == ItemStatus.FAIL
