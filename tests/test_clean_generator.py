"""Training data for the clean head: visible dead greenery, unlabelled glass reflections, boxes that follow a warp."""
import numpy as np

from models.data import augment, perspective
from samples.generator import defects
from samples.generator.scene import Rect, Scene


class _Layout:  # the part of camera.CameraView's layout the defect painters read
    def __init__(self, w, h):
        self.x0, self.y0, self.x1, self.y1, self.w, self.h = 0.0, 0.0, float(w), float(h), float(w), float(h)


def _scene(seed, w=1280, h=960):
    s = Scene(w, h, _Layout(w, h), np.random.default_rng(seed))
    s.rgb[:] = 0.6
    return s


def test_dead_greenery_on_a_small_planter_covers_most_of_it():
    boxes = []
    for seed in range(12):
        s = _scene(seed)
        host = Rect(600, 700, 690, 740)  # a planter 7 % of the photo wide, far away
        defects.draw_dead_greenery(s, host, np.random.default_rng(seed))
        items = [it for it in s.items if it.kind == "defect"]
        assert len(items) == 1 and items[0].meta["defect"] == "dead_greenery"
        xs = [p[0] for p in items[0].points]
        boxes.append(max(xs) - min(xs))
    assert min(boxes) >= 0.45 * 90  # never a speck the head cannot see


def test_glass_reflection_paints_the_pane_and_adds_no_defect():
    for seed in range(6):
        s = _scene(seed)
        before = s.rgb.copy()
        defects.draw_glass_reflection(s, Rect(100, 100, 700, 600), np.random.default_rng(seed))
        assert not s.items
        changed = np.abs(s.rgb - before).max(axis=2) > 0.01
        assert changed[100:600, 100:700].any() and not changed[650:].any()


def test_perspective_moves_boxes_with_the_pixels():
    rng = np.random.default_rng(3)
    for _ in range(10):
        img = np.zeros((288, 384, 3), np.uint8)
        img[100:160, 150:250] = 255
        out, ds, ps = perspective(img, (("rust", (150, 100, 250, 160)),), ((150, 100, 250, 160),), rng)
        ys, xs = np.nonzero(out[..., 0] > 128)
        x0, y0, x1, y1 = ds[0][1]
        assert abs(xs.min() - x0) <= 2 and abs(xs.max() + 1 - x1) <= 2
        assert abs(ys.min() - y0) <= 2 and abs(ys.max() + 1 - y1) <= 2
        assert ps[0] == ds[0][1]


def test_augment_keeps_every_label_inside_the_input():
    rng = np.random.default_rng(5)
    img = (np.random.default_rng(1).random((960, 1280, 3)) * 255).astype(np.uint8)
    for _ in range(30):
        small, ds, ps = augment(img, (("litter", (600, 700, 660, 740)),), ((200, 200, 400, 900),), rng)
        h, w = small.shape[:2]
        for b in [b for _, b in ds] + list(ps):
            assert 0 <= b[0] < b[2] <= w and 0 <= b[1] < b[3] <= h


def test_closeup_crops_show_defects_at_the_closer_looks_scale():
    rng = np.random.default_rng(6)
    img = (np.random.default_rng(2).random((960, 1280, 3)) * 255).astype(np.uint8)
    litter = (600, 860, 660, 900)  # 60 px wide in the photo: 18 px at the whole photo's 384
    widths = []
    for _ in range(40):
        small, ds, _ = augment(img, (("litter", litter),), None, rng, closeup=True)
        assert small.shape[:2] == (288, 384)
        for _, b in ds:
            assert 0 <= b[0] < b[2] <= 384 and 0 <= b[1] < b[3] <= 288
            if b[2] - b[0] > 0 and b[0] > 0 and b[2] < 384:  # wholly inside the crop
                widths.append(b[2] - b[0])
    assert len(widths) >= 5  # half the crops run along the bottom edge, where this litter lies
    # a crop keeps 40..62 % of the photo's width (x 0.93..1.07): the litter is 1.5 to 2.7 times larger
    assert 18 * 1.5 <= min(widths) and max(widths) <= 18 * 2.7
