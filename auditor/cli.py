"""The `auditor` command: check photos, audit a folder, evaluate and benchmark the checks.

Exit codes: 0 success; 2 usage or configuration error (bad option, invalid checklist,
brand pack or labelled set); 3 a bad input photo; 4 any other error. Expected errors
print one line on stderr, never a traceback (set AUDITOR_DEBUG=1 to see one for an
unexpected error). Heavy modules are imported inside the commands, so that `--help`
is fast and `auditor bench` can limit threads before any library starts its pool.
"""
from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Iterable, Sequence

import click

from auditor.bench import IMAGE_SUFFIXES  # light module: no heavy imports at load
from auditor.errors import (
    AuditorError,
    ConfigError,
    LabelSetError,
    PhotoError,
    UnknownBrandError,
    UnknownChecklistError,
)
from auditor.evaluation.labels import AREAS

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_PHOTO = 3
EXIT_OTHER = 4
CHUNK = 8  # photos analysed together (batched network inputs) and held in memory at once


class CommandFailed(Exception):
    """A command's own expected failure: one line, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_OTHER):
        super().__init__(message)
        self.code = code


def exit_code_for(exc: BaseException) -> int:
    if isinstance(exc, CommandFailed):
        return exc.code
    if isinstance(exc, PhotoError):
        return EXIT_PHOTO
    if isinstance(exc, (ConfigError, UnknownBrandError, UnknownChecklistError, LabelSetError)):
        return EXIT_USAGE
    return EXIT_OTHER


def one_line(text: str) -> str:
    return " ".join(str(text).split())


class AuditorGroup(click.Group):
    """Turns expected errors into one line on stderr and a meaningful exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except (AuditorError, CommandFailed) as exc:
            click.echo(f"error: {one_line(exc)}", err=True)
            ctx.exit(exit_code_for(exc))
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:  # unexpected: still one line unless debugging
            if os.environ.get("AUDITOR_DEBUG"):
                raise
            click.echo(
                f"error: internal error: {type(exc).__name__}: {one_line(exc)} (set AUDITOR_DEBUG=1 for the traceback)",
                err=True,
            )
            ctx.exit(EXIT_OTHER)


@click.group(cls=AuditorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log more, with the traceback of a check that crashed.")
def cli(verbose: bool) -> None:
    """Dealership brand-identity audit: vision checks on site photos, scored against a checklist.

    Exit codes: 0 ok, 2 usage or configuration error, 3 bad input photo, 4 other error.
    """
    configure_logging(verbose or bool(os.environ.get("AUDITOR_DEBUG")))


class _OneLineFilter(logging.Filter):
    """Folds a log record's exception into its one line (no traceback on the terminal)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.msg = f"{record.getMessage()}: {type(exc).__name__}: {one_line(exc)}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def configure_logging(verbose: bool) -> None:
    """Warnings (one line each) to stderr; with `verbose`, info messages and full tracebacks."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(name)s: %(message)s"))
    if not verbose:
        handler.addFilter(_OneLineFilter())
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_auditor_cli", False):
            root.removeHandler(h)
    handler._auditor_cli = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)


def main() -> None:
    """Console-script entry point (`auditor`)."""
    cli(prog_name="auditor")


# ------------------------------------------------------------------ helpers


def _load_brand(brand: str | None):
    from auditor import brandpack

    loader = getattr(brandpack, "load_brand", None)
    if loader is None:
        raise CommandFailed("brand pack loader not available yet (auditor.brandpack.load_brand)", EXIT_OTHER)
    return loader(brand or getattr(brandpack, "DEFAULT_BRAND", "demo"))


def _load_checklist(ref: str | None, brand=None):
    from auditor import checklist as checklist_mod

    loader = getattr(checklist_mod, "load_checklist", None)
    if loader is None:
        raise CommandFailed("checklist loader not available yet (auditor.checklist.load_checklist)", EXIT_OTHER)
    if ref is None:  # the checklist (id@version) the brand is audited against
        ref = getattr(brand, "checklist", None) or "default"
    return loader(ref)


