"""Compile an edition into the flat node table the native UPER engine interprets.

The native engine (``_uper.c``) has no per-edition code. It walks a *program*: an array of nodes, one per type
object that asn1tools compiles from the edition's parsed ASN.1 (the same objects the Python path decodes with),
plus the constraint-checker objects asn1tools compiles from the same definitions. So both paths read one source:
the parsed ASN.1 of :mod:`conformance.standards.editions` — every edition, every overlay, ``--asn1-dir`` — and the
program is built at run time in milliseconds, with no compiler involved.

What each node holds (all integers, ``NODE_WORDS`` per node):

* encoding (from the UPER objects): kind, extensible, root bounds and bit width for INTEGER values and for the
  sizes of BIT STRING, OCTET STRING, SEQUENCE OF and the known-multiplier strings, members and alternatives,
  ENUMERATED root and extension names, the PER-visible alphabet of a string;
* value constraints (from the checker objects, which is what ``check_constraints`` applies): the range or size
  that a non-extensible type must satisfy, and which characters of the alphabet are permitted;
* the open type of an edition's registry (``[[edition.open_type]]``), attached to the one container node
  reached along its path from the PDU, with its key → inner type table.

Types the engine does not implement (REAL, OBJECT IDENTIFIER, time types, ANY, BMPString and the other
non-known-multiplier strings except UTF8String, extension addition groups) raise :class:`Unsupported`; the codec
then keeps the Python path for that type and says so (:func:`conformance.codec.native.status`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from asn1tools.codecs import per, uper

from ...standards.editions import Edition
from ..hardening import checker_members, semi_constrained_lower_bound, unwrap_checker

NODE_WORDS = 16
EDGE_WORDS = 4

# node kinds (keep in step with _uper.c)
K_SEQ, K_SEQOF, K_CHOICE, K_INT, K_ENUM, K_BOOL, K_NULL, K_BITS, K_OCTETS, K_KMSTR, K_UTF8 = range(1, 12)

# node flags
F_EXT = 1  # extensible (root/extension bit)
F_BOUNDED = 2  # encoding has a root range (lb, ub, nbits valid); otherwise semi/unconstrained form
F_CHECK_LO = 4  # value/size must be >= cmin (the constraint checker's bound)
F_CHECK_HI = 8  # value/size must be <= cmax
F_NAMED = 16  # BIT STRING with named bits (trailing zero bits are removed on encode, X.691 16.2)
F_ALPHA_CHECK = 32  # some characters of the PER-visible alphabet are not permitted by the checker
F_SEMI = 64  # INTEGER (lb..MAX): semi-constrained whole number, lb in W_LB

# word positions inside a node
W_KIND, W_FLAGS, W_LB, W_UB, W_NBITS, W_A, W_ACOUNT, W_B, W_BCOUNT, W_NOPT, W_CMIN, W_CMAX, W_OPEN, W_AUX = range(14)

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class Unsupported(Exception):
    """A type of the edition uses a construct the native engine does not implement."""


@dataclass
class OpenBinding:
    """An open type: the container's key member selects the inner type of its value member."""

    key_edge: int
    value_edge: int
    table: list[tuple[int, int, int]]  # (key, root node, type-name string index)


@dataclass
class Program:
    """A compiled edition: node and edge tables, the strings and default values they index, and the roots."""

    edition_id: str
    nodes: list[list[int]] = field(default_factory=list)
    edges: list[list[int]] = field(default_factory=list)
    strings: list[str] = field(default_factory=list)
    defaults: list[Any] = field(default_factory=list)
    alphabets: list[int] = field(default_factory=list)
    bindings: list[int] = field(default_factory=list)
    roots: dict[str, int] = field(default_factory=dict)
    unsupported: dict[str, str] = field(default_factory=dict)
    _string_index: dict[str, int] = field(default_factory=dict)

    def string(self, text: str) -> int:
        """Index of ``text`` in the string table (added once)."""
        index = self._string_index.get(text)
        if index is None:
            index = len(self.strings)
            self.strings.append(text)
            self._string_index[text] = index
        return index

    def find_member(self, node: int, name: str, *, through_lists: bool = True) -> int:
        """The edge of member or alternative ``name`` of ``node`` (through SEQUENCE OF levels unless
        ``through_lists`` is False), or -1."""
        words = self.nodes[node]
        while through_lists and words[W_KIND] == K_SEQOF:
            words = self.nodes[words[W_A]]
        if words[W_KIND] not in (K_SEQ, K_CHOICE):
            return -1
        for edge in range(words[W_A], words[W_A] + words[W_ACOUNT] + words[W_BCOUNT]):
            if self.strings[self.edges[edge][0]] == name:
                return edge
        return -1

    def packed(self) -> tuple[bytes, bytes, bytes, bytes]:
        """Nodes, edges, alphabets and bindings as native int64 arrays (the form ``_uper.Program`` takes)."""
        import array

        def pack(rows: Iterable[int]) -> bytes:
            return array.array("q", rows).tobytes()

        return (
            pack(word for node in self.nodes for word in node),
            pack(word for edge in self.edges for word in edge),
            pack(self.alphabets),
            pack(self.bindings),
        )


