"""area.classify: probabilities over the 8 areas; the tag wins; confident disagreement is a finding."""
import numpy as np

import scenes_vision2 as scenes
from auditor.brandpack import load_brand
from auditor.checks import PhotoContext, run_check
from auditor.checks.netsignal import AREAS, NetOutputs
from auditor.ingest import encode_png, load_photo
from auditor.types import Verdict


def _ctx(probs, area=None):
    img = scenes.wall(320, 240, 0)
    ctx = PhotoContext(load_photo(encode_png(img), "drawn.png"), load_brand("demo"), area)
    ctx.seed("net", NetOutputs((320, 240), area_probs=np.asarray(probs, np.float32)))
    return ctx


def _probs(top, p):
    rest = (1 - p) / (len(AREAS) - 1)
    return [p if a == top else rest for a in AREAS]


def test_untagged_photo_gets_the_predicted_area():
    res = run_check("area.classify", _ctx(_probs("workshop", 0.9)))
    assert res.verdict == Verdict.PASS
    assert res.values["area"] == "workshop" and res.values["predicted"] == "workshop"
    assert set(res.values["probabilities"]) == set(AREAS)
    assert abs(sum(res.values["probabilities"].values()) - 1) < 1e-3


def test_tag_wins_and_confident_disagreement_is_flagged():
    res = run_check("area.classify", _ctx(_probs("workshop", 0.92), area="reception"))
    assert res.values["area"] == "reception" and res.values["predicted"] == "workshop"
    assert res.findings and res.findings[0].kind == "area_mismatch"
    assert "tagged reception, looks like workshop" in res.message


def test_unsure_disagreement_is_not_flagged():
    res = run_check("area.classify", _ctx(_probs("workshop", 0.5), area="reception"))
    assert res.verdict == Verdict.PASS and not res.findings
    assert res.values["area"] == "reception"


def test_low_confidence_untagged_is_unsure():
    res = run_check("area.classify", _ctx([1 / 8] * 8))
    assert res.verdict == Verdict.UNSURE
