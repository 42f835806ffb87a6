"""Photo ingest: the ONLY module that decodes (and encodes) images.

bytes -> size and type checks -> header-only dimension check (decompression bombs
never get decoded) -> decode (big JPEGs straight at a reduced scale via draft
mode) -> EXIF orientation, time, GPS, camera -> content hash and perceptual hash
-> a working copy whose longer side is at most `max_side`.

Accepted formats: JPEG (including MPO from phones), PNG, WebP, HEIC/HEIF (through
pillow-heif). Anything else raises `PhotoError(source, reason)` with a one-line
reason.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import math
import re
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from auditor.errors import PhotoError
from auditor.types import ExifFacts, Photo

try:  # HEIC/HEIF from phones; optional at import so a missing wheel only disables HEIC
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except Exception:  # pragma: no cover - depends on the platform wheel
    HEIF_SUPPORTED = False

MAX_BYTES = 50_000_000
MAX_PIXELS = 100_000_000
MAX_SIDE_PIXELS = 30_000  # a side longer than this is absurd for a photo, whatever the area
WORKING_MAX_SIDE = 2048
PHASH_PREREDUCE_SIDE = 256

# Our header check (`_open_checked`) rejects anything over `max_pixels` with the image's
# dimensions in the message; Pillow's own bomb guard stays on, set far above it, as a
# second line for code paths and limits that bypass ours.
Image.MAX_IMAGE_PIXELS = 10 * MAX_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False

_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "HEIF": "HEIF"}
_ACCEPTED = "JPEG, PNG, WebP" + (", HEIC" if HEIF_SUPPORTED else "")

_ORIENTATION_OPS = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}

# EXIF tags
_TAG_ORIENTATION = 0x0112
_TAG_MAKE = 0x010F
_TAG_MODEL = 0x0110
_TAG_DATETIME = 0x0132
_IFD_EXIF = 0x8769
_IFD_GPS = 0x8825
_TAG_DATETIME_ORIGINAL = 0x9003


# --------------------------------------------------------------------------- public API


def load_photo(
    data: bytes | str | Path,
    source: str | None = None,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    max_side: int = WORKING_MAX_SIDE,
) -> Photo:
    """Decode a photo from bytes or a file path.

    Returns a `Photo` whose `rgb` is HxWx3 uint8 with EXIF orientation applied and
    longer side <= `max_side`; `width`/`height` are the original's displayed size.
    Raises `PhotoError(source, reason)` for anything that is not an acceptable photo.
    """
    try:
        with _quiet_decoder():
            return _load_photo(data, source, max_bytes, max_pixels, max_side)
    except PhotoError as exc:
        raise _one_line(exc) from None


def _load_photo(data, source, max_bytes, max_pixels, max_side) -> Photo:
    raw, source = _read_bytes(data, source, max_bytes)
    im = _open_checked(raw, source, max_pixels)
    fmt = _FORMATS[im.format]
    exif = read_exif(im)
    raw_w, raw_h = im.size
    if exif.orientation in (5, 6, 7, 8):
        width, height = raw_h, raw_w
    else:
        width, height = raw_w, raw_h

    if fmt == "JPEG" and max(raw_w, raw_h) > max_side:
        # Decode at 1/2, 1/4 or 1/8 scale straight from the DCT; Pillow keeps the result >= the
        # request, and asking for 90 % of max_side lets a 4000 px photo decode at 1/2 (2000 px)
        # for a 2048 px working copy instead of in full.
        f = 0.9 * max_side / max(raw_w, raw_h)
        try:
            im.draft("RGB", (max(1, math.ceil(raw_w * f)), max(1, math.ceil(raw_h * f))))
        except Exception:  # draft is an optimisation only
            pass
    _decode_fully(im, source)
    rgb_im = _to_rgb(im)
    for op in _ORIENTATION_OPS.get(exif.orientation, ()):
        rgb_im = rgb_im.transpose(op)
    if max(rgb_im.size) > max_side:
        f = max_side / max(rgb_im.size)
        size = (max(1, round(rgb_im.width * f)), max(1, round(rgb_im.height * f)))
        rgb_im = rgb_im.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    rgb = np.asarray(rgb_im, dtype=np.uint8).copy()
    rgb.setflags(write=False)
    return Photo(
        rgb=rgb,
        width=int(width),
        height=int(height),
        source=source,
        sha256=hashlib.sha256(raw).hexdigest(),
        phash=phash(rgb),
        format=fmt,
        byte_size=len(raw),
        exif=exif,
    )


def load_image_rgba(path: str | Path, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode a reference image (a logo) as HxWx4 uint8 RGBA; opaque images get alpha 255.

    EXIF orientation is applied. Raises PhotoError like `load_photo`.
    """
    try:
        with _quiet_decoder():
            return _load_rgba(path, max_bytes, max_pixels)
    except PhotoError as exc:
        raise _one_line(exc) from None


