"""Hostile text through every channel of a real run, into every report format (issue 20, item 7).

Text that reaches the user from outside — a PICS value, the target URL, the ``--out`` folder name, a PIXIT value, a
string a device sent in a frame, a case's observation — must come out *literally*: no rich markup applied (``[/x]``,
``[bold]``), no emoji substituted (``:100:``), control and bidirectional characters escaped (``\\x1b``,
``\\u202e``) wherever a person reads it (console, Markdown, HTML, JUnit), the exact value kept in report.json, which
stays strict JSON, and the JUnit file valid XML. No traceback, an exit code from the README table.

One real run (a ``file://`` recording, so no real-time window) carries a fixed set of nasty strings through every
channel at once; Hypothesis then varies the text on the cheaper layers: every report format rendered from that
run's report, the run folder's PIXIT copy, and the commands' error messages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from copy import deepcopy
from typing import Any

import markupsafe
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_output import UNSAFE, hostile_text

from conformance.catalogue import load_pixit
from conformance.catalogue.overlays import catalogue_with
from conformance.catalogue.pics import REDACTED, Pixit
from conformance.catalogue.profiles import load_profile
from conformance.catalogue.yamlsrc import dump_yaml, parse_yaml
from conformance.cli.main import main
from conformance.cli.runsetup import _pixit_copy_data
from conformance.codec.strict import encode
from conformance.engine.console import literal
from conformance.reports import FORMATS
from conformance.reports.render_junit import _NOT_XML
from conformance.standards.samples import sample_values
from conformance.vectors.samples import sample_frames

PROFILE = "csae53-2020-rsu"
#: Markup, an emoji code, HTML, a terminal escape, a bell, a right-to-left override and an isolate. In a path, the
#: "/" of "[/x]" separates a folder "...[" from a file or folder "x]...".
NASTY = "[bold]:100: <v2x-tag>&amp; \x1b[31m\x07\u202e\u2066Z [/x]"
#: What a device may put in an IA5String (an RSI description): ASCII, control characters included.
DEVICE_TEXT = "[/x] :100: [bold]<v2x-tag>&\x1b[31m\x07dev"
SECRET = "pw-Hostile-9c1e"
#: The exit codes a finished `v2xc run` may have (README): 1 because a short recording leaves cases inconclusive.
RUN_CODES = (0, 1)
EMOJI = ("💯", "😄")


def _strict_json(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _xml_texts(root: ET.Element) -> list[str]:
    return [text for element in root.iter() for text in (element.text or "", *element.attrib.values())]


def _no_raw_unsafe(text: str, where: str) -> None:
    raw = sorted({f"U+{ord(ch):04X}" for ch in text if ch in UNSAFE})
    assert not raw, f"{where} holds raw control or bidirectional characters: {raw}"
    assert not any(emoji in text for emoji in EMOJI), f"{where} turned an emoji code into an emoji"


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One real run with NASTY in the recording's path (the target URL), the --out folder, a PICS implementation
    value, two PIXIT values, and DEVICE_TEXT in the RSI description the device sent."""
    base = tmp_path_factory.mktemp("hostile")
    frames = sample_frames()
    alternative, value = sample_values()["rsi"]
    value["rtes"][0]["description"] = ("textString", DEVICE_TEXT)
    rsi = encode((alternative, value), edition="csae53-2020")
    recording = base / f"rec {NASTY}.hex"
    recording.parent.mkdir(parents=True)
    recording.write_text("".join(f"{f.hex()}\n" for f in [frames["map"], frames["spat"], rsi, frames["rsm"]] * 3))
    printed = subprocess.run(
        [sys.executable, "-m", "conformance", "sim", "rsu", "--print-pics"], capture_output=True, text=True, check=True
    )
    pics = parse_yaml(printed.stdout, "pics").data
    pics["pics"]["implementation"]["hardware"] = f"HW{NASTY}"
    (base / "pics.yaml").write_text(dump_yaml(pics), encoding="utf-8")
    values = {"lab.name": f"LAB{NASTY}", "dut.vendor": f"VEN{NASTY}", "dut.model": "M", "dut.firmware": "F",
              "dut.serial": "S", "dut.device_id": "0a0b", "mqtt.password": SECRET}  # fmt: skip
    (base / "pixit.yaml").write_text(dump_yaml({"pixit": {"profile": PROFILE, "values": values}}), encoding="utf-8")
    out = base / f"out {NASTY}"
    out.parent.mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--profile", PROFILE, "--target", f"file://{recording}",
         "--pics", str(base / "pics.yaml"), "--pixit", str(base / "pixit.yaml"), "--out", str(out)],
        capture_output=True, text=True, timeout=300, check=False, env={**os.environ, "COLUMNS": "100000"},
    )  # fmt: skip
    return {"done": done, "out": out, "recording": recording}


