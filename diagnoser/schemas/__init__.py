"""The JSON Schemas of diagnoser's inputs and outputs, shipped as files beside this module.

`generate(name)` builds a schema from the models; the shipped `<name>.json` files are what
`diagnoser schema NAME` prints, and a test keeps the two equal (regenerate them with
`python -m diagnoser.schemas`, see __main__.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

NAMES = ("diagnosis", "record", "ticket")
_HERE = Path(__file__).resolve().parent


def path(name: str) -> Path:
    """The shipped schema file for `name`."""
    if name not in NAMES:
        raise ValueError(f"unknown schema {name!r}; use one of {', '.join(NAMES)}")
    return _HERE / f"{name}.json"


def shipped(name: str) -> str:
    """The shipped schema text for `name`."""
    return path(name).read_text(encoding="utf-8")


def generate(name: str) -> dict[str, Any]:
    """The JSON Schema of `name`, built from the models."""
    from pydantic import TypeAdapter

    from ..result import SCHEMA_VERSION, Diagnosis, ErrorRecord, OkRecord
    from ..ticket import Ticket

    if name == "diagnosis":
        schema = Diagnosis.model_json_schema()
    elif name == "record":
        schema = TypeAdapter(OkRecord | ErrorRecord).json_schema()
        schema["title"] = "Record"
        schema["description"] = "One line of diagnoser batch output: a diagnosis or an error."
    elif name == "ticket":
        schema = Ticket.model_json_schema()
    else:
        path(name)  # raises the error naming the choices
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "x-schema-version": SCHEMA_VERSION,
        **schema,
    }


def render(name: str) -> str:
    """`generate(name)` as the text of its shipped file."""
    return json.dumps(generate(name), ensure_ascii=False, indent=2) + "\n"


def write_all() -> list[Path]:
    """Regenerate the shipped files from the models."""
    for each in NAMES:
        path(each).write_text(render(each), encoding="utf-8")
    return [path(each) for each in NAMES]
