"""Build the int8 copy of rapidocr's PP-OCR text detector for the whole-photo OCR pass (auditor/ocr.py).

The repository holds no copy of the wheel's weights: `scripts/setup` derives the int8 model from the
installed wheel (`PP-OCRv6_det_small.onnx`) on every machine, with

    .venv/bin/python scripts/quantize_ocr_det.py build models/derived/ocr_det_int8.onnx

which (1) draws 48 calibration photos from the generator's train stream (seed 77), (2) records the
float detector's inputs while the OCR reads them, (3) quantises statically (QDQ, per-channel int8
weights, uint8 activations, min-max ranges; the opset is raised from 11 to 17 first, which
per-channel quantisation needs). It does nothing when the file exists for the same wheel model and
the same script. The steps can also run one at a time (`capture SET_DIR OUT.npz`, `quantize NPZ OUT`).
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import os
import sys
import tempfile
from pathlib import Path

import numpy as np


def wheel_det_model() -> Path:
    import rapidocr

    return Path(rapidocr.__file__).parent / "models" / "PP-OCRv6_det_small.onnx"


def capture(set_dir: str, out: str | None = None) -> list[np.ndarray]:
    """Run the OCR with the float detector on every JPEG under `set_dir`; each detector input (uint8 HxWx3 BGR)."""
    os.environ["AUDITOR_OCR_DET"] = "float"
    from auditor import ocr
    from auditor.ingest import load_photo

    det = ocr._models()[0]
    inputs: list[np.ndarray] = []
    run = det.session

    def keep(x: np.ndarray):
        inputs.append(np.round((x[0] * 0.5 + 0.5) * 255).astype(np.uint8).transpose(1, 2, 0))
        return run(x)

    det.session = keep
    files = sorted(glob.glob(f"{set_dir}/**/*.jpg", recursive=True))
    for f in files:
        ocr.read_text(load_photo(f).rgb)
    if out:
        np.savez_compressed(out, *inputs)
    print(f"{len(files)} photos, {len(inputs)} detector inputs" + (f" -> {out}" if out else ""))
    return inputs


def quantize(calib: str | list[np.ndarray], out: str, model: Path) -> None:
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if isinstance(calib, (str, Path)):
        data = np.load(calib)
        arrays = [data[k] for k in data.files]
    else:
        arrays = list(calib)

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter(arrays)

        def get_next(self):
            a = next(self.it, None)
            if a is None:
                return None
            return {"x": ((a.astype(np.float32) / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None]}

    with tempfile.TemporaryDirectory() as tmp:
        op17 = Path(tmp) / "det_op17.onnx"
        pre = Path(tmp) / "det_pre.onnx"
        onnx.save(version_converter.convert_version(onnx.load(str(model)), 17), str(op17))
        quant_pre_process(str(op17), str(pre), skip_symbolic_shape=True)
        quantize_static(str(pre), out, Reader(), quant_format=QuantFormat.QDQ, calibrate_method=CalibrationMethod.MinMax,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True)
    print(f"{len(arrays)} calibration inputs -> {out}")


CALIBRATION = {"n": 48, "seed": 77, "split": "train"}


def build_key(model: Path) -> str:
    """What the built file depends on: the wheel's float model, this script and the quantiser's versions."""
    import onnx
    import onnxruntime

    h = hashlib.sha256(model.read_bytes())
    h.update(Path(__file__).read_bytes())
    h.update(f"onnx {onnx.__version__} onnxruntime {onnxruntime.__version__}".encode())
    return h.hexdigest()


def build(out: Path, model: Path, jobs: int = 2) -> bool:
    """Make `out` unless it is up to date; True when it was (re)built. Written atomically."""
    from samples.generator import generate_set

    stamp = out.with_name(out.name + ".key")
    key = build_key(model)
    if out.is_file() and stamp.is_file() and stamp.read_text().strip() == key:
        print(f"{out} is up to date")
        return False
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        generate_set(Path(tmp) / "calib", CALIBRATION["n"], seed=CALIBRATION["seed"], split=CALIBRATION["split"], jobs=jobs)
        inputs = capture(str(Path(tmp) / "calib"))
        part = out.with_name(out.name + ".part")
        quantize(inputs, str(part), model)
        os.replace(part, out)
    stamp.write_text(key + "\n")
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("out", type=Path)
    b.add_argument("--jobs", type=int, default=2)
    c = sub.add_parser("capture")
    c.add_argument("set_dir")
    c.add_argument("out")
    q = sub.add_parser("quantize")
    q.add_argument("calib")
    q.add_argument("out")
    q.add_argument("--model", type=Path, default=None, help="the float model (default: the installed rapidocr wheel's)")
    a = ap.parse_args(argv)
    if a.cmd == "build":
        build(a.out, wheel_det_model(), a.jobs)
    elif a.cmd == "capture":
        capture(a.set_dir, a.out)
    else:
        quantize(a.calib, a.out, a.model or wheel_det_model())
    return 0


if __name__ == "__main__":
    sys.exit(main())
