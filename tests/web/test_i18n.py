"""The Chinese catalogue covers every message the app shows, and the compiled catalogue is current."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "web"


def test_every_message_is_translated_to_chinese(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(WEB / "babel.cfg"),
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
                   cwd=WEB.parent, check=True, capture_output=True)
    wanted = {m.id for m in read_po(pot.open("rb")) if m.id}
    po = {m.id: m.string for m in read_po((WEB / "translations/zh/LC_MESSAGES/messages.po").open("rb")) if m.id}
    assert not sorted(wanted - set(po)), "run pybabel update: messages missing from the zh catalogue"
    assert not sorted(i for i in wanted if not po.get(i)), "untranslated messages"
    mo = {m.id: m.string for m in read_mo((WEB / "translations/zh/LC_MESSAGES/messages.mo").open("rb")) if m.id}
    assert {i: po[i] for i in wanted} == {i: mo.get(i) for i in wanted}, "run pybabel compile -d web/translations"


def test_every_defect_kind_has_a_label_for_the_reader():
    from auditor.checks.netsignal import DEFECT_KINDS
    from web.views_common import FINDING_LABELS

    shown = set(DEFECT_KINDS) | {"logo", "wrong_mark", "text", "person", "change", "dark_sign"}
    missing = sorted(shown - set(FINDING_LABELS))
    assert not missing, f"finding kinds shown raw: {missing}"