def _progress(iterable=None, total=None, desc: str = ""):
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="photo", file=sys.stderr, disable=None, leave=False)


def _image_files(folder: Path, skip: Path | Sequence[Path] | None = None) -> list[Path]:
    skips = [] if skip is None else [skip] if isinstance(skip, Path) else list(skip)
    files = []
    for p in sorted(folder.rglob("*")):
        if any(p == s or s in p.parents for s in skips):
            continue
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."):
            files.append(p)
    return files


def _chunks(seq: Sequence, n: int) -> Iterable[Sequence]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def _fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, (list, tuple)):
        inner = ", ".join(_fmt_value(x) for x in list(v)[:6])
        return f"[{inner}{', ...' if len(v) > 6 else ''}]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_fmt_value(x)}" for k, x in list(v.items())[:6]) + ("..." if len(v) > 6 else "") + "}"
    return str(v)


def _fmt_mapping(m) -> str:
    return ", ".join(f"{k}={_fmt_value(v)}" for k, v in dict(m or {}).items())


def _write_annotated(out_dir: Path, source: str, photo, results, used: set[str]) -> Path:
    """Write the photo's working copy with its findings drawn as OUT/<name>.annotated.jpg."""
    from auditor.annotate import draw_findings
    from auditor.ingest import encode_jpeg

    out_dir.mkdir(parents=True, exist_ok=True)
    drawn = draw_findings(photo.rgb, results, scale=photo.scale)
    stem = Path(source).stem
    name, k = f"{stem}.annotated.jpg", 1
    while name in used:  # two photos of the same name from different folders
        k += 1
        name = f"{stem}-{k}.annotated.jpg"
    used.add(name)
    path = out_dir / name
    path.write_bytes(encode_jpeg(drawn, quality=88))
    return path


# ------------------------------------------------------------------ check


@cli.command()
@click.argument("photos", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--brand", default=None, help="Brand pack id or folder path (default: the demo brand).")
@click.option("--area", type=click.Choice(AREAS), default=None, help="Area the photos show; runs that area's checklist checks.")
@click.option("--checklist", "checklist_ref", default=None, help="Checklist for --area (default: the brand's).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--annotate", "annotate_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write each photo with its findings drawn into this folder.")
@click.option("--reference", "reference_paths", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="An approved reference photo of the same view (repeatable); clean.reference compares with it.")
def check(photos: tuple[Path, ...], brand: str | None, area: str | None, checklist_ref: str | None,
          as_json: bool, annotate_dir: Path | None, reference_paths: tuple[Path, ...]) -> None:
    """Run the vision checks on PHOTO... and print each check's verdict with its evidence.

    Without --area every check runs; with it, the checks of the checklist items for that area.
    A photo that cannot be read is reported in one line and the command exits 3.
    """
    from auditor.ingest import load_photo
    from auditor.pipeline import analyse_photos, plan_all, plan_for_area

    brand_pack = _load_brand(brand)
    plan = plan_for_area(_load_checklist(checklist_ref, brand_pack), area) if area else plan_all()
    references = _load_references(reference_paths)
    rejected: list[tuple[str, str]] = []
    out_json: list[dict] = []
    used_names: set[str] = set()
    bar = _progress(total=len(photos), desc="check")
    for chunk in _chunks(list(photos), CHUNK):
        loaded = []
        for path in chunk:
            try:
                loaded.append(load_photo(path, source=str(path)))
            except PhotoError as exc:
                rejected.append((str(path), exc.reason))
                click.echo(f"error: {one_line(exc)}", err=True)
                bar.update(1)
        if not loaded:
            continue
        for analysis in analyse_photos([(p, area) for p in loaded], brand_pack, plan=plan,
                                       references=[references] * len(loaded)):
            bar.update(1)
            written = None
            if annotate_dir is not None:
                written = _write_annotated(annotate_dir, analysis.photo.source, analysis.photo, analysis.results,
                                           used_names)
            if as_json:
                d = analysis.to_dict()
                if written:
                    d["annotated"] = str(written)
                out_json.append(d)
            else:
                bar.clear()
                click.echo(_format_analysis(analysis, written))
    bar.close()
    if as_json:
        click.echo(json.dumps({"photos": out_json, "rejected": [{"source": s, "reason": r} for s, r in rejected]},
                              ensure_ascii=False, indent=2))
    if rejected:
        sys.exit(EXIT_PHOTO)


def _load_references(paths: Sequence[Path]) -> tuple:
    """Reference photos, decoded like any photo; one that cannot be read stops the command (exit 3)."""
    from auditor.ingest import load_photo

    out = []
    for path in paths:
        try:
            out.append(load_photo(path, source=str(path)))
        except PhotoError as exc:
            raise CommandFailed(f"reference photo {path}: {exc.reason}", EXIT_PHOTO) from None
    return tuple(out)


def _references_by_area(folder: Path) -> dict[str, tuple]:
    """area -> approved reference photos, from FOLDER/<area>/*; other sub-folders are an error."""
    unknown = sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name not in AREAS)
    if unknown:
        raise CommandFailed(f"{folder}: sub-folders must be areas ({', '.join(AREAS)}), not {', '.join(unknown)}",
                            EXIT_USAGE)
    return {area: _load_references(_image_files(folder / area)) for area in AREAS if (folder / area).is_dir()}


