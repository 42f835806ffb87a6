"""Colour science in pure numpy: sRGB -> CIE L*a*b* (D65), CIEDE2000, white balance.

Conventions: `rgb` arrays are ...x3, uint8 0..255 or float 0..1 (floats are taken as
already scaled to 0..1); `lab` arrays are ...x3 float64 with L* 0..100 and a*, b*
roughly -128..127.
"""
from __future__ import annotations

import re

import numpy as np

# D65 reference white (2 degree observer), XYZ with Y = 1
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883])
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_HEX = re.compile(r"#?([0-9a-fA-F]{6})")


def _as_unit_rgb(rgb) -> np.ndarray:
    arr = np.asarray(rgb)
    if arr.shape[-1] != 3:
        raise ValueError(f"expected an array of ...x3 RGB values, got shape {arr.shape}")
    if arr.dtype == np.uint8 or np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.float64) / 255.0
    return arr.astype(np.float64)


def srgb_to_linear(rgb) -> np.ndarray:
    """...x3 sRGB (uint8 or float 0..1) -> linear-light RGB float 0..1."""
    c = np.clip(_as_unit_rgb(rgb), 0.0, 1.0)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def srgb_to_lab(rgb) -> np.ndarray:
    """...x3 sRGB (uint8 0..255 or float 0..1) -> ...x3 CIE L*a*b* (D65), float64."""
    xyz = srgb_to_linear(rgb) @ _RGB_TO_XYZ.T
    t = xyz / _WHITE_D65
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(t > eps, np.cbrt(t), (kappa * t + 16) / 116)
    L = 116 * f[..., 1] - 16
    a = 500 * (f[..., 0] - f[..., 1])
    b = 200 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], axis=-1)


def lab_to_srgb(lab) -> np.ndarray:
    """...x3 CIE L*a*b* (D65) -> ...x3 sRGB float 0..1 (clipped to the gamut)."""
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16) / 116
    fx = fy + lab[..., 1] / 500
    fz = fy - lab[..., 2] / 200
    eps, kappa = 216 / 24389, 24389 / 27
    def inv(f):
        return np.where(f ** 3 > eps, f ** 3, (116 * f - 16) / kappa)
    xyz = np.stack([inv(fx), np.where(lab[..., 0] > kappa * eps, fy ** 3, lab[..., 0] / kappa), inv(fz)], -1)
    lin = (xyz * _WHITE_D65) @ np.linalg.inv(_RGB_TO_XYZ).T
    lin = np.clip(lin, 0.0, 1.0)
    return np.where(lin <= 0.0031308, lin * 12.92, 1.055 * lin ** (1 / 2.4) - 0.055)


def hex_to_rgb(hex_colour: str) -> tuple[int, int, int]:
    """'#RRGGBB' (or 'RRGGBB') -> (r, g, b) 0..255; ValueError otherwise."""
    m = _HEX.fullmatch(hex_colour.strip()) if isinstance(hex_colour, str) else None
    if not m:
        raise ValueError(f"expected a colour like '#0A4DA2', got {hex_colour!r}")
    h = m.group(1)
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))


def hex_to_lab(hex_colour: str) -> tuple[float, float, float]:
    """'#RRGGBB' -> (L*, a*, b*) under D65."""
    L, a, b = srgb_to_lab(np.array(hex_to_rgb(hex_colour), dtype=np.uint8))
    return (float(L), float(a), float(b))


