"""Photo ingest: formats, EXIF, rejections with one-line reasons, hashes."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from auditor.errors import PhotoError
from auditor.ingest import encode_jpeg, encode_png, hamming, load_image_rgba, load_photo, phash


def scene(w: int = 320, h: int = 240, seed: int = 0) -> np.ndarray:
    """A smooth scene with a few shapes: HxWx3 uint8."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([xx * 255 // w, yy * 255 // h, np.full_like(xx, 90)], axis=2).astype(np.uint8)
    for _ in range(6):
        x0, y0 = rng.integers(0, w - 40), rng.integers(0, h - 40)
        rgb[y0:y0 + rng.integers(10, 40), x0:x0 + rng.integers(10, 40)] = rng.integers(0, 255, 3)
    return rgb


def encode(rgb: np.ndarray, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("fmt,expected", [("JPEG", "JPEG"), ("PNG", "PNG"), ("WEBP", "WEBP")])
def test_accepts_common_formats(fmt, expected):
    rgb = scene()
    photo = load_photo(encode(rgb, fmt), f"shot.{fmt.lower()}")
    assert photo.format == expected
    assert photo.rgb.shape == (240, 320, 3) and photo.rgb.dtype == np.uint8
    assert (photo.width, photo.height) == (320, 240)
    assert photo.scale == 1.0
    assert len(photo.sha256) == 64 and len(photo.phash) == 16
    if fmt == "PNG":  # lossless: the pixels come back exactly
        assert np.array_equal(photo.rgb, rgb)


def test_reads_a_file_path(tmp_path):
    p = tmp_path / "a.png"
    p.write_bytes(encode(scene(), "PNG"))
    photo = load_photo(p)
    assert photo.source == str(p)
    assert photo.byte_size == p.stat().st_size


def test_big_jpeg_is_reduced_to_the_working_size_but_keeps_original_size():
    rgb = np.kron(scene(300, 200), np.ones((10, 10, 1), np.uint8))  # 3000x2000
    photo = load_photo(encode(rgb, "JPEG", quality=85), max_side=512)
    assert max(photo.rgb.shape[:2]) == 512
    assert (photo.width, photo.height) == (3000, 2000)
    assert photo.rgb.shape[:2] == (341, 512)
    assert photo.scale == pytest.approx(512 / 3000)


def test_exif_orientation_is_applied():
    rgb = np.zeros((40, 60, 3), np.uint8)
    rgb[:, :30] = (255, 0, 0)  # left half red as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # displayed rotated 90 degrees clockwise
    photo = load_photo(encode(rgb, "JPEG", exif=exif.tobytes(), quality=95))
    assert photo.exif.orientation == 6
    assert photo.rgb.shape == (60, 40, 3)
    assert (photo.width, photo.height) == (40, 60)
    top, bottom = photo.rgb[:25].mean(axis=(0, 1)), photo.rgb[35:].mean(axis=(0, 1))
    assert top[0] > 200 and bottom[0] < 50  # the stored left side is now on top


def test_exif_time_gps_and_camera_are_read():
    exif = Image.Exif()
    exif[0x010F] = "Acme"
    exif[0x0110] = "Acme PhoneCam 3"
    exif.get_ifd(0x8769)[0x9003] = "2026:05:01 10:20:30"
    exif.get_ifd(0x8825).update({1: "N", 2: (31.0, 13.0, 48.0), 3: "E", 4: (121.0, 28.0, 12.0)})
    photo = load_photo(encode(scene(), "JPEG", exif=exif.tobytes()))
    assert photo.exif.taken_at.isoformat() == "2026-05-01T10:20:30"
    lat, lon = photo.exif.gps
    assert lat == pytest.approx(31 + 13 / 60 + 48 / 3600, abs=1e-5)
    assert lon == pytest.approx(121 + 28 / 60 + 12 / 3600, abs=1e-5)
    assert photo.exif.camera == "Acme PhoneCam 3"


def test_southern_western_gps_is_negative():
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "S", 2: (33.0, 52.0, 0.0), 3: "W", 4: (70.0, 30.0, 0.0)})
    photo = load_photo(encode(scene(), "JPEG", exif=exif.tobytes()))
    assert photo.exif.gps[0] == pytest.approx(-(33 + 52 / 60), abs=1e-5)
    assert photo.exif.gps[1] == pytest.approx(-70.5, abs=1e-5)


