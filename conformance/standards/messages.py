"""The message table: one entry per message kind, from which every other message table of the toolkit is derived.

A *message kind* is the name the toolkit, the device's upper tester, MQTT topics, the AID table and the catalogue
use for a message: ``BSM``, ``MAP``, ``SPAT``, ``RSI``, ``RSM`` (the Day-1 MessageFrame alternatives), ``DAY2``
(the Day-2 frame: MessageFrame's ``msgFrameExt`` extension alternative) and the Day-2 messages that frame carries,
named by the catalogue (``SSM``, ``RSC``, ...; inside MessageFrameExt, chosen by ``messageId``).

Each entry *declares* only what no standard file says: its name, the MessageFrame alternative that carries it (and,
for a Day-2 message, the ASN.1 type inside the open type), the default transmission rate of the reference devices,
the functions that generate values, the label of evidence texts and the MQTT topic segment. Everything else is
*derived*, once and on first use, from the files that define it:

========================  ======================================================================================
fact                      source
========================  ======================================================================================
ASN.1 type                the ``MessageFrame`` CHOICE of the bundled editions (``asn1/``; ``editions.py``)
CHOICE position           the same CHOICE: root index, or extension-addition index
first-byte hint           the CHOICE position, as UPER encodes it (X.691 §23: extension bit, then the index)
messageId (Day-2)         the edition registry's open-type table (``asn1/editions.toml``, ``[[edition.open_type]]``)
AIDs                      ``data/aids.toml`` (rows with their sources; Day-2 AIDs are a lab parameter)
========================  ======================================================================================

Nothing is read or compiled at import time: declared facts (names, alternatives, rates, topics, generators) cost
nothing; the derived ones load the editions (from the compile cache) the first time one is asked for.

Adding a message kind is one entry here, its checks (``conformance/checks/``) and, when the reference devices or
the corpus should produce it, its generator (``standards/samples.py``, ``vectors/traffic.py``).
"""

from __future__ import annotations

import functools
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..errors import ConfigurationError, EditionError, SourceLocation

__all__ = [
    "AID_TABLE_SOURCE",
    "ChoicePosition",
    "FrameLayout",
    "MessageKind",
    "aid_document",
    "aid_kinds",
    "by_alternative",
    "day2_kinds",
    "default_rates",
    "frame_kinds",
    "frame_kinds_in_choice_order",
    "frame_layout",
    "get",
    "kind_of_first_byte",
    "kinds",
    "mqtt_kinds",
]

#: Where the AID table lives (package data), as named in error messages.
AID_TABLE_SOURCE = "conformance/standards/data/aids.toml"


@dataclass(frozen=True, slots=True)
class ChoicePosition:
    """Where an alternative sits in the MessageFrame CHOICE: a root index, or an extension-addition index."""

    index: int
    extension: bool = False

    def __str__(self) -> str:
        return f"extension addition {self.index}" if self.extension else f"root alternative {self.index}"


@dataclass(frozen=True, slots=True)
class MessageKind:
    """One message kind. Declared fields are given below; the properties derive the rest from the standard's files.

    ``carried`` is set for a message inside an open type (a Day-2 message in MessageFrameExt): the ASN.1 type the
    open type holds. ``rate_hz`` is the reference devices' default rate (None: they do not send it by themselves),
    ``rate_source`` where that rate comes from. The rates a requirement judges are catalogue parameters, not these.
    ``sample`` names a function of :mod:`conformance.standards.samples` returning one valid value; ``traffic`` names
    a function of :mod:`conformance.vectors.traffic` with keyword arguments ``count`` and ``edition`` returning that
    many consecutive values (a realistic stream). ``topic`` is the ``{message}`` segment of MQTT topics (None: not
    carried over MQTT). ``label_text`` is how verdict and evidence texts name it (default: the name, and the
    messageId for a Day-2 message).
    """

    name: str
    alternative: str
    carried: str | None = None
    rate_hz: float | None = None
    rate_source: str = ""
    sample: str | None = None
    traffic: str | None = None
    topic: str | None = None
    label_text: str = ""

    # -- derived ---------------------------------------------------------------------------------------------------
    @property
    def in_open_type(self) -> bool:
        """True for a message carried inside an open type (a Day-2 message in MessageFrameExt)."""
        return self.carried is not None

    @property
    def frame_kind(self) -> str:
        """The kind an observed frame of this message is filed under: itself, or its frame's kind (``DAY2``)."""
        if self.carried is None:
            return self.name
        frame = by_alternative(self.alternative)
        return frame.name if frame is not None else self.name

    @property
    def type_name(self) -> str:
        """The ASN.1 type of the message: the alternative's type in MessageFrame, or the type in the open type."""
        if self.carried is not None:
            return self.carried
        return frame_layout().type_of(self.alternative)

    @property
    def choice(self) -> ChoicePosition:
        """The alternative's position in the MessageFrame CHOICE (from the ASN.1)."""
        return frame_layout().position_of(self.alternative)

    @property
    def first_byte(self) -> tuple[int, int]:
        """(mask, value): the first byte of a UPER MessageFrame of this alternative satisfies
        ``byte & mask == value`` (derived from :attr:`choice`; a Day-2 message shares its frame's first byte)."""
        return frame_layout().first_byte_of(self.alternative)

    @property
    def message_id(self) -> int | None:
        """The Day-2 ``messageId`` selecting this message in the open type (None for a frame kind)."""
        if self.carried is None:
            return None
        return _open_type_keys(self.alternative).get(self.carried)

    @property
    def aids(self) -> tuple[int, ...]:
        """The AIDs registered for this kind in ``data/aids.toml``, ascending (empty: none registered)."""
        return _aids_by_kind().get(self.name, ())

    @property
    def period_s(self) -> float | None:
        """The default transmission period in seconds (1 / ``rate_hz``; None without a default rate)."""
        return None if self.rate_hz is None else 1.0 / self.rate_hz

    @property
    def label(self) -> str:
        """How verdict and evidence texts name the message."""
        if self.label_text:
            return self.label_text
        message_id = self.message_id
        return f"{self.name} (messageId {message_id})" if message_id is not None else self.name

    @property
    def short(self) -> str:
        """Lower-case name, used by the sample set, the vector corpus and ``v2xc vectors --type``."""
        return self.name.lower()