def _int64(value: Any, what: str) -> int:
    if not isinstance(value, int) or not INT64_MIN <= value <= INT64_MAX:
        raise Unsupported(f"{what} {value!r} does not fit in 64 bits")
    return value


def _bounds(minimum: Any, maximum: Any) -> tuple[int, int, int, int]:
    """(flags, lb, ub, nbits) of a root range as the UPER objects hold it (None: no range)."""
    if minimum is None or maximum is None or isinstance(minimum, str) or isinstance(maximum, str):
        return 0, 0, 0, 0
    lb, ub = _int64(minimum, "lower bound"), _int64(maximum, "upper bound")
    if ub - lb > INT64_MAX:
        raise Unsupported(f"range {lb}..{ub} is wider than 63 bits")
    return F_BOUNDED, lb, ub, (ub - lb).bit_length()


def _checks(checker: Any) -> tuple[int, int, int]:
    """(flags, cmin, cmax) of the checker's range or size (set only when not extensible, as asn1tools checks)."""
    if checker is None:
        return 0, 0, 0
    flags, cmin, cmax = 0, 0, 0
    minimum, maximum = getattr(checker, "minimum", "MIN"), getattr(checker, "maximum", "MAX")
    if minimum != "MIN" and minimum is not None:
        flags |= F_CHECK_LO
        cmin = _int64(minimum, "constraint")
    if maximum != "MAX" and maximum is not None:
        flags |= F_CHECK_HI
        cmax = _int64(maximum, "constraint")
    return flags, cmin, cmax


