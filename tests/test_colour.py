"""Colour science: sRGB -> Lab, CIEDE2000 against Sharma et al. (2005), white balance."""
from __future__ import annotations

import numpy as np
import pytest

from auditor.colour import (
    apply_white_balance,
    ciede2000,
    hex_to_lab,
    hex_to_rgb,
    lab_to_srgb,
    nearest_palette,
    srgb_to_lab,
    white_balance_gains,
)

# Test pairs from G. Sharma, W. Wu, E. N. Dalal, "The CIEDE2000 color-difference formula:
# implementation notes, supplementary test data, and mathematical observations",
# Color Research & Application 30(1), 2005, Table 1 (pair number in the comment).
SHARMA = [
    ((50.0000, 2.6772, -79.7751), (50.0000, 0.0000, -82.7485), 2.0425),  # 1
    ((50.0000, 3.1571, -77.2803), (50.0000, 0.0000, -82.7485), 2.8615),  # 2
    ((50.0000, 2.8361, -74.0200), (50.0000, 0.0000, -82.7485), 3.4412),  # 3
    ((50.0000, -1.3802, -84.2814), (50.0000, 0.0000, -82.7485), 1.0000),  # 4
    ((50.0000, 0.0000, 0.0000), (50.0000, -1.0000, 2.0000), 2.3669),  # 7
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0009), 7.1792),  # 13
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0011), 7.2195),  # 15
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0009, -2.4900), 4.8045),  # 17
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0011, -2.4900), 4.7461),  # 19
    ((50.0000, 2.5000, 0.0000), (73.0000, 25.0000, -18.0000), 27.1492),  # 22
    ((50.0000, 2.5000, 0.0000), (61.0000, -5.0000, 29.0000), 22.8977),  # 23
    ((50.0000, 2.5000, 0.0000), (56.0000, -27.0000, -3.0000), 31.9030),  # 24
    ((50.0000, 2.5000, 0.0000), (58.0000, 24.0000, 15.0000), 19.4535),  # 25
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.1736, 0.5854), 1.0000),  # 26
    ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),  # 34
    ((36.4612, 47.8580, 18.3852), (36.2715, 50.5065, 21.2231), 1.4146),  # 35
]


@pytest.mark.parametrize("lab1,lab2,expected", SHARMA)
def test_ciede2000_matches_sharma_table(lab1, lab2, expected):
    assert float(ciede2000(lab1, lab2)) == pytest.approx(expected, abs=1e-4)
    assert float(ciede2000(lab2, lab1)) == pytest.approx(expected, abs=1e-4)  # symmetric


def test_ciede2000_is_vectorised_and_broadcasts():
    a = np.array([p[0] for p in SHARMA])
    b = np.array([p[1] for p in SHARMA])
    d = ciede2000(a, b)
    assert d.shape == (len(SHARMA),)
    assert np.allclose(d, [p[2] for p in SHARMA], atol=1e-4)
    grid = ciede2000(a[:, None, :], b[None, :, :])
    assert grid.shape == (len(SHARMA), len(SHARMA))
    assert np.allclose(np.diag(grid), d)
    assert np.allclose(ciede2000(a, a), 0)


def test_srgb_to_lab_known_values():
    lab = srgb_to_lab(np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0], [128, 128, 128]], np.uint8))
    assert np.allclose(lab[0], [100, 0, 0], atol=0.01)
    assert np.allclose(lab[1], [0, 0, 0], atol=0.01)
    assert np.allclose(lab[2], [53.2408, 80.0925, 67.2032], atol=0.01)
    assert np.allclose(lab[3], [53.585, 0, 0], atol=0.01)
    # float input 0..1 gives the same
    assert np.allclose(srgb_to_lab(np.array([1.0, 0.0, 0.0])), lab[2])


def test_image_shaped_arrays_and_roundtrip():
    rgb = np.random.default_rng(0).integers(0, 256, (6, 7, 3), dtype=np.uint8)
    lab = srgb_to_lab(rgb)
    assert lab.shape == (6, 7, 3)
    assert np.allclose(lab_to_srgb(lab) * 255, rgb, atol=0.01)


def test_hex():
    assert hex_to_rgb("#0A4DA2") == (10, 77, 162)
    assert hex_to_rgb("0a4da2") == (10, 77, 162)
    assert hex_to_lab("#FFFFFF") == pytest.approx((100, 0, 0), abs=0.01)
    with pytest.raises(ValueError, match="expected a colour"):
        hex_to_rgb("#12345")


def test_nearest_palette():
    pal = np.array([hex_to_lab(h) for h in ("#0A4DA2", "#FFFFFF", "#E8702A")])
    idx, d = nearest_palette(srgb_to_lab(np.array([[12, 80, 160], [250, 250, 250], [230, 110, 40]], np.uint8)), pal)
    assert idx.tolist() == [0, 1, 2]
    assert (d < 5).all()


def tinted_scene(seed=0):
    rng = np.random.default_rng(seed)
    grey = rng.uniform(0.15, 0.85, (40, 60, 1))
    colours = rng.uniform(0.1, 0.9, (40, 60, 3))
    scene = 0.6 * grey + 0.4 * colours  # an average scene close to neutral
    tint = np.array([1.25, 1.0, 0.7])  # warm indoor light
    return (np.clip(scene * tint, 0, 1) * 255).astype(np.uint8)


@pytest.mark.parametrize("method", ["gray_world", "white_patch"])
def test_white_balance_removes_a_colour_cast(method):
    rgb = tinted_scene()
    gains = white_balance_gains(rgb, method=method)
    assert gains.shape == (3,) and gains[1] == pytest.approx(1.0)
    assert gains[0] < 1 < gains[2]  # less red, more blue
    balanced = apply_white_balance(rgb, gains)
    assert balanced.dtype == np.uint8 and balanced.shape == rgb.shape
    def cast(img):
        lab = srgb_to_lab(img).reshape(-1, 3)
        return np.hypot(lab[:, 1].mean(), lab[:, 2].mean())
    assert cast(balanced) < cast(rgb) / 2


def test_white_balance_of_a_flat_colour_is_bounded():
    gains = white_balance_gains(np.full((10, 10, 3), (5, 200, 5), np.uint8))
    assert (gains <= 4.0).all() and (gains >= 0.25).all()
    with pytest.raises(ValueError):
        white_balance_gains(tinted_scene(), method="magic")
