"""Torch networks of the audit: the pretrained backbone, the project's heads, their training.

Only `auditor.inference` (at run time) and `auditor.training` (for `auditor train`)
import this package; it never imports `auditor`.
"""
