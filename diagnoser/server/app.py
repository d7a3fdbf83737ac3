"""The FastAPI application: diagnose, batch, alert and helpdesk webhooks, incidents.

Every ticket goes through the same parsing as the CLI (Ticket.parse); bad input is a 4xx with a
message naming the field, never a stack trace. Tickets that an incident rule matches are kept in
the SQLite store and correlated with the open ones around them; a ticket that belongs to an
incident comes back re-ranked with that evidence.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from .. import __version__
from ..errors import DiagnoserError
from ..incidents import rerank_diagnosis
from ..incidents.correlate import Incident, report_from_record
from ..incidents.store import Store
from ..report import detect_language
from ..result import SCHEMA_VERSION, Diagnosis
from ..service import Diagnoser
from ..ticket import Ticket
from .alerts import (
    AlertmanagerPayload,
    AlertMapping,
    alert_fingerprint,
    alert_ticket,
    helpdesk_ticket,
    jira_update,
    zendesk_update,
)

MAX_BODY = 1_000_000  # bytes of one request body
MAX_BATCH = 1000  # tickets of one /v1/batch call


# shown in the OpenAPI docs (module level: FastAPI reads the annotations from here)
TICKET_EXAMPLE = {
    "id": "T-1",
    "text": "开票时提示错误代码1001，无法连接服务器",
    "site": "天河路店",
    "region": "天河区",
    "reported_at": "2026-11-24T09:05:00+08:00",
}


@dataclass
class ServerConfig:
    """What one server runs on."""

    store: str = "diagnoser-incidents.sqlite3"
    alert_mapping: Path | None = None
    site: dict[str, Any] = field(default_factory=dict)  # default system and language
    max_body: int = MAX_BODY
    max_batch: int = MAX_BATCH


class _BodyLimit:
    """Rejects request bodies over the limit with 413, whether or not they say their length."""

    def __init__(self, app: Callable[..., Awaitable[None]], limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await _too_large(send, self.limit)
                return
        seen = 0

        async def limited() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(send, self.limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Any, limit: int) -> None:
    body = json.dumps(_versioned(error=f"request body too large (limit {limit:,} bytes)")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _versioned(**fields: Any) -> dict[str, Any]:
    """A response body: `schema_version` first, as in every JSON output, then `fields`."""
    return {"schema_version": SCHEMA_VERSION, **fields}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(_versioned(error=message), status_code=status)


def create_app(config: ServerConfig | None = None, diagnoser: Diagnoser | None = None) -> Any:
    """The ASGI application (wrapped in the body-size limit)."""
    config = config or ServerConfig()
    diagnoser = diagnoser or Diagnoser()
    store = Store(config.store, diagnoser.kb.incident_rules.values())
    mapping = AlertMapping.load(config.alert_mapping)
    default_system = config.site.get("system")
    default_lang = config.site.get("language")
    app = FastAPI(
        title="diagnoser",
        version=__version__,
        description="Rule-based fault diagnosis for invoice-issuing systems: tickets and alerts "
        "in, ranked and explained diagnoses, incidents and helpdesk write-backs out.",
    )
    app.state.store = store

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"body: invalid JSON ({e.get('ctx', {}).get('error', 'cannot be parsed')}) "
            f"at character {e['loc'][-1]}"
            if e.get("type") == "json_invalid"
            else f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}"
            for e in exc.errors()
        ]
        return _error(422, "; ".join(problems[:20]))

    @app.exception_handler(DiagnoserError)
    async def _bad(request: Request, exc: DiagnoserError) -> JSONResponse:
        return _error(422, str(exc))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        # the type only: a message or a traceback may carry ticket data or paths
        return _error(500, f"internal error ({type(exc).__name__})")

    def parse(data: Any, where: str = "ticket") -> Ticket:
        if not isinstance(data, Mapping):
            raise DiagnoserError(f"{where}: a JSON object is expected")
        data = dict(data)
        if default_system and not data.get("system"):
            data["system"] = default_system
        return Ticket.parse(data)

    def record_of(ticket: Ticket, diagnosis: Diagnosis) -> dict[str, Any]:
        # what diagnose_record would give, without diagnosing the ticket a second time
        record: dict[str, Any] = {"status": "ok", **diagnosis.to_record()}
        if ticket.site is not None:
            record["site"] = ticket.site
        if ticket.region is not None:
            record["region"] = ticket.region
        return record

    def correlate(pairs: list[tuple[Ticket, Diagnosis]]) -> list[Incident | None]:
        now = dt.datetime.now(dt.UTC)
        reports = [report_from_record(record_of(t, d), at=now) for t, d in pairs]
        members = store.ingest(r for r in reports if r is not None)
        return [members.get(r.fingerprint) if r is not None else None for r in reports]

    def diagnose_one(ticket: Ticket) -> tuple[Diagnosis, Incident | None]:
        diagnosis = diagnoser.diagnose(ticket)
        incident = correlate([(ticket, diagnosis)])[0]
        if incident is not None:
            diagnosis = rerank_diagnosis(diagnosis, incident, diagnoser)
        return diagnosis, incident

    def lang_of(ticket: Ticket) -> str:
        return default_lang or detect_language(ticket.text)

    @app.post("/v1/diagnose", summary="Diagnose one ticket (the Diagnosis JSON contract)")
    def diagnose(
        response: Response,
        ticket: Annotated[dict[str, Any], Body(examples=[TICKET_EXAMPLE])],
    ) -> dict[str, Any]:
        diagnosis, incident = diagnose_one(parse(ticket))
        if incident is not None:
            response.headers["X-Diagnoser-Incident"] = incident.incident_id
        return diagnosis.model_dump(mode="json")

    @app.post("/v1/batch", summary="Diagnose a list of tickets; records and incidents out")
    def batch(
        body: Annotated[Any, Body(examples=[{"tickets": [TICKET_EXAMPLE]}])],
    ) -> Any:
        tickets = body.get("tickets") if isinstance(body, Mapping) else body
        if not isinstance(tickets, list):
            raise DiagnoserError('a list of tickets, or {"tickets": [...]}, is expected')
        if len(tickets) > config.max_batch:
            return _error(413, f"{len(tickets):,} tickets; at most {config.max_batch:,} a call")
        records: list[dict[str, Any]] = []
        pairs: list[tuple[int, Ticket, Diagnosis]] = []
        for index, raw in enumerate(tickets):
            try:
                ticket = parse(raw, f"tickets[{index}]")
                pairs.append((index, ticket, diagnoser.diagnose(ticket)))
                records.append({})
            except DiagnoserError as exc:
                ticket_id = raw.get("id") if isinstance(raw, Mapping) else None
                records.append(
                    {"index": index, "id": ticket_id, "status": "error", "error": str(exc)}
                )
        found = correlate([(t, d) for _, t, d in pairs])
        incidents: dict[str, Incident] = {}
        for (index, _, diagnosis), incident in zip(pairs, found, strict=True):
            if incident is not None:
                diagnosis = rerank_diagnosis(diagnosis, incident, diagnoser)
                incidents[incident.incident_id] = incident
            records[index] = {
                "index": index,
                "id": diagnosis.id,
                "status": "ok",
                "incident": incident.incident_id if incident else None,
                "diagnosis": diagnosis.model_dump(mode="json"),
            }
        return _versioned(records=records, incidents=[i.as_dict() for i in incidents.values()])

    @app.post("/v1/alerts/alertmanager", summary="An Alertmanager webhook (version 4)")
    def alertmanager(payload: AlertmanagerPayload) -> dict[str, Any]:
        firing, resolved = [], []
        for alert in payload.alerts:
            if alert.status == "resolved":
                resolved.append(alert_fingerprint(alert))
                continue
            raw = alert_ticket(alert, mapping)
            raw["fingerprint"] = alert_fingerprint(alert)
            ticket = parse(raw, f"alert {alert.fingerprint or '?'}")
            firing.append((alert, ticket))
        out_firing = []
        pairs = [(t, diagnoser.diagnose(t)) for _, t in firing]
        # an alert is identified by its fingerprint: the store dedups repeated notifications
        reports = []
        for (alert, ticket), (_, diagnosis) in zip(firing, pairs, strict=True):
            record = record_of(ticket, diagnosis)
            record["fingerprint"] = alert_fingerprint(alert)
            reports.append(report_from_record(record))
        members = store.ingest(r for r in reports if r is not None)
        for (alert, _), (_, diagnosis), report in zip(firing, pairs, reports, strict=True):
            incident = members.get(report.fingerprint) if report else None
            if incident is not None:
                diagnosis = rerank_diagnosis(diagnosis, incident, diagnoser)
            top = diagnosis.top
            out_firing.append(
                {
                    "fingerprint": alert.fingerprint,
                    "fault_id": top.fault_id if top else None,
                    "priority": diagnosis.priority.value if diagnosis.priority else None,
                    "incident": incident.incident_id if incident else None,
                    "diagnosis": diagnosis.model_dump(mode="json"),
                }
            )
        closed = store.resolve(resolved)
        return _versioned(
            received=len(payload.alerts),
            firing=out_firing,
            resolved=len(resolved),
            incidents_closed=closed,
        )

    @app.post("/v1/webhooks/zendesk", summary="A Zendesk ticket in; the ticket update out")
    def zendesk(payload: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        ticket = parse(helpdesk_ticket(payload, "zendesk"))
        diagnosis, incident = diagnose_one(ticket)
        return zendesk_update(
            diagnosis, incident.incident_id if incident else None, lang_of(ticket)
        )

    @app.post("/v1/webhooks/jira", summary="A Jira issue event in; fields and a comment out")
    def jira(payload: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        ticket = parse(helpdesk_ticket(payload, "jira"))
        diagnosis, incident = diagnose_one(ticket)
        return jira_update(
            ticket.id, diagnosis, incident.incident_id if incident else None, lang_of(ticket)
        )

    @app.get("/v1/incidents", summary="Incidents with their timeline")
    def incidents(
        status: Annotated[str, Query(pattern="^(open|resolved|all)$")] = "open",
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    ) -> dict[str, Any]:
        return _versioned(incidents=store.incidents(status, limit))

    @app.get("/healthz", summary="Liveness and what the server runs on")
    def healthz() -> dict[str, Any]:
        return _versioned(
            status="ok",
            version=__version__,
            rules=len(diagnoser.rules),
            incident_rules=len(diagnoser.kb.incident_rules),
        )

    return _BodyLimit(app, config.max_body)
