"""One labelled photo: plan -> scene -> camera -> labels (spec/labels.md truth) -> JPEG."""
from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from samples.generator import camera, defects, draw, people, textures
from samples.generator.brand import BrandStyle
from samples.generator.plan import PhotoSpec
from samples.generator.scene import Rect, Scene
from samples.generator.scenes import approach, common, facade, interior

BUILDERS = {
    "facade": facade.build,
    "entrance": approach.build_entrance,
    "driveway": approach.build_driveway,
    "reception": interior.build_reception,
    "workshop": interior.build_workshop,
    "lounge": interior.build_lounge,
}
MIN_TEXT_PX = 16  # a text line (its box, a little taller than the ink) smaller than this is not required


@dataclass(frozen=True)
class RenderedPhoto:
    jpeg: bytes
    truth: dict
    extra: dict  # photo-level keys beside the truth (generation facts, wrong marks, obstacles)
    rgb: np.ndarray  # HxWx3 uint8, before JPEG


def _view(spec: PhotoSpec, rng, out_w: int, out_h: int, attempt: int) -> camera.CameraView:
    if attempt >= 3:
        return camera.make_view(rng, out_w, out_h)
    damp = 1.0 / (1 + attempt)
    if spec.placement_labelled:
        yaw, pitch, roll = 25, 4, 1.5
    elif spec.strong_warp:
        yaw, pitch, roll = 50, 10, 6
    else:
        yaw, pitch, roll = 30, 7, 3
    return camera.make_view(rng, out_w, out_h, yaw=rng.uniform(-yaw, yaw) * damp, pitch=rng.uniform(-pitch, pitch) * damp,
                            roll=rng.uniform(-roll, roll) * damp, zoom=rng.uniform(1.0, 1.2))


def _add_people(scene: Scene, spec: PhotoSpec, style: BrandStyle, rng) -> None:
    if not spec.people:
        return
    L = scene.layout
    season = style.seasons[int(rng.integers(len(style.seasons)))]
    role_order = rng.permutation(max(1, len(style.roles)))
    wrong_idx = set(rng.choice(spec.people, spec.wrong_uniforms, replace=False).tolist()) if spec.wrong_uniforms else set()
    staff = spec.area == "staff"
    placed = []
    scale_at = scene.scale_at
    floor_y = scene.floor_y if scene.floor_y is not None else L.y0 + L.h * 0.6
    for p in range(spec.people):
        # feet on the floor (near ones may be cut off by the frame), size from the floor's perspective
        near = L.y1 + (L.h * 0.25 if staff else 0.0)
        feet = rng.uniform(floor_y + L.h * 0.04, max(floor_y + L.h * 0.05, near))
        height = L.h * rng.uniform(0.8, 1.1) * scale_at(min(feet, scene.h - 1)) * (1.0 if staff else 0.75)
        height = float(np.clip(height, L.h * 0.28, feet - L.y0 - L.h * 0.02))
        slot = (p + rng.uniform(0.1, 0.9)) / spec.people
        cx = L.x0 + L.w * (0.08 + 0.84 * slot)
        placed.append((feet, cx, height, p))
    placed.sort()  # far (higher feet) first, so the near ones occlude them
    for feet, cx, height, p in placed:
        if p in wrong_idx or not style.roles:
            outfit = people.wrong_outfit(style, rng)
        else:
            outfit = people.role_outfit(style, int(role_order[p % len(role_order)]), season)
        ps = people.person_sprite(height, outfit, spec.badges[p], rng, style)
        x = cx - ps.feet_xy[0]
        y = feet - ps.feet_xy[1]
        pid = p + 1
        sw = ps.sprite.shape[1]
        shadow = draw.ellipse_mask(int(height * 0.12) + 4, int(sw * 1.1) + 4, (sw * 0.55 + 2, height * 0.06 + 2),
                                   (sw * 0.42, height * 0.035))
        scene.paint_mask(cv2.GaussianBlur(shadow, (0, 0), max(1.0, height / 80)), (0, 0, 0), x - sw * 0.05,
                         feet - height * 0.06, 0.45)
        scene.paint(ps.sprite, x, y, person_id=pid)
        badge = None
        if ps.badge_xywh is not None:
            bx, by, bw, bh = ps.badge_xywh
            badge = (x + bx, y + by, bw, bh)
        scene.add("person", [(x, y), (x + ps.sprite.shape[1], y), (x + ps.sprite.shape[1], y + ps.sprite.shape[0]),
                             (x, y + ps.sprite.shape[0])], pid=pid, role=outfit.role, uniform_ok=outfit.uniform_ok,
                  badge_box=badge, season=season)


