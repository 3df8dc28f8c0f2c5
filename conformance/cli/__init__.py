"""The ``v2xc`` command line: one module per command group (``main`` holds the group)."""
