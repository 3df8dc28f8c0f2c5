"""Shared fixtures: the field captures from ../shared (skipped with a reason where that folder is absent), and the
check-coverage recorder.

Check coverage: every bundled check is wrapped at start-up so that each verdict it produces during the session
(through the engine: run_case / Engine) is recorded as ``pass`` or ``fail``. With ``V2XC_CHECK_COVERAGE=1`` (the
full run of ``make test``) the session fails when a registered check was never shown both passing and failing
against a defect, naming the checks. Without it (``-k`` runs, single files) nothing is enforced.

Strict skips: with ``V2XC_STRICT_SKIPS=1`` (``make test``, which installs mosquitto and Chromium first) a skipped
test is reported as failed, naming the skip's reason, so a missing tool or a broken detection cannot hide a
regression. The field captures under ../shared stay optional (they exist only in the dev workspace).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_CAPTURES = PROJECT_ROOT.parent / "shared" / "interop" / "field-captures.json"


def load_captures() -> list[dict[str, Any]]:
    """Return the captures from ../shared/interop, or [] when the folder is absent (users' clones)."""
    if not SHARED_CAPTURES.is_file():
        return []
    return list(json.loads(SHARED_CAPTURES.read_text(encoding="utf-8"))["captures"])


@pytest.fixture(scope="session")
def captures() -> dict[str, dict[str, Any]]:
    """The six real captures by id; skips the test when ../shared/interop is absent."""
    found = load_captures()
    if not found:
        pytest.skip(f"field captures not available: {SHARED_CAPTURES} is absent (it exists only in the dev workspace)")
    return {capture["id"]: capture for capture in found}


# ------------------------------------------------------------------------------------------------ check coverage
CHECK_COVERAGE_ENV = "V2XC_CHECK_COVERAGE"
#: check id -> the outcomes ("pass", "fail") it produced during this session.
CHECK_OUTCOMES: dict[str, set[str]] = {}
#: the checks registered when the session started (the bundled ones; tests may register throwaway checks later).
BUNDLED_CHECKS: set[str] = set()


def _recording(check_id: str, function: Any) -> Any:
    """``function`` that also records whether its observations passed or failed."""
    from conformance.engine.model import Verdict

    def recorded(context: Any, params: Mapping[str, Any]) -> Sequence[Any]:
        observations = list(function(context, params))
        verdicts = {observation.verdict for observation in observations}
        outcomes = CHECK_OUTCOMES.setdefault(check_id, set())
        if Verdict.FAIL in verdicts:
            outcomes.add("fail")
        elif verdicts == {Verdict.PASS}:
            outcomes.add("pass")
        return observations

    recorded.__doc__ = function.__doc__
    return recorded


def pytest_configure(config: pytest.Config) -> None:
    """Wrap every registered check with the outcome recorder (once per session)."""
    from conformance.checks import registered_checks
    from conformance.engine import registry

    if BUNDLED_CHECKS:
        return
    for check_id, registered in registered_checks().items():
        registry._REGISTRY[check_id] = dataclasses.replace(
            registered, function=_recording(check_id, registered.function)
        )
        BUNDLED_CHECKS.add(check_id)


def unproven_checks() -> dict[str, list[str]]:
    """Bundled checks lacking a pass or a fail in this session: {check id: the missing outcomes}."""
    missing = {}
    for check_id in sorted(BUNDLED_CHECKS):
        lacking = [outcome for outcome in ("pass", "fail") if outcome not in CHECK_OUTCOMES.get(check_id, set())]
        if lacking:
            missing[check_id] = lacking
    return missing


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With V2XC_CHECK_COVERAGE=1: fail the session when a registered check was never shown passing and failing."""
    if os.environ.get(CHECK_COVERAGE_ENV) != "1":
        return
    missing = unproven_checks()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", "check coverage (V2XC_CHECK_COVERAGE=1)")
        proven = len(BUNDLED_CHECKS) - len(missing)
        reporter.write_line(f"{proven} of {len(BUNDLED_CHECKS)} registered checks shown both passing and failing")
        for check_id, lacking in missing.items():
            words = " or ".join({"pass": "passing", "fail": "failing"}[outcome] for outcome in lacking)
            reporter.write_line(f"  {check_id}: never shown {words} in this session")
    if missing and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def check_outcomes() -> dict[str, set[str]]:
    """The outcomes recorded so far in this session, by check id."""
    return CHECK_OUTCOMES


# ------------------------------------------------------------------------------------------------ strict skips
STRICT_SKIPS_ENV = "V2XC_STRICT_SKIPS"
#: Skip reasons that stay skips in a strict run (legitimately optional inputs).
OPTIONAL_SKIP_REASONS = ("field captures not available",)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """With V2XC_STRICT_SKIPS=1: a skip (other than the optional ../shared captures) becomes a failure."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get(STRICT_SKIPS_ENV) != "1" or not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if any(text in reason for text in OPTIONAL_SKIP_REASONS):
        return
    report.outcome = "failed"
    report.longrepr = f"skipped in a strict run ({STRICT_SKIPS_ENV}=1), which would hide what it tests: {reason}"
