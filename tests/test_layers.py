"""The layers of ARCHITECTURE.md, checked on the source: what the engine may import, and the one message table.

The engine (``conformance/engine/``) judges frames it is given a decoder for; it imports no standard: nothing from
the codec, the network layer, the standards data or the catalogue. Every import statement of every engine module is
read with :mod:`ast` (including imports inside functions and under ``TYPE_CHECKING``), so a lazy import cannot hide.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "conformance"

#: Packages of ``conformance`` the engine must not import.
FORBIDDEN_IN_ENGINE = ("codec", "network", "standards", "catalogue")
#: What the engine may import from ``conformance``: its own modules, the error tree and the transports it is handed
#: (their timing primitives).
ALLOWED_IN_ENGINE = ("engine", "errors", "transports")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def conformance_imports(path: Path, module_name: str | None = None) -> list[tuple[int, str]]:
    """(line, absolute module) of every ``conformance`` module ``path`` imports (relative imports resolved against
    ``module_name``, by default the module ``path`` is in the package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = (module_name or _module_name(path)).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if node.module is None:
                # ``from .. import checks``: each name may be a module of that package
                found.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
            else:
                found.append((node.lineno, module))
    return [(line, module) for line, module in found if module == "conformance" or module.startswith("conformance.")]


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


ENGINE_MODULES = sorted((PACKAGE / "engine").rglob("*.py"))


def test_the_import_reader_resolves_relative_imports(tmp_path: Path) -> None:
    source = tmp_path / "probe.py"
    source.write_text(
        "from ..errors import ConformanceError\nfrom .model import Verdict\nimport json\n"
        "def lazy():\n    from .. import checks\n    from ..codec.strict import codec_for\n",
        encoding="utf-8",
    )
    imports = [module for _line, module in conformance_imports(source, "conformance.engine.probe")]
    assert imports == [
        "conformance.errors",
        "conformance.engine.model",
        "conformance.checks",
        "conformance.codec.strict",
    ]


@pytest.mark.parametrize("path", ENGINE_MODULES, ids=lambda path: path.name)
def test_engine_imports_no_standard(path: Path) -> None:
    offending = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}"
        for line, module in conformance_imports(path)
        if _layer(module) in FORBIDDEN_IN_ENGINE or _layer(module) not in ALLOWED_IN_ENGINE
    ]
    assert not offending, "the engine imports no standard (ARCHITECTURE.md):\n" + "\n".join(offending)


def test_engine_modules_are_found() -> None:
    assert {"context.py", "model.py", "runner.py", "registry.py"} <= {path.name for path in ENGINE_MODULES}


# ----------------------------------------------------------------------------------------------- the message table
#: Names that used to be separate message tables; each is now a lookup in conformance.standards.messages.
RETIRED_TABLES = (
    "FRAME_MESSAGES",
    "ROOT_ALTERNATIVES",
    "MESSAGE_KINDS",
    "ALTERNATIVES_BY_NAME",
    "SAMPLE_NAMES",
    "_BARE_FRAME_FIRST_BYTES",
    "_message_hint",
)


def test_no_second_message_table() -> None:
    """The message kinds live in one table; the names of the tables it replaced are gone from the package."""
    found = [
        f"{path.relative_to(PACKAGE.parent)}: {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for name in RETIRED_TABLES
        if name in path.read_text(encoding="utf-8")
    ]
    assert not found, "\n".join(found)


# ------------------------------------------------------------------------------------ no import cycles between packages
def _unit(module: str) -> str:
    """The package a module belongs to, ``conformance.<name>``: a sub-package, or a top-level module of its own
    (``conformance.errors``); a name imported from ``conformance`` itself (``__version__``) is ``conformance``."""
    parts = module.split(".")
    if len(parts) > 1 and ((PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").is_file()):
        return f"conformance.{parts[1]}"
    return "conformance"


def package_graph() -> dict[tuple[str, str], list[str]]:
    """{(package, imported package): where (``file:line``)} over every import of every module, lazy ones too."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _unit(_module_name(path))
        for line, module in conformance_imports(path):
            target = _unit(module)
            if target != source:
                edges.setdefault((source, target), []).append(f"{path.relative_to(PACKAGE.parent)}:{line}")
    return edges


def find_cycle(edges: set[tuple[str, str]]) -> list[str]:
    """One cycle of the directed graph ``edges`` as [a, b, ..., a] ([] when there is none)."""
    successors: dict[str, list[str]] = {}
    for source, target in sorted(edges):
        successors.setdefault(source, []).append(target)
    done: set[str] = set()

    def visit(node: str, stack: list[str]) -> list[str]:
        if node in stack:
            return [*stack[stack.index(node) :], node]
        if node in done:
            return []
        for successor in successors.get(node, []):
            cycle = visit(successor, [*stack, node])
            if cycle:
                return cycle
        done.add(node)
        return []

    for start in sorted(successors):
        cycle = visit(start, [])
        if cycle:
            return cycle
    return []


def test_the_cycle_finder_names_a_cycle() -> None:
    assert find_cycle({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == ["a", "b", "c", "a"]
    assert find_cycle({("a", "b"), ("b", "c"), ("a", "c")}) == []


def test_no_import_cycle_between_packages() -> None:
    """The packages of ``conformance`` import one another in one direction only (a lazy import counts too)."""
    edges = package_graph()
    assert ("conformance.cli", "conformance.engine") in edges  # the graph is read, not empty
    cycle = find_cycle(set(edges))
    steps = [f"  {a} → {b}: {', '.join(edges[a, b][:3])}" for a, b in itertools.pairwise(cycle)]
    assert not cycle, "import cycle between packages " + " → ".join(cycle) + ":\n" + "\n".join(steps)
