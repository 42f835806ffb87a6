"""Dealership brand-identity audit: the library and the `auditor` command (no Flask, no database)."""

__version__ = "0.1.0"
