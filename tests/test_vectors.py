"""Strategies from the ASN.1, the oracle and the byte mutations (conformance.vectors, issue 4)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from conformance.codec.strict import codec_for
from conformance.errors import CodecError, UsageError, VectorArgumentError
from conformance.standards.editions import edition_ids
from conformance.vectors import Vector, VectorClass, Violation, mutations, samples
from conformance.vectors.oracle import verify
from conformance.vectors.schema import Size, node_at, schema_for
from conformance.vectors.strategies import for_type, representable_violations, values

FAST = settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
DAY1 = ("bsmFrame", "mapFrame", "rsmFrame", "spatFrame", "rsiFrame")


def _sample(strategy: st.SearchStrategy[Any], count: int, seed: int = 1) -> list[Any]:
    """``count`` generated examples, deterministically, without shrinking (fast)."""
    from hypothesis import seed as hypothesis_seed

    found: list[Any] = []

    @hypothesis_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(example: Any) -> None:
        found.append(example)

    collect()
    return found


# --------------------------------------------------------------------------------------------- argument checks
@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"edition": "csae53-2099", "type_name": "MessageFrame"}, "edition="),
        ({"edition": 2020, "type_name": "MessageFrame"}, "edition="),
        ({"edition": "csae53-2020", "type_name": "Nope"}, "type_name="),
        ({"edition": "csae53-2020", "type_name": "MessageFrame", "mode": "fuzzy"}, "mode="),
        ({"edition": "csae53-2020", "type_name": "MessageFrame", "alternative": "xFrame"}, "alternative="),
        ({"edition": "csae53-2020", "type_name": "Speed", "alternative": "x"}, "alternative="),
        ({"edition": "csae53-2020", "type_name": "Speed", "mode": "invalid"}, "mode='invalid'"),
    ],
)
def test_bad_arguments_are_rejected_up_front_naming_the_argument(kwargs: dict[str, object], named: str) -> None:
    with pytest.raises(VectorArgumentError) as info:
        for_type(**kwargs)  # type: ignore[arg-type]
    assert named in info.value.message
    assert isinstance(info.value, UsageError)  # exit code 2 on the command line


def test_values_accepts_only_valid_and_boundary() -> None:
    with pytest.raises(VectorArgumentError, match="mode="):
        values("csae53-2020", "BasicSafetyMessage", mode="invalid")


# --------------------------------------------------------------------------------------------- representability
def test_size_violations_only_where_the_length_field_has_room() -> None:
    assert Size(((1, 63),), False).invalid_lengths() == (64,)  # 6-bit length: 1..64
    assert Size(((1, 8),), False).invalid_lengths() == ()  # 3 bits exactly: no spare code
    assert Size(((1, 23),), False).invalid_lengths() == tuple(range(24, 33))
    assert Size(((8, 8),), False).invalid_lengths() == ()  # fixed size: no length field
    assert Size(((13, 13),), True).invalid_lengths() == ()  # extensible: outside the root is legal


def test_integer_violations_only_where_the_bits_can_carry_them() -> None:
    schema = schema_for("csae53-2020")
    assert schema.node_for("Heading").invalid_integers() == (28801, 32767)  # 0..28800 in 15 bits
    assert schema.node_for("Speed").invalid_integers() is None  # 0..8191 fills 13 bits: 9000 would decode as 808
    assert schema.node_for("TimeMark").invalid_integers() == (36002, 36002 + 65535 - 36002)


def test_representable_violations_are_listed_for_each_message() -> None:
    listed = representable_violations("csae53-2020", "MessageFrame", alternative="bsmFrame")
    assert "bsmFrame.heading: Heading INTEGER (0..28800)" in listed
    assert not any(".speed:" in entry for entry in listed)


# --------------------------------------------------------------------------------------------- properties
def _assert_valid(vector: Vector) -> None:
    codec = codec_for(vector.edition)
    decoded = codec.decode(vector.data, vector.type_name)
    assert codec.encode(decoded.value, vector.type_name) == vector.data
    assert verify(vector).ok


@pytest.mark.parametrize("edition", ["csae53-2019", "csae53-2020"])
@pytest.mark.parametrize("alternative", DAY1)
@pytest.mark.parametrize("mode", ["valid", "boundary"])
def test_valid_and_boundary_vectors_round_trip_byte_identically(edition: str, alternative: str, mode: str) -> None:
    @FAST
    @given(for_type(edition, "MessageFrame", mode=mode, alternative=alternative))
    def check(vector: Vector) -> None:
        assert vector.vclass.value == mode and vector.violation is None
        assert vector.value[0] == alternative
        _assert_valid(vector)

    check()


@pytest.mark.parametrize("edition", ["csae53-2017", "csae53-2019", "csae53-2020"])
@pytest.mark.parametrize("alternative", DAY1)
def test_invalid_vectors_are_rejected_for_the_labelled_reason(edition: str, alternative: str) -> None:
    codec = codec_for(edition)

    @FAST
    @given(for_type(edition, "MessageFrame", mode="invalid", alternative=alternative))
    def check(vector: Vector) -> None:
        assert vector.vclass is VectorClass.INVALID and vector.violation is not None
        assert vector.violation.kind in ("range", "size", "enumerated")
        with pytest.raises(CodecError) as info:
            codec.decode(vector.data)
        assert info.value.field_path == vector.violation.path
        assert verify(vector).ok

    check()


def test_any_type_of_any_edition_generates() -> None:
    for edition in edition_ids():
        for type_name in ("Position3D", "PathHistory", "DDateTime", "Description", "VehicleSize"):
            for vector in _sample(for_type(edition, type_name, mode="valid"), 3):
                _assert_valid(vector)


# --------------------------------------------------------------------------------------------- examples and shrinking
def test_heading_beyond_its_range_is_representable_and_named() -> None:
    vector = find(
        for_type("csae53-2020", "MessageFrame", mode="invalid", alternative="bsmFrame"),
        lambda v: v.violation is not None and v.violation.path == "bsmFrame.heading",
        settings=settings(max_examples=2000, database=None, suppress_health_check=list(HealthCheck)),
    )
    # find() shrinks: the minimal example is still invalid, labelled, and rejected for that reason
    assert vector.violation == Violation("range", "bsmFrame.heading", "Heading INTEGER (0..28800)", 28801)
    assert verify(vector).ok
    decoded = codec_for("csae53-2020").edition.spec.decode("MessageFrame", vector.data, check_constraints=False)
    assert decoded[1]["heading"] == 28801  # the bits really carry the violation


def test_enumerated_index_beyond_the_root_is_written_into_the_bits() -> None:
    vector = find(
        for_type("csae53-2020", "MessageFrame", mode="invalid", alternative="bsmFrame"),
        lambda v: v.violation is not None and v.violation.kind == "enumerated",
        settings=settings(max_examples=3000, database=None, suppress_health_check=list(HealthCheck)),
    )
    assert verify(vector).ok
    with pytest.raises(CodecError) as info:
        codec_for("csae53-2020").decode(vector.data)
    assert info.value.field_path == vector.violation.path  # type: ignore[union-attr]


def test_shrunk_invalid_examples_keep_their_class() -> None:
    failures: list[Vector] = []

    @settings(max_examples=60, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(for_type("csae53-2019", "MessageFrame", mode="invalid", alternative="spatFrame"))
    def prop(vector: Vector) -> None:
        failures.append(vector)
        assert len(vector.data) < 40  # fails on larger frames: Hypothesis shrinks towards a minimal one

    with pytest.raises(AssertionError):
        prop()
    shrunk = failures[-1]
    assert shrunk.vclass is VectorClass.INVALID and verify(shrunk).ok


def test_boundary_mode_reaches_range_ends_and_unavailable_values() -> None:
    examples = _sample(values("csae53-2020", "BasicSafetyMessage", mode="boundary"), 150)
    assert any(v["speed"] == 8191 for v in examples)  # 'unavailable'
    assert any(v["speed"] == 0 for v in examples)
    assert any(v["pos"]["lat"] == 900000001 for v in examples)
    assert any(v["pos"]["lat"] == -900000000 for v in examples)
    assert any(v["transmission"] == "unavailable" for v in examples)
    mandatory = {
        "msgCnt",
        "id",
        "secMark",
        "pos",
        "transmission",
        "speed",
        "heading",
        "accelSet",
        "brakes",
        "size",
        "vehicleClass",
    }
    assert any(set(v) == mandatory for v in examples)  # every optional absent
    assert any({"timeConfidence", "posAccuracy", "safetyExt", "emergencyExt"} <= set(v) for v in examples)  # present
    crumbs = [
        len(v["safetyExt"]["pathHistory"]["crumbData"]) for v in examples if "pathHistory" in v.get("safetyExt", {})
    ]
    assert 1 in crumbs and 23 in crumbs  # minimum and maximum size of PathHistoryPointList
    assert all(v["heading"] in (0, 1, 28799, 28800) for v in examples)  # only range ends and neighbours


@given(st.data())
@FAST
def test_node_at_follows_value_paths(data: st.DataObject) -> None:
    schema = schema_for("csae53-2020")
    node = node_at(schema, "MessageFrame", ("spatFrame", "intersections", 0, "phases", 1, "id"))
    assert node is not None and node.label == "PhaseID" and (node.low, node.high) == (0, 255)
    assert node_at(schema, "MessageFrame", ("nope",)) is None


# --------------------------------------------------------------------------------------------- Day-2 open types
def test_day2_open_types_are_generated_and_violated_inside() -> None:
    assert "csae157-2020" in edition_ids()  # the Day-2 edition is bundled: its absence is a regression, not a skip
    for mode in ("valid", "boundary", "invalid"):
        for vector in _sample(for_type("csae157-2020", "MessageFrame", mode=mode, alternative="msgFrameExt"), 8):
            assert verify(vector).ok, verify(vector).detail
            if mode == "invalid":
                assert vector.violation is not None and vector.violation.path.startswith("msgFrameExt.value.")


# --------------------------------------------------------------------------------------------- oracle negatives
def test_oracle_catches_mislabelled_vectors() -> None:
    frame = samples.sample_frames()["bsm"]
    valid = Vector("csae53-2020", "MessageFrame", VectorClass.VALID, frame)
    assert verify(valid).ok
    labelled_invalid = Vector(
        "csae53-2020",
        "MessageFrame",
        VectorClass.INVALID,
        frame,
        violation=Violation("range", "bsmFrame.heading", "Heading INTEGER (0..28800)"),
    )
    assert not verify(labelled_invalid).ok
    truncated = frame[:-1]
    wrong_reason = Vector(
        "csae53-2020",
        "MessageFrame",
        VectorClass.INVALID,
        truncated,
        violation=Violation("mutation:trailing-bytes", "", "1 byte appended"),
    )
    assert "trailing" in verify(wrong_reason).detail and not verify(wrong_reason).ok
    wrong_path = Vector(
        "csae53-2020",
        "MessageFrame",
        VectorClass.INVALID,
        truncated,
        violation=Violation("mutation:truncation", "bsmFrame.speed", ""),
    )
    assert "another reason" in verify(wrong_path).detail
    valid_but_broken = Vector("csae53-2020", "MessageFrame", VectorClass.BOUNDARY, truncated)
    assert not verify(valid_but_broken).ok


# --------------------------------------------------------------------------------------------- mutations
@pytest.mark.parametrize("name", ["bsm", "map", "spat", "rsi", "rsm"])
def test_every_mutation_kind_is_produced_and_verified(name: str) -> None:
    source = Vector("csae53-2020", "MessageFrame", VectorClass.VALID, samples.sample_frames()[name])
    found = mutations.all_mutations(source, seed=1)
    kinds = {vector.violation.kind for vector in found if vector.violation}
    assert {
        "mutation:truncation",
        "mutation:trailing-bytes",
        "mutation:wrong-choice-index",
        "mutation:dsmp-length",
        "mutation:dsmp-version",
        "mutation:dsmp-aid",
    } <= kinds
    assert all(vector.vclass is VectorClass.INVALID and verify(vector).ok for vector in found)


def test_mutation_labels() -> None:
    frame = samples.sample_frames()["spat"]
    source = Vector("csae53-2020", "MessageFrame", VectorClass.VALID, frame)
    cut = mutations.truncations(source)[-1]
    assert cut.data == frame[:-1] and cut.violation is not None
    assert (cut.violation.kind, cut.violation.path) == ("mutation:truncation", "")
    for flip in mutations.bit_flips(source, count=3):
        assert sum(bin(a ^ b).count("1") for a, b in zip(flip.data, frame, strict=True)) == 1
        with pytest.raises(CodecError) as info:
            codec_for("csae53-2020").decode(flip.data)
        assert info.value.field_path == flip.violation.path  # type: ignore[union-attr]
    wrong_index = mutations.wrong_choice_indices(source)[0]
    assert wrong_index.data[0] >> 4 == 0b0101 and wrong_index.violation.path == ""  # type: ignore[union-attr]
    dsmp_length = [v for v in mutations.dsmp_faults(source) if v.violation.kind == "mutation:dsmp-length"]  # type: ignore[union-attr]
    assert {v.framing for v in dsmp_length} == {"dsmp"} and len(dsmp_length) == 2


def test_frames_of_another_edition() -> None:
    # a 2019 RSI does not decode under 2020 (STANDARDS-FACTS §1): offered as 2020 it is an invalid vector
    examples = _sample(for_type("csae53-2019", "MessageFrame", mode="valid", alternative="rsiFrame"), 20)
    rsi_2019 = next(v for v in examples if "rtes" in v.value[1])
    offered = mutations.other_edition(rsi_2019, ["csae53-2020", "csae53-2017"])
    assert {v.edition for v in offered} >= {"csae53-2017"}
    assert all(verify(v).ok for v in offered)
