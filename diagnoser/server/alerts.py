"""Helpdesk and monitoring payloads: Alertmanager webhooks in, Zendesk and Jira write-backs out.

Alertmanager's webhook (version "4"): {"version", "status", "receiver", "groupKey",
"groupLabels", "commonLabels", "commonAnnotations", "externalURL", "truncatedAlerts", "alerts":
[{"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}]}.
A mapping file says which labels and annotations give the ticket's text, codes, metrics, site
and region (see docs/serve.md).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import DiagnoserError
from ..result import Diagnosis

MAX_ALERTS = 1000  # alerts of one webhook call


class AlertError(DiagnoserError):
    """A payload or a mapping file is not what the endpoint expects."""


class Alert(BaseModel):
    """One alert of an Alertmanager notification."""

    model_config = ConfigDict(extra="allow")

    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: dt.datetime
    endsAt: dt.datetime | None = None
    generatorURL: str = ""
    fingerprint: str = Field(default="", max_length=200)


class AlertmanagerPayload(BaseModel):
    """An Alertmanager webhook notification (version 4)."""

    model_config = ConfigDict(extra="allow")

    version: str = "4"
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupKey: str = ""
    alerts: list[Alert] = Field(max_length=MAX_ALERTS)
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""


class AlertMapping(BaseModel):
    """Which labels (labels.X) or annotations (annotations.X) give each ticket field."""

    model_config = ConfigDict(extra="forbid")

    text: list[str] = ["annotations.summary", "annotations.description", "labels.alertname"]
    error_codes: list[str] = ["labels.error_code"]
    symptoms: list[str] = ["labels.symptom"]
    system: list[str] = ["labels.system"]
    site: list[str] = ["labels.site", "labels.store", "labels.instance"]
    region: list[str] = ["labels.region", "labels.district"]
    scope: list[str] = ["labels.scope"]
    metrics: dict[str, str] = Field(default_factory=dict)  # metric name: labels.X / annotations.X

    @classmethod
    def load(cls, path: Path | None) -> AlertMapping:
        """The mapping of a YAML or JSON file (the defaults above for None)."""
        if path is None:
            return cls()
        from .._yaml import YamlError, load_yaml

        try:
            data, _ = load_yaml(path, str(path))
        except YamlError as exc:
            raise AlertError(str(exc.issue)) from None
        if not isinstance(data, dict):
            raise AlertError(f"{path}: a mapping of field: [labels.X, annotations.Y] is expected")
        data = {k: [v] if isinstance(v, str) and k != "metrics" else v for k, v in data.items()}
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            raise AlertError(f"{path}: {problems}") from None


def _get(alert: Alert, path: str) -> str | None:
    where, _, name = path.partition(".")
    table = (
        alert.labels if where == "labels" else alert.annotations if where == "annotations" else {}
    )
    value = table.get(name)
    return value.strip() or None if isinstance(value, str) else None


def alert_fingerprint(alert: Alert) -> str:
    """One firing of one alert: Alertmanager's fingerprint and when it started."""
    base = alert.fingerprint or "|".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
    return f"am:{base}:{alert.startsAt.isoformat()}"


def alert_ticket(alert: Alert, mapping: AlertMapping) -> dict[str, Any]:
    """The ticket an alert stands for."""
    texts = [v for v in (_get(alert, p) for p in mapping.text) if v]
    codes = [v for v in (_get(alert, p) for p in mapping.error_codes) if v]
    symptoms = [v for v in (_get(alert, p) for p in mapping.symptoms) if v]

    def first(paths: list[str]) -> str | None:
        return next((v for v in (_get(alert, p) for p in paths) if v), None)

    metrics: dict[str, float] = {}
    for name, path in mapping.metrics.items():
        raw = _get(alert, path)
        if raw is None:
            continue
        try:
            number = float(raw.rstrip("%"))
        except ValueError:
            raise AlertError(
                f"alert {alert.fingerprint or '?'}: {path}: {raw!r} is not a number"
            ) from None
        if math.isfinite(number):
            metrics[name] = number
    print_ = alert_fingerprint(alert)
    return {
        "id": f"alert-{alert.fingerprint or print_[3:19]}",
        "text": "\n".join(dict.fromkeys(texts)),
        "error_codes": codes,
        "symptoms": symptoms,
        "metrics": metrics,
        "system": first(mapping.system),
        "site": first(mapping.site),
        "region": first(mapping.region),
        "scope": first(mapping.scope),
        "reported_at": alert.startsAt.isoformat(),
    }


