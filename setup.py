"""Build hook for the optional native UPER engine (everything else is in pyproject.toml).

The extension is ``optional``: where no C compiler is found, setuptools reports the failure and the package
installs without it; ``conformance.codec.native.available()`` is then False and every caller keeps the Python
path. Release wheels are built per platform by cibuildwheel (see ``[tool.cibuildwheel]`` in pyproject.toml).
"""

import os
from typing import Any

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class ReplacingBuildExt(build_ext):
    """build_ext that replaces a built file instead of writing over it.

    ``pip install -e .`` copies the new ``.so`` onto the old one in place; a process that has the old one mapped
    (a test run, a benchmark, ``v2xc monitor``) then reads changed code pages and can crash. Unlinking first gives
    the new file a new inode, and running processes keep the one they loaded.
    """

    def copy_file(self, infile: str, outfile: str, *args: Any, **kwargs: Any) -> Any:  # noqa: D102
        if outfile.endswith((".so", ".pyd")) and os.path.isfile(outfile) and not os.path.samefile(infile, outfile):
            os.unlink(outfile)
        return super().copy_file(infile, outfile, *args, **kwargs)


setup(
    cmdclass={"build_ext": ReplacingBuildExt},
    ext_modules=[
        Extension(
            "conformance.codec.native._uper",
            ["conformance/codec/native/_uper.c"],
            optional=True,
            extra_compile_args=["-O2"],
        )
    ]
)
