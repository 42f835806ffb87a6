"""The clean head as an ensemble: mean of member logits, saved and loaded as one file; shipped weights load."""
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from models.heads import DEFECT_KINDS, DefectHead, load_head, save_head
from models.backbone import DENSE_CHANNELS
from models.train import CachedItem, fit_ensemble
from models.data import make_targets

ROOT = Path(__file__).resolve().parent.parent


def test_ensemble_logit_is_the_mean_of_its_members(tmp_path):
    torch.manual_seed(0)
    head = DefectHead(hidden=8, members=3).eval()
    x = torch.randn(2, DENSE_CHANNELS, 6, 8)
    with torch.no_grad():
        out = head(x)
        members = torch.stack([m(x) for m in head.members])
    assert out.shape == (2, len(DEFECT_KINDS), 6, 8)
    assert torch.allclose(out, members.mean(0), atol=1e-6)
    assert not torch.allclose(members[0], members[1])  # members start from different weights
    path = tmp_path / "clean.pt"
    save_head(path, "clean", head, {"hidden": 8, "members": 3}, {})
    name, loaded, _ = load_head(path)
    with torch.no_grad():
        assert name == "clean" and torch.allclose(loaded(x), out, atol=1e-6)


def test_shipped_clean_weights_load_and_give_probabilities_per_cell():
    _, head, meta = load_head(ROOT / "models" / "weights" / "clean.pt")
    with torch.no_grad():
        p = torch.sigmoid(head(torch.zeros(1, DENSE_CHANNELS, 18, 24)))
    assert p.shape == (1, len(DEFECT_KINDS), 18, 24) and float(p.max()) < 1.0
    assert meta.get("members", 1) >= 1


@pytest.mark.parametrize("bf16", ["1", "0"])  # bfloat16 autocast where the CPU has it, and float32
def test_fit_ensemble_trains_members_that_find_a_planted_defect(bf16, monkeypatch):
    monkeypatch.setenv("AUDITOR_TRAIN_BF16", bf16)
    rng = np.random.default_rng(0)
    items = []
    for i in range(72):
        dense = rng.normal(0, 1, (DENSE_CHANNELS, 6, 8)).astype(np.float32)
        defects = ()
        if i % 2:
            dense[:20, 2:4, 3:5] += 4.0  # the "litter" signature
            defects = (("litter", (3 * 16, 2 * 16, 5 * 16, 4 * 16)),)
        t = make_targets((128, 96), None, defects, None)
        items.append(CachedItem(torch.from_numpy(dense).half(), torch.zeros(1280).half(), t, (128, 96), f"p{i}"))
    head, history = fit_ensemble("clean", items[:56], items[56:], {"hidden": 8, "members": 2}, epochs=40,
                                 patience=40, progress=False)
    assert len(head.members) == 2 and history
    with torch.no_grad():
        p = torch.sigmoid(head(torch.stack([it.dense for it in items[56:]]).float()))[:, 0]
    dirty = p[1::2, 2:4, 3:5].mean()
    clean = p[0::2].mean()
    assert dirty > 0.5 and clean < 0.1, (float(dirty), float(clean))


def test_closeup_copies_train_only_the_clean_head():
    from models.train import _labelled

    targets = make_targets((64, 48), "facade", (), ())
    items = [CachedItem(torch.zeros(DENSE_CHANNELS, 3, 4), torch.zeros(1280), targets, (64, 48), "p", closeup)
             for closeup in (False, True)]
    assert len(_labelled(items, "clean")) == 2
    assert len(_labelled(items, "area")) == 1 and len(_labelled(items, "people")) == 1


def test_members_trained_together_start_apart_and_keep_their_own_best_state():
    rng = np.random.default_rng(1)
    items = []
    for i in range(24):
        dense = rng.normal(0, 1, (DENSE_CHANNELS, 4, 4)).astype(np.float32)
        t = make_targets((64, 64), None, (("rust", (0, 0, 16, 16)),) if i % 2 else (), None)
        items.append(CachedItem(torch.from_numpy(dense).half(), torch.zeros(0).half(), t, (64, 64), f"p{i}"))
    head, history = fit_ensemble("clean", items[:16], items[16:], {"hidden": 4, "members": 3}, epochs=3,
                                 patience=3, progress=False)
    a, b = (m.out.weight for m in head.members[:2])
    assert len(head.members) == 3 and not torch.allclose(a, b)
    assert [h["epoch"] for h in history] == [1, 2, 3]


def test_dense_only_features_are_the_inference_pass():
    """Training features (channels-last, dense only, worker decode) equal what inference computes."""
    from models.backbone import LiteBackbone, prepare
    from models.data import Sample
    from models.train import extract_features

    rgb = np.asarray(Image.open(sorted((ROOT / "samples" / "demo").rglob("*.jpg"))[0]).convert("RGB"))
    backbone = LiteBackbone()
    items = extract_features([Sample("p", lambda: (rgb, 1.0), None, (), None)], 1, False, 0, backbone,
                             progress=False, pooled=False)
    with torch.inference_mode():
        want = backbone.dense(prepare(rgb).tensor[None])[0]
    assert len(items) == 1 and items[0].pooled.numel() == 0
    got = items[0].dense.float()
    assert got.shape == want.shape
    assert float((got - want).abs().max()) < 0.02 * float(want.abs().max())
