"""Evaluation of the checks on labelled photo sets (format: spec/labels.md).

- `labels`: read and validate a set (`load_label_set`), with one-line `LabelSetError`s.
- `metrics`: pure metric functions (precision/recall/F1, macro-F1, IoU matching, text matching).
- `runner`: run checks as the pipeline does while keeping each photo's context (OCR lines).
- `evaluate`: run a set and compute the metrics table (`evaluate_set`).
- `table`: the table for people.
"""
from auditor.evaluation.labels import LabelSet, load_label_set  # noqa: F401
