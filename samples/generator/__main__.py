"""python -m samples.generator --out DIR --n N --seed S [--split train|val|test] [--size WxH] [--jobs J]"""
from __future__ import annotations

import argparse
import sys
import time

from samples.generator import generate_set, parse_size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m samples.generator",
                                 description="Render labelled demo photos of dealerships (labels.json as in spec/labels.md).")
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--n", type=int, default=60, help="number of photos (default 60)")
    ap.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    ap.add_argument("--split", choices=("train", "val", "test"), default="train",
                    help="random stream: train, val and test never overlap (default train)")
    ap.add_argument("--size", default="1280x960", help="photo size WxH (default 1280x960)")
    ap.add_argument("--brand", default="demo", help="brand pack id or folder (default demo)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    ap.add_argument("--max-quality", type=int, default=None, help="cap the JPEG quality (photos draw 60..95)")
    ap.add_argument("--quiet", action="store_true", help="no progress line")
    args = ap.parse_args(argv)
    try:
        size = parse_size(args.size)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if not args.quiet:
            print(f"\r{done}/{total} photos", end="", file=sys.stderr, flush=True)

    try:
        path = generate_set(args.out, args.n, args.seed, args.split, size=size, brand=args.brand,
                            jobs=max(1, args.jobs), max_quality=args.max_quality, progress=progress)
    except (ValueError, LookupError) as e:
        print(f"\nerror: {e}", file=sys.stderr)
        return 2
    dt = time.perf_counter() - t0
    if not args.quiet:
        print(f"\nwrote {args.n} photos and {path} in {dt:.1f} s ({args.n / dt:.2f} photos/s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
