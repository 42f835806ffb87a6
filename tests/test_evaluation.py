"""Evaluation: metric functions on hand-made pairs, labelled-set validation, prediction reading."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from auditor.errors import LabelSetError
from auditor.evaluation import metrics as M
from auditor.evaluation.evaluate import Prediction, _Pairs, compare_photo, metrics_table, predictions_from
from auditor.evaluation.labels import load_label_set
from auditor.types import CheckResult, Finding, Region, Verdict


# ------------------------------------------------------------------ metrics


def test_precision_recall_f1_from_pairs():
    # truth, prediction: 2 tp, 1 fp, 1 fn, 1 tn
    c = M.binary_counts([(True, True), (True, True), (False, True), (True, False), (False, False)])
    assert (c.tp, c.fp, c.fn, c.tn) == (2, 1, 1, 1)
    assert c.precision == pytest.approx(2 / 3)
    assert c.recall == pytest.approx(2 / 3)
    assert c.f1 == pytest.approx(2 / 3)
    assert c.accuracy == pytest.approx(3 / 5)


def test_missing_prediction_counts_as_the_wrong_answer():
    c = M.binary_counts([(True, None), (False, None)])
    assert (c.tp, c.fp, c.fn, c.tn) == (0, 1, 1, 0)
    assert M.accuracy([("ok", None), ("dark", "dark")]) == 0.5
    mae, exact = M.count_errors([(3, None), (0, None), (2, 2)])
    assert mae == pytest.approx((3 + 1 + 0) / 3)
    assert exact == pytest.approx(1 / 3)


def test_undefined_ratios_are_none_not_zero():
    assert M.ratio(1, 0) is None
    empty = M.BinaryCounts()
    assert empty.precision is None and empty.recall is None and empty.f1 is None
    # all true negatives: nothing to find, nothing predicted -> undefined
    only_tn = M.binary_counts([(False, False), (False, False)])
    assert only_tn.precision is None and only_tn.recall is None and only_tn.f1 is None
    # something to find, nothing predicted: precision 0 (not undefined), recall 0
    missed = M.binary_counts([(True, False)])
    assert missed.precision == 0.0 and missed.recall == 0.0 and missed.f1 == 0.0
    assert M.accuracy([]) is None and M.macro_f1([]) is None
    assert M.count_errors([]) == (None, None)


def test_macro_f1_by_hand():
    pairs = [("dark", "dark"), ("dark", "ok"), ("ok", "ok"), ("ok", "ok"), ("overexposed", None)]
    # dark: tp1 fp0 fn1 -> 2/3; ok: tp2 fp1 fn0 -> 4/5; overexposed: tp0 fn1 -> 0
    assert M.macro_f1(pairs) == pytest.approx((2 / 3 + 4 / 5 + 0) / 3)
    assert M.macro_f1([(True, True), (False, False)]) == 1.0


def test_iou_and_one_to_one_matching():
    assert M.iou_xyxy((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert M.iou_xyxy((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert M.iou_xyxy((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
    truth = [(0, 0, 10, 10), (100, 100, 120, 120)]
    # two predictions on the first box: only one may match; one far away matches nothing
    preds = [(1, 1, 10, 10), (0, 0, 11, 10), (300, 300, 310, 310)]
    matches = M.match_boxes(truth, preds, 0.5)
    assert [(t, p) for t, p, _ in matches] == [(0, 1)]
    c = M.detection_counts(truth, preds, 0.5)
    assert (c.tp, c.fp, c.fn) == (1, 2, 1)
    assert M.xywh_to_xyxy([10, 20, 30, 40]) == (10, 20, 40, 60)


def test_text_matching_nfkc_casefold_whitespace():
    assert M.normalise_text("ＹＵＹＵＡＮ  Rd.") == "yuyuanrd."
    assert M.text_is_read("Yuyuan Rd.", ["西 YUYUAN RD.", "东"])
    assert M.text_is_read("本座 3F", ["24H专业健身|本座３F1"])  # full-width digit, inside a longer line
    assert not M.text_is_read("入口", ["出口", "Entrance"])
    assert not M.text_is_read("   ", ["anything"])


# ------------------------------------------------------------------ labels


def _write_set(tmp_path, photos, **top):
    (tmp_path / "a.jpg").write_bytes(b"x")
    (tmp_path / "labels.json").write_text(json.dumps({"brand": None, "photos": photos, **top}), encoding="utf-8")
    return tmp_path


def test_label_set_reads_boxes_as_xyxy(tmp_path):
    s = load_label_set(
        _write_set(
            tmp_path,
            [{"file": "a.jpg", "area": "facade", "truth": {
                "logo": {"present": True, "boxes": [[10, 20, 30, 40]], "placement_ok": None},
                "people": {"count": 1, "persons": [{"box": [0, 0, 5, 10], "role": "technician", "badge": True}]},
                "lighting": None}, "source": "extra keys are allowed"}],
        )
    )
    p = s.photos[0]
    assert p.area == "facade" and p.truth.logo.boxes_xyxy == ((10.0, 20.0, 40.0, 60.0),)
    assert p.truth.people.persons[0].role == "technician"
    assert p.truth.lighting is None and p.truth.groups() == ("logo", "people")
    assert s.warnings == ()


@pytest.mark.parametrize(
    "photo, expected",
    [
        ({"file": "missing.jpg"}, "photos[0] (missing.jpg): file not found"),
        ({"file": "a.jpg", "area": "fasade"}, "did you mean 'facade'"),
        ({"file": "a.jpg", "truth": {"lighting": {"exposure": "bright"}}}, "truth.lighting.exposure: expected one of dark, ok, overexposed"),
        ({"file": "a.jpg", "truth": {"logo": {"boxes": [[1, 2, 3]]}}}, "truth.logo.boxes[0]: expected [x, y, w, h]"),
        ({"file": "a.jpg", "truth": {"logo": {"boxes": [[1, 2, 0, 5]]}}}, "width and height must be > 0"),
        ({"file": "a.jpg", "truth": {"clean": {"clean": False, "defects": [{"kind": "rusty"}]}}}, "did you mean 'rust'"),
        ({"file": "a.jpg", "truth": {"people": {"count": 2, "persons": [{"box": [0, 0, 1, 1]}]}}}, "count is 2 but 1 person box"),
        ({"file": "a.jpg", "truth": {"people": {"count": "two"}}}, "truth.people.count: expected a whole number"),
        ({"file": "a.jpg", "truth": {"lighting": {"night": "yes"}}}, "truth.lighting.night: expected true, false or null"),
    ],
)
def test_label_set_errors_name_photo_and_field(tmp_path, photo, expected):
    with pytest.raises(LabelSetError) as err:
        load_label_set(_write_set(tmp_path, [photo]))
    msg = str(err.value)
    assert expected in msg and "\n" not in msg


def test_label_set_file_level_errors(tmp_path):
    with pytest.raises(LabelSetError, match="no such folder"):
        load_label_set(tmp_path / "nope")
    with pytest.raises(LabelSetError, match="labels.json: not found"):
        load_label_set(tmp_path)
    (tmp_path / "labels.json").write_text('{"photos": [\n  {"file": "a.jpg",}\n]}', encoding="utf-8")
    with pytest.raises(LabelSetError, match=r"labels.json:2:\d+: not valid JSON"):
        load_label_set(tmp_path)
    (tmp_path / "labels.json").write_text('{"photoes": []}', encoding="utf-8")
    with pytest.raises(LabelSetError, match="did you mean 'photos'"):
        load_label_set(tmp_path)
    with pytest.raises(LabelSetError, match="listed twice"):
        load_label_set(_write_set(tmp_path, [{"file": "a.jpg"}, {"file": "a.jpg"}]))
    with pytest.raises(LabelSetError, match="brand_pack: folder 'packs' not found"):
        load_label_set(_write_set(tmp_path, [], brand_pack="packs"))


def test_unknown_truth_keys_are_warnings_with_suggestions(tmp_path):
    s = load_label_set(_write_set(tmp_path, [{"file": "a.jpg", "truth": {"lightning": {}, "text": {"must_raed": []}}}]))
    assert len(s.warnings) == 2
    assert "did you mean 'lighting'" in s.warnings[0]
    assert "did you mean 'must_read'" in s.warnings[1]


# ------------------------------------------------------------------ predictions and the metrics table


def _result(check_id, verdict=Verdict.PASS, values=None, findings=()):
    return CheckResult(check_id, verdict, values=values or {}, findings=tuple(findings))


def test_predictions_read_values_and_findings():
    person = Finding("person", "p", Region((0, 0, 10, 20)), measured={"role": "advisor", "badge": True})
    results = {
        "logo.present": _result("logo.present", values={"present": True},
                                findings=[Finding("logo", "l", Region((5, 5, 15, 15))), Finding("text", "t", Region((0, 0, 1, 1)))]),
        "logo.placement": _result("logo.placement", Verdict.NOT_IMPLEMENTED),
        "lighting.exposure": _result("lighting.exposure", values={"exposure": "dark"}),
        "clean.defects": _result("clean.defects", Verdict.FAIL, values={"clean": False, "kinds": ["rust"]},
                                 findings=[Finding("litter", "x", Region((1, 1, 2, 2)))]),
        "people.detect": _result("people.detect", Verdict.UNSURE, values={"count": 1}, findings=[person]),
        "people.uniform": _result("people.uniform", Verdict.UNSURE, values={"uniform_ok": None}, ),
    }
    p = predictions_from(results, ("入口",), None, _result("area.classify", values={"area": "facade"}))
    assert p.logo_present is True and p.logo_boxes_xyxy == ((5.0, 5.0, 15.0, 15.0),)
    assert p.placement_ok is None and p.unavailable["logo.placement"] == "not implemented"
    assert p.exposure == "dark" and p.night is None
    assert p.clean is False and p.defect_kinds == {"rust", "litter"}
    assert p.count == 1 and p.persons == (((0.0, 0.0, 10.0, 20.0), "advisor", True),)
    assert p.uniform_ok is None and "no uniform_ok" in p.unavailable["people.uniform"]
    assert p.area == "facade" and p.read_lines == ("入口",)


def _photo_truth(**groups):
    from auditor.evaluation import labels as L

    return L.Truth(**groups)


def test_metrics_table_on_hand_made_truth_and_predictions():
    from auditor.evaluation import labels as L

    acc = _Pairs()
    # photo 1: logo found and localised, exposure right, text partly read, 2 people counted as 1
    compare_photo(
        _photo_truth(
            logo=L.LogoTruth(True, ((0, 0, 100, 50),), True),
            text=L.TextTruth(("入口", "Service"), ("Exit",)),
            lighting=L.LightingTruth("ok", False, None),
            people=L.PeopleTruth(2, True, None, (L.PersonTruth((0, 0, 10, 30), "advisor", True),
                                                  L.PersonTruth((50, 0, 60, 30), "technician", False))),
        ),
        "facade",
        Prediction(logo_present=True, logo_boxes_xyxy=((2, 0, 100, 50),), placement_ok=False,
                   read_lines=("入 口 左转", "exit here"), exposure="ok", night=False, count=1,
                   persons=(((0, 0, 10, 30), "advisor", True),), uniform_ok=True, area="entrance"),
        acc,
    )
    # photo 2: no logo, predicted one; dark photo called ok; nothing implemented for people
    compare_photo(
        _photo_truth(
            logo=L.LogoTruth(False, None, None),
            lighting=L.LightingTruth("dark", True, True),
            clean=L.CleanTruth(False, (L.DefectTruth("rust", None), L.DefectTruth("litter", None))),
            people=L.PeopleTruth(0, None, False, ()),
        ),
        None,
        Prediction(logo_present=True, logo_boxes_xyxy=((0, 0, 5, 5),), exposure="ok", night=True, signs_lit=True,
                   clean=False, defect_kinds=frozenset({"rust"})),
        acc,
    )
    table, counts = metrics_table(acc)
    assert table["logo"] == {"n": 2, "precision": 0.5, "recall": 1.0, "f1": pytest.approx(0.6667),
                             "localisation": 1.0, "placement_accuracy": 0.0}
    assert table["text"] == {"n": 2, "recall": 0.5, "must_not_read_hits": 1}
    assert table["exposure"]["accuracy"] == 0.5 and table["exposure"]["n"] == 2
    # dark: tp0 fn1 -> 0; ok: tp1 fp1 -> 2/3
    assert table["exposure"]["macro_f1"] == pytest.approx(round((0 + 2 / 3) / 2, 4))
    assert table["night"]["accuracy"] == 1.0
    assert table["signs_lit"] == {"n": 1, "accuracy": 1.0}
    assert table["clean"]["n"] == 1 and table["clean"]["recall"] == 1.0
    assert table["clean"]["recall_by_kind"] == {"litter": 0.0, "rust": 1.0}
    # counts 2 vs 1 and 0 vs missing (off by 1): mae 1, none exact; presence: tp + (missing on absent -> fp)
    assert table["people"]["count_mae"] == 1.0 and table["people"]["count_exact"] == 0.0
    assert table["people"]["presence_f1"] == pytest.approx(round(2 / 3, 4))
    assert table["people"]["person_f1"] == pytest.approx(round(2 / 3, 4))  # 1 tp, 0 fp, 1 fn
    # roles: advisor right, technician unmatched; badges: p1 tp, p2 (False, unmatched -> wrong: fp), photo 2 (False, missing -> fp)
    assert table["uniform"]["role_accuracy"] == 0.5
    assert table["uniform"]["accuracy"] == 1.0
    assert table["uniform"]["badge_f1"] == pytest.approx(round(2 / 4, 4))
    assert table["area"] == {"n": 1, "accuracy": 0.0}
    assert counts["text.must_read (strings)"] == 2 and counts["logo.localisation (true boxes)"] == 1


def test_metrics_are_null_when_nothing_is_labelled():
    table, _ = metrics_table(_Pairs())
    assert table["logo"]["precision"] is None and table["logo"]["n"] == 0
    assert table["text"] == {"n": 0, "recall": None, "must_not_read_hits": None}
    assert table["clean"]["recall_by_kind"] == {}
    assert all(v is None for k, v in table["people"].items() if k != "n")
    assert table["area"] == {"n": 0, "accuracy": None}


def test_import_checks_pulls_in_no_torch_flask_or_database():
    code = (
        "import sys, auditor.checks, auditor.evaluation.evaluate, auditor.evaluation.labels;"
        "bad = [m for m in ('torch', 'flask', 'sqlalchemy', 'web') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_a_set_can_carry_its_own_brand_pack(tmp_path):
    import shutil

    from auditor.brandpack import brands_root
    from auditor.evaluation.evaluate import resolve_brand

    shutil.copytree(brands_root() / "demo", tmp_path / "packs" / "acme")
    s = load_label_set(_write_set(tmp_path, [{"file": "a.jpg", "brand": "demo"}], brand="acme", brand_pack="packs"))
    assert s.brand_pack == (tmp_path / "packs").resolve()
    own = resolve_brand(s, s.brand_of(s.photos[0]))  # the photo's own brand overrides the set's
    assert own.root.resolve() == (brands_root() / "demo").resolve()
    packed = resolve_brand(s, s.brand)
    assert packed.root.resolve() == (tmp_path / "packs" / "acme").resolve()


def test_footnotes_name_only_the_missing_predictions_a_label_needed():
    from auditor.evaluation import labels as L
    from auditor.evaluation.evaluate import needed_unavailable

    pred = Prediction(unavailable={"people.uniform": "not implemented", "people.detect": "not implemented",
                                   "lighting.night": "not implemented"})
    rows = compare_photo(_photo_truth(people=L.PeopleTruth(2, None, None, ())), None, pred, _Pairs())
    assert needed_unavailable(pred, rows) == {"people.detect": "not implemented"}


def test_comparison_table_shows_both_and_the_change():
    from auditor.evaluation.evaluate import EvaluationResult
    from auditor.evaluation.table import format_comparison

    table, counts = metrics_table(_Pairs())
    a = {"set": "s", "photos": 1, **table, "speed": {"photos_per_s": 1.0, "peak_rss_mb": 1.0}}
    b = json.loads(json.dumps(a))
    a["area"]["accuracy"], b["area"]["accuracy"] = 0.25, 0.75
    text = format_comparison(EvaluationResult(a, counts, (), (), ()), EvaluationResult(b, counts, (), (), ()), "old", "new")
    line = next(l for l in text.splitlines() if l.startswith("area"))
    assert line.split()[-3:] == ["0.250", "0.750", "+0.500"]
    assert "A = old, B = new" in text