def ciede2000(lab1, lab2, kL: float = 1.0, kC: float = 1.0, kH: float = 1.0) -> np.ndarray:
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005), vectorised.

    `lab1`, `lab2`: ...x3 arrays broadcastable to each other. Returns the ... shaped
    float64 array of Delta E00 (0 = identical; about 2 is a just-noticeable difference).
    """
    lab1 = np.asarray(lab1, dtype=np.float64)
    lab2 = np.asarray(lab2, dtype=np.float64)
    L1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    L2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]

    C1 = np.hypot(a1, b1)
    C2 = np.hypot(a2, b2)
    C_bar = (C1 + C2) / 2
    C_bar7 = C_bar ** 7
    G = 0.5 * (1 - np.sqrt(C_bar7 / (C_bar7 + 25.0 ** 7)))
    a1p = (1 + G) * a1
    a2p = (1 + G) * a2
    C1p = np.hypot(a1p, b1)
    C2p = np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    zero = (C1p * C2p) == 0

    dLp = L2 - L1
    dCp = C2p - C1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, dh)
    dh = np.where(dh < -180, dh + 360, dh)
    dh = np.where(zero, 0.0, dh)
    dHp = 2 * np.sqrt(C1p * C2p) * np.sin(np.radians(dh) / 2)

    Lp_bar = (L1 + L2) / 2
    Cp_bar = (C1p + C2p) / 2
    hsum = h1p + h2p
    hp_bar = np.where(
        np.abs(h1p - h2p) <= 180,
        hsum / 2,
        np.where(hsum < 360, (hsum + 360) / 2, (hsum - 360) / 2),
    )
    hp_bar = np.where(zero, hsum, hp_bar)

    T = (
        1
        - 0.17 * np.cos(np.radians(hp_bar - 30))
        + 0.24 * np.cos(np.radians(2 * hp_bar))
        + 0.32 * np.cos(np.radians(3 * hp_bar + 6))
        - 0.20 * np.cos(np.radians(4 * hp_bar - 63))
    )
    d_theta = 30 * np.exp(-(((hp_bar - 275) / 25) ** 2))
    Cp_bar7 = Cp_bar ** 7
    R_C = 2 * np.sqrt(Cp_bar7 / (Cp_bar7 + 25.0 ** 7))
    S_L = 1 + 0.015 * (Lp_bar - 50) ** 2 / np.sqrt(20 + (Lp_bar - 50) ** 2)
    S_C = 1 + 0.045 * Cp_bar
    S_H = 1 + 0.015 * Cp_bar * T
    R_T = -np.sin(np.radians(2 * d_theta)) * R_C

    tL = dLp / (kL * S_L)
    tC = dCp / (kC * S_C)
    tH = dHp / (kH * S_H)
    return np.sqrt(tL ** 2 + tC ** 2 + tH ** 2 + R_T * tC * tH)


def white_balance_gains(rgb, method: str = "gray_world", percentile: float = 99.0) -> np.ndarray:
    """Per-channel gains (3,) float64 that neutralise the scene illuminant, green gain = 1.

    Args:
        rgb: HxWx3 (or Nx3) uint8 / float 0..1 sRGB pixels.
        method: "gray_world" (the average scene is grey; robust for varied scenes, clipped
            and near-black pixels ignored) or "white_patch" (the brightest unclipped pixels,
            at `percentile`, are white).
    Gains are computed on linear light and clipped to 0.25..4 so a one-coloured
    photo (a big blue wall) cannot be pushed absurdly far.
    """
    lin = srgb_to_linear(rgb).reshape(-1, 3)
    valid = (lin.max(axis=1) < 0.98) & (lin.max(axis=1) > 0.02)
    if valid.sum() >= 16:
        lin = lin[valid]
    if lin.size == 0:
        return np.ones(3)
    if method == "gray_world":
        ref = lin.mean(axis=0)
    elif method == "white_patch":
        ref = np.percentile(lin, percentile, axis=0)
    else:
        raise ValueError(f"unknown white balance method '{method}' (gray_world, white_patch)")
    ref = np.maximum(ref, 1e-6)
    gains = ref[1] / ref
    return np.clip(gains, 0.25, 4.0)


def apply_white_balance(rgb, gains) -> np.ndarray:
    """Apply (3,) linear-light gains to ...x3 sRGB; returns the same dtype (uint8 or float 0..1)."""
    arr = np.asarray(rgb)
    lin = srgb_to_linear(arr) * np.asarray(gains, dtype=np.float64)
    lin = np.clip(lin, 0.0, 1.0)
    srgb = np.where(lin <= 0.0031308, lin * 12.92, 1.055 * lin ** (1 / 2.4) - 0.055)
    if arr.dtype == np.uint8:
        return np.clip(srgb * 255 + 0.5, 0, 255).astype(np.uint8)
    return srgb


def nearest_palette(lab, palette_labs) -> tuple[np.ndarray, np.ndarray]:
    """For ...x3 `lab` and Kx3 `palette_labs`: (index ..., Delta E00 ...) of the closest colour."""
    lab = np.asarray(lab, dtype=np.float64)
    pal = np.asarray(palette_labs, dtype=np.float64)
    d = ciede2000(lab[..., None, :], pal)
    idx = d.argmin(axis=-1)
    return idx, np.take_along_axis(d, idx[..., None], axis=-1)[..., 0]


def neutral_surface_gains(rgb, max_cast: float = 0.25, band: float = 0.1, min_share: float = 0.05,
                          clip: tuple[float, float] = (0.8, 1.25)) -> np.ndarray | None:
    """Per-channel linear gains (3,), green = 1, from the photo's own near-neutral surfaces, or None.

    Walls, ceilings, floors, paper and grey metal are neutral in most rooms, whatever the
    colourful things in front of them (grey world is pulled by a big blue wall or an orange
    crowd). Candidates are the brighter half of the unclipped pixels whose chromaticity is
    within `max_cast` (log R/G and log B/G) of grey; the illuminant is their median
    chromaticity, refined twice on the candidates within `band` of it. None when fewer than
    `min_share` of the pixels are such surfaces (then nothing in the photo is known to be
    neutral). Gains are clipped to `clip`: a phone has already balanced its photo roughly.
    """
    lin = srgb_to_linear(rgb).reshape(-1, 3)
    Y = lin @ _RGB_TO_XYZ[1]
    ok = (lin.max(axis=1) < 0.95) & (lin.min(axis=1) > 1e-3)
    if ok.sum() < 64:
        return None
    ok &= Y >= np.median(Y[ok])
    lg = np.log(np.maximum(lin, 1e-4))
    u, v = lg[:, 0] - lg[:, 1], lg[:, 2] - lg[:, 1]
    cu, cv_, reach = 0.0, 0.0, max_cast
    for _ in range(3):
        cand = ok & (np.abs(u - cu) <= reach) & (np.abs(v - cv_) <= reach)
        if cand.sum() < min_share * len(lin):
            return None
        cu, cv_ = float(np.median(u[cand])), float(np.median(v[cand]))
        if max(abs(cu), abs(cv_)) > max_cast:
            return None
        reach = band
    return np.clip(np.exp([-cu, 0.0, -cv_]), *clip)