def test_the_run_ends_normally(hostile_run: dict[str, Any]) -> None:
    done = hostile_run["done"]
    assert done.returncode in RUN_CODES, done.stdout[-3000:] + done.stderr
    assert "Traceback" not in done.stdout + done.stderr and "internal error" not in done.stderr


def test_the_console_shows_paths_and_the_url_literally(hostile_run: dict[str, Any]) -> None:
    done, out, recording = hostile_run["done"], hostile_run["out"], hostile_run["recording"]
    _no_raw_unsafe(done.stdout, "stdout")
    _no_raw_unsafe(done.stderr, "stderr")
    assert f"results: {literal(out)} (" in done.stdout  # the --out folder, as it is
    assert literal(f"file://{recording}") in done.stdout  # the target URL, in the not-applicable reasons


def test_report_json_is_strict_and_keeps_every_value_exactly(hostile_run: dict[str, Any]) -> None:
    out, recording = hostile_run["out"], hostile_run["recording"]
    report = _strict_json((out / "report.json").read_text(encoding="utf-8"))
    assert report["laboratory"]["name"]["value"] == f"LAB{NASTY}"  # PIXIT
    assert report["item_tested"]["vendor"]["value"] == f"VEN{NASTY}"  # PIXIT
    assert report["item_tested"]["hardware"]["value"] == f"HW{NASTY}"  # PICS implementation
    assert report["item_tested"]["target"] == f"file://{recording}"  # target URL
    strings = set(_strings(report))
    assert DEVICE_TEXT in strings  # the device's RSI description, decoded
    assert any(literal(f"file://{recording}") in s or f"file://{recording}" in s for s in strings)
    run = _strict_json((out / "run.json").read_text(encoding="utf-8"))
    assert run["pics"]["implementation"]["hardware"] == f"HW{NASTY}"


def test_junit_is_valid_xml_with_the_text_escaped(hostile_run: dict[str, Any]) -> None:
    out, recording = hostile_run["out"], hostile_run["recording"]
    text = (out / "report.junit.xml").read_text(encoding="utf-8")
    assert not _NOT_XML.search(text)
    texts = _xml_texts(ET.fromstring(text.split("\n", 1)[1]))
    shown = _NOT_XML.sub(lambda m: f"\\x{ord(m[0]):02x}", f"file://{recording}")
    assert any(shown in item for item in texts), "the target URL is missing from the JUnit file"


def test_markdown_and_html_show_the_text_escaped(hostile_run: dict[str, Any]) -> None:
    out = hostile_run["out"]
    markdown = (out / "report.md").read_text(encoding="utf-8")
    _no_raw_unsafe(markdown, "report.md")
    assert literal(f"VEN{NASTY}") in markdown  # the device label (PIXIT dut.vendor)
    page = (out / "report.html").read_text(encoding="utf-8")
    _no_raw_unsafe(page, "report.html")
    assert "<v2x-tag>" not in page  # no HTML injected by a value
    for value in (f"LAB{NASTY}", f"VEN{NASTY}", f"HW{NASTY}"):
        assert str(markupsafe.escape(literal(value))) in page, value


def test_no_secret_anywhere_in_the_folder_or_the_output(hostile_run: dict[str, Any]) -> None:
    done, out = hostile_run["done"], hostile_run["out"]
    assert SECRET not in done.stdout + done.stderr
    for path in out.iterdir():
        assert SECRET.encode() not in path.read_bytes(), path.name