# ------------------------------------------------------------------------------------------------------ the table
_BSM_RATE = "the commonly quoted 10 Hz (not verified against YD/T 3710-2020 §6)"
_RSU_RATE = (
    "CCSA RSU specification §4.4 (MAP <= 1 s, SPAT <= 500 ms, RSM 100 ms, RSI 1 s static; document number not verified)"
)

_KINDS: tuple[MessageKind, ...] = (
    # Day-1 messages (T/CSAE 53 / YD/T 3709): MessageFrame root alternatives.
    MessageKind(
        "BSM", "bsmFrame", rate_hz=10.0, rate_source=_BSM_RATE, sample="bsm", traffic="bsm_stream", topic="BSM"
    ),
    MessageKind(
        "MAP", "mapFrame", rate_hz=1.0, rate_source=_RSU_RATE, sample="map_data", traffic="map_stream", topic="MAP"
    ),
    MessageKind(
        "SPAT", "spatFrame", rate_hz=2.0, rate_source=_RSU_RATE, sample="spat", traffic="spat_stream", topic="SPAT"
    ),
    MessageKind("RSI", "rsiFrame", rate_hz=1.0, rate_source=_RSU_RATE, sample="rsi", traffic="rsi_stream", topic="RSI"),
    MessageKind(
        "RSM", "rsmFrame", rate_hz=10.0, rate_source=_RSU_RATE, sample="rsm", traffic="rsm_sequence", topic="RSM"
    ),
    # The Day-2 frame (T/CSAE 157): MessageFrame's extension alternative, and the messages its open type carries.
    MessageKind("DAY2", "msgFrameExt", label_text="Day-2 MessageFrameExt"),
    MessageKind("TEST", "msgFrameExt", carried="TestMsg"),
    MessageKind("RTCM", "msgFrameExt", carried="RTCMcorrections"),
    MessageKind("RSC", "msgFrameExt", carried="RoadsideCoordination"),
    MessageKind("SSM", "msgFrameExt", carried="SensorSharingMsg"),
    MessageKind("VIR", "msgFrameExt", carried="VehIntentionAndRequest"),
    MessageKind("PAM", "msgFrameExt", carried="PAMData"),
    MessageKind("PSM", "msgFrameExt", carried="PersonalSafetyMessage"),
    MessageKind("CLPMM", "msgFrameExt", carried="CLPMM"),
    MessageKind("VPM", "msgFrameExt", carried="VehiclePaymentMessage"),
)
_BY_NAME: dict[str, MessageKind] = {kind.name: kind for kind in _KINDS}
_FRAME_BY_ALTERNATIVE: dict[str, MessageKind] = {kind.alternative: kind for kind in _KINDS if kind.carried is None}


def kinds() -> tuple[MessageKind, ...]:
    """Every message kind, in table order."""
    return _KINDS


def get(name: str) -> MessageKind | None:
    """The kind called ``name`` (case-insensitive), or None."""
    return _BY_NAME.get(name.upper())


def by_alternative(alternative: str) -> MessageKind | None:
    """The frame kind carried by MessageFrame alternative ``alternative`` (``msgFrameExt`` → ``DAY2``), or None."""
    return _FRAME_BY_ALTERNATIVE.get(alternative)


