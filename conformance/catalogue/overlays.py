"""A laboratory's own profiles and requirement catalogue, added to the bundled ones.

Directories come from the command line (``--profiles-path DIR``, ``--catalogue-path DIR``, repeatable) and from the
environment (``V2XC_PROFILES_PATH``, ``V2XC_CATALOGUE_PATH``: directories separated by ``os.pathsep``, ``:`` on
Linux); both apply, the command line's first. The bundled profiles and catalogue stay available: an overlay adds
profiles (which may ``extends`` bundled ones) and requirement files, it never replaces a bundled id (an id defined
twice is an error, exit 2, naming both files). A directory that does not exist or is not a directory is an error
(exit 2) naming where it was given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import CatalogueError, SourceLocation
from .loader import FRAMEWORK_FILE, REQUIREMENTS_DIR, bundled_catalogue, load_catalogue
from .models import Catalogue
from .profiles import PROFILES_DIR, ProfileSource
from .yamlsrc import read_data_file

PROFILES_PATH_ENV = "V2XC_PROFILES_PATH"
CATALOGUE_PATH_ENV = "V2XC_CATALOGUE_PATH"


def overlay_dirs(
    given: Sequence[Path], env_var: str, option: str, *, environ: Mapping[str, str] | None = None
) -> tuple[Path, ...]:
    """Return the overlay directories: ``given`` (from ``option``) then the entries of ``env_var``, each checked.

    Empty entries of the variable are ignored; a directory listed twice counts once. Raises
    :class:`CatalogueError` for a path that does not exist or is not a directory.
    """
    environ = os.environ if environ is None else environ
    listed = [(Path(p), option) for p in given]
    listed += [(Path(p), env_var) for p in environ.get(env_var, "").split(os.pathsep) if p.strip()]
    result: list[Path] = []
    for path, origin in listed:
        if not path.exists():
            problem = "does not exist"
        elif not path.is_dir():
            problem = "is not a directory"
        else:
            if path.resolve() not in {p.resolve() for p in result}:
                result.append(path)
            continue
        raise CatalogueError(
            f"Overlay directory {path} (given by {origin}) {problem}",
            source=SourceLocation(str(path)),
            hint=f"Give an existing directory with {option} DIR or in {env_var} (separated by {os.pathsep!r}).",
        )
    return tuple(result)


def profile_source(
    given: Sequence[Path] = (), directory: Path | None = None, *, environ: Mapping[str, str] | None = None
) -> ProfileSource:
    """The profile search path: ``directory`` (default: the bundled profiles) plus the lab's directories."""
    extra = overlay_dirs(given, PROFILES_PATH_ENV, "--profiles-path", environ=environ)
    return ProfileSource(directory or PROFILES_DIR, extra)


def catalogue_dirs(given: Sequence[Path] = (), *, environ: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """The lab's catalogue overlay directories (``--catalogue-path`` values, then ``V2XC_CATALOGUE_PATH``)."""
    return overlay_dirs(given, CATALOGUE_PATH_ENV, "--catalogue-path", environ=environ)


def catalogue_with(overlays: Sequence[Path], directory: Path | None = None) -> Catalogue:
    """The catalogue of ``directory`` (default: the bundled one, cached) with the overlay directories added."""
    if directory is None and not overlays:
        return bundled_catalogue()
    return load_catalogue(directory or REQUIREMENTS_DIR, FRAMEWORK_FILE, overlays)


#: Where a run folder keeps copies of the lab's catalogue overlay directories: ``catalogue/1``, ``catalogue/2``, ...
OVERLAY_COPIES = "catalogue"


def copy_overlays(overlays: Sequence[Path], run_dir: Path) -> list[str]:
    """Copy the ``*.yaml`` files of each overlay directory into ``run_dir/catalogue/N`` (N = 1, 2, ... in order, so
    the catalogue loaded from the copies has the same files in the same order, hence the same digest); return the
    copies' folders relative to ``run_dir``. Only regular UTF-8 files of bounded size are copied (the same files
    :func:`load_catalogue` accepted)."""
    names = []
    for number, overlay in enumerate(overlays, start=1):
        relative = f"{OVERLAY_COPIES}/{number}"
        (run_dir / relative).mkdir(parents=True, exist_ok=True)
        for path in sorted(overlay.glob("*.yaml")):
            (run_dir / relative / path.name).write_bytes(read_data_file(path, "catalogue file").encode())
        names.append(relative)
    return names


def recorded_catalogue(run_dir: Path, record: Mapping[str, object]) -> Catalogue:
    """The catalogue a run used, from its ``run.json`` ``catalogue`` record: the bundled one plus the overlay copies
    the run folder keeps (folders named ``catalogue/N`` inside ``run_dir``, nothing else), or, for a folder written
    before runs kept them, the overlay directories it names."""
    copies = record.get("copies")
    if isinstance(copies, list):
        folders = []
        for name in copies:
            parts = str(name).split("/")
            if len(parts) != 2 or parts[0] != OVERLAY_COPIES or not parts[1].isdigit():
                raise CatalogueError(
                    f"{run_dir / 'run.json'} names {name!r} as a catalogue copy: not a folder of the run folder.",
                    source=SourceLocation(str(run_dir / "run.json")),
                    hint="run.json may only name folders inside its run folder; start a new run.",
                )
            folder = run_dir / OVERLAY_COPIES / parts[1]
            if folder.is_symlink() or folder.parent.is_symlink():
                raise CatalogueError(
                    f"{folder} is a symbolic link: a run folder's catalogue copies are folders of the run folder.",
                    source=SourceLocation(str(folder)),
                    hint="Replace the link by the folder the run wrote, or start a new run.",
                )
            folders.append(folder)
        return catalogue_with(folders)
    overlays = record.get("overlays")
    return catalogue_with([Path(str(p)) for p in overlays] if isinstance(overlays, list) else [])
