"""What each photo of a set shows: area, light, logo case, defects, people (a PhotoSpec).

Planning is sequential and deterministic: photo i of a set depends only on (seed, split, i)
and on how often each case was used before it, so every set covers every area, defect kind,
logo case and lighting case in proportion, and a longer set starts with the shorter one.
Splits draw from disjoint random streams (the split is part of the seed sequence).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from samples.generator.defects import HOST_OF
from samples.generator.materials import MATERIALS

AREAS = ("facade", "entrance", "driveway", "reception", "workshop", "lounge", "staff")
OUTDOOR = ("facade", "entrance", "driveway")
# one block of photos: every area once, facade and staff twice (logo and people need more)
BLOCK = ("facade", "facade", "entrance", "driveway", "reception", "workshop", "lounge", "staff", "staff")
SPLIT_CODES = {"train": 1, "val": 2, "test": 3}

DEFECTS_BY_AREA = {
    "facade": ("rust", "damage", "dirty_glass", "dead_greenery", "litter", "stain", "clutter"),
    "entrance": ("litter", "stain", "dirty_glass", "dead_greenery", "rust", "damage"),
    "driveway": ("litter", "stain", "clutter", "rust", "dead_greenery", "damage"),
    "reception": ("litter", "stain", "dirty_glass", "clutter", "damage"),
    "workshop": ("litter", "stain", "clutter", "rust", "damage"),
    "lounge": ("litter", "stain", "dirty_glass", "dead_greenery", "clutter", "damage"),
    "staff": ("litter", "stain", "damage"),
}
FACADE_CASES = ("good", "low", "good", "deprecated", "small", "good", "foreign", "tilted", "good", "none")
EXPOSURE_CYCLE = ("ok", "ok", "ok", "dark", "ok", "ok", "overexposed", "ok", "ok")


@dataclass(frozen=True)
class PhotoSpec:
    index: int
    area: str
    scene: str  # which builder draws it: facade, entrance, driveway, reception, workshop, lounge
    night: bool
    exposure: str  # dark / ok / overexposed
    signs_lit: bool | None  # at night: whether the signs are on
    logo_case: str  # facade: good/low/small/tilted/deprecated/foreign/none; reception: wall/none
    material: str
    defects: tuple[str, ...]
    decoys: int
    people: int
    wrong_uniforms: int  # how many of the people wear colours of no role
    badges: tuple[bool, ...]
    obstacles: bool
    strong_warp: bool
    hosts: frozenset = field(default_factory=frozenset)

    @property
    def indoor(self) -> bool:
        return self.area not in OUTDOOR

    @property
    def placement_labelled(self) -> bool:
        return self.area == "facade" and self.logo_case in ("good", "low", "small", "tilted")


def photo_rng(seed: int, split: str, index: int, stream: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), SPLIT_CODES[split], int(index), stream]))


def plan_set(n: int, seed: int, split: str = "train") -> list[PhotoSpec]:
    if split not in SPLIT_CODES:
        raise ValueError(f"unknown split '{split}' (known: {', '.join(SPLIT_CODES)})")
    used: Counter = Counter()
    specs = []
    for i in range(n):
        specs.append(_plan_one(i, seed, split, used))
    return specs


def _plan_one(i: int, seed: int, split: str, used: Counter) -> PhotoSpec:
    block_rng = photo_rng(seed, split, i // len(BLOCK), stream=1)
    order = block_rng.permutation(len(BLOCK))
    area = BLOCK[order[i % len(BLOCK)]]
    rng = photo_rng(seed, split, i)
    k = used[area]
    used[area] += 1
    scene = area
    if area == "staff":
        scene = ("reception", "workshop", "lounge")[int(rng.integers(3))]
    # light
    night = False
    signs_lit = None
    if area in OUTDOOR:
        n_out = used["outdoor:" + area]
        used["outdoor:" + area] += 1
        night = n_out % 4 == 3
        if night:
            signs_lit = used["night:" + area] % 2 == 0
            used["night:" + area] += 1
    if night:
        exposure = "dark" if used["night_exp"] % 5 == 4 else "ok"
        used["night_exp"] += 1
    else:
        exposure = EXPOSURE_CYCLE[(used["exp"] + int(block_rng.integers(0, 3))) % len(EXPOSURE_CYCLE)]
        used["exp"] += 1
    # logo
    logo_case = "none"
    if area == "facade":
        logo_case = FACADE_CASES[k % len(FACADE_CASES)]
    elif scene == "reception" and rng.random() < 0.5:
        logo_case = "wall"
    material = MATERIALS[used["material"] % len(MATERIALS)]
    used["material"] += 1
    # cleanliness: every other photo (a quarter of staff photos) is dirty, least-used kinds first
    dirty_turn = used["dirty_turn"]
    used["dirty_turn"] += 1
    dirty = (dirty_turn % 2 == 1) if area != "staff" else (k % 4 == 3)
    defects: list[str] = []
    if dirty:
        options = list(DEFECTS_BY_AREA[area])
        rng.shuffle(options)
        options.sort(key=lambda kind: used["defect:" + kind])
        n_kinds = 1 if rng.random() < 0.6 else 2
        defects = options[:n_kinds]
        for kind in defects:
            used["defect:" + kind] += 1
    hosts = frozenset(HOST_OF[d] for d in defects)
    # people
    people = 0
    wrong = 0
    if area == "staff":
        people = int(rng.integers(1, 7))
        if used["staff_wrong"] % 3 == 2:
            wrong = int(rng.integers(1, people + 1))
        used["staff_wrong"] += 1
    elif scene in ("reception", "workshop") and rng.random() < 0.3:
        people = int(rng.integers(1, 3))
    badge_mode = used["badge"] % 3
    used["badge"] += 1 if people else 0
    badges = tuple(bool(badge_mode == 0 or (badge_mode == 2 and rng.random() < 0.5)) for _ in range(people))
    obstacles = area == "driveway" and used["obst"] % 2 == 1
    if area == "driveway":
        used["obst"] += 1
    strong = (not (area == "facade" and logo_case in ("good", "low", "small", "tilted"))) and rng.random() < 0.3
    return PhotoSpec(index=i, area=area, scene=scene, night=night, exposure=exposure, signs_lit=signs_lit,
                     logo_case=logo_case, material=material, defects=tuple(defects),
                     decoys=int(rng.integers(1, 4)) if rng.random() < 0.8 else 0,
                     people=people, wrong_uniforms=wrong, badges=badges, obstacles=obstacles,
                     strong_warp=strong, hosts=hosts)
