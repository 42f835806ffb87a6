"""auditor.inference: loads once, batches, switches weights, hands numpy outputs to checks."""
import numpy as np
import pytest

import scenes_vision2 as scenes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def inference():
    from auditor import inference

    inference.use_weights(scenes.tiny_weights())
    yield inference
    inference.reset_weights()


def test_model_loads_once(inference):
    assert inference.get_model() is inference.get_model()


def test_use_weights_reloads(inference, tmp_path):
    first = inference.get_model()
    inference.use_weights(scenes.tiny_weights())
    assert inference.get_model() is not first
    with pytest.raises(FileNotFoundError, match="no such weights"):
        inference.use_weights(tmp_path / "missing.pt")
    with pytest.raises(FileNotFoundError, match="no head weights"):
        inference.use_weights(tmp_path)


def test_batched_outputs_match_single(inference):
    imgs = [scenes.scene(7000 + i)[0] for i in range(3)]
    imgs.append(np.ascontiguousarray(np.rot90(imgs[0])))  # a portrait photo in the same batch
    batch = inference.run_net(imgs)
    single = inference.run_net([imgs[1]])[0]
    assert len(batch) == 4
    np.testing.assert_allclose(batch[1].area_probs, single.area_probs, atol=1e-4)
    np.testing.assert_allclose(batch[1].defect_prob, single.defect_prob, atol=1e-4)
    assert batch[3].image_wh == (480, 640)
    assert batch[3].defect_prob.shape[1:] == (24, 18)
    for out in batch:
        assert out.area_probs.shape == (8,) and abs(out.area_probs.sum() - 1) < 1e-5
        assert out.defect_prob.shape[0] == 7 and 0 <= out.defect_prob.min() and out.defect_prob.max() <= 1
        assert out.person_boxes_xyxy.shape[1] == 4 and len(out.person_scores) == len(out.person_boxes_xyxy)


def test_logo_detector_weights_are_switched_and_reset_by_the_same_calls(inference, tmp_path):
    """`auditor evaluate --weights DIR` after `auditor train --head logo`: the brand's detector is the new one."""
    import shutil

    from models.logo_detector import weights_path

    new = tmp_path / "logo_detector_demo.pt"
    shutil.copyfile(weights_path("demo"), new)
    try:
        inference.use_weights(tmp_path)
        assert inference._logo_detector_paths == {"demo": new}
        inference.reset_weights()
        assert inference._logo_detector_paths == {}
        inference.use_weights(new)
        assert inference._logo_detector_paths == {"demo": new}
        (tmp_path / "logo_detector_bad.pt").write_bytes(b"not torch")
        with pytest.raises(Exception):
            inference.use_weights(tmp_path)
    finally:
        inference.reset_weights()
        inference.use_weights(scenes.tiny_weights())
