"""Embedding diagnoser in a helpdesk tool: build once, diagnose many, use typed results.

Run: python examples/embed.py
"""

from __future__ import annotations

from diagnoser import Diagnoser, TicketError

diagnoser = Diagnoser()  # loads and compiles the shipped knowledge base once

tickets = [
    {"id": "HD-1001", "text": "开票时提示错误代码1001，无法连接服务器", "scope": "site"},
    {"id": "HD-1002", "text": "The invoice printer jammed again, nothing comes out"},
    {"id": "HD-1003", "text": "system crawling", "metrics": {"cpu_percent": 97}},
    {"id": "HD-1004", "metrics": {"cpu_percent": "very high"}},  # bad input: a clear error
]

for ticket in tickets:
    try:
        result = diagnoser.diagnose(ticket)
    except TicketError as exc:
        print(f"{ticket['id']}: rejected: {exc}")
        continue
    if not result.diagnoses:
        print(f"{result.id}: no fault identified; not understood: {result.unrecognised}")
        continue
    top = result.diagnoses[0]
    print(f"{result.id}: {top.fault_id} ({top.certainty:.0%}), priority {result.priority}")
    for evidence in top.evidence:
        print(f"    because {evidence.because.en} [{evidence.rule}]")
    print(f"    first step: {result.plan.steps[0].text.en}")
