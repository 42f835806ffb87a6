"""auditor.training: labelled sets (spec/labels.md) -> samples -> trained heads with model cards."""
import json

import numpy as np
import pytest
from PIL import Image

import scenes_vision2 as scenes
from auditor import training


def _write_set(root, n=6, seed=0, side=1280):
    photos = []
    f = side / 640  # the scenes are 640 x 480
    for i in range(n):
        img, persons, rusts, area = scenes.scene(seed + i)
        big = np.asarray(Image.fromarray(img).resize((side, side * 3 // 4)))  # labels are in the original's pixels
        (root / "p").mkdir(parents=True, exist_ok=True)
        Image.fromarray(big).save(root / "p" / f"{i}.jpg", quality=90)
        xywh = lambda b: [f * b[0], f * b[1], f * (b[2] - b[0]), f * (b[3] - b[1])]  # noqa: E731
        photos.append({"file": f"p/{i}.jpg", "area": area, "truth": {
            "clean": {"clean": not rusts, "defects": [{"kind": "rust", "box": xywh(b)} for b in rusts]},
            "people": {"count": len(persons), "persons": [{"box": xywh(b), "role": None, "badge": None} for b in persons]},
        }})
    (root / "labels.json").write_text(json.dumps({"brand": "demo", "photos": photos}))
    return root


def test_read_samples_scales_boxes_to_the_decoded_photo(tmp_path):
    root = _write_set(tmp_path / "set", n=2, seed=5, side=1600)
    samples = training.read_samples(root)
    _, persons, rusts, area = scenes.scene(5)
    s = samples[0]
    rgb, scale = s.load()
    assert rgb.shape[:2] == (960, 1280) and abs(scale - 0.8) < 1e-6  # decoded at the training side
    assert s.area == area
    assert len(s.persons) == len(persons)
    for got, want in zip(s.persons, persons):
        np.testing.assert_allclose(got, [2.5 * v for v in want])


def test_a_photo_of_the_training_side_decodes_as_it_is(tmp_path):
    root = _write_set(tmp_path / "set", n=1, seed=5, side=1280)
    rgb, scale = training.read_samples(root)[0].load()
    assert rgb.shape[:2] == (960, 1280) and scale == 1.0
    want = np.asarray(Image.open(root / "p" / "0.jpg").convert("RGB"))
    assert np.array_equal(rgb, want)


def test_unlabelled_parts_stay_unlabelled(tmp_path):
    root = tmp_path / "s"
    root.mkdir()
    Image.fromarray(scenes.wall(64, 48)).save(root / "a.jpg")
    (root / "labels.json").write_text(json.dumps({"photos": [
        {"file": "a.jpg", "area": None, "truth": {"clean": {"clean": False, "defects": [{"kind": "rust", "box": None}]},
                                                  "people": {"count": 3, "persons": []}}}]}))
    s = training.read_samples(root)[0]
    assert s.area is None and s.defects is None and s.persons is None


def test_bad_input_is_one_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no labels.json"):
        training.train([tmp_path])
    with pytest.raises(ValueError, match="unknown head 'nose'"):
        training.train([tmp_path], head="nose")
    (tmp_path / "labels.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        training.read_samples(tmp_path)


@pytest.mark.slow
def test_train_writes_heads_and_cards(tmp_path):
    root = _write_set(tmp_path / "set", n=6)
    report = training.train([root], head="all", out=tmp_path / "w", epochs=2, copies=1, progress=False,
                            command="pytest train")
    for head in ("area", "clean", "people"):
        assert (tmp_path / "w" / f"{head}.pt").is_file(), report
        assert "pytest train" in (tmp_path / "w" / f"{head}.md").read_text()
    from auditor import inference

    inference.use_weights(tmp_path / "w")
    try:
        assert set(inference.get_model().heads) == {"area", "clean", "people"}
    finally:
        inference.reset_weights()
