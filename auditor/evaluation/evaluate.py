"""Evaluate the checks on a labelled set: run them on every photo, compare with the truth.

On every photo, every check that the photo has a truth key for runs (whatever its
area); the area classifier runs where the photo's area is given. Predictions are read
from the check `values` keys documented in `auditor.checks`, from findings' regions
(logo boxes, persons, defects) and from the `text` signal (OCR lines).

A check that is not implemented, or that failed to run, gives no prediction: that is
counted as a miss (the wrong answer), never left out, and the report's footnotes say
how often it happened.
"""
from __future__ import annotations

import resource
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from auditor.errors import PhotoError
from auditor.evaluation import metrics as M
from auditor.evaluation.labels import DEFECT_KINDS, LabelledPhoto, LabelSet, Truth
from auditor.types import CheckResult, Verdict

# Checks that produce the prediction for each truth group.
GROUP_CHECKS: Mapping[str, tuple[str, ...]] = {
    "logo": ("logo.present", "logo.placement"),
    "text": (),  # read from the "text" signal
    "lighting": ("lighting.exposure", "lighting.night", "lighting.signs_lit"),
    "clean": ("clean.defects",),
    "people": ("people.detect", "people.uniform", "people.badge"),
}
QUALITY_CHECK = "quality.photo"
AREA_CHECK = "area.classify"
TEXT_SIGNAL = "text signal"
IOU_MATCH = 0.5


# ------------------------------------------------------------------ predictions


@dataclass(frozen=True)
class Prediction:
    """What the checks said about one photo; None = no prediction (not built, failed, not run)."""

    logo_present: bool | None = None
    logo_boxes_xyxy: tuple[tuple[float, ...], ...] | None = None
    placement_ok: bool | None = None
    read_lines: tuple[str, ...] | None = None
    exposure: str | None = None
    night: bool | None = None
    signs_lit: bool | None = None
    clean: bool | None = None
    defect_kinds: frozenset[str] | None = None
    count: int | None = None
    persons: tuple[tuple[tuple[float, ...], str | None, bool | None], ...] | None = None  # (xyxy, role, badge)
    uniform_ok: bool | None = None
    badge_visible: bool | None = None
    area: str | None = None
    area_confidence: float | None = None
    # check id (or "text signal") -> why it gave no prediction
    unavailable: Mapping[str, str] = field(default_factory=dict)


def usable(result: CheckResult | None) -> bool:
    """A result that carries a prediction: it ran, is built, and did not crash."""
    return result is not None and result.verdict != Verdict.NOT_IMPLEMENTED and bool(result.values)