def _format_analysis(analysis, annotated: Path | None) -> str:
    p = analysis.photo
    area = analysis.area or "-"
    if analysis.predicted_area:
        conf = analysis.predicted_area_confidence
        area += f" (looks like {analysis.predicted_area}{f' {conf:.2f}' if conf is not None else ''})"
    lines = [f"{p.source}  {p.width}x{p.height} {p.format}  area: {area}"]
    lines.append(f"  {'check':<24}{'verdict':<17}{'conf':>5}  message")
    for r in analysis.results:
        lines.append(f"  {r.check_id:<24}{r.verdict.value:<17}{r.confidence:>5.2f}  {one_line(r.message)}")
        if r.values:
            lines.append(f"      measured: {_fmt_mapping(r.values)}")
        if r.thresholds:
            lines.append(f"      thresholds: {_fmt_mapping(r.thresholds)}")
        for f in r.findings[:8]:
            where = ""
            if f.region is not None:
                where = " at [" + ", ".join(f"{v:.0f}" for v in f.region.xywh) + "] (x, y, w, h)"
            lines.append(f"      - {f.kind}{where} conf {f.confidence:.2f}: {one_line(f.message)}"
                         + (f" [{_fmt_mapping(f.measured)}]" if f.measured else ""))
        if len(r.findings) > 8:
            lines.append(f"      ... {len(r.findings) - 8} more findings")
    if annotated:
        lines.append(f"  annotated: {annotated}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ audit


@cli.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--brand", default=None, help="Brand pack id or folder path (default: the demo brand).")
@click.option("--checklist", "checklist_ref", default=None, help="Checklist id, id@version or path (default: the brand's).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for report.json and report.html (default: ./audit-<folder name>).")
@click.option("--references", "references_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="The site's approved reference photos, one sub-folder per area (facade/, ...).")
def audit(folder: Path, brand: str | None, checklist_ref: str | None, out_dir: Path | None,
          references_dir: Path | None) -> None:
    """Audit a folder of site photos and score it against the checklist.

    A photo's area is the name of its first sub-folder (facade/, entrance/, ...) when that
    is an area, otherwise the area classifier predicts it. With --references, each photo is
    also compared with the approved reference photos of its area (clean.reference). Writes
    OUT/report.json and a self-contained OUT/report.html with the annotated photos. Exits 3
    when a photo could not be read (the report is still written, listing it).
    """
    from auditor.annotate import draw_findings, thumbnail
    from auditor.ingest import encode_jpeg, load_photo
    from auditor.pipeline import analyse_photos, plan_for_area
    from auditor.report import AuditedPhoto, build_audit_report, write_audit_report
    from auditor.scoring import ScoredPhoto, score_audit

    folder = folder.resolve()
    out_dir = (out_dir or Path.cwd() / f"audit-{folder.name}").resolve()
    references_dir = references_dir.resolve() if references_dir else None
    files = _image_files(folder, skip=[out_dir] + ([references_dir] if references_dir else []))
    references = _references_by_area(references_dir) if references_dir else {}
    if not files:
        raise CommandFailed(f"{folder}: no photos ({', '.join(IMAGE_SUFFIXES)}) in this folder", EXIT_PHOTO)
    brand_pack = _load_brand(brand)
    checklist = _load_checklist(checklist_ref, brand_pack)

    audited: list[AuditedPhoto] = []
    thumbs: dict[str, bytes] = {}
    rejected: list[tuple[str, str]] = []
    bar = _progress(total=len(files), desc="audit")
    for chunk in _chunks(files, CHUNK):
        loaded = []
        for path in chunk:
            rel = path.relative_to(folder)
            area = rel.parts[0] if len(rel.parts) > 1 and rel.parts[0] in AREAS else None
            try:
                loaded.append((load_photo(path, source=rel.as_posix()), area))
            except PhotoError as exc:
                rejected.append((rel.as_posix(), exc.reason))
                bar.update(1)
        if not loaded:
            continue
        analyses = analyse_photos(loaded, brand_pack, plan_for=lambda a: plan_for_area(checklist, a),
                                  references=[references.get(a, ()) for _, a in loaded])
        for a in analyses:
            pid = a.photo.source
            thumb = thumbnail(draw_findings(a.photo.rgb, a.results, scale=a.photo.scale), 960)
            thumbs[pid] = encode_jpeg(thumb, quality=80)
            audited.append(AuditedPhoto(pid, a.area, a.predicted_area, a.predicted_area_confidence,
                                        a.photo.width, a.photo.height, a.results))
            bar.update(1)
    bar.close()

    score = score_audit(checklist, [ScoredPhoto(p.photo_id, p.effective_area, p.results) for p in audited])
    report = build_audit_report(score, checklist, brand_pack, audited, folder=str(folder), rejected=rejected)
    json_path, html_path = write_audit_report(out_dir, report, thumbs)
    click.echo(_format_audit_summary(report))
    click.echo(f"report: {json_path}\n        {html_path}")
    for pid, why in rejected:
        click.echo(f"error: {pid}: {why}", err=True)
    if rejected:
        sys.exit(EXIT_PHOTO)


def _format_audit_summary(report: dict) -> str:
    sc = report["score"]
    total = "-" if sc["total"] is None else f"{sc['total']:.1f}"
    a = report["audit"]
    lines = [
        f"Audit of {a['folder']}: {len(report['photos'])} photos, brand {a['brand']['id']}, "
        f"checklist {a['checklist']['id']}@{a['checklist']['version']}",
        f"total score: {total} / 100",
    ]
    for s in sc["sections"]:
        lines.append(f"  {s['id']:<5} {s['title_en'][:40]:<40} {'-' if s['score'] is None else format(s['score'], '.1f'):>6}")
    lines.append("")
    lines.append(f"  {'item':<8}{'status':<15}{'evidence':>9}  standard")
    for it in report["items"]:
        lines.append(f"  {it['id']:<8}{it['status']:<15}{len(it['evidence']):>9}  {it['text_en'][:70]}")
    return "\n".join(lines)


# ------------------------------------------------------------------ evaluate


@cli.command()
@click.argument("set_dir", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON (the layout of spec/labels.md).")
@click.option("--details", is_flag=True, help="Also list each photo's predictions and verdicts beside its truth.")
@click.option("--weights", type=click.Path(exists=True, path_type=Path), default=None,
              help="Network head weights to evaluate (a <head>.pt file or a folder of them).")
@click.option("--compare/--no-compare", default=True, show_default=True,
              help="With --weights: also evaluate the shipped weights on the same set and show both.")
def evaluate(set_dir: Path, as_json: bool, details: bool, weights: Path | None, compare: bool) -> None:
    """Evaluate the checks on a labelled set (SET_DIR with labels.json) and print the metrics.

    Every check the photo has a truth key for runs on it, whatever its area. A check that
    is not implemented or fails counts as a miss; the footnotes say how often. With
    --weights the new weights are compared with the shipped ones (JSON: the new weights'
    metrics in the spec layout, plus "weights" and "baseline").
    """
    from auditor.evaluation.evaluate import evaluate_set
    from auditor.evaluation.labels import load_label_set
    from auditor.evaluation.table import format_comparison, format_report

    label_set = load_label_set(set_dir)
    baseline = None
    if weights is not None:
        _use_weights(weights)  # fails fast on an unusable file
        if compare:
            _reset_weights()
            baseline = evaluate_set(label_set)
            _use_weights(weights)
    result = evaluate_set(label_set)
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    if as_json:
        out = dict(result.report)
        if weights is not None:
            out["weights"] = str(weights)
        if baseline is not None:
            out["baseline"] = dict(baseline.report)
        if details:
            out["details"] = {"counts": dict(result.counts), "footnotes": list(result.footnotes),
                              "photos": result.details()}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    else:
        if baseline is not None:
            click.echo(format_comparison(baseline, result, "shipped", str(weights)))
            click.echo("")
        if weights is not None:
            click.echo(f"weights: {weights}")
        click.echo(format_report(result, details=details))


def _reset_weights() -> None:
    from auditor import inference

    reset = getattr(inference, "reset_weights", None)
    if reset is None:
        raise CommandFailed("--compare needs auditor.inference.reset_weights (use --no-compare)", EXIT_OTHER)
    reset()


def _use_weights(path: Path) -> None:
    try:
        from auditor import inference
    except ImportError as exc:
        raise CommandFailed(f"--weights needs auditor.inference, which cannot be imported: {exc}", EXIT_OTHER)
    use = getattr(inference, "use_weights", None)
    if use is None:
        raise CommandFailed("--weights: auditor.inference.use_weights is not available", EXIT_OTHER)
    try:
        use(path)
    except Exception as exc:  # a missing, foreign or corrupt weights file: say which and why
        raise CommandFailed(f"--weights {path}: cannot use these weights: {type(exc).__name__}: {one_line(exc)}",
                            EXIT_USAGE)


# ------------------------------------------------------------------ bench


@cli.command()
@click.argument("set_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Benchmark only the first N photos.")
@click.option("--brand", default=None, help="Brand for photos that do not name one (default: the set's or demo).")
@click.option("--checks", "check_ids", default=None, help="Comma-separated check ids (default: every check).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--processes", type=click.IntRange(min=1), default=None,
              help="Throughput mode: this many worker processes, one thread each (as a deployment runs them).")
@click.option("--batch", type=click.IntRange(min=1), default=None,
              help="Throughput mode: photos per analysis call in each worker (the GPU batch).")
@click.option("--repeat", type=click.IntRange(min=1), default=1, show_default=True,
              help="Throughput mode: go through the photos this many times.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Throughput mode: where the network runs (auto: CUDA when present).")
def bench(set_dir: Path, limit: int | None, brand: str | None, check_ids: str | None, as_json: bool,
          processes: int | None, batch: int | None, repeat: int, device: str) -> None:
    """Benchmark the checks on one CPU core: photos/s, per-check median/p95 ms, decode, peak memory.

    SET_DIR is a labelled set (labels.json) or any folder of photos. With --processes or
    --batch it measures throughput instead: worker processes analysing batches, on the
    GPU when there is one, photos per second end to end.
    """
    from auditor.bench import format_bench, limit_to_one_core, photos_of, run_bench

    throughput = processes is not None or batch is not None
    core = None if throughput else limit_to_one_core()  # before any heavy import below; workers inherit pinning
    from auditor.pipeline import plan_all

    photos = photos_of(set_dir)
    if limit:
        photos = photos[:limit]
    if not photos:
        raise CommandFailed(f"{set_dir}: no photos to benchmark", EXIT_PHOTO)
    ids = None
    if check_ids:
        from auditor.checks import CHECKS

        ids = [c.strip() for c in check_ids.split(",") if c.strip()]
        unknown = [c for c in ids if c not in CHECKS]
        if unknown:
            raise CommandFailed(f"--checks: unknown check(s) {', '.join(unknown)} (known: {', '.join(sorted(CHECKS))})",
                                EXIT_USAGE)
        if "quality.photo" not in ids:
            ids.insert(0, "quality.photo")
    if throughput:
        from auditor.throughput import format_throughput, run_throughput

        _load_brand(brand)  # an unknown brand fails here, not in every worker
        try:
            result = run_throughput(photos * repeat, ids, processes=processes or 1, batch=batch or 1,
                                    default_brand=brand, device=None if device == "auto" else device)
        except RuntimeError as exc:
            raise CommandFailed(f"bench: {one_line(exc)}", EXIT_OTHER)
        if as_json:
            click.echo(json.dumps({"set": str(set_dir), **result.to_dict()}, ensure_ascii=False, indent=2))
        else:
            click.echo(format_throughput(result, str(set_dir)))
        if result.crashed:  # a crashed check costs nothing: the numbers above are not the pipeline's
            raise CommandFailed(f"bench: {len(result.crashed)} check(s) crashed in the workers "
                                f"({', '.join(sorted(result.crashed))}); the throughput above does not count their work",
                                EXIT_OTHER)
        return
    brands: dict = {}

    def brand_for(bid: str | None):
        key = bid or brand
        if key not in brands:
            brands[key] = _load_brand(key)
        return brands[key]

    result = run_bench(photos, brand_for, plan_all(ids))
    result.core = core
    if as_json:
        click.echo(json.dumps({"set": str(set_dir), **result.to_dict()}, ensure_ascii=False, indent=2))
    else:
        click.echo(format_bench(result, str(set_dir)))


# ------------------------------------------------------------------ brands / checklists


@cli.command()
def brands() -> None:
    """List the installed brand packs and whether each one loads."""
    from auditor import brandpack

    lister = getattr(brandpack, "list_brands", None)
    if lister is None:
        raise CommandFailed("brand pack listing not available yet (auditor.brandpack.list_brands)")
    bad = 0
    for entry in lister():
        bid = entry if isinstance(entry, str) else getattr(entry, "id", str(entry))
        try:
            b = brandpack.load_brand(bid)
        except AuditorError as exc:
            bad += 1
            click.echo(f"{bid:<16} INVALID  {one_line(exc)}")
            continue
        kinds = sorted({l.kind for l in b.logos})
        click.echo(
            f"{b.id:<16} ok       {b.name_zh} / {b.name_en}; {len(b.logos)} logo references ({', '.join(kinds)}); "
            f"{len(b.palette)} palette colours; {len(b.roles)} uniform roles; {len(b.texts)} required texts; "
            f"checklist {b.checklist}"
        )
    if bad:
        sys.exit(EXIT_USAGE)


@cli.command()
def checklists() -> None:
    """List the installed checklists and whether each one loads."""
    from auditor import checklist as checklist_mod

    lister = getattr(checklist_mod, "list_checklists", None)
    if lister is None:
        raise CommandFailed("checklist listing not available yet (auditor.checklist.list_checklists)")
    bad = 0
    for entry in lister():
        ref = entry if isinstance(entry, str) else getattr(entry, "ref", None) or getattr(entry, "id", str(entry))
        try:
            c = checklist_mod.load_checklist(ref)
        except AuditorError as exc:
            bad += 1
            click.echo(f"{ref:<16} INVALID  {one_line(exc)}")
            continue
        items = c.items
        manual = sum(1 for i in items if i.manual)
        click.echo(
            f"{c.ref:<16} ok       {c.title_zh} / {c.title_en}; {len(c.sections)} sections, "
            f"{len(items)} items ({manual} manual)"
        )
    if bad:
        sys.exit(EXIT_USAGE)


# ------------------------------------------------------------------ samples / train


@cli.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--n", "n", type=click.IntRange(min=1), default=40, show_default=True, help="Number of photos.")
@click.option("--seed", type=int, default=0, show_default=True, help="Base random seed.")
@click.option("--split", type=click.Choice(["train", "val", "test"]), default="train", show_default=True,
              help="Which split to render: splits use disjoint random streams, so a held-out set never overlaps.")
@click.option("--size", default="1280x960", show_default=True, help="Photo size WIDTHxHEIGHT in pixels.")
@click.option("--brand", default="demo", show_default=True, help="Brand pack id or folder.")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.")
def samples(out: Path, n: int, seed: int, split: str, size: str, brand: str, jobs: int) -> None:
    """Render a labelled demo set (photos + labels.json in the format of spec/labels.md) into OUT."""
    try:
        from samples.generator import generate_set
    except ImportError as exc:
        raise CommandFailed(f"the samples generator is not available: {exc}")
    try:
        w, h = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise CommandFailed(f"--size: expected WIDTHxHEIGHT such as 1280x960, got '{size}'", EXIT_USAGE)
    bar = _progress(total=n, desc="samples")

    def progress(done: int, total: int) -> None:
        bar.update(done - bar.n)

    try:
        labels = generate_set(out, n, seed, split, size=(w, h), brand=brand, jobs=jobs, progress=progress)
    except ValueError as exc:
        raise CommandFailed(f"samples: {one_line(exc)}", EXIT_USAGE)
    finally:
        bar.close()
    click.echo(f"wrote {n} photos and {labels}")


@cli.command()
@click.argument("set_dirs", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--head", type=click.Choice(["all", "area", "clean", "people", "logo"]), default="all", show_default=True,
              help="Which head to train (the logo head trains from the brand pack's artwork, no set needed).")
@click.option("--out", "out_path", type=click.Path(path_type=Path), default=None,
              help="Folder for the weights and model cards (default: the trainer's, models/weights).")
@click.option("--brand", default=None, help="Brand id: only sets of this brand (the logo head: the pack to render).")
@click.option("--val", "val_dirs", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Labelled validation set (repeatable); without it 15% of the photos are held out.")
@click.option("--epochs", type=click.IntRange(1), default=None, help="Most epochs (default: the head's own).")
@click.option("--threads", type=click.IntRange(1), default=None,
              help="CPU threads for torch (default: AUDITOR_TORCH_THREADS, else one per core).")
@click.option("--minutes", type=click.FloatRange(min=0.5), default=None,
              help="The logo head's training budget (default 16).")
def train(set_dirs: tuple[Path, ...], head: str, out_path: Path | None, brand: str | None,
          val_dirs: tuple[Path, ...], epochs: int | None, threads: int | None, minutes: float | None) -> None:
    """Train network heads on labelled sets (SET_DIR...) and write weights with a model card."""
    try:
        from auditor import training
    except ImportError as exc:
        raise CommandFailed(f"training module not available: {exc}")
    kwargs: dict[str, Any] = {}
    if out_path is not None:
        kwargs["out"] = out_path
    if brand is not None:
        kwargs["brand"] = brand
    if threads is not None:
        kwargs["threads"] = threads
    try:
        if head == "logo":
            if minutes is not None:
                kwargs["minutes"] = minutes
            result = training.train_logo(**kwargs)
        else:
            if not set_dirs:
                raise CommandFailed("give at least one labelled set to train on", EXIT_USAGE)
            result = training.train(list(set_dirs), head=head, val_dirs=list(val_dirs), epochs=epochs, **kwargs)
    except (ValueError, FileNotFoundError) as exc:
        raise CommandFailed(f"train: {one_line(exc)}", EXIT_USAGE)
    if isinstance(result, dict):
        for name, info in result.items():
            if name.startswith("_"):
                continue
            if isinstance(info, dict):
                metrics = _fmt_mapping(info.get("metrics") or {})
                click.echo(f"{name}: {info.get('weights', '')}  epochs {info.get('epochs', '-')}  {metrics}")
            else:
                click.echo(f"{name}: {info}")
    elif result is not None:
        click.echo(str(result))


if __name__ == "__main__":  # pragma: no cover
    main()