def _fallback_host(scene: Scene, surface: str, rng) -> Rect:
    """Make the surface a defect needs when the scene made too little of it (small photos)."""
    from samples.generator.scenes import common

    L = scene.layout
    if surface == "floor":
        return Rect(L.x0, L.y1 - L.h * 0.12, L.x1, L.y1 - 1)
    if surface == "green":
        return common.planter(scene, L.x0 + L.w * 0.02, L.y1 - L.h * 0.22, L.w * 0.3, L.h * 0.2, rng)
    if surface == "metal":
        return common.railing(scene, L.x1 - L.w * 0.42, L.y1 - L.h * 0.3, L.w * 0.4, L.h * 0.14, rng)
    if surface == "glass":
        return common.window(scene, L.x0 + L.w * 0.05, L.y0 + L.h * 0.2, L.w * 0.3, L.h * 0.35, rng)
    return Rect(L.x0, L.y0 + L.h * 0.05, L.x1, L.y0 + L.h * 0.35)  # wall


def _compose_scene(spec: PhotoSpec, style: BrandStyle, view: camera.CameraView, rng) -> Scene:
    scene = Scene(view.canvas_w, view.canvas_h, view.layout, rng, night=spec.night, indoor=spec.indoor)
    hosts = BUILDERS[spec.scene](scene, view, style, spec, rng)
    if spec.night:
        common.night_lighting(scene, rng)
    scale_at = scene.scale_at
    for kind in spec.defects:
        host = hosts.get(defects.HOST_OF[kind])
        if host is None or min(host.w, host.h) < max(6.0, 0.03 * scene.layout.h):
            host = _fallback_host(scene, defects.HOST_OF[kind], rng)
        defects.draw_defect(kind, scene, host, rng, scale_at)
    scene.wall_host = hosts.get("wall")
    decoy_hosts = [h for k, h in hosts.items() if k in ("wall", "floor") and h.w > 20 and h.h > 20]
    for _ in range(spec.decoys):
        if decoy_hosts:
            defects.draw_decoy(scene, decoy_hosts[int(rng.integers(len(decoy_hosts)))], rng, scale_at)
    if "glass" in hosts and "dirty_glass" not in spec.defects and rng.random() < 0.5:
        defects.draw_glass_reflection(scene, hosts["glass"], rng)
    _add_people(scene, spec, style, rng)
    # uneven light: windows, lamps and clouds never light a place evenly
    field = 1.0 + rng.uniform(0.05, 0.2) * textures.fractal(scene.h // 8 + 1, scene.w // 8 + 1, scene.w / 16, rng, 2)
    scene.light *= cv2.resize(field.astype(np.float32), (scene.w, scene.h), interpolation=cv2.INTER_LINEAR)
    scene.darken_unlit_signs()
    return scene


# --- labels ---------------------------------------------------------------------------------

def _box(pts: np.ndarray, w: int, h: int) -> tuple[list[int] | None, float]:
    """[x, y, w, h] of points clipped to the image, and the share of the unclipped box inside."""
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    full = max(1e-6, (x1 - x0) * (y1 - y0))
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if cx1 - cx0 < 1 or cy1 - cy0 < 1:
        return None, 0.0
    inside = (cx1 - cx0) * (cy1 - cy0) / full
    return [int(round(cx0)), int(round(cy0)), int(round(cx1 - cx0)), int(round(cy1 - cy0))], float(inside)


def _tilt_deg(quad: np.ndarray) -> float:
    """Tilt of a quad (tl, tr, br, bl) from upright, measured on its two vertical edges.

    A camera turned left or right (yaw) keeps verticals vertical, so this is the tilt of
    the mark on the wall, not the perspective of the shot.
    """
    angles = []
    for top, bottom in ((quad[0], quad[3]), (quad[1], quad[2])):
        d = bottom - top
        angles.append(np.degrees(np.arctan2(d[0], d[1])))
    return float(np.mean(angles))


def placement_facts(quad: np.ndarray, style: BrandStyle, w: int, h: int) -> dict:
    """Whether a mark's quad (photo px) is inside the zone, at its size, upright."""
    z = style.placement
    zx0, zy0, zx1, zy1 = z.xyxy
    x0, y0 = quad.min(axis=0)
    x1, y1 = quad.max(axis=0)
    rel_w = float((x1 - x0) / w)
    inside = x0 >= zx0 * w - 2 and x1 <= zx1 * w + 2 and y0 >= zy0 * h - 2 and y1 <= zy1 * h + 2
    tilt = _tilt_deg(quad)
    return {"inside_zone": bool(inside), "relative_width": round(rel_w, 4), "tilt_deg": round(tilt, 2),
            "ok": bool(inside and z.min_width <= rel_w <= z.max_width and abs(tilt) <= z.max_tilt_deg)}


def _text_legible(item, quad: np.ndarray, w: int, h: int, spec: PhotoSpec, optics: camera.Optics,
                  visible_share: float) -> bool:
    if spec.exposure != "ok" or (spec.night and not item.meta.get("lit", True)):
        return False
    if optics.blur_px > 3.0 or visible_share < 0.9:
        return False
    if (quad[:, 0] < 2).any() or (quad[:, 0] > w - 2).any() or (quad[:, 1] < 2).any() or (quad[:, 1] > h - 2).any():
        return False
    left, right = np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1])
    latin = all(ord(c) < 0x2E80 for c in item.meta["text"])
    if min(left, right) < MIN_TEXT_PX + (4 if latin else 0):  # Latin ink fills less of its line box
        return False
    src = item.points
    src_ratio = (np.linalg.norm(src[1] - src[0]) + 1e-6) / (np.linalg.norm(src[3] - src[0]) + 1e-6)
    dst_ratio = (np.linalg.norm(quad[1] - quad[0]) + 1e-6) / (max(left, right) + 1e-6)
    if dst_ratio < 0.55 * src_ratio:
        return False
    if optics.glare is not None:
        gx, gy, gs = optics.glare
        c = quad.mean(axis=0)
        if gs > 0.3 and np.hypot(c[0] - gx * w, c[1] - gy * h) < 0.2 * w:
            return False
    return True


