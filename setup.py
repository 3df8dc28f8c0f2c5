"""Build hook for the optional native UPER engine (everything else is in pyproject.toml).

The extension is ``optional``: where no C compiler is found, setuptools reports the failure and the package
installs without it; ``conformance.codec.native.available()`` is then False and every caller keeps the Python
path. Release wheels are built per platform by cibuildwheel (see ``[tool.cibuildwheel]`` in pyproject.toml).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "conformance.codec.native._uper",
            ["conformance/codec/native/_uper.c"],
            optional=True,
            extra_compile_args=["-O2"],
        )
    ]
)
