"""Small boolean expressions: PICS conditions (``RSU.TX.MAP and not RSU.TX.RSI``) and ``-k`` selection filters.

Grammar (``or`` binds loosest)::

    expr   := and ("or" and)*
    and    := unary ("and" unary)*
    unary  := "not" unary | "(" expr ")" | atom
    atom   := NAME [("==" | "!=") VALUE]          # VALUE: NAME, number or quoted string

Parsed once into frozen nodes; evaluation is a pure function of a lookup, so the plan can explain which PICS items
decided an outcome. No ``eval``: catalogue and PICS files are data from outside the project.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..errors import CatalogueError, SourceLocation

_TOKEN = re.compile(r"\s*(?:(?P<op>\(|\)|==|!=)|(?P<str>'[^']*'|\"[^\"]*\")|(?P<word>[^\s()=!'\"]+))")
_KEYWORDS = {"and", "or", "not"}
PICS_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:[._-][A-Z0-9]+)*$")


@dataclass(frozen=True)
class Atom:
    """An operand: a PICS item (or ``-k`` word), optionally compared with ``==``/``!=`` to a literal."""

    name: str
    op: str = ""
    literal: str = ""


@dataclass(frozen=True)
class Not:
    """Logical negation."""

    operand: Expr


@dataclass(frozen=True)
class BoolOp:
    """``and`` / ``or`` over two or more operands."""

    op: str
    operands: tuple[Expr, ...]


Expr = Atom | Not | BoolOp


def _tokens(text: str) -> Iterator[str]:
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ValueError(f"unexpected character {text[position:].lstrip()[:1]!r} at offset {position}")
        position = match.end()
        yield match.group("op") or match.group("str") or match.group("word")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = list(_tokens(text))
        self.index = 0

    def peek(self) -> str | None:
        """Return the next token without consuming it (None at the end)."""
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> str:
        """Consume and return the next token."""
        token = self.peek()
        if token is None:
            raise ValueError("unexpected end of expression")
        self.index += 1
        return token

    def parse(self) -> Expr:
        """Parse the whole token list into one expression."""
        if not self.tokens:
            raise ValueError("empty expression")
        node = self.or_expr()
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.peek()!r} after a complete expression")
        return node

    def or_expr(self) -> Expr:
        """Parse ``and-expr ("or" and-expr)*``."""
        operands = [self.and_expr()]
        while self.peek() == "or":
            self.take()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def and_expr(self) -> Expr:
        """Parse ``unary ("and" unary)*``."""
        operands = [self.unary()]
        while self.peek() == "and":
            self.take()
            operands.append(self.unary())
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def unary(self) -> Expr:
        """Parse ``not`` / a parenthesised expression / an operand with an optional comparison."""
        token = self.take()
        if token == "not":
            return Not(self.unary())
        if token == "(":
            node = self.or_expr()
            if self.take() != ")":
                raise ValueError("missing ')'")
            return node
        if token in _KEYWORDS or token in {")", "==", "!="}:
            raise ValueError(f"expected an operand, found {token!r}")
        if self.peek() in {"==", "!="}:
            op = self.take()
            literal = self.take()
            if literal in _KEYWORDS or literal in {"(", ")", "==", "!="}:
                raise ValueError(f"expected a value after {op!r}, found {literal!r}")
            return Atom(token, op, literal.strip("'\""))
        return Atom(token)


def parse(text: str, *, source: SourceLocation | None = None, what: str = "condition") -> Expr:
    """Parse ``text``; a syntax error is a :class:`ConfigurationError` located at ``source``."""
    try:
        return _Parser(text).parse()
    except ValueError as exc:
        raise CatalogueError(
            f"Invalid {what} {text!r}: {exc}",
            source=source,
            hint="Use item names combined with and / or / not and parentheses, e.g. 'RSU.TX.SPAT and not RSU.TX.RSI'.",
        ) from None


def names(node: Expr) -> list[str]:
    """Return the operand names of ``node`` in order of first appearance."""
    found: list[str] = []

    def walk(item: Expr) -> None:
        if isinstance(item, Atom):
            if item.name not in found:
                found.append(item.name)
        elif isinstance(item, Not):
            walk(item.operand)
        else:
            for operand in item.operands:
                walk(operand)

    walk(node)
    return found


def evaluate(node: Expr, atom: Callable[[Atom], bool]) -> bool:
    """Evaluate ``node``, asking ``atom`` for the truth of each operand (short-circuit, left to right)."""
    if isinstance(node, Atom):
        return atom(node)
    if isinstance(node, Not):
        return not evaluate(node.operand, atom)
    if node.op == "and":
        return all(evaluate(operand, atom) for operand in node.operands)
    return any(evaluate(operand, atom) for operand in node.operands)


def render(node: Expr) -> str:
    """Return the canonical text of ``node`` (fully parenthesised where needed)."""
    if isinstance(node, Atom):
        return f"{node.name} {node.op} {node.literal!r}" if node.op else node.name
    if isinstance(node, Not):
        inner = render(node.operand)
        return f"not {inner}" if isinstance(node.operand, Atom) else f"not ({inner})"
    parts = [render(o) if not isinstance(o, BoolOp) else f"({render(o)})" for o in node.operands]
    return f" {node.op} ".join(parts)