def build_truth(scene: Scene, spec: PhotoSpec, style: BrandStyle, view: camera.CameraView,
                optics: camera.Optics) -> tuple[dict, dict]:
    w, h = view.out_w, view.out_h
    logo_boxes, placement, marks, must_read, obstacles = [], None, [], [], []
    must_not_read: list[str] = []
    defects_out, persons, text_boxes, arrows = [], [], [], []
    logo_strokes, mark_strokes = [], []  # beside logo_boxes and marks: what refine_truth measures visibility on
    for item in scene.items:
        if item.kind in ("logo", "wrong_mark"):
            quad = view.project(item.points)
            box, share = _box(quad, w, h)
            if box is None or share < 0.5 or box[2] < 8 or scene.changed_share(item) > 0.4:
                continue
            strokes = stroke_masks(item.meta["_strokes"], scene, view)
            if item.kind == "logo":
                logo_boxes.append(box)
                logo_strokes.append(strokes)
                if spec.area == "facade":
                    placement = placement_facts(quad, style, w, h)
            else:
                marks.append({"variant": item.meta["variant"], "box": box})
                mark_strokes.append(strokes)
        elif item.kind == "text":
            quad = view.project(item.points)
            if scene.changed_share(item) > 0.02:
                continue
            tbox, share = _box(quad, w, h)
            if _text_legible(item, quad, w, h, spec, optics, share):
                must_read.append(item.meta["text"])
                text_boxes.append((item.meta["text"], tbox))
            if item.meta.get("foreign"):
                must_not_read.extend([style.name_zh, style.name_en])
        elif item.kind == "defect":
            box, share = _box(view.project(item.points), w, h)
            if box is not None and share > 0.3 and box[2] >= 4 and box[3] >= 4:
                defects_out.append({"kind": item.meta["defect"], "box": box})
        elif item.kind == "sign_arrow":
            box, share = _box(view.project(item.points), w, h)
            if box is not None and share > 0.8:
                arrows.append({"direction": item.meta["direction"], "box": box})
        elif item.kind == "obstacle":
            box, _ = _box(view.project(item.points), w, h)
            if box is not None:
                obstacles.append({"kind": item.meta["obstacle"], "box": box})
        elif item.kind == "person":
            pid = item.meta["pid"]
            mask = scene.person_ids == pid
            ys, xs = np.nonzero(mask)
            if len(xs) == 0:
                continue
            vis = np.float32([[xs.min(), ys.min()], [xs.max() + 1, ys.min()], [xs.max() + 1, ys.max() + 1],
                              [xs.min(), ys.max() + 1]])
            box, share = _box(view.project(vis), w, h)
            if box is None or box[2] < 10 or box[3] < 20:
                continue
            badge = False
            if item.meta["badge_box"] is not None:
                bx, by, bw, bh = item.meta["badge_box"]
                patch = scene.person_ids[int(by):int(by + bh) + 1, int(bx):int(bx + bw) + 1]
                bquad = view.project(np.float32([[bx, by], [bx + bw, by], [bx + bw, by + bh], [bx, by + bh]]))
                bbox, bshare = _box(bquad, w, h)
                badge = bool(patch.size and (patch == pid).mean() > 0.6 and bbox is not None and bshare > 0.8)
            persons.append({"box": box, "role": item.meta["role"], "badge": badge,
                            "uniform_ok": item.meta["uniform_ok"]})
    for t in list(must_not_read):
        if t in must_read:
            must_not_read.remove(t)
    must_read = list(dict.fromkeys(must_read))
    must_not_read = list(dict.fromkeys(must_not_read))
    placement_ok = None
    if spec.area == "facade" and placement is not None and spec.logo_case in ("good", "low", "small", "tilted"):
        placement_ok = placement["ok"]
    truth = {
        "logo": {"present": bool(logo_boxes), "boxes": logo_boxes, "placement_ok": placement_ok},
        "text": {"must_read": must_read, "must_not_read": must_not_read},
        "lighting": {"exposure": spec.exposure, "night": bool(spec.night),
                     "signs_lit": (bool(spec.signs_lit) if spec.night else None)},
        "clean": {"clean": not defects_out, "defects": defects_out},
        "people": {
            "count": len(persons),
            "uniform_ok": (all(p["uniform_ok"] for p in persons) if persons else None),
            "badge_visible": (any(p["badge"] for p in persons) if persons else None),
            "persons": [{"box": p["box"], "role": p["role"], "badge": p["badge"], "uniform_ok": p["uniform_ok"]}
                        for p in persons],
        },
    }
    extra = {"case": {"logo": spec.logo_case, "material": spec.material if logo_boxes or marks else None,
                      "scene": spec.scene, "yaw": round(view.yaw, 1), "pitch": round(view.pitch, 1),
                      "roll": round(view.roll, 1), "jpeg_quality": optics.jpeg_quality,
                      "blur_px": round(optics.blur_px, 2)}}
    if placement is not None:
        extra["case"]["placement"] = placement
    if marks:
        extra["wrong_marks"] = marks
    if obstacles:
        extra["obstacles"] = obstacles
    if arrows:
        extra["arrows"] = arrows
    extra["_text_boxes"] = text_boxes
    extra["_logo_strokes"] = logo_strokes
    extra["_mark_strokes"] = mark_strokes
    return truth, extra


