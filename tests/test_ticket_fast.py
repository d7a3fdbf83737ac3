"""Ticket.parse's plain-JSON path makes the Ticket pydantic's validation makes, and leaves
every ticket it is not sure of to that validation (which names the problem)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from diagnoser.errors import TicketError
from diagnoser.ticket import MAX_TEXT, Ticket, _plain_ticket

ROOT = Path(__file__).resolve().parent.parent

VALUES: dict[str, list[Any]] = {
    "id": ["T-1", 42, None, "", True, 1.5, ["x"]],
    "text": ["打印机卡纸了", None, "", 7, "x" * MAX_TEXT, "x" * (MAX_TEXT + 1)],
    "error_codes": [["1001", "E-02"], "1001; 2002 ,", [], None, [1001], ["1", None], ("a",), 5],
    "symptoms": [["printer_jam"], "printer_jam,slow_response", [3], None],
    "metrics": [
        {"cpu_percent": 93},
        {"cpu_percent": 93.5, "latency_ms": 0},
        {"cpu_percent": True},
        {"cpu_percent": float("nan")},
        {"cpu_percent": float("inf")},
        {"cpu_percent": "90"},
        {"cpu_percent": 10**400},
        {"cpu_percent": 2**60 + 1},
        {1: 3.0},
        {},
        [1],
        None,
    ],
    "scope": ["store", " City-Wide ", "全市", "", None, "galaxy", 3, "SITE"],
    "affected_users": [0, 12, -1, None, True, 3.0, "5", 10**30],
    "reported_at": [
        "2026-03-18T10:36:00",
        "2026-03-18T10:36",
        "2026-03-18 10:36:07",
        "2026-02-30T10:36:00",
        "2026-03-18T24:00:00",
        "2026-03-18T10:36:60",
        "2026-03-18T10:36:00Z",
        "2026-03-18T10:36:00+08:00",
        "2026-03-18T10:36:00.5",
        "2026-03-18",
        "0999-01-01T00:00:00",
        "0000-01-01T00:00:00",
        "２０２６-03-18T10:36:00",
        "2026-03-18T10:36:00\n",
        "yesterday",
        1767225600,
        None,
    ],
    "system": ["aisino", None, 3, ""],
    "site": ["  Leeds store #4 ", "   ", None, "x" * 200, "x" * 201, 12, True],
    "region": ["杭州", None, " ", 5.5],
}


def _model(data: dict[str, Any]) -> Ticket | None:
    """What model_validate makes of `data` (None: it refuses it)."""
    try:
        return Ticket.model_validate(data)
    except ValidationError:
        return None


def _same(fast: Ticket, slow: Ticket) -> None:
    assert fast == slow
    assert fast.__dict__ == slow.__dict__
    assert list(fast.__dict__) == list(slow.__dict__)
    assert {k: type(v) for k, v in fast.__dict__.items()} == {
        k: type(v) for k, v in slow.__dict__.items()
    }
    assert {k: type(v) for k, v in fast.metrics.items()} == {
        k: type(v) for k, v in slow.metrics.items()
    }
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.__pydantic_extra__ == slow.__pydantic_extra__
    assert fast.__pydantic_private__ == slow.__pydantic_private__
    assert fast.model_dump() == slow.model_dump()
    assert fast.model_dump_json() == slow.model_dump_json()


def _check(data: dict[str, Any]) -> bool:
    """Compare both paths on `data`; whether the plain path took it."""
    fast = _plain_ticket(data)
    slow = _model(data)
    if fast is None:
        return False
    assert isinstance(slow, Ticket), f"the plain path took a ticket validation refuses: {data!r}"
    _same(fast, slow)
    return True


@pytest.mark.parametrize("field", sorted(VALUES))
def test_each_field_value_is_read_as_validation_reads_it(field):
    taken = [_check({"id": "T-9", field: value}) for value in VALUES[field]]
    assert any(taken), f"no {field} value took the plain path"


def test_field_combinations_are_read_as_validation_reads_them():
    taken = 0
    fields = sorted(VALUES)
    for a, b in itertools.combinations(fields, 2):
        for va, vb in itertools.product(VALUES[a][:4], VALUES[b][:4]):
            taken += _check({a: va, b: vb, "store_code": "S-1", 3: ["kept"]})
    assert taken > 100


def test_unknown_fields_go_to_extra_and_an_extra_field_to_validation():
    data = {"id": "T-1", "text": "x", "priority_hint": "high", "tags": ["a"]}
    ticket = Ticket.parse(data)
    assert ticket.extra == {"priority_hint": "high", "tags": ["a"]}
    _same(ticket, Ticket.model_validate(data))
    with_extra = {"id": "T-1", "extra": {"a": 1}, "b": 2}
    assert _plain_ticket(with_extra) is None
    assert Ticket.parse(with_extra).extra == {"a": 1, "b": 2}


def test_bad_tickets_get_validations_error_naming_the_field():
    with pytest.raises(TicketError, match="reported_at") as caught:
        Ticket.parse({"id": "T-7", "reported_at": "2026-02-30T10:00:00"})
    assert caught.value.ticket_id == "T-7"
    with pytest.raises(TicketError, match="error_codes: error code 1001 must be given as text"):
        Ticket.parse({"id": "T-7", "error_codes": [1001]})
    with pytest.raises(TicketError, match="scope"):
        Ticket.parse({"scope": "galaxy"})
    with pytest.raises(TicketError, match=r"metrics\.cpu_percent"):
        Ticket.parse({"metrics": {"cpu_percent": float("nan")}})


@pytest.mark.parametrize("name", ["tickets.jsonl", "holdout.jsonl", "realworld-dev.jsonl"])
def test_example_tickets_are_read_as_validation_reads_them(name):
    lines = (ROOT / "examples" / "tickets" / name).read_text(encoding="utf-8").splitlines()
    for line in lines:
        if line.strip():
            data = json.loads(line)
            fast = _plain_ticket(data)
            if fast is not None:
                _same(fast, Ticket.model_validate(data))
