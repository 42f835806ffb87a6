"""Neighbouring OCR lines joined into blocks (`auditor.ocr._blocks`)."""
from __future__ import annotations

from auditor.ocr import TextLine, _blocks
from auditor.types import Region


def line(text: str, xyxy) -> TextLine:
    x0, y0, x1, y1 = xyxy
    return TextLine(text, 0.99, Region.from_polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)]))


def test_a_line_joined_into_a_row_still_stacks_with_the_line_above_it():
    # A two-line sign on the left, and on its second row, a little to the right, another sign's
    # line close enough to count as the same row: the sign's two lines must still make a block.
    top = line("EXPERIENCE", (36, 236, 189, 280))
    bottom = line("FIBRE HERE", (36, 266, 179, 310))
    beside = line("Open to Public.", (238, 247, 400, 313))
    texts = [b.text for b in _blocks([top, bottom, beside])]
    assert "FIBRE HERE Open to Public." in texts  # the row join still happens
    assert "EXPERIENCE FIBRE HERE" in texts


def test_lines_far_apart_make_no_block():
    a = line("EXPERIENCE", (36, 20, 189, 60))
    b = line("FIBRE HERE", (36, 400, 179, 440))
    assert _blocks([a, b]) == []