# ----------------------------------------------------------------------------------- Hypothesis, cheaper layers
def _inject(report: dict[str, Any], text: str) -> dict[str, Any]:
    """The run's report with ``text`` as a PIXIT value, the vendor, the target and a failing case's observation."""
    changed = deepcopy(report)
    changed["laboratory"]["name"]["value"] = f"LAB{text}"
    changed["item_tested"]["vendor"]["value"] = f"VEN{text}"
    changed["item_tested"]["target"] = f"file://{text}"
    failed = next(case for case in changed["campaign"] if case["verdict"] == "fail")
    failed["observations"][0]["message"] = f"OBS{text}"
    return changed


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=hostile_text)
def test_every_report_format_keeps_hostile_text_literal(hostile_run: dict[str, Any], text: str) -> None:
    base = _strict_json((hostile_run["out"] / "report.json").read_text(encoding="utf-8"))
    report = _inject(base, text)
    rendered = {name: fmt.render(report) for name, fmt in FORMATS.items()}
    assert set(rendered) == {"json", "junit", "html", "md"}  # a new format must be added to this test
    parsed = _strict_json(rendered["json"])
    assert parsed["laboratory"]["name"]["value"] == f"LAB{text}" and parsed["item_tested"]["target"] == f"file://{text}"
    junit = rendered["junit"]
    assert not _NOT_XML.search(junit)
    texts = _xml_texts(ET.fromstring(junit.split("\n", 1)[1]))
    assert any(_NOT_XML.sub(lambda m: f"\\x{ord(m[0]):02x}", f"OBS{text}") in item for item in texts)
    _no_raw_unsafe(rendered["md"], "Markdown")
    assert literal(f"VEN{text}").replace("|", "\\|").replace("\n", " ") in rendered["md"]
    _no_raw_unsafe(rendered["html"], "HTML")
    assert str(markupsafe.escape(literal(f"LAB{text}"))) in rendered["html"]


@pytest.fixture(scope="module")
def rsu_profile() -> Any:
    catalogue = catalogue_with([])
    return catalogue, load_profile(PROFILE, catalogue)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lab=st.one_of(hostile_text, st.text(max_size=40)), secret=st.one_of(hostile_text, st.text(max_size=40)))
def test_the_folder_pixit_copy_keeps_any_text_and_never_the_secret(
    rsu_profile: Any, tmp_path_factory: pytest.TempPathFactory, lab: str, secret: str
) -> None:
    catalogue, profile = rsu_profile
    values = {"lab.name": lab, "dut.vendor": "V", "dut.model": "M", "dut.firmware": "F", "dut.serial": "S",
              "dut.device_id": "0a0b", "mqtt.password": f"Zq7-{secret}"}  # fmt: skip
    pixit = Pixit(PROFILE, values, frozenset({"mqtt.password"}), "given.yaml")
    path = tmp_path_factory.mktemp("copy") / "pixit.yaml"
    path.write_text(dump_yaml(_pixit_copy_data(pixit)), encoding="utf-8")
    assert "Zq7-" not in path.read_text(encoding="utf-8")  # not a character of the secret is written
    copy = load_pixit(path, profile, catalogue)
    assert copy.values["lab.name"] == lab and copy.values["mqtt.password"] == REDACTED


def _tokens(text: str) -> list[str]:
    """The markup and emoji codes in ``text`` that must appear unchanged wherever it is printed."""
    return [token for token in ("[/x]", "[bold]", "[red]", ":100:", ":smile:") if token in text]


def _usage_error(args: list[str], text: str) -> str:
    result = CliRunner().invoke(main, args)
    output = result.output
    assert result.exit_code == 2, (result.exit_code, output)  # a usage or configuration error (README)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in output and "internal error" not in output, output
    _no_raw_unsafe(output, "the error message")
    for token in _tokens(text):
        assert token in output, (token, output)
    return output


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=hostile_text)
def test_a_hostile_pics_item_name_or_answer_is_named_literally(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    folder = tmp_path_factory.mktemp("pics")
    base = {"profile": PROFILE, "role": "RSU", "implementation": {"vendor": "v"}}
    unknown = folder / "unknown.yaml"
    unknown.write_text(dump_yaml({"pics": {**base, "items": {f"X{text}": True}}}), encoding="utf-8")
    _usage_error(["pics", "check", "--profile", PROFILE, str(unknown)], text)
    answer = folder / "answer.yaml"
    answer.write_text(dump_yaml({"pics": {**base, "items": {"RSU.TX.MAP": f"Y{text}"}}}), encoding="utf-8")
    _usage_error(["pics", "check", "--profile", PROFILE, str(answer)], text)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=hostile_text.filter(lambda t: not set(t) & set("\x00\n\r#%")))  # argv holds no NUL; # and % shape URLs
