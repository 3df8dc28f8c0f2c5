"""External text is data, never markup (issue 20, item 1): every string that reaches the user from outside — a path,
a decoded value, a device's reply, an observation — is printed literally by the one output layer
(``conformance.engine.console``): no rich markup, no emoji codes, control and bidirectional characters escaped."""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.cli.main import main
from conformance.codec.jsonvalue import to_json
from conformance.codec.strict import encode
from conformance.engine.console import ConsoleListener, DataConsole, literal, markup
from conformance.engine.events import RunFinished
from conformance.engine.model import CaseResult, Observation, Verdict
from conformance.standards.samples import sample_values

HOSTILE = ["[/x]", "[bold]", "[red]x[/red]", ":100:", ":smile:", "\x1b[31m", "\x07", "\r", "\u202e", "\u2066"]
HOSTILE += ["\\", "{}", "\\[", "\ue000"]
# (tabs are expanded to spaces by the console, as a terminal would: not part of this property)
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=8)), max_size=12).map(
    lambda parts: "".join(parts).replace("\t", " ")
)
UNSAFE = [chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0)]] + [
    "\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)),
]  # fmt: skip


def _printed(*objects: object) -> str:
    buffer = io.StringIO()
    DataConsole(file=buffer, width=10_000, soft_wrap=True).print(*objects)
    return buffer.getvalue()


@settings(max_examples=300, deadline=None)
@given(hostile_text)
def test_any_string_prints_literally_with_unsafe_characters_escaped(text: str) -> None:
    shown = literal(text)
    assert not any(ch in shown for ch in UNSAFE)
    assert _printed(text) == shown + "\n"  # no markup applied, no emoji substituted, nothing dropped
    styled = markup("[bold]error:[/] {} at {}", text, text)
    assert styled.plain == f"error: {shown} at {shown}"


def test_literal_escapes_are_readable() -> None:
    assert literal("a\x1b[31mb\u202ec\td\n") == "a\\x1b[31mb\\u202ec\td\n"
    assert _printed("file.hex:100: [/x]") == "file.hex:100: [/x]\n"


def test_decode_tree_shows_a_hostile_rsi_description_as_sent() -> None:
    alternative, value = sample_values()["rsi"]
    description = "[/x] :100: \x1b[31mred"
    value["rtes"][0]["description"] = ("textString", description)
    frame = encode((alternative, value), edition="csae53-2020")
    result = CliRunner().invoke(main, ["decode", "-e", "csae53-2020", "--format", "tree", frame.hex()])
    assert result.exit_code == 0, result.output
    assert "[/x] :100: " in result.output and "💯" not in result.output and "\x1b" not in result.output
    as_json = CliRunner().invoke(main, ["decode", "-e", "csae53-2020", frame.hex()])
    assert description in json.dumps(json.loads(as_json.output)) or json.dumps(description)[1:-1] in as_json.output
    assert to_json((alternative, value))  # the value itself round-trips in the JSON form


def test_error_messages_print_paths_literally(tmp_path: Path) -> None:
    hostile = tmp_path / "[bold]x[" / "x] :100: [bold].hex"  # the path holds "[/x]" and ":100:"
    hostile.parent.mkdir()
    hostile.write_text("zz not hex\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["decode", "-e", "csae53-2020", str(hostile)])
    assert result.exit_code == 1, result.output  # not a valid frame: the message names the file literally
    assert f"Where: {hostile}:1" in result.output and "💯" not in result.output


def test_verdict_table_prints_device_text_literally() -> None:
    message = "device said [/x] :100: \x1b]0;title\x07"
    observation = Observation(Verdict.FAIL, message)
    result = CaseResult("C", "REQ/1", "t", "", "", Verdict.FAIL, "run", observations=[observation])
    buffer = io.StringIO()
    listener = ConsoleListener(DataConsole(file=buffer, width=400))
    listener(RunFinished("run-1", {v.value: 0 for v in Verdict}, False, [result]))
    shown = buffer.getvalue()
    assert "device said [/x] :100: \\x1b]0;title\\x07" in shown and "\x1b" not in shown


@settings(max_examples=200, deadline=None)
@given(hostile_text)
def test_junit_text_stays_valid_xml_and_json_stays_strict(text: str) -> None:
    import xml.etree.ElementTree as ET

    from conformance.reports import render_json
    from conformance.reports.render_junit import xml_safe

    element = ET.Element("failure", message=text)
    element.text = text
    parsed = ET.fromstring(xml_safe(ET.tostring(element, encoding="unicode")))  # valid XML 1.0, whatever the text
    assert parsed.tag == "failure"
    strict = render_json({"message": text, "value": float("nan"), "values": [float("inf")]})
    assert json.loads(strict, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))["message"] == text


def test_markdown_cells_show_device_text_escaped() -> None:
    from conformance.reports.render_md import _cell

    assert _cell("a|b\x1b[31m\u202ec\nd") == "a\\|b\\x1b[31m\\u202ec d"
