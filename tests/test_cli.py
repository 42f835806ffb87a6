"""The `auditor` command (via click's CliRunner), annotation drawing and the audit report."""
from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from auditor.cli import cli

SPEC_LAYOUT = {
    "set": None,
    "photos": None,
    "logo": {"n", "precision", "recall", "f1", "localisation", "placement_accuracy"},
    "text": {"n", "recall", "must_not_read_hits"},
    "exposure": {"n", "accuracy", "macro_f1"},
    "night": {"n", "accuracy", "macro_f1"},
    "signs_lit": {"n", "accuracy"},
    "clean": {"n", "precision", "recall", "f1", "recall_by_kind"},
    "people": {"n", "count_mae", "count_exact", "presence_f1", "person_f1"},
    "uniform": {"n", "accuracy", "role_accuracy", "badge_f1"},
    "area": {"n", "accuracy"},
    "speed": {"photos_per_s", "peak_rss_mb"},
}


@pytest.fixture()
def runner():
    return CliRunner()


def _jpeg(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _scene(h: int = 240, w: int = 320, seed: int = 0, dark: bool = False) -> np.ndarray:
    """A plain test picture: a sky-to-ground gradient with a bright sign panel."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    base = (np.array([150, 180, 220]) * (1 - y) + np.array([90, 90, 80]) * y) * (0.2 if dark else 1.0)
    img = np.broadcast_to(base, (h, w, 3)).copy()
    img[h // 5 : h // 5 + h // 6, w // 4 : 3 * w // 4] = (30, 60, 160)
    img += rng.normal(0, 4, img.shape)
    return img.clip(0, 255).astype(np.uint8)


def _huge_png(path: Path, side: int = 20000) -> None:
    """A valid grey PNG of side x side pixels (all black rows, compressed small)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    co = zlib.compressobj(1)
    rows = (b"\x00" * (side + 1)) * 500
    idat = b"".join(co.compress(rows) for _ in range(side // 500)) + co.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


# ------------------------------------------------------------------ bad input photos


@pytest.fixture(scope="module")
def bad_photos(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bad")
    (d / "notes.jpg").write_bytes(b"this is a text file, not a photo\n")
    data = _jpeg(_scene())
    (d / "truncated.jpg").write_bytes(data[: len(data) // 2])
    _huge_png(d / "huge.png")
    return {"non-image": d / "notes.jpg", "truncated": d / "truncated.jpg", "huge": d / "huge.png"}


@pytest.mark.parametrize("which, reason", [("non-image", "not an image"), ("truncated", "truncated"), ("huge", "")])
def test_check_rejects_bad_photo_in_one_line(runner, bad_photos, which, reason):
    result = runner.invoke(cli, ["check", str(bad_photos[which])])
    assert result.exit_code == 3, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ") and bad_photos[which].name in lines[0]
    assert reason in lines[0]
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_check_reports_a_missing_file_and_unknown_brand(runner, tmp_path):
    result = runner.invoke(cli, ["check", str(tmp_path / "nope.jpg")])
    assert result.exit_code == 3 and len(result.output.strip().splitlines()) == 1
    good = tmp_path / "ok.jpg"
    good.write_bytes(_jpeg(_scene()))
    result = runner.invoke(cli, ["check", str(good), "--brand", "no-such-brand"])
    assert result.exit_code == 2
    assert result.output.startswith("error: unknown brand 'no-such-brand'") and "Traceback" not in result.output


def test_check_json_and_annotate(runner, tmp_path):
    from auditor.checks import CHECKS

    photo = tmp_path / "facade.jpg"
    photo.write_bytes(_jpeg(_scene(seed=1)))
    out_dir = tmp_path / "drawn"
    result = runner.invoke(cli, ["check", str(photo), "--json", "--annotate", str(out_dir)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["rejected"] == []
    (analysis,) = doc["photos"]
    assert {r["check_id"] for r in analysis["results"]} == set(CHECKS)
    for r in analysis["results"]:
        assert r["verdict"] in ("pass", "fail", "unsure", "not_applicable", "not_implemented")
    drawn = Image.open(analysis["annotated"])
    assert drawn.size == (320, 240)

    table = runner.invoke(cli, ["check", str(photo), "--area", "facade"])
    assert table.exit_code == 0, table.output
    assert "quality.photo" in table.stdout and "verdict" in table.stdout


def test_a_crashing_check_logs_one_line_not_a_traceback(runner, tmp_path):
    from auditor.checks.registry import CHECKS, register

    @register("test.crashes", title_en="crash", title_zh="崩溃")
    def crashes(ctx, params):
        raise RuntimeError("boom")

    try:
        photo = tmp_path / "p.jpg"
        photo.write_bytes(_jpeg(_scene()))
        result = runner.invoke(cli, ["check", str(photo), "--json"])
    finally:
        del CHECKS["test.crashes"]
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert any("test.crashes" in line and "boom" in line for line in result.stderr.splitlines())
    crashed = [r for r in json.loads(result.stdout)["photos"][0]["results"] if r["check_id"] == "test.crashes"]
    assert crashed[0]["verdict"] == "unsure" and "boom" in crashed[0]["message"]


# ------------------------------------------------------------------ evaluate


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("tinyset")
    (d / "facade").mkdir()
    (d / "facade" / "day.jpg").write_bytes(_jpeg(_scene(seed=2)))
    (d / "night.jpg").write_bytes(_jpeg(_scene(seed=3, dark=True)))
    labels = {
        "brand": "demo",
        "brand_pack": None,
        "photos": [
            {
                "file": "facade/day.jpg",
                "area": "facade",
                "brand": None,
                "truth": {
                    "logo": {"present": True, "boxes": [[80, 40, 160, 40]], "placement_ok": True},
                    "text": {"must_read": ["极光"], "must_not_read": ["旧标"]},
                    "lighting": {"exposure": "ok", "night": False, "signs_lit": None},
                    "clean": {"clean": False, "defects": [{"kind": "rust", "box": [0, 200, 50, 30]}]},
                    "people": {"count": 1, "uniform_ok": True, "badge_visible": None,
                               "persons": [{"box": [250, 100, 40, 120], "role": "advisor", "badge": True}]},
                },
            },
            {
                "file": "night.jpg",
                "area": None,
                "brand": None,
                "truth": {
                    "lighting": {"exposure": "dark", "night": True, "signs_lit": False},
                    "people": {"count": 0, "uniform_ok": None, "badge_visible": None, "persons": []},
                },
                "license": "made in the test",
            },
        ],
    }
    (d / "labels.json").write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")
    return d


def test_evaluate_json_has_every_key_of_the_spec_layout(runner, tiny_set):
    result = runner.invoke(cli, ["evaluate", str(tiny_set), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == set(SPEC_LAYOUT)
    for group, keys in SPEC_LAYOUT.items():
        if keys is not None:
            assert set(doc[group]) == keys, group
    assert doc["photos"] == 2
    assert doc["logo"]["n"] == 1 and doc["text"]["n"] == 1 and doc["exposure"]["n"] == 2
    assert doc["signs_lit"]["n"] == 1 and doc["area"]["n"] == 1 and doc["people"]["n"] == 2
    assert set(doc["clean"]["recall_by_kind"]) == {"rust"}
    assert doc["speed"]["photos_per_s"] > 0 and doc["speed"]["peak_rss_mb"] > 0
    for group in ("logo", "exposure", "night", "people"):
        for key, value in doc[group].items():
            assert value is None or isinstance(value, (int, float)), (group, key)


def test_evaluate_table_and_details(runner, tiny_set):
    result = runner.invoke(cli, ["evaluate", str(tiny_set), "--details"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for label in ("presence F1", "must_read recall", "macro-F1", "count MAE", "badge F1", "photos per second"):
        assert label in out
    assert "facade/day.jpg" in out and "night.jpg" in out and "truth=" in out


def test_evaluate_rejects_a_bad_label_set_in_one_line(runner, tmp_path):
    (tmp_path / "labels.json").write_text('{"photos": [{"file": "gone.jpg"}]}', encoding="utf-8")
    result = runner.invoke(cli, ["evaluate", str(tmp_path)])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "gone.jpg" in result.output


# ------------------------------------------------------------------ brands / checklists / train


def test_brands_and_checklists_list_the_demo(runner):
    brands = runner.invoke(cli, ["brands"])
    assert brands.exit_code == 0, brands.output
    assert any(line.startswith("demo") and " ok " in line for line in brands.stdout.splitlines())
    lists = runner.invoke(cli, ["checklists"])
    assert lists.exit_code == 0, lists.output
    assert any(line.startswith("default@") and " ok " in line for line in lists.stdout.splitlines())
    assert "17 items" in lists.stdout


def test_train_without_sets_is_a_usage_error(runner):
    result = runner.invoke(cli, ["train", "--head", "area"])
    assert result.exit_code == 2 and result.output.startswith("error: ")


def test_train_validates_on_the_set_given_and_stops_at_the_epochs_asked(runner, tmp_path):
    from samples.generator import generate_set

    generate_set(tmp_path / "train", 7, seed=5, split="train", size=(320, 240))
    generate_set(tmp_path / "val", 4, seed=5, split="val", size=(320, 240))
    out = tmp_path / "w"
    result = runner.invoke(cli, ["train", str(tmp_path / "train"), "--head", "area", "--val", str(tmp_path / "val"),
                                 "--epochs", "1", "--threads", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    card = (out / "area.md").read_text(encoding="utf-8")
    assert "1 epochs" in card and "4 validation photos" in card and str(tmp_path / "val") in card
    assert (out / "area.pt").is_file()


def test_console_script_help_lists_every_command():
    exe = Path(sys.executable).parent / "auditor"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "auditor.cli"]
    out = subprocess.run([*cmd, "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    for name in ("check", "audit", "evaluate", "bench", "brands", "checklists", "samples", "train"):
        assert name in out.stdout


# ------------------------------------------------------------------ audit and report


def test_audit_writes_json_and_self_contained_html(runner, tmp_path):
    site = tmp_path / "site"
    (site / "facade").mkdir(parents=True)
    (site / "staff").mkdir()
    (site / "facade" / "front.jpg").write_bytes(_jpeg(_scene(seed=4)))
    (site / "staff" / "team.jpg").write_bytes(_jpeg(_scene(seed=5)))
    (site / "broken.jpg").write_bytes(b"not a photo")
    out = tmp_path / "report"
    result = runner.invoke(cli, ["audit", str(site), "--out", str(out)])
    assert result.exit_code == 3, result.output  # the broken photo is reported, the rest audited
    assert "broken.jpg" in result.stderr and "total score" in result.stdout
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert len(report["items"]) == 17
    assert {p["photo_id"]: p["area"] for p in report["photos"]} == {"facade/front.jpg": "facade", "staff/team.jpg": "staff"}
    assert report["rejected"][0]["photo_id"] == "broken.jpg"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/jpeg;base64,") == 2
    assert "EXT-01" in html and "STF-04" in html and "<script src" not in html and "http" not in html.split("<body>")[1]


# ------------------------------------------------------------------ annotation


def test_draw_findings_colours_regions_by_verdict():
    from auditor.annotate import VERDICT_RGB, draw_findings, finding_label
    from auditor.types import CheckResult, Finding, Region, Verdict

    rgb = np.full((200, 300, 3), 128, np.uint8)
    fail = CheckResult("clean.defects", Verdict.FAIL, findings=(
        Finding("rust", "rust", Region((100, 120, 200, 180)), measured={"share": 0.12}, confidence=0.8),))
    ok = CheckResult("logo.present", Verdict.PASS, findings=(
        Finding("logo", "logo", Region.from_polygon([(20, 60), (80, 60), (80, 100), (20, 100)])),))
    out = draw_findings(rgb, [fail, ok], scale=0.5)  # regions given at twice the image size
    assert out.shape == rgb.shape and out.dtype == np.uint8 and (rgb == 128).all()
    assert tuple(out[75, 50]) == VERDICT_RGB[Verdict.FAIL]  # left edge of the scaled rust box (x=50)
    assert tuple(out[40, 10]) == VERDICT_RGB[Verdict.PASS]  # left edge of the scaled logo quad (x=10)
    assert tuple(out[80, 75]) == (128, 128, 128)  # inside the box stays untouched
    assert finding_label(fail.findings[0]) == "rust share=0.12 0.80"


def test_overlay_heatmap_tints_only_hot_cells():
    from auditor.annotate import overlay_heatmap

    rgb = np.full((40, 60, 3), 100, np.uint8)
    heat = np.zeros((4, 6), np.float32)
    heat[0, 0] = 1.0
    out = overlay_heatmap(rgb, heat, alpha=0.6)
    assert out.shape == rgb.shape
    assert (out[-1, -1] == 100).all()
    assert out[0, 0, 0] > 150 and out[0, 0, 2] < 60
    with pytest.raises(ValueError):
        overlay_heatmap(rgb, np.zeros((2, 2, 2)))


def test_label_font_draws_chinese():
    from auditor.annotate import label_font

    font = label_font(20)
    img = Image.new("L", (60, 30), 0)
    from PIL import ImageDraw

    ImageDraw.Draw(img).text((2, 2), "入口", font=font, fill=255)
    assert np.asarray(img).max() == 255


def test_evaluate_with_unusable_weights_is_a_usage_error(runner, tiny_set, tmp_path):
    junk = tmp_path / "area.pt"
    junk.write_bytes(b"not a weights file")
    result = runner.invoke(cli, ["evaluate", str(tiny_set), "--weights", str(junk)])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "cannot use these weights" in result.output


def test_evaluate_with_new_weights_compares_with_the_shipped_ones(runner, tiny_set, tmp_path):
    torch = pytest.importorskip("torch")
    from models.heads import build_head, save_head

    torch.manual_seed(0)
    save_head(tmp_path / "area.pt", "area", build_head("area"), {}, {"note": "random init, made in the test"})
    result = runner.invoke(cli, ["evaluate", str(tiny_set), "--weights", str(tmp_path / "area.pt"), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["weights"] == str(tmp_path / "area.pt")
    assert set(doc) == set(SPEC_LAYOUT) | {"weights", "baseline"}
    assert set(doc["baseline"]) == set(SPEC_LAYOUT)
    assert doc["area"]["n"] == doc["baseline"]["area"]["n"] == 1


# ------------------------------------------------------------------ bench helpers


def test_bench_family_totals_and_report():
    from auditor.bench import DECODE_STAGE, NET_STAGE, BenchResult, _family_totals, format_bench, percentile

    fam = _family_totals({DECODE_STAGE: 10.0, NET_STAGE: 100.0, "logo.present": 5.0, "signal logo": 200.0,
                          "signal text": 300.0, "signage.text_required": 1.0, "people.detect": 2.0, "quality.photo": 4.0})
    assert fam["logo"] == 205.0 and fam["signage"] == 301.0
    assert fam["vision I: quality+logo+signage+lighting, decode incl."] == 10 + 4 + 205 + 301
    assert fam["vision II: area+clean+people+net, decode incl."] == 10 + 100 + 2
    assert fam["whole photo"] == 10 + 100 + 5 + 200 + 300 + 1 + 2 + 4
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([], 50) is None
    r = BenchResult(photos=2, seconds=4.0, cpu_seconds=2.0, warmup_s=1.0, megapixels=[12.0, 12.0],
                    stages_ms={DECODE_STAGE: [100.0, 120.0]}, stages_cpu_ms={DECODE_STAGE: [90.0, 100.0]})
    d = r.to_dict()
    assert d["photos_per_s"] == 0.5 and d["photos_per_cpu_s"] == 1.0
    assert d["stages"][DECODE_STAGE]["median_ms"] == 110.0
    assert "decode" in format_bench(r, "set")


def test_signal_timer_charges_nested_signals_exclusively(monkeypatch):
    from auditor import bench
    from auditor.checks.context import SIGNALS

    class FakeClock:  # the providers advance it: no real timing in a test
        now = 0.0

        def perf_counter(self):
            return self.now

        process_time = perf_counter

    clock = FakeClock()
    monkeypatch.setattr(bench, "time", clock)

    def inner(ctx):
        clock.now += 0.020
        return 1

    def outer(ctx):
        clock.now += 0.010
        return ctx.get("test_inner") + 1

    SIGNALS["test_inner"], SIGNALS["test_outer"] = inner, outer
    timer = bench._SignalTimer()
    try:
        timer.install()

        class Ctx:
            def get(self, name):
                return SIGNALS[name](self)

        assert SIGNALS["test_outer"](Ctx()) == 2
    finally:
        timer.uninstall()
        del SIGNALS["test_inner"], SIGNALS["test_outer"]
    assert timer.wall["test_inner"] == pytest.approx(20.0)
    assert timer.wall["test_outer"] == pytest.approx(10.0)  # its nested signal is not charged to it
    assert timer.cpu["test_outer"] == pytest.approx(10.0)


# ------------------------------------------------------------------ bench: throughput mode


@pytest.mark.slow
def test_bench_throughput_analyses_every_photo_in_worker_processes(runner, tiny_set, tmp_path):
    # A corrupt photo beside the good ones: rejected by name, the others still analysed.
    work = tmp_path / "set"
    (work / "facade").mkdir(parents=True)
    (work / "facade" / "day.jpg").write_bytes((tiny_set / "facade" / "day.jpg").read_bytes())
    (work / "night.jpg").write_bytes((tiny_set / "night.jpg").read_bytes())
    (work / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    result = runner.invoke(cli, ["bench", str(work), "--processes", "2", "--batch", "2", "--repeat", "2",
                                 "--device", "cpu", "--checks", "area.classify,people.detect", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["processes"] == 2 and doc["batch"] == 2 and doc["device"] == "cpu"
    assert doc["photos"] == 4  # 2 good photos x 2 rounds
    assert sorted(r["photo"] for r in doc["rejected"]) == ["broken.jpg", "broken.jpg"]
    assert doc["photos_per_s"] > 0 and doc["net_median_ms_per_batch"] is not None
    assert doc["peak_gpu_mb_per_worker"] is None


def test_bench_throughput_refuses_an_unknown_brand_before_starting_workers(runner, tiny_set):
    result = runner.invoke(cli, ["bench", str(tiny_set), "--processes", "2", "--brand", "no-such-brand"])
    assert result.exit_code != 0
    assert "no-such-brand" in result.output


def test_throughput_result_counts_from_first_start_to_last_finish():
    from auditor.throughput import ThroughputResult, WorkerReport, format_throughput

    def worker(photos, started, finished):
        return WorkerReport(photos, [], started, finished, cpu_s=photos * 0.5, net_ms=[10.0], batch_ms=[100.0],
                            peak_rss_mb=500.0, peak_gpu_mb=None, device="cpu", torch_version="x")

    r = ThroughputResult(2, 4, [worker(6, 10.0, 12.0), worker(4, 10.5, 14.0)])
    d = r.to_dict()
    assert d["photos"] == 10 and d["seconds"] == 4.0 and d["photos_per_s"] == 2.5
    assert d["cpu_s_per_photo"] == 0.5
    assert d["crashed_checks"] == {} and "CRASHED" not in format_throughput(r, "set")
    r.workers[1].crashed["people.detect"] = "check failed to run: AttributeError: no CascadeClassifier"
    assert r.to_dict()["crashed_checks"] == {"people.detect": r.workers[1].crashed["people.detect"]}
    assert "CRASHED people.detect" in format_throughput(r, "set")