def test_a_hostile_target_parameter_or_out_folder_is_named_literally(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    folder = tmp_path_factory.mktemp("target")
    for url in (f"sim://rsu?fault=x{text}", f"udp://127.0.0.1:9?listen=x{text}"):
        _usage_error(["run", "--profile", PROFILE, "--target", url, "--out", str(folder / "run")], text)
        assert not (folder / "run").exists()  # refused before anything was written
    a_file = folder / "a-file"
    a_file.write_text("x", encoding="utf-8")
    name = f"n{text}"  # under a regular file: cannot be created, whatever it holds
    output = _usage_error(["run", "--profile", PROFILE, "--target", "sim://rsu", "--out", str(a_file / name)], text)
    assert f"Cannot create the run folder {literal(a_file / name)}:" in output, output


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(hostile_text, st.text(alphabet=st.sampled_from(UNSAFE), min_size=1, max_size=6)))
def test_pixit_check_prints_values_as_json_with_control_characters_escaped(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = tmp_path_factory.mktemp("pixit") / "pixit.yaml"
    values = {"lab.name": f"L{text}", "dut.vendor": "V", "dut.model": "M", "dut.firmware": "F", "dut.serial": "S",
              "dut.device_id": "0a0b", "mqtt.password": f"Zq7-{text}"}  # fmt: skip
    path.write_text(dump_yaml({"pixit": {"profile": PROFILE, "values": values}}), encoding="utf-8")
    result = CliRunner().invoke(main, ["pixit", "check", "--profile", PROFILE, str(path)])
    assert result.exit_code == 0, result.output
    _no_raw_unsafe(result.output, "pixit check")
    assert "Zq7-" not in result.output
    shown = _strict_json(result.output)
    assert shown["values"]["lab.name"] == f"L{text}" and shown["values"]["mqtt.password"] == REDACTED


def test_decode_json_shows_a_device_string_escaped_and_exact() -> None:
    alternative, value = sample_values()["rsi"]
    description = "\x7f[/x]:100:\x1b[31m\x07\x1f"
    value["rtes"][0]["description"] = ("textString", description)
    frame = encode((alternative, value), edition="csae53-2020")
    result = CliRunner().invoke(main, ["decode", "-e", "csae53-2020", frame.hex()])
    assert result.exit_code == 0, result.output
    _no_raw_unsafe(result.output, "decode")
    decoded = _strict_json(result.output)
    assert description in set(_strings(decoded))


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text())
def test_any_text_survives_the_yaml_the_toolkit_writes(key: str, text: str) -> None:
    """The run folder's PIXIT and PICS copies are YAML the toolkit writes: every text reads back the same, line
    separators YAML would fold (NEL, U+2028, U+2029) included."""
    data = {"values": {f"k{key}": text, "list": [text, f"x{text}y"]}}
    assert parse_yaml(dump_yaml(data), "copy").data == data


def test_yaml_line_separators_are_written_escaped() -> None:
    for text in ("L\x85", "a\u2028b", "x\u2029"):
        written = dump_yaml({"v": text})
        assert not any(ch in written for ch in "\x85\u2028\u2029") and parse_yaml(written, "t").data == {"v": text}


def test_vectors_show_prints_a_lab_corpus_record_with_control_characters_escaped(tmp_path: Any) -> None:
    """A record of a lab's corpus is external text: `vectors show` writes its JSON with control and bidirectional
    characters as JSON escapes (the same value), never raw to the terminal."""
    record = {"id": "v1-hostile0000000000", "edition": "csae53-2020", "type": "MessageFrame", "message": "rsi",
              "class": "valid", "framing": "none", "hex": "00", "decoded": {"text": "\x1b[31m\u202e\x07"}}  # fmt: skip
    (tmp_path / "lab.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["vectors", "show", "v1-hostile", "--corpus", str(tmp_path / "lab.jsonl")])
    assert "Traceback" not in result.output
    assert not any(ch in result.output for ch in "\x1b\u202e\x07")
    shown = json.loads(result.output[: result.output.rindex("}") + 1])
    assert shown["decoded"]["text"] == "\x1b[31m\u202e\x07"
