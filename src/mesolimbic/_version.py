"""The package version, in one place (read by ``pyproject.toml`` and recorded in every result)."""

__version__ = "0.2.0.dev0"
