"""The v2xc command line: documented exit codes, one-paragraph errors, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conformance.cli.main import main
from conformance.codec.strict import decode, encode
from conformance.errors import long_decimals
from conformance.network import dsmp
from conformance.vectors.samples import sample_frames


def run(*args: str, stdin: bytes | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), input=stdin)
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result


def test_decode_hex_argument_json() -> None:
    result = run("decode", "--edition", "csae53-2020", sample_frames()["bsm"].hex())
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["type"] == "MessageFrame"
    assert document["value"]["$choice"] == "bsmFrame"
    assert document["value"]["value"]["id"] == {"$hex": b"XQ000001".hex()}


def test_decode_auto_lists_matching_editions() -> None:
    result = run("decode", sample_frames()["map"].hex())
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert "csae53-2020" in document["matching_editions"]
    assert "csae53-2019" not in document["matching_editions"]


def test_decode_tree_format() -> None:
    result = run("decode", "-e", "csae53-2020", "--format", "tree", sample_frames()["spat"].hex())
    assert result.exit_code == 0
    assert "spatFrame" in result.stdout and "protected-green" in result.stdout


def test_decode_file_of_hex_lines_with_one_bad_frame(tmp_path: Path) -> None:
    frames = sample_frames()
    path = tmp_path / "frames.hex"
    path.write_text(
        f"# two good, one truncated\n{frames['bsm'].hex()}\n\n{frames['rsm'].hex()}\n{frames['rsi'][:-9].hex()}\n"
    )
    result = run("decode", "-e", "csae53-2020", str(path))
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [line["source"] for line in lines] == [f"{path}:2", f"{path}:4"]
    assert f"{path}:5:" in result.stderr and "Truncated input" in result.stderr
    assert "1 of 3 frames are invalid" in result.stderr


def test_decode_binary_file_and_stdin(tmp_path: Path) -> None:
    path = tmp_path / "frame.bin"
    path.write_bytes(sample_frames()["rsm"])
    assert run("decode", "-e", "csae53-2020", str(path)).exit_code == 0
    assert run("decode", "-e", "csae53-2020", "-", stdin=sample_frames()["rsm"]).exit_code == 0


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["decode", "-e", "csae53-2020", "zz"], 2, "neither an existing file nor a hex string"),
        (["decode", "-e", "csae53-2020", "abc"], 2, "odd number of hex digits"),
        (["decode", "-e", "csae53-2099", "00"], 2, "Unknown edition 'csae53-2099'"),
        (["decode", "-e", "csae53-2020", "00"], 1, "Truncated input"),
        (["decode", "--format", "xml", "00"], 2, "Invalid value for '--format'"),
        (["decode", "-e", "csae53-2020", "--type", "Nope", "00"], 1, "has no type 'Nope'"),
        (["identify", "ffffffff"], 1, ""),
    ],
)
def test_errors_and_exit_codes(args: list[str], code: int, fragment: str) -> None:
    result = run(*args)
    assert result.exit_code == code, result.output
    assert fragment in result.output


def test_decode_trailing_bytes_error_names_bit_offset() -> None:
    data = sample_frames()["bsm"] + b"\x00"
    result = run("decode", "-e", "csae53-2020", data.hex())
    assert result.exit_code == 1
    assert f"bit offset {len(sample_frames()['bsm']) * 8}" in result.stderr
    assert "trailing byte" in result.stderr


def test_encode_round_trip_through_decode_output(tmp_path: Path) -> None:
    frame = sample_frames()["map"]
    decoded = run("decode", "-e", "csae53-2020", frame.hex())
    path = tmp_path / "map.json"
    path.write_text(decoded.stdout)
    result = run("encode", "-e", "csae53-2020", str(path))
    assert result.exit_code == 0
    assert result.stdout.strip() == frame.hex()


def test_encode_bare_value_with_type_and_binary_output(tmp_path: Path) -> None:
    from conformance.codec import jsonvalue
    from conformance.standards.samples import sample_values

    _alternative, value = sample_values()["rsm"]
    path = tmp_path / "rsm.json"
    path.write_text(jsonvalue.dumps(value))
    out = tmp_path / "rsm.uper"
    result = run(
        "encode", "-e", "csae53-2020", "--type", "RoadsideSafetyMessage", "--binary", "-o", str(out), str(path)
    )
    assert result.exit_code == 0
    assert out.read_bytes() == encode(value, edition="csae53-2020", type_name="RoadsideSafetyMessage")
    assert decode(out.read_bytes(), edition="csae53-2020", type_name="RoadsideSafetyMessage").value == value


def test_encode_out_of_range_value_names_field(tmp_path: Path) -> None:
    from conformance.codec import jsonvalue
    from conformance.standards.samples import sample_values

    alternative, value = sample_values()["bsm"]
    value["speed"] = 9000
    path = tmp_path / "bsm.json"
    path.write_text(jsonvalue.dumps((alternative, value)))
    result = run("encode", "-e", "csae53-2020", str(path))
    assert result.exit_code == 1
    assert "bsmFrame.speed" in result.stderr and "8191" in result.stderr


def test_encode_bad_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"$choice": "bsmFrame",\n  "value": {oops}}\n')
    result = run("encode", "-e", "csae53-2020", str(path))
    assert result.exit_code == 1
    assert f"{path}:2:" in result.stderr


def test_encode_and_decode_with_dsmp_framing(tmp_path: Path) -> None:
    decoded = run("decode", "-e", "csae53-2020", sample_frames()["map"].hex())
    path = tmp_path / "map.json"
    path.write_text(decoded.stdout)
    encoded = run("encode", "-e", "csae53-2020", "--framing", "dsmp", str(path))
    assert encoded.exit_code == 0
    packet = bytes.fromhex(encoded.stdout.strip())
    assert dsmp.parse(packet).aid == 3618
    again = run("decode", "-e", "csae53-2020", "--framing", "dsmp", packet.hex())
    assert again.exit_code == 0
    assert json.loads(again.stdout)["dsmp"]["aid"] == 3618


def test_dsmp_aid_mismatch_is_an_error() -> None:
    packet = dsmp.build(sample_frames()["bsm"], aid=3618)
    result = run("decode", "-e", "csae53-2020", "--framing", "dsmp", packet.hex())
    assert result.exit_code == 1
    assert "AID mismatch" in result.stderr


def test_dsmp_framing_on_bare_frame_suggests_none() -> None:
    result = run("decode", "-e", "csae53-2020", "--framing", "dsmp", sample_frames()["bsm"].hex())
    assert result.exit_code == 1
    assert "--framing none" in result.stderr


def test_identify_table_and_json() -> None:
    frame = sample_frames()["rsi"]
    table = run("identify", frame.hex())
    assert table.exit_code == 0 and "csae53-2020" in table.stdout
    document = json.loads(run("identify", "--format", "json", frame.hex()).stdout)
    assert document["matches"] == [e for e in document["matches"] if e != "csae53-2019"]
    statuses = {row["edition"]: row["status"] for row in document["editions"]}
    assert statuses["csae53-2020"] == "match"
    assert statuses["csae53-2019"] == "decodes-not-canonical"


def test_editions_lists_differences_from_the_asn1() -> None:
    result = run("editions", "--format", "json")
    assert result.exit_code == 0
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    changed = {change["type"] for change in rows["csae53-2019"]["differences"]}
    assert {"DHour", "DTimeOffset", "ConnectsToList", "Link", "NodeList", "PathPointList"} <= changed
    hour = next(c for c in rows["csae53-2019"]["differences"] if c["type"] == "DHour")
    assert "0..31" in hour["before"] and "0..24" in hour["after"]


def test_python_dash_m_entry_point() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "conformance", "decode", "-e", "csae53-2020", "0102"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert "error:" in completed.stderr


def _flip_last_bit(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0x01])


@pytest.mark.parametrize("name", ["bsm", "map", "spat", "rsm"])
def test_decode_rejects_nonzero_padding_with_its_bit_offset(name: str) -> None:
    frame = sample_frames()[name]
    bad = _flip_last_bit(frame)  # the last bit of these samples is a padding bit
    assert decode(frame, edition="csae53-2020").bit_length < len(frame) * 8
    assert run("decode", "-e", "csae53-2020", frame.hex()).exit_code == 0
    result = run("decode", "-e", "csae53-2020", bad.hex())
    assert result.exit_code == 1
    assert "Non-zero padding" in result.stderr
    assert f"bit offset {len(frame) * 8 - 1}" in result.stderr
    assert "X.691 §11.1" in result.stderr
    auto = run("decode", bad.hex())  # no edition matches a frame with a set padding bit
    assert auto.exit_code == 1 and f"padding bit {len(frame) * 8 - 1} is 1" in auto.stderr
    identified = run("identify", "--format", "json", bad.hex())
    assert identified.exit_code == 1
    rows = {row["edition"]: row for row in json.loads(identified.stdout)["editions"]}
    assert rows["csae53-2020"]["status"] == "decodes-not-canonical"
    assert rows["csae53-2020"]["first_difference_bit"] == len(frame) * 8 - 1


def test_decode_auto_names_the_day1_edition_and_lists_the_others() -> None:
    result = run("decode", sample_frames()["bsm"].hex())
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["edition"] == "csae53-2020"
    assert document["also_matches"] == ["csae53-2019", "csae157-2020"]
    assert document["matching_editions"] == ["csae53-2019", "csae53-2020", "csae157-2020"]
    tree = run("decode", "--format", "tree", sample_frames()["bsm"].hex())
    assert "(csae53-2020, 77 bytes)" in tree.stdout and "also matches: csae53-2019, csae157-2020" in tree.stdout


def test_decode_auto_names_the_day2_edition_for_a_day2_frame() -> None:
    document = json.loads(run("decode", "800b00000802011a195b1b1bc0").stdout)
    assert document["edition"] == "csae157-2020"
    assert document["also_matches"] == []


def test_identify_names_the_preferred_edition() -> None:
    frame = sample_frames()["spat"]
    document = json.loads(run("identify", "--format", "json", frame.hex()).stdout)
    assert document["preferred"] == "csae53-2020"
    assert "csae157-2020" in document["matches"]
    table = run("identify", frame.hex())
    assert "csae53-2020 (also matches: csae53-2019, csae157-2020)" in table.stdout


def test_encode_without_edition_is_a_usage_error_naming_the_option(tmp_path: Path) -> None:
    from conformance.codec import jsonvalue
    from conformance.standards.samples import sample_values

    path = tmp_path / "bsm.json"
    path.write_text(jsonvalue.dumps(sample_values()["bsm"]))
    result = run("encode", str(path))
    assert result.exit_code == 2
    assert "--edition" in result.stderr and "internal error" not in result.stderr
    assert all(edition in result.stderr for edition in ("csae53-2017", "csae53-2019", "csae53-2020", "csae157-2020"))
    given = run("encode", "-e", "csae53-2020", str(path))
    assert given.exit_code == 0 and given.stdout.strip() == sample_frames()["bsm"].hex()


def test_encode_takes_the_edition_recorded_by_decode(tmp_path: Path) -> None:
    day2 = "800b00000802011a195b1b1bc0"
    path = tmp_path / "day2.json"
    path.write_text(run("decode", day2).stdout)
    assert json.loads(path.read_text())["edition"] == "csae157-2020"
    result = run("encode", str(path))
    assert result.exit_code == 0 and result.stdout.strip() == day2
    assert run("encode", "-e", "csae53-2020", str(path)).exit_code == 1  # --edition wins: no msgFrameExt in 2020


@pytest.mark.parametrize(("recorded", "fragment"), [(7, "not an edition id"), ("csae53-2099", "Unknown edition")])
def test_encode_with_a_bad_recorded_edition_is_a_usage_error(tmp_path: Path, recorded: object, fragment: str) -> None:
    document = json.loads(run("decode", "-e", "csae53-2020", sample_frames()["rsi"].hex()).stdout)
    document["edition"] = recorded
    path = tmp_path / "rsi.json"
    path.write_text(json.dumps(document))
    result = run("encode", str(path))
    assert result.exit_code == 2
    assert fragment in result.stderr


# -- numbers too long for Python's decimal writer (4300 digits) ----------------------------------------------------
def _huge_index_frame(octets: int) -> bytes:
    """A MessageFrame whose CHOICE extension index (X.691 11.6) is a number of ``octets`` octets of 1 bits."""
    bits = "1" + "1" + f"{0x80 | (octets >> 8):08b}" + f"{octets & 0xFF:08b}" + "1" * (8 * octets)
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


@pytest.mark.parametrize("native", ["1", "0"])
def test_an_extension_index_too_long_to_write_in_decimal_is_named_not_a_crash(
    native: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2000 octets: 4817 decimal digits, which Python refuses to write; it was an internal error (native) and a
    message about Python's limit (Python path). Both paths now give its size and leading hex digits."""
    monkeypatch.setenv("V2XC_NATIVE", native)
    frame = tmp_path / "huge.bin"
    frame.write_bytes(_huge_index_frame(2000))
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "decode", "--edition", "csae53-2020", str(frame)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "extension alternative number 0xfffffffffffffffff…[16000-bit] of MessageFrame" in done.stderr
    assert "bit offset 1 (byte 0)" in done.stderr