def test_malformed_exif_fields_are_ignored():
    exif = Image.Exif()
    exif[0x0112] = 77  # not an orientation
    exif.get_ifd(0x8769)[0x9003] = "not a date at all" * 50
    exif.get_ifd(0x8825).update({1: "N", 2: (900.0, 0.0, 0.0), 3: "E", 4: (IFDRational(1, 0), 0.0, 0.0)})
    exif[0x010F] = "X" * 5000
    photo = load_photo(encode(scene(), "JPEG", exif=exif.tobytes()))
    assert photo.exif.orientation == 1
    assert photo.exif.taken_at is None
    assert photo.exif.gps is None
    assert len(photo.exif.camera) <= 64
    assert photo.rgb.shape == (240, 320, 3)


def test_zero_bytes(tmp_path):
    p = tmp_path / "empty.jpg"
    p.write_bytes(b"")
    with pytest.raises(PhotoError, match="empty file"):
        load_photo(p)


def test_html_renamed_to_jpg(tmp_path):
    p = tmp_path / "photo.jpg"
    p.write_text("<!DOCTYPE html><html><body>404 Not Found</body></html>")
    with pytest.raises(PhotoError) as err:
        load_photo(p)
    assert "not an image" in err.value.reason and "HTML" in err.value.reason
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("data,word", [
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "SVG"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
    (b"just some notes about the site visit\n", "text"),
])
def test_other_non_images_say_what_they_look_like(data, word):
    with pytest.raises(PhotoError, match=word):
        load_photo(data, "upload.jpg")


