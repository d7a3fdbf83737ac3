"""evaluate: a ticket labelled `[]` is not a fault and must get no diagnosis."""

from __future__ import annotations

from diagnoser.batch.evaluation import evaluate_records, format_text


def _record(i, label, diagnoses):
    return {
        "id": f"t{i}",
        "status": "ok",
        "label": label,
        "source": "s",
        "line": i,
        "diagnoses": [{"fault_id": f, "category": f.split(".")[0]} for f in diagnoses],
    }


def test_non_faults_are_counted_apart_and_their_diagnoses_are_misses():
    records = [
        _record(1, ["hardware.printer"], ["hardware.printer"]),
        _record(2, ["hardware.printer"], []),
        _record(3, [], []),
        _record(4, [], ["network.disconnected"]),
    ]
    ev = evaluate_records(records, {"hardware.printer", "network.disconnected"})
    assert ev.total == 2 and ev.errors == []
    assert ev.covered == 1 and ev.non_faults == 2
    assert [m.id for m in ev.non_faults_diagnosed] == ["t4"]
    data = ev.as_dict()
    assert data["coverage"] == 0.5 and data["non_faults"] == 2
    assert "non-faults diagnosed:    1 of 2" in format_text(ev)
