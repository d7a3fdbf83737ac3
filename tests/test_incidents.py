"""Incidents: correlation by rules, dedup, re-ranking, the batch option, the store."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from diagnoser import Diagnoser, Ticket
from diagnoser.cli import cli
from diagnoser.incidents import correlate_tickets
from diagnoser.incidents.casetest import load_incident_cases, run_incident_case
from diagnoser.incidents.correlate import Report, report_from_record
from diagnoser.incidents.store import Store
from diagnoser.kb.loader import lint_knowledge_base

ROOT = Path(__file__).resolve().parent.parent
T0 = dt.datetime(2026, 11, 24, 9, 0)
REGIONS = ("天河区", "越秀区", "海珠区")


@pytest.fixture(scope="module")
def diagnoser() -> Diagnoser:
    return Diagnoser()


def _citywide(count: int = 12, every: int = 1) -> list[dict]:
    return [
        {
            "id": f"T{n}",
            "text": "开票时提示错误代码1001，无法连接服务器",
            "site": f"门店{n}",
            "region": REGIONS[n % 3],
            "reported_at": (T0 + dt.timedelta(minutes=every * n)).isoformat(),
        }
        for n in range(count)
    ]


def test_incident_rule_cases_pass(diagnoser):
    cases, issues = load_incident_cases(diagnoser.kb.rules_path, set(diagnoser.kb.incident_rules))
    assert not issues
    assert len(cases) >= 10
    failed = [
        (c.case.name, r.message) for c in cases if not (r := run_incident_case(diagnoser, c)).ok
    ]
    assert not failed


def test_citywide_tickets_become_one_p1_platform_outage(diagnoser):
    result = correlate_tickets([*_citywide(), {"id": "X", "text": "打印机卡纸"}], diagnoser)
    [incident] = result.incidents
    assert incident["fault_id"] == "external.platform_outage"
    assert incident["priority"] == "P1"
    assert incident["scope"] == {"level": "city", "tickets": 12, "sites": 12, "regions": 3}
    assert incident["tickets"] == [f"T{n}" for n in range(12)]
    assert incident["evidence"]["rule"] == "incident-citywide-platform-outage"
    assert incident["evidence"]["densest"]["sites"] == 10
    members = result.records[:12]
    assert {r["incident"] for r in members} == {incident["incident_id"]}
    assert all(r["diagnoses"][0]["fault_id"] == "external.platform_outage" for r in members)
    assert all(r["priority"] == "P1" and r["scope"] == "city" for r in members)
    assert "incident" not in result.records[12]  # the printer ticket is left as it was


def test_alone_the_same_ticket_stays_a_local_network_fault(diagnoser):
    result = correlate_tickets(_citywide(count=1), diagnoser)
    assert result.incidents == []
    assert result.records[0]["diagnoses"][0]["fault_id"] == "network.disconnected"


def test_repeated_ticket_counts_once(diagnoser):
    result = correlate_tickets([*_citywide(), *_citywide()], diagnoser)
    assert len(result.incidents[0]["tickets"]) == 12
    assert result.incidents[0]["evidence"]["duplicates"] == 12
    assert all(r.get("incident") for r in result.records)  # the repeats name it too


def test_bad_ticket_is_an_error_record_not_lost(diagnoser):
    result = correlate_tickets([*_citywide(), {"id": "B", "scope": "galaxy"}], diagnoser)
    assert len(result.records) == 13
    assert result.records[-1]["status"] == "error" and "galaxy" in result.records[-1]["error"]


def test_ticket_site_and_region_fields():
    ticket = Ticket.parse({"id": 1, "site": " 门店1 ", "region": 440106})
    assert (ticket.site, ticket.region) == ("门店1", "440106")


def test_incident_rule_errors_name_file_and_line(tmp_path):
    rules = tmp_path / "rules"
    (rules / "incidents").mkdir(parents=True)
    source = (ROOT / "rules/incidents/incident-regional-network-outage.yaml").read_text("utf-8")
    bad = source.replace("window_minutes: 30", "window_minutes: 0").replace(
        "fault: network.disconnected\n  scope", "fault: network.disconected\n  scope"
    )
    (rules / "incidents/incident-regional-network-outage.yaml").write_text(bad, "utf-8")
    issues = [str(i) for i in lint_knowledge_base(rules, ROOT / "knowledge")]
    window = [i for i in issues if "window_minutes" in i]
    line = source.splitlines().index("window_minutes: 30") + 1
    assert window and f"incident-regional-network-outage.yaml:{line}: error:" in window[0]
    bad = bad.replace("window_minutes: 0", "window_minutes: 30")
    (rules / "incidents/incident-regional-network-outage.yaml").write_text(bad, "utf-8")
    issues = [str(i) for i in lint_knowledge_base(rules, ROOT / "knowledge")]
    assert any("unknown fault 'network.disconected'" in i and "did you mean" in i for i in issues)


def test_batch_incidents_option(tmp_path):
    rows = [{k if k != "site" else "store_name": v for k, v in t.items()} for t in _citywide()] + [
        {"id": "X", "text": "打印机卡纸"}
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    out, incidents, summary = tmp_path / "out.jsonl", tmp_path / "inc.jsonl", tmp_path / "s.md"
    args = ["batch", str(source), "--map", "site=store_name", "-o", str(out)]
    args += ["--incidents", str(incidents), "--summary", str(summary), "-j", "1", "-q"]
    run = CliRunner().invoke(cli, args)
    assert run.exit_code == 0, run.output
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    [incident] = [json.loads(line) for line in incidents.read_text("utf-8").splitlines()]
    assert [r["id"] for r in records] == [*(f"T{n}" for n in range(12)), "X"]  # input order
    assert all(r["incident"] == incident["incident_id"] for r in records[:12])
    assert records[0]["site"] == "门店0"
    text = summary.read_text("utf-8")
    assert text.index(incident["incident_id"]) < text.index("## 1 ")  # incidents first
    # the summary command, given the same results and incidents, writes the same report
    again = tmp_path / "again.md"
    run = CliRunner().invoke(
        cli, ["summary", str(out), "--incidents", str(incidents), "-o", str(again)]
    )
    assert run.exit_code == 0, run.output
    assert again.read_text("utf-8") == text
    broken = tmp_path / "broken.jsonl"
    broken.write_text(incidents.read_text("utf-8") + '{"incident_id": "INC-X"}\n', "utf-8")
    run = CliRunner().invoke(
        cli, ["summary", str(out), "--incidents", str(broken), "-o", str(again)]
    )
    assert run.exit_code == 2
    assert f"{broken}:2: not an incident record: 'fault_id' is missing" in run.output


def _report(n: int, minute: int, region: str = "番禺区") -> Report:
    return Report(
        fingerprint=f"f{n}",
        ticket_id=f"T{n}",
        at=T0 + dt.timedelta(minutes=minute),
        site=f"s{n}",
        region=region,
        system=None,
        codes=("1001",),
        fault="network.disconnected",
    )


def test_store_keeps_incidents_across_a_restart_and_resolves_them(tmp_path, diagnoser):
    rules = diagnoser.kb.incident_rules.values()
    path = tmp_path / "store.sqlite3"
    store = Store(path, rules)
    assert store.ingest([_report(1, 0), _report(2, 5)]) == {}
    members = store.ingest([_report(3, 10)])
    incident_id = members["f3"].incident_id
    store.close()
    store = Store(path, rules)  # a restart
    members = store.ingest([_report(4, 20), _report(4, 20)])
    assert members["f4"].incident_id == incident_id  # joins the same incident
    [open_] = store.incidents()
    assert open_["tickets"] == ["T1", "T2", "T3", "T4"]
    assert [e["kind"] for e in open_["timeline"]["events"]] == ["opened", "grew"]
    assert open_["timeline"]["fault_time"] == T0.isoformat()
    assert store.resolve(["f1", "f2", "f3"]) == []
    assert store.resolve(["f4"]) == [incident_id]
    assert store.incidents() == []
    assert store.incidents("resolved")[0]["timeline"]["resolved_at"]


def test_store_fed_one_ticket_at_a_time_finds_the_batch_incidents(diagnoser):
    # the server correlates incrementally; on every fixture it must find what a batch run
    # finds: the same incidents, ids, tickets, counts and evidence (and nothing stale left open)
    cases, _ = load_incident_cases(diagnoser.kb.rules_path, set(diagnoser.kb.incident_rules))

    def plain(incidents: list[dict]) -> list[dict]:
        keep = ("category", "status", "timeline", "merged_into")
        return sorted(
            ({k: v for k, v in i.items() if k not in keep} for i in incidents),
            key=lambda i: i["incident_id"],
        )

    compared = 0
    for loaded in cases:
        tickets = loaded.case.all_tickets()
        batch = correlate_tickets(tickets, diagnoser)
        records = [{"status": "ok", **diagnoser.diagnose_record(t)} for t in tickets]
        reports = sorted(
            (r for r in map(report_from_record, records) if r is not None), key=lambda r: r.at
        )
        store = Store(":memory:", diagnoser.kb.incident_rules.values())
        for report in reports:
            store.ingest([report])
        assert plain(store.incidents()) == plain(batch.incidents), loaded.case.name
        compared += bool(batch.incidents)
    assert compared >= 4


def test_batch_incidents_resumed_after_an_interrupt_and_a_kill_while_committing(
    tmp_path, monkeypatch
):
    from diagnoser.batch import BatchConfig
    from diagnoser.batch.runner import state_path
    from diagnoser.incidents import batchrun

    rows = [*_citywide(), *({"id": f"P{n}", "text": "打印机卡纸"} for n in range(40))]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    config = BatchConfig([str(source)], workers=1, chunk_size=5)
    whole, whole_inc = tmp_path / "whole.csv", tmp_path / "whole-inc.jsonl"
    batchrun.run_batch_with_incidents(config, whole_inc, whole, "csv")
    out, inc = tmp_path / "out.csv", tmp_path / "inc.jsonl"

    def interrupt(status):
        if status.records >= 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        batchrun.run_batch_with_incidents(
            config, inc, out, "csv", progress=interrupt, checkpoint_every=0
        )
    assert not out.exists() and state_path(out).exists()
    real = batchrun.write_atomic

    def killed(path, text):
        raise KeyboardInterrupt  # as if killed after the output, before the incidents

    monkeypatch.setattr(batchrun, "write_atomic", killed)
    with pytest.raises(KeyboardInterrupt):
        result, _ = batchrun.run_batch_with_incidents(config, inc, out, "csv", resume=True)
    assert state_path(out).exists() and not inc.exists()
    monkeypatch.setattr(batchrun, "write_atomic", real)
    result, incidents = batchrun.run_batch_with_incidents(config, inc, out, "csv", resume=True)
    assert result.resumed_from == 52 and len(incidents) == 1
    assert out.read_bytes() == whole.read_bytes()  # the same re-ranked records
    assert inc.read_bytes() == whole_inc.read_bytes()  # and the same incidents
    assert not state_path(out).exists()
    assert ",INC-" in out.read_text("utf-8-sig")


def test_a_member_s_report_says_which_incident_the_rule_and_the_counts(tmp_path, diagnoser):
    import html

    from diagnoser import report
    from diagnoser.incidents import rerank_diagnosis

    store = Store(tmp_path / "s.sqlite3", diagnoser.kb.incident_rules.values())
    for n in range(4):
        ticket = Ticket.parse(
            {"id": f"T{n}", "text": "错误代码1001，连不上服务器", "site": f"s{n}",
             "region": "番禺区", "reported_at": (T0 + dt.timedelta(minutes=n)).isoformat()}
        )  # fmt: skip
        diagnosis = diagnoser.diagnose(ticket)
        record = {"status": "ok", **diagnosis.to_record(), "site": ticket.site, "region": "番禺区"}
        report_ = report_from_record(record)
        incident = store.ingest([report_]).get(report_.fingerprint)
    assert incident is not None
    reranked = rerank_diagnosis(diagnosis, incident, diagnoser)
    said = (
        f"{incident.incident_id}: 4 tickets, 4 sites, 1 region; 3 tickets, 3 sites, 1 region "
        "within 30 min (09:00–09:02) met the rule's at least 3 tickets, 3 sites, 1 region"
    )
    for fmt in ("text", "markdown", "html", "json"):
        text = report.render(reranked, fmt, "en", diagnoser=diagnoser)
        flat = html.unescape(" ".join(text.split()))  # the HTML escapes the apostrophe
        assert said in flat, fmt
        assert "incident-regional-network-outage" in text, fmt
