"""The check registry: check id -> a pure function of (photo context, parameters).

A check is registered with its default parameters (thresholds) and the signals it
reads. Scoring, the CLI and the web app find checks here by id; nothing else
imports a check module directly.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

from auditor.types import CheckResult, Verdict

log = logging.getLogger(__name__)

CheckFunc = Callable[["PhotoContext", Mapping[str, Any]], CheckResult]  # noqa: F821


@dataclass(frozen=True)
class CheckSpec:
    check_id: str
    func: CheckFunc
    title_en: str
    title_zh: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    needs: tuple[str, ...] = ()  # signal names the check reads (see auditor.checks.context)
    implemented: bool = True
    # signals read only when a predicate on the merged parameters holds (a look the config can switch off)
    needs_if: Mapping[str, Callable[[Mapping[str, Any]], bool]] = field(default_factory=dict)

    def signals_needed(self, params: Mapping[str, Any] | None = None) -> tuple[str, ...]:
        """The signals this check reads with `params` overlaid on its defaults."""
        merged = {**self.defaults, **(params or {})}
        return tuple(n for n in self.needs if n not in self.needs_if or self.needs_if[n](merged))


CHECKS: dict[str, CheckSpec] = {}


def register(
    check_id: str,
    *,
    title_en: str,
    title_zh: str,
    defaults: Mapping[str, Any] | None = None,
    needs: tuple[str, ...] = (),
    needs_if: Mapping[str, Callable[[Mapping[str, Any]], bool]] | None = None,
    implemented: bool = True,
) -> Callable[[CheckFunc], CheckFunc]:
    """Decorator: register `func` as the check `check_id` (a dotted id such as `logo.present`).

    `needs_if` maps some of `needs` to a predicate on the check's parameters: the signal is
    computed ahead (batched) only for photos whose parameters want it.
    """
    unknown = set(needs_if or {}) - set(needs)
    if unknown:
        raise ValueError(f"{check_id}: needs_if names signals not in needs: {sorted(unknown)}")

    def deco(func: CheckFunc) -> CheckFunc:
        CHECKS[check_id] = CheckSpec(
            check_id, func, title_en, title_zh, dict(defaults or {}), tuple(needs), implemented,
            dict(needs_if or {}),
        )
        return func

    return deco


def register_not_implemented(check_id: str, *, title_en: str, title_zh: str) -> None:
    """Register a check that exists in checklists but is not built: it always says so."""

    def not_built(ctx, params) -> CheckResult:
        return CheckResult(
            check_id, Verdict.NOT_IMPLEMENTED, confidence=0.0, message=f"{check_id} is not implemented yet"
        )

    register(check_id, title_en=title_en, title_zh=title_zh, implemented=False)(not_built)


def get_check(check_id: str) -> CheckSpec:
    try:
        return CHECKS[check_id]
    except KeyError:
        raise KeyError(f"unknown check '{check_id}' (known: {', '.join(sorted(CHECKS))})") from None


CRASH_PREFIX = "check failed to run: "


def run_check(check_id: str, ctx, params: Mapping[str, Any] | None = None) -> CheckResult:
    """Run one check with its defaults overlaid by `params`; a crash becomes an `unsure` result."""
    spec = get_check(check_id)
    merged = {**spec.defaults, **(params or {})}
    t0 = time.perf_counter()
    try:
        result = spec.func(ctx, merged)
    except Exception as exc:  # one broken check must not sink the whole photo
        log.exception("check %s crashed on %s", check_id, ctx.photo.source)
        result = CheckResult(
            check_id, Verdict.UNSURE, confidence=0.0, message=f"{CRASH_PREFIX}{type(exc).__name__}: {exc}"
        )
    return replace(result, params=dict(params or {}), elapsed_ms=(time.perf_counter() - t0) * 1000.0)