def frame_kinds() -> tuple[MessageKind, ...]:
    """The kinds that are MessageFrame alternatives (Day-1 messages and the Day-2 frame), in table order."""
    return tuple(_FRAME_BY_ALTERNATIVE.values())


def frame_kinds_in_choice_order() -> tuple[MessageKind, ...]:
    """The frame kinds in MessageFrame CHOICE order (root alternatives, then extension additions; loads the ASN.1)."""
    return tuple(sorted(frame_kinds(), key=lambda kind: (kind.choice.extension, kind.choice.index)))


def day2_kinds() -> tuple[MessageKind, ...]:
    """The messages carried inside an open type (the Day-2 messages), in table order."""
    return tuple(kind for kind in _KINDS if kind.carried is not None)


def aid_kinds() -> tuple[MessageKind, ...]:
    """The kinds an AID table row may name: the frame kinds that are one message. A frame that carries an open type
    (the Day-2 frame) has no AID of its own; Day-2 AIDs are not settled and are a lab parameter."""
    return tuple(kind for kind in frame_kinds() if not _open_type_keys(kind.alternative))


def mqtt_kinds() -> tuple[MessageKind, ...]:
    """The kinds with an MQTT topic, in table order."""
    return tuple(kind for kind in _KINDS if kind.topic is not None)


def default_rates(*names: str) -> dict[str, float]:
    """{kind: default Hz} for ``names`` (in that order); a kind without a default rate is an error."""
    rates: dict[str, float] = {}
    for name in names:
        kind = get(name)
        if kind is None or kind.rate_hz is None:
            raise ConfigurationError(f"Message kind {name!r} has no default rate in the message table.")
        rates[kind.name] = kind.rate_hz
    return rates


def kind_of_first_byte(first: int) -> MessageKind | None:
    """Best guess of the frame kind of UPER MessageFrame bytes from their first byte (the CHOICE index comes first,
    X.691 §23), for frames that do not decode. None when the byte names no alternative of the bundled editions."""
    alternative = frame_layout().alternative_of_first_byte(first)
    return by_alternative(alternative) if alternative is not None else None


# ------------------------------------------------------------------------------------- derived from the ASN.1
@dataclass(frozen=True, slots=True)
class FrameLayout:
    """The MessageFrame CHOICE as the bundled editions define it: root and extension alternatives with their types.

    Root alternatives are the same in every edition (checked); an extension alternative is taken from the editions
    that define it (``msgFrameExt``: the T/CSAE 157 edition).
    """

    pdu: str
    root: tuple[tuple[str, str], ...]
    extensions: tuple[tuple[str, str], ...]
    extensible: bool

    def _types(self) -> dict[str, str]:
        return dict((*self.root, *self.extensions))

    def type_of(self, alternative: str) -> str:
        """The ASN.1 type of ``alternative``."""
        try:
            return self._types()[alternative]
        except KeyError:
            raise self._unknown(alternative) from None

    def position_of(self, alternative: str) -> ChoicePosition:
        """Where ``alternative`` sits in the CHOICE."""
        for index, (name, _type_name) in enumerate(self.root):
            if name == alternative:
                return ChoicePosition(index)
        for index, (name, _type_name) in enumerate(self.extensions):
            if name == alternative:
                return ChoicePosition(index, extension=True)
        raise self._unknown(alternative)

    @property
    def root_bits(self) -> int:
        """Bits of the root CHOICE index (a constrained whole number 0..n-1, X.691 §23.6)."""
        return math.ceil(math.log2(len(self.root))) if len(self.root) > 1 else 0

    def first_byte_of(self, alternative: str) -> tuple[int, int]:
        """(mask, value) of the first byte of a frame of ``alternative`` (X.691 §23: extension bit, then the root
        index in :attr:`root_bits` bits, or a normally small number, 0 then 6 bits, for an extension addition)."""
        position = self.position_of(alternative)
        if position.extension:
            return 0xFF, 0x80 | position.index  # ext bit 1, "small" bit 0, 6-bit index (indices below 64)
        lead = 1 if self.extensible else 0
        shift = 8 - lead - self.root_bits
        mask = ((1 << (lead + self.root_bits)) - 1) << shift
        return mask, position.index << shift

    def alternative_of_first_byte(self, first: int) -> str | None:
        """The alternative a frame starting with byte ``first`` claims to be (None when it names none).

        A byte with the extension bit set whose extension index no edition defines is attributed to the first
        extension alternative: a frame that claims to be an extension is judged with the extension frames (the Day-2
        frames), not dropped as of no kind."""
        if self.extensible and first & 0x80:
            index = first & 0x3F if not first & 0x40 else None
            if index is not None and index < len(self.extensions):
                return self.extensions[index][0]
            return self.extensions[0][0] if self.extensions else None
        lead = 1 if self.extensible else 0
        index = (first >> (8 - lead - self.root_bits)) & ((1 << self.root_bits) - 1)
        return self.root[index][0] if index < len(self.root) else None

    def _unknown(self, alternative: str) -> EditionError:
        known = ", ".join(name for name, _ in (*self.root, *self.extensions))
        return EditionError(
            f"{self.pdu} has no alternative {alternative!r} in any bundled edition (it has {known}).",
            hint="Fix the alternative in conformance/standards/messages.py or add the ASN.1 that defines it.",
        )