def _load_rgba(path, max_bytes, max_pixels) -> np.ndarray:
    raw, source = _read_bytes(path, None, max_bytes)
    im = _open_checked(raw, source, max_pixels)
    exif = read_exif(im)
    _decode_fully(im, source)
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        im = _sixteen_bit_to_l(im)
    rgba = im.convert("RGBA")
    for op in _ORIENTATION_OPS.get(exif.orientation, ()):
        rgba = rgba.transpose(op)
    out = np.asarray(rgba, dtype=np.uint8).copy()
    out.setflags(write=False)
    return out


def encode_jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    """Encode HxWx3 uint8 RGB (or HxW gray) as JPEG bytes."""
    arr = np.ascontiguousarray(rgb, dtype=np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[..., :3]
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=int(quality), optimize=True)
    return buf.getvalue()


def encode_png(image: np.ndarray) -> bytes:
    """Encode HxW gray, HxWx3 RGB or HxWx4 RGBA uint8 as PNG bytes."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8)).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def phash(image: np.ndarray) -> str:
    """64-bit DCT perceptual hash of HxWx3 RGB or HxW gray uint8, as 16 hex digits.

    32x32 gray -> 2-D DCT-II -> the 8x8 lowest frequencies -> bit = coefficient > median.
    A large image is first box-averaged by an integer factor to >= 256 px on its short side (the
    32x32 Lanczos reduction averages that much anyway; the hash of a 12 MP photo then costs ~8 ms
    instead of ~30, and moves by at most a few bits).
    """
    arr = np.asarray(image)
    k = min(arr.shape[:2]) // PHASH_PREREDUCE_SIDE
    if k >= 2:
        arr = np.asarray(Image.fromarray(np.ascontiguousarray(arr[..., :3] if arr.ndim == 3 else arr)).reduce(k))
    if arr.ndim == 3:
        arr = arr[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    gray = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), mode="L")
    small = np.asarray(gray.resize((32, 32), Image.Resampling.LANCZOS), dtype=np.float64)
    d = _DCT32 @ small @ _DCT32.T
    low = d[:8, :8].ravel()
    bits = low > np.median(low)
    value = 0
    for b in bits:
        value = (value << 1) | int(b)
    return f"{value:016x}"


def hamming(a: str, b: str) -> int:
    """Number of differing bits between two hex hashes of the same length (0..64 for pHash)."""
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def read_exif(im: Image.Image) -> ExifFacts:
    """Orientation, time, GPS and camera from an opened image; malformed fields become None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns on corrupt EXIF; we just drop the field
        return _read_exif(im)


