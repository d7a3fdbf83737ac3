"""The library API: Diagnoser, Ticket in, Diagnosis out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from diagnoser import (
    Diagnoser,
    Diagnosis,
    Priority,
    PriorityReason,
    Scope,
    Signal,
    Source,
    Ticket,
    TicketError,
    combine,
)

ROOT = Path(__file__).resolve().parents[1]


def test_mycin_combination():
    assert combine([]) == 0
    assert combine([0.6]) == 0.6
    assert combine([0.6, 0.5]) == pytest.approx(0.8)
    assert combine([0.5, 0.6]) == combine([0.6, 0.5])
    assert combine([1.0, 0.3]) == 1.0


def test_dict_and_ticket_give_the_same_diagnosis(mini):
    data = {"id": "t1", "text": "the invoice printer jammed"}
    assert mini.diagnose(data) == mini.diagnose(Ticket(**data))


def test_ranked_explained_diagnosis(mini):
    got = mini.diagnose({"id": "t2", "text": "系统很慢，卡死", "metrics": {"cpu_percent": 97}})
    assert isinstance(got, Diagnosis)
    top = got.diagnoses[0]
    assert (top.fault_id, top.category) == ("software.resource_exhaustion", "software")
    # two rules support it: 0.85 × 0.9 (text certainty) and 0.6, combined MYCIN-style
    assert top.certainty == pytest.approx(combine([0.765, 0.6]), abs=1e-4)
    rules = [e.rule for e in top.evidence]
    assert rules == ["resource-slow-under-load", "resource-high-usage"]
    used = {(s.id, s.source) for s in top.evidence[0].symptoms}
    assert ("high_cpu", Source.by_rule("derive-high_cpu")) in used
    assert got.plan is not None and got.plan.fault_id == top.fault_id
    assert [s.phase.value for s in got.plan.steps] == ["contain", "isolate", "contact", "fallback"]


def test_scope_raises_the_priority(mini):
    alone = mini.diagnose({"text": "printer jammed"})
    citywide = mini.diagnose({"text": "printer jammed", "scope": "city"})
    many = mini.diagnose({"text": "printer jammed", "affected_users": 150})
    assert (alone.priority.value, citywide.priority.value, many.priority.value) == (
        "P3",
        "P1",
        "P2",
    )
    assert citywide.priority_reasons == (
        PriorityReason(signal=Signal.SCOPE, priority=Priority.P1, scope=Scope.CITY),
    )
    assert [r.signal for r in many.priority_reasons] == [Signal.AFFECTED_USERS]


def test_nothing_recognised(mini):
    got = mini.diagnose({"id": "x", "text": "hello, the coffee machine is empty"})
    assert got.diagnoses == () and got.priority is None and got.plan is None
    # the greeting is noise; what is left is reported, not dropped
    assert [u.value for u in got.unrecognised] == ["the coffee machine is empty"]


def test_bad_tickets_raise_a_clear_error_naming_the_ticket(mini):
    with pytest.raises(TicketError, match=r"ticket 'T-9': metrics.cpu_percent"):
        mini.diagnose({"id": "T-9", "metrics": {"cpu_percent": "high"}})
    with pytest.raises(TicketError, match="unknown scope 'galaxy'"):
        mini.diagnose({"id": "T-9", "scope": "galaxy"})
    with pytest.raises(TicketError, match="must be given as text"):
        mini.diagnose({"id": "T-9", "error_codes": [404]})
    with pytest.raises(TicketError, match="a ticket must be a mapping"):
        mini.diagnose(["not", "a", "ticket"])  # type: ignore[arg-type]


@pytest.mark.parametrize("number", ["nan", "inf", "-Infinity", float("nan"), float("inf")])
def test_a_metric_must_be_a_finite_number_even_as_text(mini, number):
    with pytest.raises(TicketError, match=r"ticket 'T-9': metrics.cpu_percent: .*finite number"):
        mini.diagnose({"id": "T-9", "metrics": {"cpu_percent": number}})


def test_a_number_among_the_symptoms_is_named_as_a_symptom(mini):
    with pytest.raises(TicketError, match=r"symptoms: symptom 3 must be a symptom id") as info:
        mini.diagnose({"id": "T-9", "symptoms": ["paper_jam", 3]})
    assert "error code" not in str(info.value)


def test_unknown_fields_are_kept_as_extra(mini):
    ticket = Ticket.parse({"id": 7, "text": "x", "priority": "high", "assignee": "li"})
    assert ticket.id == "7" and ticket.extra == {"priority": "high", "assignee": "li"}


def test_the_library_never_prints(mini, capsys):
    mini.diagnose({"text": "printer jammed, 1001, slow", "metrics": {"cpu_percent": "99"}})
    Diagnoser.from_paths(rules=mini.kb.rules_path, knowledge=mini.kb.knowledge_path)
    assert capsys.readouterr() == ("", "")


def test_one_diagnoser_shared_by_threads(mini):
    tickets = [
        {"id": str(i), "text": t}
        for i, t in enumerate(["printer jammed", "无法连接服务器", "系统很慢 卡死"] * 20)
    ]
    expected = [mini.diagnose(t).model_dump() for t in tickets]
    results: dict[int, list] = {}

    def work(n: int) -> None:
        results[n] = [mini.diagnose(t).model_dump() for t in tickets]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[n] == expected for n in range(4))


def test_identical_json_in_two_processes():
    # every shipped case ticket and example ticket, diagnosed under two hash seeds
    code = (
        "import json, sys; sys.path.insert(0, '.');"
        "from tests.test_engine import _all_tickets; from diagnoser import Diagnoser;"
        "d = Diagnoser();"
        "print(json.dumps([d.diagnose(t).model_dump(mode='json') for t in _all_tickets()]))"
    )
    # both processes at once: they share nothing but the compiled-knowledge cache directory
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=ROOT,
        )
        for seed in ("11", "12")
    ]
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        outs.append(out)
    assert outs[0] == outs[1]
    assert len(json.loads(outs[0])) > 100


def test_json_contract(mini):
    data = json.loads(mini.diagnose({"id": "c1", "error_codes": ["1001"]}).model_dump_json())
    assert {"id", "diagnoses", "priority", "plan", "unrecognised"} <= set(data)
    first = data["diagnoses"][0]
    assert {"fault_id", "category", "certainty", "evidence"} <= set(first)


def test_the_result_cache_is_transparent(shipped):
    from tests.test_engine import _all_tickets

    uncached = Diagnoser(shipped.kb, cache_size=0)
    cached = Diagnoser(shipped.kb, cache_size=64)
    tickets = _all_tickets()
    expected = [uncached.diagnose(ticket) for ticket in tickets]
    for _ in range(2):  # the second pass is served from the cache where it fits
        for ticket, fresh in zip(tickets, expected, strict=True):
            assert cached.diagnose(ticket) == fresh
    assert cached.cache_hits > 0 and len(cached._cache) <= 64
    # the same symptoms in another order and another ticket id share one entry
    a = cached.diagnose({"id": "a", "symptoms": ["paper_jam", "print_failure"]})
    hits = cached.cache_hits
    b = cached.diagnose({"id": "b", "symptoms": ["print_failure", "paper_jam"]})
    assert cached.cache_hits == hits + 1
    assert a.model_copy(update={"id": "b"}) == b


def test_results_built_without_validation_are_what_validation_gives(shipped):
    """The service assembles results with model_construct (no validation): every diagnosis of
    the rule cases must equal, field types included, the model validated from its own data."""
    import yaml

    from diagnoser import Diagnosis

    tickets = [
        {"id": "T1", "error_codes": ["1001"], "affected_users": 300, "scope": "city"},
        {
            "id": "T2",
            "text": "開票系統連不上稅局，打印机也卡纸了",
            "reported_at": "2026-11-24 09:12",
        },
    ]
    for path in sorted((ROOT / "rules" / "cases").glob("*.yaml")):
        tickets += [case["ticket"] for case in yaml.safe_load(path.read_text("utf-8"))["cases"]]
    assert len(tickets) > 100
    checked = 0
    for ticket in tickets:
        made = shipped.diagnose(ticket)
        again = Diagnosis.model_validate(made.model_dump())
        # repr shows the types (a tuple, not a list; 1.0, not 1; an enum member, not a string)
        assert repr(again) == repr(made), ticket
        assert again.model_dump_json() == made.model_dump_json()
        checked += bool(made.diagnoses and made.plan)
    assert checked > 50  # plans, evidence and priority reasons were compared, not only empties
