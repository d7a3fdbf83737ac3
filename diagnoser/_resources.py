"""Where the shipped knowledge base and templates are, installed or in a source checkout."""

from __future__ import annotations

from pathlib import Path

from .errors import DiagnoserError

_PACKAGE = Path(__file__).resolve().parent


def default_paths() -> tuple[Path, Path]:
    """(rules, knowledge) of the shipped knowledge base."""
    for base in (_PACKAGE / "_data", _PACKAGE.parent):
        rules, knowledge = base / "rules", base / "knowledge"
        if rules.is_dir() and knowledge.is_dir():
            return rules, knowledge
    raise DiagnoserError(
        f"the default knowledge base is missing from {_PACKAGE}; reinstall diagnoser "
        "or pass rules= and knowledge= paths"
    )


def templates_path() -> Path:
    """The directory of the shipped report templates."""
    return _PACKAGE / "report" / "templates"
