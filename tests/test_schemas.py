"""The shipped JSON Schemas: equal to the models', public, and what `diagnoser schema` prints."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from diagnoser import SCHEMA_VERSION, Diagnoser
from diagnoser.cli import cli
from diagnoser.schemas import NAMES, render, shipped


@pytest.mark.parametrize("name", NAMES)
def test_shipped_schema_equals_the_models(name):
    # regenerate with `python -m diagnoser.schemas` after changing a model
    assert shipped(name) == render(name)


@pytest.mark.parametrize("name", NAMES)
def test_schema_command_prints_the_shipped_file(name):
    result = CliRunner().invoke(cli, ["schema", name])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(shipped(name))


def _descriptions(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                yield value
            else:
                yield from _descriptions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _descriptions(item)


@pytest.mark.parametrize("name", NAMES)
def test_descriptions_carry_no_internal_notes(name):
    for text in _descriptions(json.loads(shipped(name))):
        assert not re.search(r"\bseed\b|`|TODO|_[a-z]+\(", text, re.IGNORECASE), text


def test_ticket_schema_allows_extra_fields_as_the_model_does():
    schema = json.loads(shipped("ticket"))
    assert schema["additionalProperties"] is True
    from diagnoser import Ticket

    assert Ticket.parse({"id": "t", "shop_name": "A"}).extra == {"shop_name": "A"}


def test_diagnosis_json_names_the_schema_version_and_reads_back(mini: Diagnoser):
    got = mini.diagnose({"id": "v", "text": "printer jammed", "scope": "city"})
    data = json.loads(got.model_dump_json())
    assert data["schema_version"] == SCHEMA_VERSION
    from diagnoser import Diagnosis

    assert Diagnosis.model_validate_json(got.model_dump_json()) == got
    schema = json.loads(shipped("diagnosis"))
    assert set(schema["required"]) >= {"id", "diagnoses", "priority", "plan"}
    assert set(data) <= set(schema["properties"])


def test_a_diagnosis_of_another_schema_version_is_refused(mini: Diagnoser):
    data = json.loads(mini.diagnose({"text": "printer jammed"}).model_dump_json())
    data["schema_version"] = "1"
    from pydantic import ValidationError

    from diagnoser import Diagnosis

    with pytest.raises(ValidationError, match="schema_version"):
        Diagnosis.model_validate(data)


def test_the_record_schema_admits_every_key_the_batch_writes_and_no_other(tmp_path):
    # batch output with everything the batch adds to a record: labels, warnings, carried
    # columns, site and region, error records, and incidents; the record model forbids keys
    # it does not describe, so a key the batch writes and the schema omits fails here
    from pydantic import TypeAdapter, ValidationError

    from diagnoser.result import ErrorRecord, OkRecord
    from tests.test_incidents import _citywide

    rows = [
        {**t, "store": f"S{i}", "root_cause": "network.disconnected", "opened": t["reported_at"]}
        for i, t in enumerate(_citywide())
    ]
    rows += [
        {"id": "late", "text": "打印机卡纸", "opened": "soon"},  # a date nothing reads: a warning
        {"id": "bad", "text": 12, "store": "S9", "root_cause": "x", "opened": "soon"},
        {"text": "no id"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    out, incidents = tmp_path / "out.jsonl", tmp_path / "inc.jsonl"
    args = ["batch", str(source), "-o", str(out), "--incidents", str(incidents), "-j", "1", "-q"]
    args += ["--keep", "store", "--map", "label=root_cause", "--map", "reported_at=opened"]
    run = CliRunner().invoke(cli, args)
    assert run.exit_code == 5, run.output
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    seen = {key for record in records for key in record}
    assert {"label", "warnings", "extra", "site", "region", "incident", "error"} <= seen
    adapter = TypeAdapter(OkRecord | ErrorRecord)  # type: ignore[arg-type]
    for record in records:
        adapter.validate_python(record)
    schema = json.loads(shipped("record"))
    described = {key for d in schema["$defs"].values() for key in d.get("properties", {})}
    assert seen <= described
    with pytest.raises(ValidationError):
        adapter.validate_python({**records[0], "surprise": 1})


def test_construct_makes_what_model_construct_makes():
    """Sources and unrecognised input are built per ticket by result.construct (no default
    look-up): each must be model_construct's instance field for field, in field order, with
    the same fields-set, and serialise alike."""
    from diagnoser.result import (
        InputKind,
        Source,
        SourceKind,
        Unrecognised,
        UnrecognisedReason,
        construct,
    )

    cases = [
        (Source, {"kind": SourceKind.TEXT, "span": (3, 7), "quote": "卡纸"}),
        (Source, {"kind": SourceKind.CODE, "system": "generic", "code": "1001"}),
        (Source, {"kind": SourceKind.TICKET}),
        (
            Unrecognised,
            {"kind": InputKind.TEXT, "value": "x", "reason": UnrecognisedReason.NO_MATCH},
        ),
        (
            Unrecognised,
            {
                "kind": InputKind.SYMPTOM,
                "value": "paper_jm",
                "reason": UnrecognisedReason.UNKNOWN_SYMPTOM,
                "suggestion": "paper_jam",
            },
        ),
        (Unrecognised, {"kind": InputKind.TEXT}),  # required fields missing: model_construct's
    ]
    for cls, values in cases:
        made, expected = construct(cls, **values), cls.model_construct(**values)
        assert type(made) is cls
        assert list(made.__dict__.items()) == list(expected.__dict__.items())
        assert made.model_fields_set == expected.model_fields_set
        assert made == expected and repr(made) == repr(expected)
        if "reason" in values:
            assert made.model_dump_json() == expected.model_dump_json()
    assert Source.text(1, 3, "ab") == Source.model_construct(
        kind=SourceKind.TEXT, span=(1, 3), quote="ab"
    )


def test_the_regenerator_s_help_and_check_write_nothing():
    import subprocess
    import sys

    from diagnoser import schemas

    before = {n: schemas.path(n).stat().st_mtime_ns for n in schemas.NAMES}
    for args in (["--help"], ["--check"]):
        done = subprocess.run(
            [sys.executable, "-m", "diagnoser.schemas", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    assert (
        "--check"
        in subprocess.run(
            [sys.executable, "-m", "diagnoser.schemas", "--help"], capture_output=True, text=True
        ).stdout
    )
    assert {n: schemas.path(n).stat().st_mtime_ns for n in schemas.NAMES} == before


def test_a_record_s_enumerated_fields_allow_what_the_diagnosis_schema_does():
    # unrecognised input, priority and scope have one meaning in both contracts
    diagnosis = json.loads(shipped("diagnosis"))["$defs"]
    record = json.loads(shipped("record"))["$defs"]
    unrecognised = record["UnrecognisedRecord"]["properties"]
    assert unrecognised["kind"]["enum"] == diagnosis["InputKind"]["enum"]
    assert unrecognised["reason"]["enum"] == diagnosis["UnrecognisedReason"]["enum"]
    ok = record["OkRecord"]["properties"]
    assert ok["priority"]["enum"] == [*diagnosis["Priority"]["enum"], None]
    assert ok["scope"]["enum"] == [*diagnosis["Scope"]["enum"], None]
