"""Bad input for the ingest: a bounded hypothesis fuzz run plus the classic hostile uploads.

The contract (auditor.ingest.load_photo): any bytes either decode into a sane Photo or raise
PhotoError with a one-line message; never another exception, never unbounded memory.
FUZZ_EXAMPLES (default 250) scales the fuzz run; CI runs it derandomized so it is repeatable.
"""
from __future__ import annotations

import io
import os
import struct
import tracemalloc
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from auditor.errors import PhotoError
from auditor.ingest import load_photo

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 250))


def _scene(w: int = 96, h: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)), ((x + y) % 256)], -1).astype(np.uint8)
    img[h // 4: h // 2, w // 4: w // 2] = rng.integers(0, 255, 3, dtype=np.uint8)
    return img


def _exif_bytes(**tags) -> bytes:
    exif = Image.Exif()
    exif[0x0110] = "FuzzCam"  # Model
    exif[0x0112] = tags.pop("orientation", 1)
    for tag, value in tags.items():
        exif[int(tag[3:], 16) if tag.startswith("tag") else tag] = value
    return exif.tobytes()


def jpeg_bytes(w: int = 96, h: int = 64, exif: bytes | None = None, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(_scene(w, h)).save(buf, "JPEG", quality=quality, exif=exif or _exif_bytes())
    return buf.getvalue()


def png_bytes(w: int = 80, h: int = 48, mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(_scene(w, h)).convert(mode).save(buf, "PNG")
    return buf.getvalue()


SEEDS = {"jpeg": jpeg_bytes(), "png": png_bytes(), "png_rgba": png_bytes(mode="RGBA"), "png_p": png_bytes(mode="P")}


def assert_contract(data: bytes, source: str = "fuzz.jpg"):
    """load_photo either returns a sane Photo or raises PhotoError (one line); returns it or the error."""
    try:
        photo = load_photo(data, source)
    except PhotoError as exc:
        message = str(exc)
        assert message and "\n" not in message, f"PhotoError message not one line: {message!r}"
        return exc
    except Exception as exc:  # the contract is broken: report the input's size and the exception
        pytest.fail(f"load_photo raised {type(exc).__name__} (not PhotoError) on {len(data)} bytes: {exc}")
    rgb = photo.rgb
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    assert 0 < rgb.shape[0] <= 2048 and 0 < rgb.shape[1] <= 2048
    assert photo.width > 0 and photo.height > 0
    return photo


# --- fuzz --------------------------------------------------------------------------------------

@st.composite
def mutated(draw):
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete", "splice", "dup"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[i] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, 0xD8, 0xD9, 0xDA, 0xC0]))
        elif op == "truncate":
            del data[i:]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=64))
        elif op == "delete":
            del data[i: i + draw(st.integers(1, 256))]
        elif op == "splice":  # a chunk of another format's bytes (headers meeting the wrong body)
            other = SEEDS[draw(st.sampled_from(sorted(SEEDS)))]
            j = draw(st.integers(0, len(other) - 1))
            data[i: i + 64] = other[j: j + 64]
        elif op == "dup":
            data[i:i] = data[i: i + draw(st.integers(1, 512))]
    return bytes(data)


@pytest.mark.slow
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=os.environ.get("FUZZ_RANDOM") != "1",
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_fuzz_mutated_images_only_raise_photo_error(data):
    assert_contract(data)


@settings(max_examples=max(50, FUZZ_EXAMPLES // 5), deadline=None, derandomize=os.environ.get("FUZZ_RANDOM") != "1")
@given(st.binary(max_size=2048))
def test_fuzz_random_bytes(data):
    assert_contract(data)


@settings(max_examples=max(50, FUZZ_EXAMPLES // 5), deadline=None, derandomize=os.environ.get("FUZZ_RANDOM") != "1")
@given(st.sampled_from([b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"GIF89a"]),
       st.binary(max_size=512))
def test_fuzz_valid_magic_garbage_body(magic, body):
    assert_contract(magic + body)


# --- the hostile uploads -----------------------------------------------------------------------

def test_zero_bytes():
    err = assert_contract(b"", "empty.jpg")
    assert isinstance(err, PhotoError) and "empty" in str(err)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_truncated_jpeg(keep):
    data = jpeg_bytes(640, 480)
    err = assert_contract(data[: int(len(data) * keep)], "cut.jpg")
    assert isinstance(err, PhotoError), "a truncated JPEG must be refused, not decoded with grey fill"
    assert "cut.jpg" in str(err)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_bomb(w: int, h: int) -> bytes:
    """A real decompression bomb: w x h grey zeros, compressed to a few hundred KB."""
    comp = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * w
    parts = []
    for _ in range(h // 64):
        parts.append(comp.compress(row * 64))
    parts.append(comp.flush())
    idat = b"".join(parts)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def test_png_decompression_bomb_is_refused_before_decoding():
    bomb = png_bomb(12_000, 12_000)  # 144 MP of zeros in ~150 KB
    assert len(bomb) < 1_000_000
    tracemalloc.start()
    try:
        err = assert_contract(bomb, "bomb.png")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(err, PhotoError) and "bomb.png" in str(err)
    assert peak < 50_000_000, f"bomb used {peak / 1e6:.0f} MB before being refused"


def test_png_with_lying_header_dimensions():
    real = png_bytes(64, 64)
    # Claim 30,001 x 1 in IHDR (absurd side) with the real IDAT: refused at the header.
    ihdr = struct.pack(">IIBBBBB", 30_001, 1, 8, 2, 0, 0, 0)
    liar = real[:8] + _png_chunk(b"IHDR", ihdr) + real[8 + 25:]
    assert isinstance(assert_contract(liar, "liar.png"), PhotoError)


def test_200_mb_file_is_refused_by_size_without_reading_it(tmp_path):
    path = tmp_path / "huge.jpg"
    with open(path, "wb") as fh:  # sparse: 200 MB on paper, nothing on disk
        fh.write(jpeg_bytes()[:2])
        fh.truncate(200 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(PhotoError) as info:
            load_photo(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "limit" in str(info.value)
    assert peak < 5_000_000, f"read {peak / 1e6:.0f} MB of a file it should have refused by its size"


def test_oversized_bytes_are_refused_by_size():
    data = jpeg_bytes() + b"\x00" * 2_000_000
    with pytest.raises(PhotoError) as info:
        load_photo(data, "big.jpg", max_bytes=1_000_000)
    assert "limit" in str(info.value)


def test_polyglots():
    jpeg = jpeg_bytes()
    # A valid JPEG with a ZIP / script appended: decodes as the JPEG it is (the trailer is ignored
    # by decoders and never interpreted), or is refused; nothing else.
    trailer = b"PK\x03\x04" + b"\x00" * 26 + b"<script>alert(1)</script>"
    assert_contract(jpeg + trailer, "poly.jpg")
    # GIF/JavaScript polyglot: GIF is not an accepted format.
    gifjs = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;alert(1);" + b"\x00" * 32
    assert isinstance(assert_contract(gifjs, "poly.gif"), PhotoError)
    # HTML that starts with JPEG magic.
    assert isinstance(assert_contract(b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>", "x.jpg"),
                      PhotoError)


@pytest.mark.parametrize("payload", [
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9"/></svg>',
    b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
    b"\xef\xbb\xbf<html><img src=x onerror=alert(1)></html>",
    b"%PDF-1.7\n1 0 obj<<>>endobj\n",
    b"MZ\x90\x00\x03\x00\x00\x00",
])
def test_not_images_renamed_jpg(payload):
    err = assert_contract(payload, "photo.jpg")
    assert isinstance(err, PhotoError) and "photo.jpg" in str(err)


@pytest.mark.parametrize("tags", [
    {"tag9286": b"ASCII\x00\x00\x00" + b"A" * 60_000},  # UserComment: 60 KB
    {"tag010e": "x" * 65_000},  # ImageDescription: 65 KB
    {"orientation": 99},
    {"orientation": 0},
    {"tag0132": "9999:99:99 99:99:99"},  # DateTime nonsense
    {"tag0132": "\x00\x01\x02"},
    {"tag010f": "\udcff" if False else "Make\x00\x1b[31m"},  # control characters in Make
])
def test_exif_with_huge_or_malformed_fields(tags):
    photo = assert_contract(jpeg_bytes(exif=_exif_bytes(**tags)), "exif.jpg")
    if not isinstance(photo, PhotoError):
        assert photo.width == 96 and photo.height == 64 or photo.width == 64 and photo.height == 96


def test_exif_gps_with_zero_denominators_and_garbage():
    from PIL.TiffImagePlugin import IFDRational

    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (IFDRational(1, 0), IFDRational(0, 0), IFDRational(5, 0))  # division by zero everywhere
    gps[3] = "Q"
    gps[4] = (IFDRational(10**9, 1), IFDRational(1, 1), IFDRational(1, 1))  # a billion degrees east
    raw = exif.tobytes()
    result = assert_contract(jpeg_bytes(exif=raw), "gps.jpg")
    if not isinstance(result, PhotoError) and result.exif.gps is not None:
        lat, lon = result.exif.gps
        assert -90 <= lat <= 90 and -180 <= lon <= 180


def test_corrupt_exif_segment_bytes():
    data = bytearray(jpeg_bytes(exif=_exif_bytes(tag010e="y" * 2000)))
    start = data.find(b"Exif\x00\x00")
    assert start > 0
    for offset in range(start + 6, start + 200, 7):  # smash the TIFF header and IFD entries
        data[offset] ^= 0xA5
    assert_contract(bytes(data), "badexif.jpg")


@pytest.mark.parametrize("name", [
    "../../../../etc/passwd", "..\\..\\windows\\system32\\x.jpg", "/abs/path.jpg", "a\x00b.jpg",
    "line\nbreak.jpg",
    "bell\x07\x1b[2J.jpg", "\u202egpj.exe", "x" * 5000 + ".jpg", "",
])
def test_hostile_source_names_stay_one_line(name):
    err = assert_contract(b"not an image at all", name)
    assert isinstance(err, PhotoError)
    good = assert_contract(jpeg_bytes(), name)
    assert not isinstance(good, PhotoError)


def test_ten_thousand_pixel_panorama():
    pano = jpeg_bytes(10_000, 700, quality=70)
    photo = assert_contract(pano, "pano.jpg")
    assert not isinstance(photo, PhotoError), photo
    assert (photo.width, photo.height) == (10_000, 700)
    assert max(photo.rgb.shape[:2]) <= 2048
    assert abs(photo.rgb.shape[1] / photo.rgb.shape[0] - 10_000 / 700) < 0.2  # aspect kept
