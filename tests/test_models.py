"""The backbone, heads, targets, decoding and training loop of models/."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from models.backbone import DENSE_CHANNELS, POOLED_CHANNELS, LiteBackbone, prepare
from models.data import Sample, augment, make_targets
from models.heads import AREAS, DEFECT_KINDS, AreaHead, DefectHead, PersonHead, box_iou, decode_people, load_head, save_head


def test_import_auditor_checks_does_not_import_torch():
    code = "import sys, auditor.checks; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.fixture(scope="module")
def backbone():
    return LiteBackbone()


def test_backbone_is_pretrained_and_gives_shared_features(backbone):
    rgb = np.full((480, 640, 3), 128, np.uint8)
    p = prepare(rgb)
    assert tuple(p.tensor.shape) == (3, 288, 384) and p.photo_size == (640, 480)
    with torch.inference_mode():
        dense, pooled = backbone(p.tensor[None])
    assert tuple(dense.shape) == (1, DENSE_CHANNELS, 18, 24)
    assert tuple(pooled.shape) == (1, POOLED_CHANNELS)
    # ImageNet weights: the stem is not at its random initialisation
    fresh = LiteBackbone(pretrained=False)
    assert not torch.allclose(fresh.net._conv_stem.weight, backbone.net._conv_stem.weight)


def test_portrait_photo_keeps_its_orientation():
    p = prepare(np.zeros((800, 600, 3), np.uint8))
    assert tuple(p.tensor.shape) == (3, 384, 288)


def test_prepare_rejects_non_rgb():
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        prepare(np.zeros((10, 10), np.uint8))


def test_area_head_gives_one_logit_per_area():
    out = AreaHead().eval()(torch.randn(2, POOLED_CHANNELS))
    probs = out.softmax(1)
    assert tuple(out.shape) == (2, len(AREAS))
    assert torch.allclose(probs.sum(1), torch.ones(2))


def test_dense_heads_keep_the_grid():
    x = torch.randn(1, DENSE_CHANNELS, 18, 24)
    assert tuple(DefectHead().eval()(x).shape) == (1, len(DEFECT_KINDS), 18, 24)
    assert tuple(PersonHead().eval()(x).shape) == (1, 5, 18, 24)


def test_targets_mark_the_defect_cells_and_person_centres():
    t = make_targets((384, 288), "workshop", (("rust", (32, 32, 96, 64)),), ((200, 50, 260, 250),))
    rust = t.defects[DEFECT_KINDS.index("rust")]
    assert t.area == AREAS.index("workshop")
    assert rust[2:4, 2:6].min() > 0.9 and rust[10:, :].max() == 0
    assert t.defects[DEFECT_KINDS.index("litter")].max() == 0
    cy, cx = np.unravel_index(np.argmax(t.person_heat), t.person_heat.shape)
    assert (cy, cx) == (9, 14)  # box centre (230, 150) / 16
    assert t.person_mask[cy, cx]


def test_decode_recovers_a_box_from_its_targets():
    box = (200.0, 50.0, 260.0, 250.0)
    t = make_targets((384, 288), None, None, (box,))
    boxes, scores = decode_people(t.person_heat, t.person_ltrb, (384, 288), threshold=0.5)
    assert len(boxes) == 1
    assert box_iou(boxes, np.array([box]))[0, 0] > 0.9


def test_augment_moves_boxes_with_the_pixels():
    rng = np.random.default_rng(3)
    rgb = np.zeros((480, 640, 3), np.uint8)
    rgb[100:200, 300:400] = 255
    for _ in range(5):
        small, defects, _ = augment(rgb, (("litter", (300, 100, 400, 200)),), None, rng, strong=True)
        if not defects:
            continue
        x0, y0, x1, y1 = (int(round(v)) for v in defects[0][1])
        inside = small[y0 + 3:y1 - 3, x0 + 3:x1 - 3].mean()
        assert inside > 100  # the white square is where the box says
        assert small.shape[:2] == (288, 384)


def test_head_file_round_trip(tmp_path):
    head = DefectHead()
    save_head(tmp_path / "clean.pt", "clean", head, {"hidden": 64}, {"note": "x"})
    name, loaded, meta = load_head(tmp_path / "clean.pt")
    assert name == "clean" and meta == {"note": "x"}
    for a, b in zip(head.state_dict().values(), loaded.state_dict().values()):
        assert torch.equal(a, b)
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(Exception):
        load_head(tmp_path / "junk.pt")


@pytest.mark.slow
def test_training_writes_weights_and_a_model_card(tmp_path):
    from models.train import train_heads

    rng = np.random.default_rng(0)

    def sample(i):
        img = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
        return Sample(f"s{i}", lambda img=img: (img, 1.0), AREAS[i % 2], (), ())

    report = train_heads([sample(i) for i in range(6)], [sample(i) for i in range(6, 8)], tmp_path, heads=("area",),
                         copies=1, epochs=2, patience=1, progress=False, command="pytest")
    assert (tmp_path / "area.pt").is_file()
    card = (tmp_path / "area.md").read_text()
    assert "Held-out metrics" in card and "pytest" in card and "accuracy" in card
    assert report["area"]["metrics"]["n"] == 2
    with pytest.raises(ValueError, match="unknown head"):
        train_heads([], [], tmp_path, heads=("nose",))


def test_shipped_weights_have_model_cards():
    from pathlib import Path

    weights = Path(__file__).resolve().parent.parent / "models" / "weights"
    for pt in weights.glob("*.pt"):
        assert pt.stat().st_size <= 20_000_000, pt
        card = pt.with_suffix(".md")
        if pt.stem in ("area", "clean", "people"):
            assert card.is_file(), f"{pt.name} has no model card"
            assert "Command" in card.read_text()
