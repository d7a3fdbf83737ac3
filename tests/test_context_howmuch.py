"""A question built with how many, how long, how much (多少, 几次, 多久, 几多, 几耐) only asks: the
ticket reports nothing. One that asks when a fault is fixed or back (多久能修好, how long will it
be down) tells of a fault there now, and a fault told in a clause of its own before the question
is a report."""

from __future__ import annotations

import pytest

from diagnoser.intake import read_text


def _faults(shipped, text):
    return [d.fault_id for d in shipped.diagnose({"text": text}).diagnoses]


def _aside(shipped, text):
    return [(a.scope, a.trigger) for a in read_text(text, shipped._vocab).set_aside]


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        ("密码试错多少次会被锁？", "多少"),
        ("憑證密碼錯幾次會被鎖？", "几次"),
        ("斷線重連要等多久？", "多久"),
        ("密碼打錯幾多次會鎖？", "几多"),
        ("断网多长时间会影响上传？", "多长时间"),
        # English: the two words that open the clause ask
        ("how many invoices can we upload per minute before we get throttled?", "how many"),
        ("how much paper is left when the printer starts to jam?", "how much"),
    ],
)
def test_a_how_many_question_reports_nothing(shipped, text, marker):
    assert _faults(shipped, text) == []
    aside = _aside(shipped, text)
    assert aside and all(scope == "hypothetical" and m == marker for scope, m in aside)


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("密码试错了好几次，现在被锁了，登不进去", "operation.credential_problem"),
        ("密碼打錯咗幾次，而家鎖咗入唔到", "operation.credential_problem"),
        # when it is fixed, asked: it is broken now
        ("服务器宕机了多久能修好？", "hardware.server_crash"),
        ("网络断了多久能恢复？", "network.disconnected"),
        # how long it has lasted: it still does
        ("停电了多久了？", "external.power_outage"),
        # a bare "how" asks how to deal with what the caller has
        (
            "how do I get the receipt printer out of the paper jam state?",
            "hardware.printer_failure",
        ),
    ],
)
def test_a_fault_asked_about_still_counts(shipped, text, fault):
    assert _faults(shipped, text)[:1] == [fault]
