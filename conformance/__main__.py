"""Allow ``python -m conformance``."""

from .cli.main import main

if __name__ == "__main__":  # pragma: no cover - exercised through the CLI tests
    main()