class _Compiler:
    def __init__(self, program: Program) -> None:
        self.program = program
        self.memo: dict[int, int] = {}
        self.added: list[int] = []

    def node(self, obj: Any, checker: Any) -> int:
        while isinstance(obj, per.Recursive):  # uper.Recursive is per.Recursive
            obj = obj._inner
        checker = unwrap_checker(checker)
        key = id(obj)
        if key in self.memo:
            return self.memo[key]
        index = len(self.program.nodes)
        self.memo[key] = index
        self.added.append(key)
        words = [0] * NODE_WORDS
        words[W_OPEN] = -1
        self.program.nodes.append(words)
        self._fill(words, obj, checker)
        return index

    def _edge(self, name: str, node: int, optional: int, default: int) -> list[int]:
        return [self.program.string(name), node, optional, default]

    def _fill(self, words: list[int], obj: Any, checker: Any) -> None:
        program = self.program
        if isinstance(obj, per.AdditionGroup):
            raise Unsupported("extension addition groups ([[ ]])")
        if isinstance(obj, (per.Sequence, per.Set)) and not isinstance(obj, (per.SequenceOf, per.SetOf)):
            if isinstance(obj, per.Set):
                raise Unsupported("SET")
            words[W_KIND] = K_SEQ
            members = checker_members(checker)
            root: list[list[int]] = []
            for member in obj.root_members:
                default = -1
                if member.default is not None:
                    default = len(program.defaults)
                    program.defaults.append(member.default)
                optional = 1 if (member.optional or member.default is not None) else 0
                root.append(self._edge(member.name, -1, optional, default))
            additions: list[list[int]] = []
            if obj.additions is not None:
                words[W_FLAGS] |= F_EXT
                for addition in obj.additions:
                    if isinstance(addition, per.AdditionGroup):
                        raise Unsupported("extension addition groups ([[ ]])")
                    additions.append(self._edge(addition.name, -1, 1, -1))
            words[W_A], words[W_ACOUNT] = len(program.edges), len(root)
            program.edges.extend(root)
            words[W_B], words[W_BCOUNT] = len(program.edges), len(additions)
            program.edges.extend(additions)
            words[W_NOPT] = sum(edge[2] for edge in root)
            for position, member in enumerate([*obj.root_members, *(obj.additions or [])]):
                program.edges[words[W_A] + position][1] = self.node(member, members.get(member.name))
        elif isinstance(obj, (per.SequenceOf, per.SetOf, uper.SequenceOf, uper.SetOf)):
            words[W_KIND] = K_SEQOF
            self._sizes(words, obj, checker)
            element_checker = getattr(checker, "element_type", None)
            words[W_A] = self.node(obj.element_type, element_checker)
        elif isinstance(obj, per.Choice):
            words[W_KIND] = K_CHOICE
            if obj.number_of_indefinite_bits is not None:
                raise Unsupported("CHOICE with more than 65536 alternatives")
            members = checker_members(checker)
            root_members = [obj.root_index_to_member[i] for i in range(len(obj.root_index_to_member))]
            ext_members = []
            if obj.additions_index_to_member is not None:
                words[W_FLAGS] |= F_EXT
                ext_members = [obj.additions_index_to_member[i] for i in range(len(obj.additions_index_to_member))]
            words[W_NBITS] = obj.root_number_of_bits
            words[W_A], words[W_ACOUNT] = len(program.edges), len(root_members)
            program.edges.extend(self._edge(m.name, -1, 0, -1) for m in root_members)
            words[W_B], words[W_BCOUNT] = len(program.edges), len(ext_members)
            program.edges.extend(self._edge(m.name, -1, 0, -1) for m in ext_members)
            for position, member in enumerate([*root_members, *ext_members]):
                program.edges[words[W_A] + position][1] = self.node(member, members.get(member.name))
        elif isinstance(obj, uper.Integer):
            words[W_KIND] = K_INT
            self._sizes(words, obj, checker)  # the value range, held like a size range
            lower = semi_constrained_lower_bound(obj, checker)
            if lower is not None:  # X.691 §13.2.3: value - lb in the fewest octets (asn1tools drops lb)
                words[W_FLAGS] |= F_SEMI
                words[W_LB] = _int64(lower, "lower bound")
        elif isinstance(obj, per.Enumerated):
            words[W_KIND] = K_ENUM
            root_names = [obj.root_index_to_data[i] for i in range(len(obj.root_index_to_data))]
            if not all(isinstance(name, str) for name in root_names):
                raise Unsupported("numeric ENUMERATED values")
            words[W_NBITS] = obj.root_number_of_bits
            words[W_A], words[W_ACOUNT] = len(program.strings), len(root_names)
            # enumeration names go to the string table contiguously (not de-duplicated: indexes are positional)
            program.strings.extend(root_names)
            if obj.additions_index_to_data is not None:
                words[W_FLAGS] |= F_EXT
                ext_names = [obj.additions_index_to_data[i] for i in range(len(obj.additions_index_to_data))]
                words[W_B], words[W_BCOUNT] = len(program.strings), len(ext_names)
                program.strings.extend(ext_names)
        elif isinstance(obj, per.Boolean):
            words[W_KIND] = K_BOOL
        elif isinstance(obj, per.Null):
            words[W_KIND] = K_NULL
        elif isinstance(obj, uper.BitString):
            words[W_KIND] = K_BITS
            self._sizes(words, obj, checker)
            if obj.has_named_bits:
                words[W_FLAGS] |= F_NAMED
        elif isinstance(obj, uper.OctetString):
            words[W_KIND] = K_OCTETS
            self._sizes(words, obj, checker)
        elif isinstance(obj, uper.KnownMultiplierStringType) and not isinstance(obj, uper.BMPString):
            if isinstance(obj, (uper.UTCTime, uper.GeneralizedTime)):
                raise Unsupported(type(obj).__name__)
            words[W_KIND] = K_KMSTR
            self._sizes(words, obj, checker)
            alphabet = obj.permitted_alphabet
            codes = [alphabet.decode_map[i] for i in range(len(alphabet))]
            if any(code > 0x7F for code in codes):
                raise Unsupported("a string alphabet beyond ASCII")
            permitted = getattr(checker, "permitted_alphabet", None)
            words[W_NOPT] = obj.bits_per_character
            words[W_AUX] = len(codes)
            words[W_A] = len(program.alphabets)
            for code in codes:
                allowed = permitted is None or chr(code) in permitted
                if not allowed:
                    words[W_FLAGS] |= F_ALPHA_CHECK
                program.alphabets.append(code | (0 if allowed else 1 << 32))
        elif isinstance(obj, per.UTF8String):
            words[W_KIND] = K_UTF8
            flags, words[W_CMIN], words[W_CMAX] = _checks(checker)
            words[W_FLAGS] |= flags
        else:
            raise Unsupported(f"{type(obj).__name__} ({getattr(obj, 'type_name', '?')})")

    def _sizes(self, words: list[int], obj: Any, checker: Any) -> None:
        """Extension marker, root bounds (encoding) and checked bounds (constraint) of a range or size."""
        if obj.has_extension_marker:
            words[W_FLAGS] |= F_EXT
        flags, words[W_LB], words[W_UB], words[W_NBITS] = _bounds(obj.minimum, obj.maximum)
        words[W_FLAGS] |= flags
        flags, words[W_CMIN], words[W_CMAX] = _checks(checker)
        words[W_FLAGS] |= flags