def _read_exif(im: Image.Image) -> ExifFacts:
    try:
        exif = im.getexif()
    except Exception:
        return ExifFacts()
    orientation = _safe(lambda: int(exif.get(_TAG_ORIENTATION, 1)), 1)
    if orientation not in range(1, 9):
        orientation = 1
    sub = _safe(lambda: exif.get_ifd(_IFD_EXIF), {}) or {}
    taken = _parse_exif_time(_safe(lambda: sub.get(_TAG_DATETIME_ORIGINAL), None)) or _parse_exif_time(
        _safe(lambda: exif.get(_TAG_DATETIME), None)
    )
    gps = _safe(lambda: _parse_gps(exif.get_ifd(_IFD_GPS)), None)
    camera = _safe(lambda: _camera(exif.get(_TAG_MAKE), exif.get(_TAG_MODEL)), None)
    return ExifFacts(taken_at=taken, gps=gps, camera=camera, orientation=orientation)


# --------------------------------------------------------------------------- internals


def _read_bytes(data: bytes | str | Path, source: str | None, max_bytes: int) -> tuple[bytes, str]:
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        source = source or "<upload>"
    else:
        path = Path(data)
        source = source or str(path)
        try:
            size = path.stat().st_size
            if path.is_dir():
                raise PhotoError(source, "is a folder, not a photo file")
            if size > max_bytes:
                raise PhotoError(source, f"file is {_mb(size)}, over the limit of {_mb(max_bytes)}")
            raw = path.read_bytes()
        except FileNotFoundError:
            raise PhotoError(source, "file not found") from None
        except PermissionError:
            raise PhotoError(source, "permission denied") from None
        except IsADirectoryError:
            raise PhotoError(source, "is a folder, not a photo file") from None
    if len(raw) == 0:
        raise PhotoError(source, "empty file (0 bytes)")
    if len(raw) > max_bytes:
        raise PhotoError(source, f"file is {_mb(len(raw))}, over the limit of {_mb(max_bytes)}")
    return raw, source


def _open_checked(raw: bytes, source: str, max_pixels: int) -> Image.Image:
    """Open (header only) and check format and dimensions before any pixel is decoded."""
    try:
        im = Image.open(io.BytesIO(raw))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        m = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(m.group(1)) / 1e6:.0f} MP" if m else "too many pixels"
        raise PhotoError(source, f"image is {size}: absurd dimensions (decompression bomb?)") from None
    except UnidentifiedImageError:
        raise PhotoError(source, f"not an image: {sniff(raw)}") from None
    except Exception as exc:  # a broken header
        raise PhotoError(source, f"corrupt image header: {_short(exc)}") from None
    if im.format not in _FORMATS:
        raise PhotoError(source, f"unsupported image format {im.format} (accepted: {_ACCEPTED})")
    w, h = im.size
    if w <= 0 or h <= 0:
        raise PhotoError(source, f"image has no pixels ({w}x{h})")
    if max(w, h) > MAX_SIDE_PIXELS or w * h > max_pixels:
        raise PhotoError(
            source,
            f"image is {w}x{h} ({w * h / 1e6:.0f} MP): absurd dimensions, over the limit of "
            f"{max_pixels / 1e6:.0f} MP and {MAX_SIDE_PIXELS} px a side (decompression bomb?)",
        )
    return im


def _decode_fully(im: Image.Image, source: str) -> None:
    """Decode every pixel of the first frame so truncation and corruption surface now."""
    # Another library in the process (WeasyPrint does) may have set Pillow's global
    # LOAD_TRUNCATED_IMAGES, which would decode a cut-off file silently: refuse anyway.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        im.load()  # Image.open leaves a multi-frame file (GIF-like WebP, MPO, HEIC) at frame 0
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(source, "decompression bomb refused") from None
    except MemoryError:
        raise PhotoError(source, "image too large to decode in memory") from None
    except Exception as exc:
        msg = _short(exc)
        if "truncated" in msg.lower() or isinstance(exc, (EOFError, SyntaxError)):
            raise PhotoError(source, f"truncated or corrupt image data: {msg}") from None
        raise PhotoError(source, f"corrupt image data: {msg}") from None


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode == "RGB":
        return im
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        return _sixteen_bit_to_l(im).convert("RGB")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im.convert("RGB")


