"""Lazy imports of the optional RLHF layers, with an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require", "available"]

_EXTRA_OF = {"torch": "rlhf", "transformers": "rlhf", "tokenizers": "rlhf", "trl": "trl", "datasets": "trl"}


def require(*modules: str, feature: str = "this") -> list[ModuleType]:
    """Import ``modules`` or raise ImportError naming the extra that provides them."""
    out = []
    for name in modules:
        try:
            out.append(importlib.import_module(name))
        except ImportError as e:
            extra = _EXTRA_OF.get(name.split(".")[0], "rlhf")
            raise ImportError(f"{feature} needs {name!r}, which is not installed; install the optional extra: "
                              f"pip install 'mesolimbic[{extra}]'") from e
    return out


def available(*modules: str) -> bool:
    """True when every module imports (used to skip experiments and tests cleanly)."""
    try:
        for name in modules:
            importlib.import_module(name)
    except ImportError:
        return False
    return True