MIN_TEXT_STD = 12.0
MIN_DEFECT_STD = 5.0
# A mark is visible when its strokes stand out from the panel around them on the developed photo (CIE76 in
# Lab): their median colour against the panel's, or, for a washed-out or unevenly lit mark, its most
# distinct quarter of strokes against the panel's own spread (texture, noise); and it has enough strokes.
MIN_MARK_CONTRAST = 2.5  # ~ a just-noticeable difference; 2.8 (a dim unlit mark at night) reads, 1.5 does not
MIN_MARK_STROKE_PX = 30


@dataclass(frozen=True)
class StrokeMasks:
    """Where a mark's strokes and the panel around them fall on the photo, from (x0, y0)."""

    x0: int
    y0: int
    strokes: np.ndarray  # hxw bool
    panel: np.ndarray  # hxw bool


def stroke_masks(layer, scene: Scene, view: camera.CameraView) -> StrokeMasks:
    """Map a mark's stroke layer (scenes.marks.StrokeLayer) onto the photo; pixels painted over
    since the mark was placed (people, defects in front) belong to neither mask."""
    h, w = layer.strokes.shape
    intact = layer.intact(scene)
    corners = view.project(np.float32([[layer.x0, layer.y0], [layer.x0 + w, layer.y0], [layer.x0 + w, layer.y0 + h],
                                       [layer.x0, layer.y0 + h]]))
    x0, y0 = (max(0, int(np.floor(v))) for v in corners.min(axis=0))
    x1, y1 = min(view.out_w, int(np.ceil(corners[:, 0].max()))), min(view.out_h, int(np.ceil(corners[:, 1].max())))
    if x1 <= x0 or y1 <= y0 or h == 0 or w == 0:
        return StrokeMasks(0, 0, np.zeros((0, 0), bool), np.zeros((0, 0), bool))
    to_crop = np.float64([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]]) @ view.H @ np.float64(
        [[1, 0, layer.x0], [0, 1, layer.y0], [0, 0, 1]])
    layers = np.dstack([layer.strokes * intact, (layer.panel & intact).astype(np.float32),
                        np.zeros_like(layer.strokes)])
    warped = cv2.warpPerspective(layers, to_crop, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return StrokeMasks(x0, y0, warped[..., 0] > 0.5, warped[..., 1] > 0.99)


def mark_contrast(rgb8: np.ndarray, masks: StrokeMasks) -> tuple[float, int]:
    """(contrast of the strokes against their panel, CIE76; stroke pixels) on the photo.

    The contrast is the larger of the distance between the median Lab colours of strokes and panel,
    and the 75th percentile of the strokes' distances from the panel's median minus the panel's own
    75th percentile (so a mark half washed out still shows, and noise alone does not)."""
    h, w = masks.strokes.shape
    crop = rgb8[masks.y0:masks.y0 + h, masks.x0:masks.x0 + w]
    n = int(masks.strokes.sum())
    if n == 0 or not masks.panel.any():
        return 0.0, n
    lab = cv2.cvtColor(crop.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    ink, ground = lab[masks.strokes], lab[masks.panel]
    centre = np.median(ground, axis=0)
    medians = float(np.linalg.norm(np.median(ink, axis=0) - centre))
    spread = float(np.percentile(np.linalg.norm(ink - centre, axis=1), 75)
                   - np.percentile(np.linalg.norm(ground - centre, axis=1), 75))
    return max(medians, spread), n


def mark_visible(rgb8: np.ndarray, masks: StrokeMasks) -> bool:
    contrast, n = mark_contrast(rgb8, masks)
    return contrast >= MIN_MARK_CONTRAST and n >= MIN_MARK_STROKE_PX


def _luma_std(rgb8: np.ndarray, box) -> float:
    x, y, bw, bh = box
    patch = rgb8[y:y + bh, x:x + bw].astype(np.float32)
    if patch.size == 0:
        return 0.0
    return float((patch @ np.float32([0.299, 0.587, 0.114])).std())


def refine_truth(truth: dict, extra: dict, rgb8: np.ndarray) -> None:
    """Drop from the truth what the developed photo does not show (washed out, black, flat)."""
    logo = truth["logo"]
    seen = [mark_visible(rgb8, m) for m in extra.pop("_logo_strokes")]
    kept = [b for b, v in zip(logo["boxes"], seen) if v]
    if len(kept) != len(logo["boxes"]):
        extra["case"]["logo_not_visible"] = len(logo["boxes"]) - len(kept)
        logo["boxes"] = kept
        logo["present"] = bool(kept)
        if not kept:
            logo["placement_ok"] = None
    seen = [mark_visible(rgb8, m) for m in extra.pop("_mark_strokes")]
    if "wrong_marks" in extra:
        extra["wrong_marks"] = [m for m, v in zip(extra["wrong_marks"], seen) if v]
        if not extra["wrong_marks"]:
            del extra["wrong_marks"]
    # a defect the photo does not show (black, washed out) cannot be judged: leave cleanliness unlabelled
    hidden = [d for d in truth["clean"]["defects"] if _luma_std(rgb8, d["box"]) < MIN_DEFECT_STD]
    if hidden:
        extra["case"]["defects_not_visible"] = truth["clean"]["defects"]
        truth["clean"] = None
    faint = {t for t, b in extra.pop("_text_boxes") if _luma_std(rgb8, b) < MIN_TEXT_STD}
    truth["text"]["must_read"] = [t for t in truth["text"]["must_read"] if t not in faint]


def _intended_ok(spec: PhotoSpec) -> bool | None:
    return {"good": True, "low": False, "small": False, "tilted": False}.get(spec.logo_case)


def render_photo(spec: PhotoSpec, style: BrandStyle, out_w: int, out_h: int, rng: np.random.Generator, *,
                 max_quality: int | None = None) -> RenderedPhoto:
    """Render one photo of `spec` at out_w x out_h with its truth."""
    optics = camera.sample_optics(rng, night=spec.night)
    if max_quality is not None and optics.jpeg_quality > max_quality:
        optics = replace(optics, jpeg_quality=int(max_quality))
    for attempt in range(5):
        view = _view(spec, rng, out_w, out_h, attempt)
        scene = _compose_scene(spec, style, view, rng)
        truth, extra = build_truth(scene, spec, style, view, optics)
        want = _intended_ok(spec)
        if want is None or truth["logo"]["placement_ok"] == want:
            break
    frame = view.warp(scene.compose())
    rgb8 = camera.develop(frame, optics, spec.exposure, rng, night=spec.night)
    refine_truth(truth, extra, rgb8)
    return RenderedPhoto(camera.encode_jpeg(rgb8, optics.jpeg_quality), truth, extra, rgb8)
