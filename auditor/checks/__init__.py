"""Vision checks: pure functions of (photo context, parameters) registered by id.

Importing this package registers every check. It must never import torch, flask
or the database layer: the network runs in `auditor.inference`, reached only
through the `net` signal.

Check ids and the `values` keys each one reports (evaluation and scoring read them):

| check id              | values                                                        |
|-----------------------|---------------------------------------------------------------|
| quality.photo         | sharpness, short_side, mean_luma, ok (bool)                   |
| lighting.exposure     | exposure ("dark" / "ok" / "overexposed"), mean_luma, ...     |
| lighting.night        | night (bool), ...                                             |
| lighting.signs_lit    | signs_lit (bool or None), worst_contrast, ...                 |
| logo.present          | present (bool), score; findings of kind "logo" with the quad  |
| logo.placement        | placement_ok (bool or None), relative_width, tilt_deg, ...    |
| logo.condition        | delta_e, contrast, damaged_share, ...                         |
| logo.wrong_mark       | wrong_marks (list of reference ids)                           |
| signage.text_required | found (list), missing (list); findings of kind "text"         |
| signage.colour        | delta_e, colour (hex), palette_name                           |
| signage.directions    | arrow (bool), entrance_text (bool)                            |
| clean.defects         | clean (bool), kinds (list); findings of a defect kind         |
| clean.reference       | aligned (bool or None), confirmed (kinds), changed_share, ... |
| people.detect         | count (int); findings of kind "person" with role, badge       |
| people.uniform        | uniform_ok (bool or None), roles (list)                       |
| people.badge          | badge_visible (bool or None), with_badge, without_badge       |
| area.classify         | area (str), probabilities (dict)                              |

Signals (see `context.py`): `text` (OCR lines), `logo` (logo matches), `net`
(network outputs), `reference_diff` (changes against the approved reference photo).
"""
from auditor.checks.context import PhotoContext, signal  # noqa: F401
from auditor.checks.registry import CHECKS, CheckSpec, get_check, register, run_check  # noqa: F401

# Importing the modules registers their checks and signals.
from auditor.checks import quality, lighting, logo, signage, clean, reference, people, area  # noqa: E402,F401