# --- helpdesk write-back ------------------------------------------------------------------------

ZENDESK_PRIORITY = {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}
JIRA_PRIORITY = {"P1": "Highest", "P2": "High", "P3": "Medium", "P4": "Low"}
NOTE_STEPS = 3  # first emergency steps in the internal note


def helpdesk_ticket(payload: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """A diagnoser ticket from a Zendesk ticket ({"ticket": {...}}) or a Jira issue event
    ({"webhookEvent", "issue": {"key", "fields": {...}}})."""
    if kind == "zendesk":
        ticket = payload.get("ticket", payload)
        if not isinstance(ticket, Mapping):
            raise AlertError("ticket: an object is expected")
        texts = [ticket.get("subject"), ticket.get("description")]
        out = {"id": ticket.get("id"), "reported_at": ticket.get("created_at")}
        source = ticket
    else:
        issue = payload.get("issue")
        if not isinstance(issue, Mapping) or not isinstance(issue.get("fields", {}), Mapping):
            raise AlertError("issue: an object with 'key' and 'fields' is expected")
        source = issue.get("fields") or {}
        texts = [source.get("summary"), source.get("description")]
        out = {"id": issue.get("key") or issue.get("id"), "reported_at": source.get("created")}
    for text in texts:
        if text is not None and not isinstance(text, str):
            raise AlertError(f"subject/summary and description must be text, got {text!r:.40}")
    out["text"] = "\n".join(t for t in texts if t)
    # fields a webhook body may carry besides (Zendesk and Jira webhooks let the admin add them)
    for name in ("error_codes", "system", "site", "region", "scope", "affected_users"):
        if source.get(name) not in (None, ""):
            out[name] = source[name]
    return {k: v for k, v in out.items() if v is not None}


def internal_note(diagnosis: Diagnosis, incident: str | None, lang: str = "en") -> str:
    """A short plain-text note for agents: the diagnosis, why, and the first steps."""
    top = diagnosis.top
    if top is None:
        return (
            "diagnoser: 未能识别故障，请补充错误代码或现象。"
            if lang == "zh"
            else "diagnoser: no fault identified; add the error code or what the user sees."
        )
    lines = [
        f"diagnoser: {top.title.get(lang)} ({top.fault_id}, {top.certainty:.0%}), "
        f"{diagnosis.priority.value if diagnosis.priority else '-'}"
    ]
    if incident:
        lines.append(("所属事件" if lang == "zh" else "Part of incident") + f" {incident}")
    for evidence in top.evidence[:3]:
        lines.append(f"- {evidence.because.get(lang)} [{evidence.rule}]")
    if diagnosis.plan is not None:
        lines.append("首要步骤：" if lang == "zh" else "First steps:")
        for i, step in enumerate(diagnosis.plan.steps[:NOTE_STEPS], 1):
            lines.append(f"{i}. {step.text.get(lang)}")
    return "\n".join(lines)


def tags_for(diagnosis: Diagnosis) -> list[str]:
    """Helpdesk tags: diagnoser, the category and the fault (tags allow [a-z0-9_])."""
    top = diagnosis.top
    if top is None:
        return ["diagnoser", "diagnoser_unidentified"]
    return ["diagnoser", f"diagnoser_{top.category}", "diagnoser_" + top.fault_id.replace(".", "_")]


def zendesk_update(diagnosis: Diagnosis, incident: str | None, lang: str) -> dict[str, Any]:
    """The body of a Zendesk ticket update: tags, priority and an internal note."""
    ticket: dict[str, Any] = {
        "tags": tags_for(diagnosis),
        "comment": {"body": internal_note(diagnosis, incident, lang), "public": False},
    }
    if diagnosis.priority is not None:
        ticket["priority"] = ZENDESK_PRIORITY[diagnosis.priority.value]
    return {"ticket": ticket}


def jira_update(key: str, diagnosis: Diagnosis, incident: str | None, lang: str) -> dict[str, Any]:
    """Jira edit-issue fields (labels, priority) and an internal comment for the issue `key`."""
    out: dict[str, Any] = {
        "key": key,
        "update": {"labels": [{"add": tag} for tag in tags_for(diagnosis)]},
        "fields": {},
        "comment": {
            "body": internal_note(diagnosis, incident, lang),
            "properties": [{"key": "sd.public.comment", "value": {"internal": True}}],
        },
    }
    if diagnosis.priority is not None:
        out["fields"]["priority"] = {"name": JIRA_PRIORITY[diagnosis.priority.value]}
    return out
