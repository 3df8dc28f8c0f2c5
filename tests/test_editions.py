"""Edition registry, overlays, custom ASN.1 folders, the compile cache and the computed differences."""

from __future__ import annotations

from pathlib import Path

import asn1tools
import pytest

from conformance.codec.strict import StrictCodec
from conformance.errors import EditionError
from conformance.standards import editions
from conformance.standards.editiondiff import diff_editions
from conformance.vectors.samples import sample_frames

MINI = """Mini DEFINITIONS AUTOMATIC TAGS ::= BEGIN
MessageFrame ::= CHOICE { ping Ping, ... }
Ping ::= SEQUENCE { seq INTEGER (0..127), note IA5String (SIZE(1..8)) OPTIONAL }
END
"""


def test_all_four_editions_are_registered_oldest_first() -> None:
    assert editions.edition_ids() == ["csae53-2017", "csae53-2019", "csae53-2020", "csae157-2020"]


def test_overlay_replaces_only_named_types() -> None:
    base = editions.load_edition("csae53-2020")
    revision = editions.load_edition("csae53-2019")
    changed = {change.type_name for change in diff_editions(base, revision)}
    assert changed == {
        "DHour",
        "DTimeOffset",
        "ConnectsToList",
        "Link",
        "NodeList",
        "PathPointList",
        "FullPositionVector",
    }


def test_day2_adds_message_frame_extension() -> None:
    changes = {
        c.type_name: c
        for c in diff_editions(editions.load_edition("csae53-2020"), editions.load_edition("csae157-2020"))
    }
    assert any("msgFrameExt" in note for note in changes["MessageFrame"].member_changes)
    assert changes["TestMsg"].change == "added"


def test_merge_overlay_rejects_unresolved_imports() -> None:
    base = asn1tools.parse_string(MINI)
    overlay = asn1tools.parse_string(
        "Mini DEFINITIONS AUTOMATIC TAGS ::= BEGIN IMPORTS Pong FROM Nowhere; Ping ::= Pong END"
    )
    with pytest.raises(EditionError, match="imports from Nowhere"):
        editions.merge_overlay(base, overlay)


def test_custom_asn1_folder(tmp_path: Path) -> None:
    (tmp_path / "mini.asn").write_text(MINI)
    edition = editions.custom_edition(tmp_path)
    codec = StrictCodec(edition)
    data = codec.encode(("ping", {"seq": 5, "note": "hi"}))
    assert codec.decode(data).value == ("ping", {"seq": 5, "note": "hi"})


def test_custom_folder_syntax_error_names_file_line_column(tmp_path: Path) -> None:
    (tmp_path / "broken.asn").write_text(MINI.replace("INTEGER (0..127)", "INTEGER (0..127"))
    with pytest.raises(EditionError) as caught:
        editions.custom_edition(tmp_path)
    assert caught.value.source is not None
    assert caught.value.source.path.endswith("broken.asn")
    assert caught.value.source.line == 3 and caught.value.source.column > 0


def test_empty_custom_folder(tmp_path: Path) -> None:
    with pytest.raises(EditionError, match=r"No ASN\.1 files"):
        editions.custom_edition(tmp_path)


def test_unknown_edition_lists_valid_ones() -> None:
    with pytest.raises(EditionError) as caught:
        editions.load_edition("csae53-2018")
    assert "csae53-2019" in caught.value.hint


def test_compile_cache_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("V2XC_NO_CACHE", raising=False)
    info = editions.registry()["csae53-2020"]
    files = editions._files_of(info)
    assert editions._cache_load(info, files) is None
    compiled = editions._compile(info, *editions._resolve(info))
    editions._cache_store(compiled)
    cached = editions._cache_load(info, files)
    assert cached is not None and cached.sha256 == compiled.sha256
    data = sample_frames()["spat"]
    assert StrictCodec(cached).decode(data).value == StrictCodec(compiled).decode(data).value
    # A corrupted entry is ignored (recompiled by the caller), never trusted.
    path = editions._cache_path(info, files)
    assert path is not None
    path.write_bytes(b"not a pickle")
    assert editions._cache_load(info, files) is None


def test_cache_can_be_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("V2XC_NO_CACHE", "1")
    info = editions.registry()["csae53-2020"]
    assert editions._cache_path(info, editions._files_of(info)) is None