def _sixteen_bit_to_l(im: Image.Image) -> Image.Image:
    arr = np.asarray(im, dtype=np.float64)
    top = 65535.0 if arr.max(initial=0) > 255 else 255.0
    return Image.fromarray(np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8), mode="L")


def sniff(raw: bytes) -> str:
    """What non-image bytes look like, for the error message."""
    head = raw[:1024]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html")) or b"<html" in stripped[:512] or b"<body" in stripped:
        return "looks like an HTML page"
    if b"<svg" in stripped[:512]:
        return "looks like an SVG drawing (vector, not a photo)"
    if stripped.startswith(b"<?xml"):
        return "looks like an XML document"
    if head.startswith(b"%PDF"):
        return "looks like a PDF document"
    if head.startswith(b"PK\x03\x04"):
        return "looks like a ZIP archive (or an Office document)"
    if head.startswith(b"\x1f\x8b"):
        return "looks like a gzip archive"
    if stripped.startswith((b"{", b"[")):
        return "looks like JSON text"
    if head[4:8] == b"ftyp":
        return f"an ISO media file ({head[8:12].decode('ascii', 'replace')}), e.g. a video, not a photo"
    try:
        text = head.decode("utf-8")
        if all(ch.isprintable() or ch in "\r\n\t" for ch in text):
            return "looks like plain text"
    except UnicodeDecodeError:
        pass
    return f"unknown binary data (starts with {head[:8].hex(' ')})"


def _parse_exif_time(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    if not isinstance(value, str):
        return None
    text = value.strip("\x00 ").strip()[:19]
    for fmt in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y:%m:%d %H:%M"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _rational(v) -> float:
    if isinstance(v, tuple) and len(v) == 2:
        num, den = float(v[0]), float(v[1])
        return num / den
    return float(v)


def _dms(value) -> float:
    parts = list(value) if isinstance(value, (tuple, list)) else [value]
    if not 1 <= len(parts) <= 3:
        raise ValueError("bad DMS")
    d = [_rational(p) for p in parts] + [0.0, 0.0]
    return d[0] + d[1] / 60.0 + d[2] / 3600.0


def _parse_gps(gps) -> tuple[float, float] | None:
    if not gps or 2 not in gps or 4 not in gps:
        return None
    lat = _dms(gps[2])
    lon = _dms(gps[4])
    lat_ref = str(gps.get(1, "N")).strip("\x00 ").upper()[:1]
    lon_ref = str(gps.get(3, "E")).strip("\x00 ").upper()[:1]
    if lat_ref == "S":
        lat = -lat
    if lon_ref == "W":
        lon = -lon
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        return None
    return (round(lat, 7), round(lon, 7))


def _clean_text(v) -> str:
    if isinstance(v, bytes):
        v = v.decode("utf-8", "ignore")
    if not isinstance(v, str):
        return ""
    return "".join(ch for ch in v if ch.isprintable()).strip()[:64]


def _camera(make, model) -> str | None:
    mk, md = _clean_text(make), _clean_text(model)
    if md.lower().startswith(mk.lower()):
        mk = ""
    text = f"{mk} {md}".strip()
    return text or None


@contextlib.contextmanager
def _quiet_decoder():
    """Pillow's warnings about corrupt metadata are dropped (the field is ignored); a
    decompression-bomb warning becomes an error that `_open_checked` turns into PhotoError."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def _one_line(exc: PhotoError) -> PhotoError:
    """The same error with control characters in the file name escaped, so it stays one line."""
    name = exc.source if isinstance(exc.source, str) else str(exc.source)
    clean = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in name)
    if len(clean) > 300:
        clean = clean[:140] + "..." + clean[-140:]
    reason = "".join(ch if ch.isprintable() else " " for ch in exc.reason)
    return exc if (clean, reason) == (exc.source, exc.reason) else PhotoError(clean, reason)


def _safe(fn, default):
    try:
        return fn()
    except Exception:
        return default


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m


_DCT32 = _dct_matrix(32)