def _attach_open_types(compiler: _Compiler, edition: Edition, program: Program) -> None:
    """Mark each registry open type on the container node reached along its path from its PDU."""
    for binding in edition.info.open_types:
        if binding.pdu not in program.roots:
            continue
        index = program.roots[binding.pdu]
        for step in binding.path:  # the registry's path names members and alternatives, never list levels
            edge = program.find_member(index, step, through_lists=False)
            if edge < 0:
                raise Unsupported(f"open type path {'.'.join(binding.path)} not found")
            index = program.edges[edge][1]
        node = program.nodes[index]
        if node[W_KIND] != K_SEQ:
            raise Unsupported(f"open type container {binding.container_type} is not a SEQUENCE")
        key_edge = program.find_member(index, binding.key_field, through_lists=False)
        value_edge = program.find_member(index, binding.value_field, through_lists=False)
        if key_edge < 0 or value_edge < 0 or not key_edge < value_edge < node[W_A] + node[W_ACOUNT]:
            raise Unsupported(f"open type {binding.container_type}: key must be a root member before the value")
        if program.nodes[program.edges[value_edge][1]][W_KIND] != K_OCTETS:
            raise Unsupported(f"open type {binding.container_type}.{binding.value_field} is not an OCTET STRING")
        table = []
        for key, type_name in sorted(binding.types.items()):
            table.append((key, _root(compiler, edition, program, type_name), program.string(type_name)))
        node[W_OPEN] = len(program.bindings)
        program.bindings.extend(
            [key_edge - node[W_A], value_edge - node[W_A], len(table), *(word for row in table for word in row)]
        )


def _root(compiler: _Compiler, edition: Edition, program: Program, type_name: str) -> int:
    if type_name not in program.roots:
        compiled = edition.spec.types[type_name]
        program.roots[type_name] = compiler.node(compiled._type, compiled.constraints_checker)
    return program.roots[type_name]


def compile_program(edition: Edition, type_names: Iterable[str] | None = None) -> Program:
    """Compile ``type_names`` (default: the edition's PDU) and the open types' inner types into a :class:`Program`.

    A type that uses a construct the engine lacks is left out and listed in :attr:`Program.unsupported` with the
    reason, so the caller can keep the Python path for it.
    """
    program = Program(edition.id)
    compiler = _Compiler(program)
    names = list(type_names) if type_names is not None else [edition.info.pdu]
    for name in names:
        saved_nodes, saved_edges = len(program.nodes), len(program.edges)
        compiler.added = []
        try:
            _root(compiler, edition, program, name)
        except Unsupported as exc:
            program.unsupported[name] = str(exc)
            del program.nodes[saved_nodes:]
            del program.edges[saved_edges:]
            for key in compiler.added:
                compiler.memo.pop(key, None)
            program.roots.pop(name, None)
    try:
        _attach_open_types(compiler, edition, program)
    except Unsupported as exc:
        for binding in edition.info.open_types:
            program.unsupported[binding.pdu] = str(exc)
            program.roots.pop(binding.pdu, None)
    return program