def _short(message: str, limit: int = 90) -> str:
    text = " ".join(str(message).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def why_unusable(result: CheckResult | None) -> str:
    if result is None:
        return "not run"
    if result.verdict == Verdict.NOT_IMPLEMENTED:
        return "not implemented"
    return f"{result.verdict.value}, no values: {_short(result.message)}"


def predictions_from(
    results: Mapping[str, CheckResult],
    read_lines: tuple[str, ...] | None = None,
    text_problem: str | None = None,
    area_result: CheckResult | None = None,
) -> Prediction:
    """Read the prediction of each truth key from check results (by check id)."""
    unavailable: dict[str, str] = {}

    def value(check_id: str, key: str, kind: type | tuple[type, ...]):
        r = results.get(check_id)
        if not usable(r):
            if r is not None:
                unavailable[check_id] = why_unusable(r)
            return None
        v = r.values.get(key)
        if v is None or not isinstance(v, kind) or (kind is int and isinstance(v, bool)):
            if r.verdict != Verdict.NOT_APPLICABLE:
                unavailable.setdefault(check_id, f"{r.verdict.value}, no {key}: {_short(r.message)}")
            return None
        return v

    def findings(check_id: str, kinds: Iterable[str] | None):
        r = results.get(check_id)
        if not usable(r):
            return None
        wanted = None if kinds is None else set(kinds)
        return [f for f in r.findings if wanted is None or f.kind in wanted]

    logo_findings = findings("logo.present", ("logo",))
    logo_boxes = None
    if logo_findings is not None:
        logo_boxes = tuple(tuple(f.region.xyxy) for f in logo_findings if f.region is not None)

    defect_kinds = None
    kinds_value = value("clean.defects", "kinds", (list, tuple))
    defect_findings = findings("clean.defects", DEFECT_KINDS)
    if kinds_value is not None or defect_findings is not None:
        defect_kinds = frozenset(kinds_value or ()) | frozenset(f.kind for f in defect_findings or ())

    person_findings = findings("people.detect", ("person",))
    persons = None
    if person_findings is not None:
        persons = tuple(
            (
                tuple(f.region.xyxy),
                f.measured.get("role") if isinstance(f.measured.get("role"), str) else None,
                f.measured.get("badge") if isinstance(f.measured.get("badge"), bool) else None,
            )
            for f in person_findings
            if f.region is not None
        )

    area, area_conf = None, None
    if area_result is not None:
        if usable(area_result) and isinstance(area_result.values.get("area"), str):
            area, area_conf = area_result.values["area"], float(area_result.confidence)
        else:
            unavailable[AREA_CHECK] = why_unusable(area_result)
    if text_problem is not None:
        unavailable[TEXT_SIGNAL] = text_problem

    return Prediction(
        logo_present=value("logo.present", "present", bool),
        logo_boxes_xyxy=logo_boxes,
        placement_ok=value("logo.placement", "placement_ok", bool),
        read_lines=read_lines,
        exposure=value("lighting.exposure", "exposure", str),
        night=value("lighting.night", "night", bool),
        signs_lit=value("lighting.signs_lit", "signs_lit", bool),
        clean=value("clean.defects", "clean", bool),
        defect_kinds=defect_kinds,
        count=value("people.detect", "count", int),
        persons=persons,
        uniform_ok=value("people.uniform", "uniform_ok", bool),
        badge_visible=value("people.badge", "badge_visible", bool),
        area=area,
        area_confidence=area_conf,
        unavailable=unavailable,
    )


def checks_for(truth: Truth) -> list[str]:
    """The check ids a photo's truth keys call for (quality gate first, as in the pipeline)."""
    ids = [QUALITY_CHECK]
    for g in truth.groups():
        ids.extend(c for c in GROUP_CHECKS[g] if c not in ids)
    return ids


# ------------------------------------------------------------------ metrics


@dataclass
class _Pairs:
    """Accumulates (truth, prediction) pairs per metric while photos are compared."""

    logo_presence: list = field(default_factory=list)
    logo_boxes: M.BinaryCounts = field(default_factory=M.BinaryCounts)
    logo_boxes_n: int = 0
    placement: list = field(default_factory=list)
    must_read: list = field(default_factory=list)  # bools: read or not
    must_not_read: list = field(default_factory=list)
    exposure: list = field(default_factory=list)
    night: list = field(default_factory=list)
    signs_lit: list = field(default_factory=list)
    clean: list = field(default_factory=list)  # (not clean truth, not clean predicted)
    kind_found: dict = field(default_factory=lambda: defaultdict(list))
    count: list = field(default_factory=list)
    presence: list = field(default_factory=list)
    persons: M.BinaryCounts = field(default_factory=M.BinaryCounts)
    persons_n: int = 0
    uniform: list = field(default_factory=list)
    roles: list = field(default_factory=list)
    badges: list = field(default_factory=list)
    area: list = field(default_factory=list)
    group_photos: Counter = field(default_factory=Counter)


def compare_photo(truth: Truth, area: str | None, pred: Prediction, acc: _Pairs) -> list[dict[str, Any]]:
    """Add one photo's (truth, prediction) pairs to `acc`; return rows for --details."""
    rows: list[dict[str, Any]] = []
    counted: set[str] = set()

    def row(metric: str, t: Any, p: Any, ok: bool | None, group: str) -> None:
        rows.append({"metric": metric, "truth": t, "predicted": p, "ok": ok})
        counted.add(group)

    if truth.logo is not None:
        lt = truth.logo
        if lt.present is not None:
            acc.logo_presence.append((lt.present, pred.logo_present))
            row("logo.present", lt.present, pred.logo_present, pred.logo_present == lt.present, "logo")
        if lt.boxes_xyxy:
            preds = pred.logo_boxes_xyxy or ()
            c = M.detection_counts(lt.boxes_xyxy, preds, IOU_MATCH)
            acc.logo_boxes += c
            acc.logo_boxes_n += len(lt.boxes_xyxy)
            row("logo.boxes matched", len(lt.boxes_xyxy), c.tp, c.tp == len(lt.boxes_xyxy), "logo")
        if lt.placement_ok is not None:
            acc.placement.append((lt.placement_ok, pred.placement_ok))
            row("logo.placement_ok", lt.placement_ok, pred.placement_ok, pred.placement_ok == lt.placement_ok, "logo")

    if truth.text is not None:
        lines = pred.read_lines or ()
        for s in truth.text.must_read:
            hit = pred.read_lines is not None and M.text_is_read(s, lines)
            acc.must_read.append(hit)
            row("text.must_read", s, "read" if hit else "missed", hit, "text")
        for s in truth.text.must_not_read:
            hit = pred.read_lines is not None and M.text_is_read(s, lines)
            acc.must_not_read.append(hit)
            row("text.must_not_read", s, "read" if hit else "not read", not hit, "text")
        if pred.read_lines is not None and (truth.text.must_read or truth.text.must_not_read):
            rows.append({"metric": "text.lines", "truth": None, "predicted": list(pred.read_lines), "ok": None})

    if truth.lighting is not None:
        lt = truth.lighting
        if lt.exposure is not None:
            acc.exposure.append((lt.exposure, pred.exposure))
            acc.group_photos["exposure"] += 1
            row("lighting.exposure", lt.exposure, pred.exposure, pred.exposure == lt.exposure, "lighting")
        if lt.night is not None:
            acc.night.append((lt.night, pred.night))
            acc.group_photos["night"] += 1
            row("lighting.night", lt.night, pred.night, pred.night == lt.night, "lighting")
        if lt.signs_lit is not None:
            acc.signs_lit.append((lt.signs_lit, pred.signs_lit))
            acc.group_photos["signs_lit"] += 1
            row("lighting.signs_lit", lt.signs_lit, pred.signs_lit, pred.signs_lit == lt.signs_lit, "lighting")

    if truth.clean is not None:
        ct = truth.clean
        if ct.clean is not None:
            acc.clean.append((not ct.clean, None if pred.clean is None else not pred.clean))
            row("clean.clean", ct.clean, pred.clean, pred.clean == ct.clean, "clean")
        for kind in sorted({d.kind for d in ct.defects}):
            found = pred.defect_kinds is not None and kind in pred.defect_kinds
            acc.kind_found[kind].append(found)
            row(f"clean.kind.{kind}", True, found, found, "clean")

    if truth.people is not None:
        pt = truth.people
        if pt.count is not None:
            acc.count.append((pt.count, pred.count))
            acc.presence.append((pt.count > 0, None if pred.count is None else pred.count > 0))
            row("people.count", pt.count, pred.count, pred.count == pt.count, "people")
        uniform_counted = False
        if pt.persons:
            boxes = [p.box_xyxy for p in pt.persons]
            pred_persons = pred.persons or ()
            matches = M.match_boxes(boxes, [p[0] for p in pred_persons], IOU_MATCH)
            matched = {ti: pi for ti, pi, _ in matches}
            c = M.BinaryCounts(tp=len(matches), fp=len(pred_persons) - len(matches), fn=len(boxes) - len(matches))
            acc.persons += c
            acc.persons_n += len(boxes)
            row("people.persons matched", len(boxes), c.tp, c.tp == len(boxes) and c.fp == 0, "people")
            for ti, person in enumerate(pt.persons):
                p = pred_persons[matched[ti]] if ti in matched else None
                if person.role is not None:
                    pr = None if p is None else p[1]
                    acc.roles.append((person.role, pr))
                    row(f"uniform.role[{ti}]", person.role, pr, pr == person.role, "uniform")
                    uniform_counted = True
                if person.badge is not None:
                    pb = None if p is None else p[2]
                    acc.badges.append((person.badge, pb))
                    row(f"uniform.badge[{ti}]", person.badge, pb, pb == person.badge, "uniform")
                    uniform_counted = True
        if pt.badge_visible is not None and not any(p.badge is not None for p in pt.persons):
            acc.badges.append((pt.badge_visible, pred.badge_visible))
            row("uniform.badge_visible", pt.badge_visible, pred.badge_visible, pred.badge_visible == pt.badge_visible, "uniform")
            uniform_counted = True
        if pt.uniform_ok is not None:
            acc.uniform.append((pt.uniform_ok, pred.uniform_ok))
            row("uniform.uniform_ok", pt.uniform_ok, pred.uniform_ok, pred.uniform_ok == pt.uniform_ok, "uniform")
            uniform_counted = True
        if uniform_counted:
            counted.add("uniform")

    if area is not None:
        acc.area.append((area, pred.area))
        row("area", area, pred.area, pred.area == area, "area")

    for g in counted:
        acc.group_photos[g] += 1
    return rows


def source_check(metric: str) -> str:
    """The check (or signal) whose prediction a --details row compares."""
    if metric.startswith("logo.placement"):
        return "logo.placement"
    if metric.startswith("logo."):
        return "logo.present"
    if metric.startswith("text."):
        return TEXT_SIGNAL
    if metric.startswith("lighting."):
        return metric
    if metric.startswith("clean."):
        return "clean.defects"
    if metric == "uniform.badge_visible":
        return "people.badge"
    if metric == "uniform.uniform_ok":
        return "people.uniform"
    if metric.startswith(("people.", "uniform.")):
        return "people.detect"  # counts, person boxes and each person's role and badge
    return AREA_CHECK


def needed_unavailable(pred: Prediction, rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The missing predictions that a labelled metric of this photo needed (a miss was counted)."""
    needed = {source_check(r["metric"]) for r in rows}
    return {c: why for c, why in pred.unavailable.items() if c in needed}


def metrics_table(acc: _Pairs) -> tuple[dict[str, Any], dict[str, int]]:
    """The spec's metric groups (without set/photos/speed) and the count behind each metric."""
    r = _round
    logo_c = M.binary_counts(acc.logo_presence)
    clean_c = M.binary_counts(acc.clean)
    presence_c = M.binary_counts(acc.presence)
    badge_c = M.binary_counts(acc.badges)
    mae, exact = M.count_errors(acc.count)
    table = {
        "logo": {
            "n": acc.group_photos["logo"],
            "precision": r(logo_c.precision) if acc.logo_presence else None,
            "recall": r(logo_c.recall) if acc.logo_presence else None,
            "f1": r(logo_c.f1) if acc.logo_presence else None,
            "localisation": r(M.ratio(acc.logo_boxes.tp, acc.logo_boxes_n)),
            "placement_accuracy": r(M.accuracy(acc.placement)),
        },
        "text": {
            "n": len(acc.must_read),
            "recall": r(M.ratio(sum(acc.must_read), len(acc.must_read))),
            "must_not_read_hits": sum(acc.must_not_read) if acc.must_not_read or acc.must_read else None,
        },
        "exposure": {"n": len(acc.exposure), "accuracy": r(M.accuracy(acc.exposure)), "macro_f1": r(M.macro_f1(acc.exposure))},
        "night": {"n": len(acc.night), "accuracy": r(M.accuracy(acc.night)), "macro_f1": r(M.macro_f1(acc.night))},
        "signs_lit": {"n": len(acc.signs_lit), "accuracy": r(M.accuracy(acc.signs_lit))},
        "clean": {
            "n": len(acc.clean),
            "precision": r(clean_c.precision) if acc.clean else None,
            "recall": r(clean_c.recall) if acc.clean else None,
            "f1": r(clean_c.f1) if acc.clean else None,
            "recall_by_kind": {k: r(M.ratio(sum(v), len(v))) for k, v in sorted(acc.kind_found.items())},
        },
        "people": {
            "n": acc.group_photos["people"],
            "count_mae": r(mae),
            "count_exact": r(exact),
            "presence_f1": r(presence_c.f1) if acc.presence else None,
            "person_f1": r(acc.persons.f1) if acc.persons_n else None,
        },
        "uniform": {
            "n": acc.group_photos["uniform"],
            "accuracy": r(M.accuracy(acc.uniform)),
            "role_accuracy": r(M.accuracy(acc.roles)),
            "badge_f1": r(badge_c.f1) if acc.badges else None,
        },
        "area": {"n": len(acc.area), "accuracy": r(M.accuracy(acc.area))},
    }
    counts = {
        "logo.presence (photos)": len(acc.logo_presence),
        "logo.localisation (true boxes)": acc.logo_boxes_n,
        "logo.placement (photos)": len(acc.placement),
        "text.must_read (strings)": len(acc.must_read),
        "text.must_not_read (strings)": len(acc.must_not_read),
        "exposure (photos)": len(acc.exposure),
        "night (photos)": len(acc.night),
        "signs_lit (photos)": len(acc.signs_lit),
        "clean (photos)": len(acc.clean),
        **{f"clean.kind.{k} (photos)": len(v) for k, v in sorted(acc.kind_found.items())},
        "people.count (photos)": len(acc.count),
        "people.persons (true boxes)": acc.persons_n,
        "uniform.uniform_ok (photos)": len(acc.uniform),
        "uniform.role (persons)": len(acc.roles),
        "uniform.badge (persons or photos)": len(acc.badges),
        "area (photos)": len(acc.area),
    }
    return table, counts


def _round(v: float | None) -> float | None:
    return None if v is None else round(float(v), 4)


# ------------------------------------------------------------------ running a set


@dataclass(frozen=True)
class PhotoOutcome:
    photo: LabelledPhoto
    prediction: Prediction
    rows: tuple[dict[str, Any], ...]
    error: str | None = None  # the photo could not be decoded: every metric of it is a miss
    verdicts: Mapping[str, str] = field(default_factory=dict)  # check id -> verdict of each check run
    unavailable: Mapping[str, str] = field(default_factory=dict)  # needed check -> why it gave no prediction


@dataclass(frozen=True)
class EvaluationResult:
    report: dict[str, Any]  # the spec's JSON layout
    counts: Mapping[str, int]  # photos / strings / boxes behind each metric
    outcomes: tuple[PhotoOutcome, ...]
    footnotes: tuple[str, ...]
    warnings: tuple[str, ...]

    def details(self) -> list[dict[str, Any]]:
        return [
            {
                "file": o.photo.file,
                "area": o.photo.area,
                "error": o.error,
                "verdicts": dict(o.verdicts),
                "unavailable": dict(o.unavailable),
                "rows": list(o.rows),
            }
            for o in self.outcomes
        ]


def evaluate_set(
    label_set: LabelSet,
    *,
    brand_loader: Callable[[LabelSet, str | None], Any] | None = None,
    progress: bool = True,
    chunk_size: int = 8,
) -> EvaluationResult:
    """Run the checks on every photo of `label_set` and compute the spec's metrics.

    Photos are decoded and analysed in chunks (batched signals are computed per chunk).
    `brand_loader(label_set, brand_id)` returns the BrandPack of a photo (default:
    `resolve_brand`). Speed is wall time over the whole set, decode included.
    """
    from auditor.checks import PhotoContext
    from auditor.evaluation.runner import analyse_keeping_contexts, read_text_lines
    from auditor.ingest import load_photo
    from auditor.pipeline import PlannedCheck

    brands: dict[str | None, Any] = {}
    load_brand_for = brand_loader or resolve_brand

    def brand_for(photo: LabelledPhoto):
        bid = label_set.brand_of(photo)
        if bid not in brands:
            brands[bid] = load_brand_for(label_set, bid)
        return brands[bid]

    acc = _Pairs()
    outcomes: list[PhotoOutcome] = []
    warnings = list(label_set.warnings)
    photos = label_set.photos
    bar = _progress(len(photos), "evaluate", progress)
    t0 = time.perf_counter()
    try:
        for start in range(0, len(photos), chunk_size):
            chunk = photos[start : start + chunk_size]
            contexts, plans, wants_area, entries = [], [], [], []
            for lp in chunk:
                try:
                    photo = load_photo(lp.path, source=lp.file)
                except PhotoError as exc:
                    warnings.append(f"{lp.file}: cannot decode ({exc.reason}); all its labels count as misses")
                    pred = predictions_from({}, None, None, None)
                    outcomes.append(PhotoOutcome(lp, pred, tuple(compare_photo(lp.truth, lp.area, pred, acc)), exc.reason))
                    bar.update(1)
                    continue
                contexts.append(PhotoContext(photo, brand_for(lp), lp.area))
                plans.append([PlannedCheck(c, {}) for c in checks_for(lp.truth)])
                wants_area.append(lp.area is not None)
                entries.append(lp)
            for lp, ca in zip(entries, analyse_keeping_contexts(contexts, plans, wants_area)):
                results = {r.check_id: r for r in ca.analysis.results}
                lines, problem = (None, None)
                if lp.truth.text is not None:
                    lines, problem = read_text_lines(ca.context)
                pred = predictions_from(results, lines, problem, ca.area_result)
                verdicts = {r.check_id: r.verdict.value for r in ca.analysis.results}
                if ca.area_result is not None:
                    verdicts[AREA_CHECK] = ca.area_result.verdict.value
                rows = tuple(compare_photo(lp.truth, lp.area, pred, acc))
                outcomes.append(PhotoOutcome(lp, pred, rows, None, verdicts, needed_unavailable(pred, rows)))
                bar.update(1)
            del contexts
    finally:
        bar.close()
    elapsed = time.perf_counter() - t0

    table, counts = metrics_table(acc)
    report = {"set": str(label_set.root), "photos": len(photos), **table}
    report["speed"] = {
        "photos_per_s": _round(len(photos) / elapsed) if elapsed > 0 and photos else None,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    outcomes.sort(key=lambda o: o.photo.index)
    return EvaluationResult(report, counts, tuple(outcomes), tuple(_footnotes(outcomes)), tuple(warnings))


def _footnotes(outcomes: Sequence[PhotoOutcome]) -> list[str]:
    missing: dict[str, Counter] = defaultdict(Counter)
    for o in outcomes:
        for check_id, why in o.unavailable.items():
            missing[check_id][why] += 1
    notes = []
    for check_id in sorted(missing):
        parts = ", ".join(f"{why} on {n} photo{'s' if n != 1 else ''}" for why, n in missing[check_id].most_common())
        notes.append(f"{check_id} gave no prediction ({parts}): counted as misses")
    failed = [o.photo.file for o in outcomes if o.error]
    if failed:
        notes.append(f"{len(failed)} photo(s) could not be decoded, all their labels count as misses: {', '.join(failed[:5])}")
    return notes


def resolve_brand(label_set: LabelSet, brand_id: str | None):
    """The BrandPack of a brand id in a set: its own `brand_pack` folder first, then the built-in packs."""
    from auditor import brandpack

    roots = (label_set.brand_pack,) if label_set.brand_pack is not None else ()
    return brandpack.load_brand(brand_id, roots=roots)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024.0 if sys.platform != "darwin" else kib / 1024.0 / 1024.0


def _progress(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="photo", file=sys.stderr, disable=None if enabled else True, leave=False)