def test_truncated_jpeg():
    data = encode(scene(640, 480), "JPEG", quality=90)
    with pytest.raises(PhotoError, match="truncated"):
        load_photo(data[: len(data) // 2], "cut.jpg")


def test_over_the_byte_limit(tmp_path):
    data = encode(scene(), "PNG")
    with pytest.raises(PhotoError, match="over the limit"):
        load_photo(data, max_bytes=1000)
    p = tmp_path / "big.png"
    p.write_bytes(data)
    with pytest.raises(PhotoError, match="over the limit"):
        load_photo(p, max_bytes=1000)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height but carries almost no data (never decodable)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def test_20000_square_png_is_rejected_from_its_header():
    data = png_header_only(20000, 20000)
    assert len(data) < 200  # nothing was decoded to reject it: there is nothing to decode
    with pytest.raises(PhotoError) as err:
        load_photo(data, "bomb.png")
    assert "20000x20000" in err.value.reason and "absurd dimensions" in err.value.reason


def test_compressed_all_zero_bomb_is_rejected():
    # a real, fully decodable 12000x9000 gray PNG (108 MP) that compresses to ~100 KB
    raw = zlib.compress(b"\x00" * (12000 + 1) * 9000, 9)
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 12000, 9000, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
    with pytest.raises(PhotoError, match="12000x9000"):
        load_photo(data, "zeros.png")


def test_absurd_side_is_rejected_even_with_few_pixels():
    with pytest.raises(PhotoError, match="absurd dimensions"):
        load_photo(png_header_only(40000, 2), "strip.png")


def test_unsupported_format_is_named():
    with pytest.raises(PhotoError, match="unsupported image format GIF"):
        load_photo(encode(scene(), "GIF"), "anim.gif")


def test_multi_frame_webp_uses_the_first_frame():
    a, b = np.zeros((32, 32, 3), np.uint8), np.full((32, 32, 3), 255, np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="WEBP", save_all=True, append_images=[Image.fromarray(b)], lossless=True)
    photo = load_photo(buf.getvalue(), "anim.webp")
    assert photo.rgb.mean() < 5


def test_transparent_png_is_composited_on_white():
    rgba = np.zeros((10, 10, 4), np.uint8)
    photo = load_photo(encode(rgba, "PNG"))
    assert photo.rgb.min() == 255


def test_load_image_rgba_keeps_alpha(tmp_path):
    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[5:15, 5:25] = (10, 77, 162, 255)
    p = tmp_path / "logo.png"
    p.write_bytes(encode_png(rgba))
    out = load_image_rgba(p)
    assert out.shape == (20, 30, 4) and np.array_equal(out, rgba)
    p2 = tmp_path / "logo.jpg"
    p2.write_bytes(encode_jpeg(rgba[..., :3]))
    assert load_image_rgba(p2)[..., 3].min() == 255
    p3 = tmp_path / "broken.png"
    p3.write_bytes(b"<html></html>")
    with pytest.raises(PhotoError, match="HTML"):
        load_image_rgba(p3)


def test_missing_file():
    with pytest.raises(PhotoError, match="file not found"):
        load_photo("/nonexistent/photo.jpg")


def test_heic_if_the_encoder_is_available():
    pillow_heif = pytest.importorskip("pillow_heif")
    buf = io.BytesIO()
    try:
        Image.fromarray(scene()).save(buf, format="HEIF", quality=90)
    except Exception as exc:  # the wheel may ship a decoder without an encoder
        pytest.skip(f"no HEIF encoder here: {exc}")
    assert pillow_heif is not None
    photo = load_photo(buf.getvalue(), "phone.heic")
    assert photo.format == "HEIF" and photo.rgb.shape == (240, 320, 3)


def test_phash_near_duplicates_are_close_and_different_scenes_far():
    rgb = scene(400, 300, seed=1)
    a = load_photo(encode(rgb, "PNG"))
    rng = np.random.default_rng(5)
    noisy = np.clip(rgb.astype(int) + rng.normal(0, 6, rgb.shape), 0, 255).astype(np.uint8)
    small = np.asarray(Image.fromarray(noisy).resize((200, 150)))
    b = load_photo(encode(small, "JPEG", quality=60))
    c = load_photo(encode(scene(400, 300, seed=2)[:, ::-1].copy(), "PNG"))
    assert a.sha256 != b.sha256
    assert hamming(a.phash, b.phash) <= 6
    assert hamming(a.phash, c.phash) >= 16
    assert hamming(a.phash, a.phash) == 0


def test_phash_of_a_large_photo_matches_its_small_copy_and_not_another_scene():
    # 2000x1500 takes the box pre-reduction; 400x300 does not: the two paths must agree.
    big = np.asarray(Image.fromarray(scene(400, 300, seed=3)).resize((2000, 1500), Image.Resampling.BICUBIC))
    small = np.asarray(Image.fromarray(big).resize((400, 300), Image.Resampling.LANCZOS))
    other = np.asarray(Image.fromarray(scene(400, 300, seed=4)).resize((2000, 1500), Image.Resampling.BICUBIC))
    assert hamming(phash(big), phash(small)) <= 4
    assert hamming(phash(big), phash(other)) >= 16


def test_phash_of_gray_and_rgb_agree():
    rgb = np.repeat(scene()[..., :1], 3, axis=2)
    assert hamming(phash(rgb), phash(rgb[..., 0])) <= 2


def test_encode_roundtrip():
    rgb = scene()
    assert np.array_equal(load_photo(encode_png(rgb)).rgb, rgb)
    back = load_photo(encode_jpeg(rgb, quality=95)).rgb
    assert np.abs(back.astype(int) - rgb).mean() < 4
