"""The brand-agnostic logo verifier (models/logo_verifier.py) and its synthetic data (models/logo_synth.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models import logo_synth as S

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "models" / "weights" / "logo_verifier.pt"
DEMO = ROOT / "checklists" / "brands" / "demo" / "logos"


def _rgba(name: str) -> np.ndarray:
    with Image.open(DEMO / name) as im:
        return np.array(im.convert("RGBA"))


@pytest.fixture(scope="module")
def verifier():
    from models.logo_verifier import LogoVerifier

    return LogoVerifier.load(WEIGHTS)


# --------------------------------------------------------------------------- synthetic data


def test_random_logo_artwork_is_rgba_with_a_visible_mark():
    rng = np.random.default_rng(0)
    for _ in range(10):
        art = S.draw_logo(S.random_logo(rng), 128)
        assert art.shape == (128, 128, 4) and art.dtype == np.uint8
        assert 0.01 < (art[..., 3] > 20).mean() < 0.95


def test_lookalike_keeps_the_silhouette_and_changes_the_inside():
    rng = np.random.default_rng(3)
    checked = 0
    for _ in range(20):
        spec = S.random_logo(rng)
        if spec.outer is None:
            continue
        twin = S.lookalike(spec, rng)
        assert twin.outer == spec.outer
        a, b = S.draw_logo(spec, 128), S.draw_logo(twin, 128)
        changed = (np.abs(a.astype(int) - b.astype(int)).max(2) > 40).mean()
        assert changed > 0.005, f"a look-alike must differ from the original ({changed:.4f} of pixels changed)"
        checked += 1
    assert checked >= 10


def test_renders_are_deterministic_rgb_crops():
    art = S.draw_logo(S.random_logo(np.random.default_rng(1)))
    for style in S.STYLES:
        a = S.render_crop(art, np.random.default_rng(5), 96, style=style)
        b = S.render_crop(art, np.random.default_rng(5), 96, style=style)
        assert a.shape == (96, 96, 3) and a.dtype == np.uint8
        assert np.array_equal(a, b)
    assert S.background_crop(np.random.default_rng(2), 64).shape == (64, 64, 3)


# --------------------------------------------------------------------------- shipped weights


def test_shipped_weights_load_with_a_model_card(verifier):
    assert WEIGHTS.stat().st_size <= 20_000_000
    assert 0.0 < verifier.threshold < 1.0
    assert verifier.meta["val"]["auc"] > 0.8
    card = WEIGHTS.with_suffix(".md").read_text(encoding="utf-8")
    assert "ROC-AUC" in card and "python -m models.logo_verifier train" in card


def test_score_shapes_batching_and_reference_kinds(verifier):
    rng = np.random.default_rng(11)
    colour = _rgba("aurora_colour.png")
    crops = [S.render_crop(colour, rng, 128, style="flat"),
             S.background_crop(rng, 90),
             np.ascontiguousarray(S.render_crop(colour, rng, 128, style="chrome")[:, 10:110])]  # not square
    refs = [colour, _rgba("aurora_photo_day.png")[..., :3]]  # RGBA artwork and an RGB photo
    p = verifier.score(crops, refs)
    assert p.shape == (3, 2) and p.dtype == np.float32
    assert np.all((p >= 0) & (p <= 1))
    one_by_one = np.array([[verifier.score([c], [r])[0, 0] for r in refs] for c in crops])
    assert np.allclose(p, one_by_one, atol=1e-4)
    assert verifier.score([], refs).shape == (0, 2)
    assert verifier.score(crops, []).shape == (3, 0)


def test_bad_inputs_are_named(verifier):
    with pytest.raises(ValueError, match="logo crop"):
        verifier.score([np.zeros((32, 32), np.uint8)], [_rgba("aurora_colour.png")])
    with pytest.raises(ValueError, match="fully transparent"):
        verifier.score([np.zeros((32, 32, 3), np.uint8)], [np.zeros((32, 32, 4), np.uint8)])


def test_chrome_perspective_render_of_the_demo_logo_beats_foreign_mark_and_background(verifier):
    """Against aurora_colour.png: its chrome / 3D / lit renders in perspective must outscore the
    foreign look-alike (same ring-with-teeth silhouette, a V inside) and plain background."""
    colour, foreign = _rgba("aurora_colour.png"), _rgba("vega_lookalike.png")
    rng = np.random.default_rng(2024)
    styles = ["chrome", "chrome", "brushed", "extruded", "lit", "flat"]
    own = [S.render_crop(colour, rng, 128, style=s, max_yaw_deg=50) for s in styles]
    other = [S.render_crop(foreign, rng, 128, style=s, max_yaw_deg=50) for s in styles]
    bg = [S.background_crop(rng, 128) for _ in styles]
    p = verifier.score(own + other + bg, [colour])[:, 0]
    p_own, p_other, p_bg = p[:6], p[6:12], p[12:]
    assert p_own.mean() > p_other.mean() + 0.1, (p_own, p_other)
    assert p_own.mean() > p_bg.mean() + 0.2, (p_own, p_bg)
    assert np.median(p_own) >= verifier.threshold, p_own
    assert np.median(p_bg) < verifier.threshold, p_bg


def test_pack_photos_match_the_artwork_and_the_wrong_marks_do_not(verifier):
    colour = _rgba("aurora_colour.png")
    from models.logo_verifier import prepare_reference

    crops = [prepare_reference(_rgba(n)) for n in ("aurora_photo_day.png", "aurora_photo_night.png",
                                                   "vega_lookalike.png", "aurora_old_2015.png")]
    p = verifier.score(crops, [colour])[:, 0]
    assert min(p[0], p[1]) > max(p[2], p[3]), p


def test_synthetic_lookalikes_score_below_the_real_mark(verifier):
    """Unseen random logos (a seed far from training): renders of the mark beat renders of its look-alike."""
    rng = np.random.default_rng(987_654_321)
    wins, n = 0, 12
    for _ in range(n):
        spec = S.random_logo(rng)
        art = S.draw_logo(spec)
        style = str(rng.choice(S.STYLES))
        crops = [S.render_crop(art, rng, 128, style=style), S.render_crop(S.draw_logo(S.lookalike(spec, rng)), rng, 128, style=style)]
        p = verifier.score(crops, [art])[:, 0]
        wins += int(p[0] > p[1])
    assert wins >= 0.75 * n, f"the mark beat its look-alike in only {wins} of {n} cases"


def test_inference_wrapper_scores_like_the_verifier(verifier):
    from auditor import inference

    rng = np.random.default_rng(8)
    colour = _rgba("aurora_colour.png")
    crops = [S.render_crop(colour, rng, 128, style="chrome"), S.background_crop(rng, 128)]
    p = inference.verify_logo(crops, [colour, _rgba("vega_lookalike.png")])
    assert p.shape == (2, 2)
    assert np.allclose(p, verifier.score(crops, [colour, _rgba("vega_lookalike.png")]), atol=1e-4)
    assert 0.0 < inference.logo_verifier_threshold() < 1.0