@pytest.mark.parametrize("native", ["1", "0"])
def test_a_valid_integer_of_4817_digits_is_written(
    native: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An INTEGER (0..MAX) of 2000 octets in a lab's ASN.1 is valid: its JSON is written in full (v2xc allows
    numbers of up to errors.MAX_DECIMAL_DIGITS digits), and one beyond a constraint is named in short form, in
    the same words on both paths."""
    monkeypatch.setenv("V2XC_NATIVE", native)
    (tmp_path / "asn1").mkdir()
    (tmp_path / "asn1" / "s.asn").write_text(
        "S DEFINITIONS AUTOMATIC TAGS ::= BEGIN\n"
        "  MessageFrame ::= SEQUENCE { big INTEGER (0..MAX), low INTEGER (MIN..10) }\nEND\n"
    )
    number = bytes([0x80 | (2000 >> 8), 2000 & 0xFF]) + b"\x7f" + b"\xff" * 1999
    valid = run("decode", "--asn1-dir", str(tmp_path / "asn1"), (number + b"\x01\x05").hex())
    assert valid.exit_code == 0, valid.output
    with long_decimals():  # the reader of the JSON needs the same allowance as its writer
        document = json.loads(valid.output)
    assert document["value"]["big"] == int.from_bytes(b"\x7f" + b"\xff" * 1999, "big")
    invalid = run("decode", "--asn1-dir", str(tmp_path / "asn1"), (b"\x01\x05" + number).hex())
    assert invalid.exit_code == 1
    assert "but got 0x7ffffffffffffffff…[15999-bit]" in invalid.output


def test_a_number_beyond_what_v2xc_writes_is_a_usage_error_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond errors.MAX_DECIMAL_DIGITS Python refuses again; guard() says what happened (exit 2), no traceback."""
    from conformance.cli import main as cli_main

    def too_long(*_args: object, **_kwargs: object) -> object:
        raise ValueError("Exceeds the limit (160000 digits) for integer string conversion: value has 170000 digits")

    monkeypatch.setattr(cli_main, "read_frames", too_long)
    result = run("decode", "--edition", "csae53-2020", "00")
    assert result.exit_code == 2
    assert "more than 160,000 decimal digits" in result.output and "internal error" not in result.output
