"""``make demo`` until the run engine exists: real codec work on the bundled sample messages.

It encodes the five sample messages strictly (csae53-2020), decodes them back, identifies their edition across
every bundled edition, frames one in DSMP and parses it back, and feeds the strict decoder the malformed frames a
lab sees in practice (truncated, trailing bytes, out-of-range field, wrong CHOICE index, random bytes, DSMP AID
mismatch). Everything is computed, nothing is canned; the results are written to ``OUT/demo-report.json`` and
``OUT/demo-report.md`` and shown as a table.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from . import __version__, dsmp, framing
from .codec import codec_for
from .editions import edition_ids, load_edition
from .errors import ConformanceError
from .identify import MatchStatus, identify
from .samples import EDITION, sample_frames, sample_values


@dataclass
class Row:
    """One demo step: what was fed in, what was expected, what happened."""

    case: str
    input_hex: str
    expected: str
    outcome: str
    detail: str

    @property
    def as_expected(self) -> bool:
        """True when the observed outcome is the expected one."""
        return self.expected == self.outcome


def _try_decode(data: bytes, edition: str = EDITION) -> tuple[str, str]:
    try:
        decoded = codec_for(edition).decode(data)
    except ConformanceError as exc:
        return "rejected", exc.describe()
    return "accepted", f"{decoded.type_name} {decoded.value[0]}, {decoded.bit_length} bits"


def _out_of_range_frame() -> bytes:
    """A BSM whose heading is 30000 (> 28800), produced with asn1tools' unchecked encoder as a faulty device would."""
    alternative, value = sample_values()["bsm"]
    bad = dict(value, heading=30_000)
    return bytes(load_edition(EDITION).spec.encode("MessageFrame", (alternative, bad), check_constraints=False))


def _malformed(frames: dict[str, bytes]) -> list[tuple[str, bytes, str]]:
    rng = random.Random(20261125)
    bsm = frames["bsm"]
    wrong_choice = bytes([(bsm[0] & 0x0F) | 0x70]) + bsm[1:]  # CHOICE index bits 1..3 set to 7: no such alternative
    return [
        ("BSM truncated by 10 bytes", bsm[:-10], "rejected"),
        ("BSM with one trailing byte", bsm + b"\x00", "rejected"),
        ("BSM heading 30000 (range 0..28800)", _out_of_range_frame(), "rejected"),
        ("MessageFrame with unknown CHOICE index", wrong_choice, "rejected"),
        ("16 random bytes", bytes(rng.randrange(256) for _ in range(16)), "rejected"),
        ("empty input", b"", "rejected"),
    ]


def run(out_dir: Path, console: Console) -> list[Row]:
    """Run every demo step, print the table, write the reports; return the rows."""
    frames = sample_frames()
    rows: list[Row] = []
    for name, data in frames.items():
        outcome, detail = _try_decode(data)
        again = codec_for(EDITION).encode(codec_for(EDITION).decode(data).value) if outcome == "accepted" else b""
        same = "re-encodes byte-identically" if again == data else "RE-ENCODES DIFFERENTLY"
        matches = [r.edition for r in identify(data) if r.status is MatchStatus.MATCH]
        rows.append(
            Row(
                f"sample {name.upper()} ({len(data)} B)",
                data.hex(),
                "accepted",
                outcome,
                f"{detail}; {same}; editions: {', '.join(matches)}",
            )
        )
    map_frame = frames["map"]
    packet = dsmp.build(map_frame, aid=3618)
    parsed = framing.unwrap(packet, framing.Framing.DSMP)
    outcome, detail = _try_decode(parsed.payload)
    rows.append(
        Row(
            "MAP in DSMP (AID 3618)",
            packet.hex(),
            "accepted",
            outcome,
            f"DSMP header {parsed.header.header_length if parsed.header else 0} B; {detail}",
        )
    )
    mismatched = dsmp.build(frames["bsm"], aid=3618)
    try:
        unwrapped = framing.unwrap(mismatched, framing.Framing.DSMP)
        decoded = codec_for(EDITION).decode(unwrapped.payload)
        assert unwrapped.header is not None
        framing.check_aid(unwrapped.header, decoded.value[0])
        rows.append(Row("BSM in DSMP with MAP's AID", mismatched.hex(), "rejected", "accepted", "AID not checked"))
    except ConformanceError as exc:
        rows.append(Row("BSM in DSMP with MAP's AID", mismatched.hex(), "rejected", "rejected", exc.describe()))
    for case, data, expected in _malformed(frames):
        outcome, detail = _try_decode(data)
        rows.append(Row(case, data.hex(), expected, outcome, detail))

    table = Table(
        title=f"v2x-conformance {__version__} demo — strict codec on sample frames ({EDITION})",
        title_justify="left",
        show_lines=True,
    )
    for column in ("case", "expected", "outcome", "detail"):
        table.add_column(column, overflow="fold")
    for row in rows:
        style = "green" if row.as_expected else "bold red"
        table.add_row(row.case, row.expected, f"[{style}]{row.outcome}[/]", row.detail)
    console.print(table)
    _write(out_dir, rows)
    good = sum(row.as_expected for row in rows)
    console.print(
        f"{good}/{len(rows)} steps behaved as expected. Reports: {out_dir}/demo-report.json, {out_dir}/demo-report.md"
    )
    return rows


def _write(out_dir: Path, rows: list[Row]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    document: dict[str, Any] = {
        "tool": "v2x-conformance",
        "version": __version__,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "editions": {ident: load_edition(ident).sha256 for ident in edition_ids()},
        "steps": [dict(vars(row), as_expected=row.as_expected) for row in rows],
    }
    (out_dir / "demo-report.json").write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    lines = [
        f"# v2x-conformance demo ({document['generated']})",
        "",
        "| case | expected | outcome | detail |",
        "|---|---|---|---|",
    ]
    for row in rows:
        detail = row.detail.replace("|", "\\|")
        lines.append(f"| {row.case} | {row.expected} | {row.outcome} | {detail} |")
    (out_dir / "demo-report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out_dir / "sample-frames.hex").write_text(
        "".join(f"# {name}\n{data.hex()}\n" for name, data in sample_frames().items()), encoding="utf-8"
    )


def main() -> None:
    """Entry point of ``python -m conformance.demo``; exit 1 when any step did not behave as expected."""
    parser = argparse.ArgumentParser(description="v2x-conformance demo")
    parser.add_argument("--out", type=Path, default=Path("reports/demo"))
    args = parser.parse_args()
    rows = run(args.out, Console())
    raise SystemExit(0 if all(row.as_expected for row in rows) else 1)


if __name__ == "__main__":
    main()
