"""The HTTP service, tested against a real uvicorn process on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

TICKET = {"text": "错误代码1001，连不上服务器", "region": "番禺区"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(store: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from diagnoser.cli import main; main()",
            "serve",
            "--port",
            str(port),
            "--store",
            str(store),
            "--max-body",
            "20000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = tmp_path_factory.mktemp("serve") / "incidents.sqlite3"
    port = _free_port()
    proc = _start(store, port)
    try:
        yield f"http://127.0.0.1:{port}", store, port
    finally:
        _stop(proc)


def test_diagnose_returns_the_diagnosis_contract(server):
    base, _, _ = server
    reply = httpx.post(f"{base}/v1/diagnose", json={"id": "D1", "text": "发票打印机卡纸"})
    assert reply.status_code == 200
    body = reply.json()
    assert body["id"] == "D1"
    assert body["diagnoses"][0]["fault_id"] == "hardware.printer_failure"
    assert {"priority", "plan", "unrecognised"} <= set(body)


def test_bad_input_is_a_clear_4xx_without_a_trace(server):
    base, _, _ = server
    reply = httpx.post(f"{base}/v1/diagnose", json={"id": "B1", "scope": "galaxy"})
    assert reply.status_code == 422
    assert "ticket 'B1': scope: unknown scope 'galaxy'" in reply.json()["error"]
    reply = httpx.post(
        f"{base}/v1/diagnose", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert reply.status_code == 422 and "Traceback" not in reply.text
    assert reply.json()["error"].startswith("body: invalid JSON (")
    reply = httpx.post(f"{base}/v1/diagnose", json={"text": "x" * 30000})
    assert reply.status_code == 413 and "too large" in reply.json()["error"]


def test_batch_correlates_and_incidents_survive_a_restart(server):
    base, store, _ = server
    tickets = [{**TICKET, "id": f"R{n}", "site": f"s{n}"} for n in range(4)]
    reply = httpx.post(f"{base}/v1/batch", json={"tickets": [*tickets, {"id": "E", "scope": 3}]})
    assert reply.status_code == 200
    body = reply.json()
    [incident] = body["incidents"]
    assert incident["fault_id"] == "network.disconnected" and incident["scope"]["sites"] == 4
    assert [r["incident"] for r in body["records"][:4]] == [incident["incident_id"]] * 4
    assert body["records"][4]["status"] == "error"
    listed = httpx.get(f"{base}/v1/incidents").json()["incidents"]
    assert incident["incident_id"] in {i["incident_id"] for i in listed}
    # a second server on the same store (a restart) sees the same incidents
    port2 = _free_port()
    other = _start(store, port2)
    try:
        again = httpx.get(f"http://127.0.0.1:{port2}/v1/incidents").json()["incidents"]
    finally:
        _stop(other)
    assert incident["incident_id"] in {i["incident_id"] for i in again}
    assert again[0]["timeline"]["fault_time"] and again[0]["timeline"]["contact_time"]


def test_alertmanager_firing_then_resolved_closes_the_incident(server):
    base, _, _ = server

    def alert(n: int, status: str) -> dict:
        return {
            "status": status,
            "labels": {
                "alertname": "InvoiceUplinkDown",
                "error_code": "1001",
                "site": f"a{n}",
                "region": "白云区",
            },
            "annotations": {"summary": "无法连接开票服务器"},
            "startsAt": "2026-11-24T10:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": f"fp{n}",
        }

    def payload(status: str) -> dict:
        return {
            "version": "4",
            "status": status,
            "receiver": "diagnoser",
            "groupKey": "{}:{}",
            "alerts": [alert(n, status) for n in range(3)],
            "groupLabels": {},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "http://am:9093",
        }

    fired = httpx.post(f"{base}/v1/alerts/alertmanager", json=payload("firing")).json()
    ids = {a["incident"] for a in fired["firing"]}
    assert len(ids) == 1 and None not in ids
    again = httpx.post(f"{base}/v1/alerts/alertmanager", json=payload("firing")).json()
    assert {a["incident"] for a in again["firing"]} == ids  # repeated notifications count once
    [listed] = [
        i for i in httpx.get(f"{base}/v1/incidents").json()["incidents"] if i["incident_id"] in ids
    ]
    assert len(listed["tickets"]) == 3
    resolved = httpx.post(f"{base}/v1/alerts/alertmanager", json=payload("resolved")).json()
    assert set(resolved["incidents_closed"]) == ids
    bad = httpx.post(f"{base}/v1/alerts/alertmanager", json={"status": "firing", "alerts": [{}]})
    assert bad.status_code == 422 and "alerts.0.status" in bad.json()["error"]


def test_helpdesk_webhooks_return_write_back_fields(server):
    base, _, _ = server
    zendesk = httpx.post(
        f"{base}/v1/webhooks/zendesk",
        json={
            "ticket": {
                "id": 35436,
                "subject": "Printer jammed",
                "description": "the invoice printer jammed",
            }
        },
    ).json()
    assert "diagnoser_hardware_printer_failure" in zendesk["ticket"]["tags"]
    assert zendesk["ticket"]["comment"]["public"] is False
    assert zendesk["ticket"]["priority"] in {"urgent", "high", "normal", "low"}
    assert "First steps" in zendesk["ticket"]["comment"]["body"]
    jira = httpx.post(
        f"{base}/v1/webhooks/jira",
        json={
            "webhookEvent": "jira:issue_created",
            "issue": {
                "key": "HD-7",
                "fields": {"summary": "打印机卡纸", "created": "2026-11-24T09:00:00.000+0800"},
            },
        },
    ).json()
    assert jira["key"] == "HD-7"
    assert {"add": "diagnoser_hardware"} in jira["update"]["labels"]
    assert jira["fields"]["priority"]["name"] in {"Highest", "High", "Medium", "Low"}
    assert jira["comment"]["properties"][0]["value"] == {"internal": True}
    bad = httpx.post(f"{base}/v1/webhooks/jira", json={"issue": "x"})
    assert bad.status_code == 422


def test_docs_and_health(server):
    base, _, _ = server
    assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
    assert "/v1/diagnose" in httpx.get(f"{base}/openapi.json").json()["paths"]
    assert httpx.get(f"{base}/docs").status_code == 200


def test_every_json_reply_but_a_helpdesk_write_back_carries_the_schema_version(server):
    from diagnoser import SCHEMA_VERSION

    base, _, _ = server
    replies = {
        "diagnose": httpx.post(f"{base}/v1/diagnose", json={"id": "V1", "text": "打印机卡纸"}),
        "batch": httpx.post(f"{base}/v1/batch", json={"tickets": [{"id": "V2", "scope": 3}]}),
        "alerts": httpx.post(
            f"{base}/v1/alerts/alertmanager",
            json={"version": "4", "status": "resolved", "alerts": []},
        ),
        "incidents": httpx.get(f"{base}/v1/incidents"),
        "healthz": httpx.get(f"{base}/healthz"),
        "422": httpx.post(f"{base}/v1/diagnose", json={"id": "V3", "scope": "galaxy"}),
        "422 JSON": httpx.post(
            f"{base}/v1/diagnose", content=b"{", headers={"content-type": "application/json"}
        ),
        "413": httpx.post(f"{base}/v1/diagnose", json={"text": "x" * 30000}),
    }
    versions = {name: reply.json().get("schema_version") for name, reply in replies.items()}
    assert versions == dict.fromkeys(replies, SCHEMA_VERSION)
