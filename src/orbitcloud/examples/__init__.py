"""Built-in example scenarios, runnable by name (``orbitcloud run milsca``)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["example_path", "list_examples"]

_HERE = Path(__file__).parent


def list_examples() -> list[str]:
    """Names of the built-in examples, sorted."""
    return sorted(p.stem for p in _HERE.glob("*.yaml"))


def example_path(name: str) -> Path:
    """Path of the built-in example ``name`` (see :func:`list_examples`)."""
    path = _HERE / f"{name}.yaml"
    if not path.exists():
        raise KeyError(f"no built-in example {name!r}; examples: {', '.join(list_examples())}")
    return path