def _choice_members(definition: Mapping[str, Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str]], bool]:
    """(root, extension additions, extensible) of a parsed CHOICE (asn1tools' form: ``None`` marks ``...``)."""
    root: list[tuple[str, str]] = []
    additions: list[tuple[str, str]] = []
    markers = 0
    for member in definition.get("members", []):
        if member is None:
            markers += 1
            continue
        if isinstance(member, list):  # an extension addition group [[ ... ]]: its members, in order
            additions.extend((str(m["name"]), str(m["type"])) for m in member if m is not None)
            continue
        target = root if markers != 1 else additions
        target.append((str(member["name"]), str(member["type"])))
    return root, additions, markers > 0


@functools.cache
def frame_layout() -> FrameLayout:
    """The MessageFrame CHOICE of the bundled editions (loaded from the compile cache on first use)."""
    from .editions import edition_ids, load_edition, registry

    pdus = {info.pdu for info in registry().values()}
    if len(pdus) != 1:
        raise EditionError(f"The bundled editions disagree on the top-level type ({', '.join(sorted(pdus))}).")
    pdu = pdus.pop()
    root: tuple[tuple[str, str], ...] | None = None
    extensions: list[tuple[str, str]] = []
    extensible = False
    for edition_id in edition_ids():
        edition_root, additions, marker = _choice_members(load_edition(edition_id).type_definition(pdu))
        if root is None:
            root = tuple(edition_root)
        elif tuple(edition_root) != root:
            raise EditionError(
                f"Edition {edition_id}: the root alternatives of {pdu} differ from the other editions'; the first-byte "
                "table of the message table cannot serve both.",
                hint="Give such an edition its own message table, or keep the root alternatives unchanged.",
            )
        extensible = extensible or marker
        for index, addition in enumerate(additions):
            if index < len(extensions) and extensions[index] != addition:
                raise EditionError(
                    f"Edition {edition_id}: {pdu} extension addition {index} is {addition[0]} ({addition[1]}); "
                    f"another edition has {extensions[index][0]} ({extensions[index][1]}) there.",
                )
            if index >= len(extensions):
                extensions.append(addition)
    return FrameLayout(pdu, root or (), tuple(extensions), extensible)


@functools.cache
def _open_type_keys(alternative: str) -> dict[str, int]:
    """{carried type: key} of the open-type tables (edition registry) that sit in MessageFrame ``alternative``."""
    from .editions import registry

    keys: dict[str, int] = {}
    for info in registry().values():
        for binding in info.open_types:
            if tuple(binding.path) != (alternative,):
                continue
            for key, type_name in binding.types.items():
                if keys.setdefault(type_name, key) != key:
                    raise EditionError(
                        f"Edition {info.id}: open type {binding.container_type} gives {type_name} key {key}; another "
                        f"edition gives {keys[type_name]}.",
                    )
    return keys


# ------------------------------------------------------------------------------------------------------ the AIDs
@functools.cache
def aid_document() -> Mapping[str, Any]:
    """The packaged AID table (``data/aids.toml``) as parsed TOML; validated by :mod:`conformance.network.dsmp`."""
    resource = resources.files("conformance.standards") / "data" / "aids.toml"
    try:
        text = resource.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read the AID table: {exc}", source=SourceLocation(AID_TABLE_SOURCE)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(
            f"AID table is not valid TOML: {exc}", source=SourceLocation(AID_TABLE_SOURCE)
        ) from None


def _rows(document: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    rows = document.get("aid")
    return [row for row in rows if isinstance(row, Mapping)] if isinstance(rows, list) else []


@functools.cache
def _aids_by_kind() -> dict[str, tuple[int, ...]]:
    found: dict[str, list[int]] = {}
    for row in _rows(aid_document()):
        aid, message = row.get("aid"), row.get("message")
        if isinstance(aid, int) and not isinstance(aid, bool) and isinstance(message, str):
            found.setdefault(message.upper(), []).append(aid)
    return {message: tuple(sorted(aids)) for message, aids in found.items()}
