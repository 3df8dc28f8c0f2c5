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
