"""Application tests (``app.warning-scenario``) proven against the reference OBU: clean → every Do-Warn, Suppress-Warn
and No-Warn case passes; fault ``no-warning`` → every Do-Warn case fails; fault ``false-warning`` → every No-Warn and
Suppress-Warn case fails. Windows are short (0.5 s of traffic per case) so the whole file stays well under a minute.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.catalogue import bundled_catalogue
from conformance.checks.applications import CASES, SCENARIO_APPLICATIONS, build_scenario
from conformance.cli.main import main
from conformance.devices.applications import ApplicationLayer
from conformance.engine.context import EvidenceLog, RunContext
from conformance.engine.model import CaseResult, Verdict
from conformance.engine.runner import CheckCall, PlannedCase, run_case
from conformance.network.decoder import frame_decoder
from conformance.transports import open_transport
from conformance.vectors import traffic

#: Real-time observation windows against reference devices: deselect with -m 'not live' for a fast run.
pytestmark = pytest.mark.live

EDITION = "csae53-2020"
SHORT = {"window_s": 0.5, "grace_s": 0.15}


def catalogue_parameters(application: str) -> dict[str, Any]:
    """The parameters the bundled catalogue gives the application's check, with short windows for the tests."""
    requirement = bundled_catalogue().requirements[f"CSAE53-2020/APP/{application}"]
    (check,) = requirement.checks
    assert check.id == "app.warning-scenario"
    return {parameter.name: parameter.value for parameter in check.parameters} | SHORT


def run_applications(url: str, applications: tuple[str, ...], tmp_path: Path) -> dict[str, CaseResult]:
    transport = open_transport(url)
    transport.open()
    results = {}
    try:
        context = RunContext(
            edition=EDITION,
            decoder=frame_decoder(EDITION),
            transport=transport,
            evidence=EvidenceLog(tmp_path / "evidence.ndjson"),
            parameters={},
        )
        for application in applications:
            call = CheckCall("app.warning-scenario", catalogue_parameters(application))
            planned = PlannedCase(application, f"APP/{application}", application, "", "", "selected", checks=(call,))
            results[application] = run_case(planned, context)
        context.evidence.close()
    finally:
        transport.close()
    return results


def by_case(result: CaseResult) -> dict[str, Any]:
    """Observations keyed by case name (the field path starts with it)."""
    return {observation.field_path.split("/")[0]: observation for observation in result.observations}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CaseResult]:
    return run_applications("sim://obu", SCENARIO_APPLICATIONS, tmp_path_factory.mktemp("clean-apps"))


@pytest.mark.parametrize("application", SCENARIO_APPLICATIONS)
def test_every_case_passes_against_the_clean_obu(clean: dict[str, CaseResult], application: str) -> None:
    result = clean[application]
    cases = by_case(result)
    assert set(cases) == set(CASES)
    assert result.verdict is Verdict.PASS, [o.message for o in result.observations]
    do_warn = cases["do-warn"]
    assert do_warn.unit == "ms" and 0 <= do_warn.observed["latency_ms"] <= 100
    warning = do_warn.observed["warnings"][0]
    assert warning["application"] == application and warning["target"] and warning["time"] > 0
    for observation in result.observations:
        assert observation.evidence, observation.message  # the frames sent are evidence


def test_evidence_holds_the_scenario_frames(clean: dict[str, CaseResult]) -> None:
    rlvw = by_case(clean["RLVW"])["do-warn"]
    assert rlvw.observed["trigger_frame"] in rlvw.evidence
    assert "1 MAP, 5 SPAT" in rlvw.message


@pytest.mark.parametrize("application", ["ICW", "LTA", "GLOSA", "VRUCW"])
def test_application_without_scenario_is_not_tested(application: str, tmp_path: Path) -> None:
    transport = open_transport("sim://obu")
    transport.open()
    try:
        context = RunContext(
            edition=EDITION,
            decoder=frame_decoder(EDITION),
            transport=transport,
            evidence=EvidenceLog(tmp_path / "e.ndjson"),
            parameters={},
        )
        call = CheckCall("app.warning-scenario", {"application": application})
        result = run_case(PlannedCase("x", "x", "x", "", "", "selected", checks=(call,)), context)
    finally:
        transport.close()
    assert result.verdict is Verdict.NONE and result.status == "not-tested"
    assert f"no scenario for {application} yet" in result.reason


def test_no_warning_fault_fails_every_do_warn_case(tmp_path: Path) -> None:
    results = run_applications("sim://obu?fault=no-warning", SCENARIO_APPLICATIONS, tmp_path)
    for application, result in results.items():
        cases = by_case(result)
        assert cases["do-warn"].verdict is Verdict.FAIL, application
        assert "no " + application + " warning raised" in cases["do-warn"].message
        assert cases["no-warn"].verdict is Verdict.PASS and cases["suppress-warn"].verdict is Verdict.PASS


def test_false_warning_fault_fails_no_warn_and_suppress_warn_cases(tmp_path: Path) -> None:
    results = run_applications("sim://obu?fault=false-warning", SCENARIO_APPLICATIONS, tmp_path)
    for application, result in results.items():
        cases = by_case(result)
        assert cases["do-warn"].verdict is Verdict.PASS, application
        for name in ("no-warn", "suppress-warn"):
            observation = cases[name]
            assert observation.verdict is Verdict.FAIL, (application, name)
            assert observation.observed["warnings"][0]["application"] == application
            assert observation.evidence


def test_faults_are_listed() -> None:
    output = CliRunner().invoke(main, ["sim", "obu", "--list-faults"]).output
    assert "no-warning" in output and "false-warning" in output


def test_scenarios_use_separate_sites_and_identities() -> None:
    sites = {}
    for application in SCENARIO_APPLICATIONS:
        for case in CASES:
            scenario = build_scenario(application, case, SHORT, EDITION)
            sites[(application, case)] = (scenario.site.lat, scenario.site.lon, scenario.site.node_id)
            assert scenario.transmissions and any(tx.trigger for tx in scenario.transmissions)
    assert len(set(sites.values())) == len(sites)


def _host(site: traffic.Site, north: float, speed: float, brake: int = 0) -> dict[str, int]:
    lat, lon = site.to_latlon(1.75, north)
    return {"lat": lat, "long": lon, "speed": round(speed / 0.02), "heading": 0, "brake": brake}


def test_application_layer_raises_then_clears() -> None:
    site = traffic.Site()
    layer = ApplicationLayer()
    (remote,) = traffic.bsm_stream(count=1, site=site, route=((1.75, -170.0), (1.75, 500.0)), speed_mps=0.0)
    layer.on_frame("bsmFrame", remote, now=0.0)
    raised = layer.evaluate(_host(site, -200.0, 14.0), now=0.1)
    # stopped 30 m ahead in the lane: abnormal (AVW) and a collision in 2.1 s at 14 m/s (FCW)
    assert sorted((w["application"], w["state"]) for w in raised) == [("AVW", "raised"), ("FCW", "raised")]
    assert layer.evaluate(_host(site, -200.0, 14.0), now=0.2) == []  # still active: no new event
    cleared = layer.evaluate(_host(site, -200.0, 14.0, brake=1), now=0.3)
    assert sorted((w["application"], w["state"]) for w in cleared) == [("AVW", "cleared"), ("FCW", "cleared")]
    assert layer.evaluate(_host(site, -200.0, 14.0), now=5.0) == []  # the BSM is stale by now
