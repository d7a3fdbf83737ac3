"""The result of one diagnosis: the versioned contract every output is made from.

`Diagnosis` is what `Diagnoser.diagnose` returns and what reports and JSON are made of; `Record`
is its slim batch form (`Diagnosis.to_record()`, and `Diagnoser.diagnose_record` for speed, both
built by `record_body`). Both carry `schema_version`; their JSON Schemas ship in
`diagnoser/schemas/` and `diagnoser schema` prints them.
"""

import datetime as dt
import operator
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import (
    Annotated,
    Any,
    Literal,
    NotRequired,  # pydantic needs these on Python < 3.12
    TypeVar,
)

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    with_config,
)
from typing_extensions import TypedDict

from .kb.models import LocalizedText, Phase, Principle, Severity
from .ticket import Scope

_M = TypeVar("_M", bound=BaseModel)

SCHEMA_VERSION: Literal["2"] = "2"
"""Version of the JSON contract: bumped when a field changes meaning or disappears."""

__all__ = [
    "SCHEMA_VERSION",
    "Diagnosis",
    "Evidence",
    "Firing",
    "InputKind",
    "JurisdictionBasis",
    "Plan",
    "PlanStep",
    "Priority",
    "PriorityReason",
    "RankedFault",
    "Record",
    "Scope",
    "Severity",
    "Signal",
    "Source",
    "SourceKind",
    "SymptomRef",
    "Unrecognised",
    "UnrecognisedReason",
]


class _Out(BaseModel):
    # validators are built on first use: a process that never makes a model skips building it
    model_config = ConfigDict(frozen=True, defer_build=True)


_REQUIRED = object()
_set = object.__setattr__
# per model class: every field with its default in field order (_REQUIRED for none) and the
# required ones; None when construct() must leave the class to model_construct (a default
# factory, an alias, a mutable default, a post-init)
_Plan = tuple[dict[str, Any], frozenset[str]]
_PLANS: dict[type[BaseModel], _Plan | None] = {}
_IMMUTABLE = (str, int, float, tuple, frozenset, bytes, type(None))


def _plan(cls: type[BaseModel]) -> _Plan | None:
    if cls.__pydantic_post_init__ or cls.__pydantic_root_model__:
        return None
    if cls.model_config.get("extra") == "allow":
        return None
    template: dict[str, Any] = {}
    for name, info in cls.__pydantic_fields__.items():
        if info.alias is not None or info.validation_alias is not None:
            return None
        if info.default_factory is not None:
            return None
        if info.is_required():
            template[name] = _REQUIRED
        elif isinstance(info.default, _IMMUTABLE):
            template[name] = info.default
        else:
            return None
    return template, frozenset(k for k, v in template.items() if v is _REQUIRED)


def construct(cls: type[_M], /, **values: Any) -> _M:
    """`cls.model_construct(**values)` for data already typed, without its per-field default
    look-up (pydantic deep-copies each default): the same instance — same fields in the same
    order, same fields-set, equal — at a fraction of the cost, for the models built per ticket
    (sources, unrecognised input). `values` must name fields of `cls` only.

    Hand-written because pydantic has no cheaper trusted constructor; tests/test_schemas.py
    compares it with model_construct."""
    plan = _PLANS.get(cls, _REQUIRED)
    if plan is _REQUIRED:
        plan = _PLANS[cls] = _plan(cls)
    if plan is None or not plan[1] <= values.keys():  # type: ignore[index]
        return cls.model_construct(**values)
    m = cls.__new__(cls)
    fields = dict(plan[0])  # type: ignore[index]
    fields.update(values)  # every key is there already: the field order stays
    _set(m, "__dict__", fields)
    _set(m, "__pydantic_fields_set__", set(values))
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", None)
    return m


class SourceKind(StrEnum):
    """Where a fact came from."""

    TICKET = "ticket"  # a ticket field given explicitly (symptoms, metrics, scope, ...)
    TEXT = "text"  # a phrase found in the ticket text
    CODE = "code"  # the error-code catalog entry of a code in the ticket
    RULE = "rule"  # concluded by a rule of the knowledge base
    DERIVED = "derived"  # computed from another ticket field (the hour of reported_at)


class Source(_Out):
    """Where a fact came from: a ticket field, a span of the text, a catalogued code, a rule."""

    # its hash, made on first use: sources are keys (within facts) of the service's caches, and
    # pydantic's own hash of a frozen model hashes every field again on each look-up
    __slots__ = ("_hash",)

    kind: SourceKind
    field: str | None = Field(
        default=None, description="The ticket field given or derived from (kinds ticket, derived)."
    )
    span: tuple[int, int] | None = Field(
        default=None,
        description="Offsets of the phrase in the normalised ticket text (kind text).",
    )
    quote: str | None = Field(default=None, description="The phrase as found (kind text).")
    code: str | None = Field(default=None, description="The error code (kind code).")
    system: str | None = Field(default=None, description="The system of the code (kind code).")
    rule: str | None = Field(default=None, description="The rule that concluded it (kind rule).")
    similar_to: str | None = Field(
        default=None,
        description="The example phrasing of the symptom the text resembles (kind text, read "
        "by the similarity fallback).",
    )
    similarity: float | None = Field(
        default=None, ge=0, le=1, description="How closely it resembles it, 0 to 1 (kind text)."
    )
    carried_from: str | None = Field(
        default=None,
        description="The object the phrase tells the state of, as named in an earlier clause "
        "of the sentence (kind text): span and quote are the state's own.",
    )

    @classmethod
    def ticket(cls, field: str) -> "Source":
        """Given in a ticket field."""
        return construct(cls, kind=SourceKind.TICKET, field=field)

    @classmethod
    def text(cls, start: int | None = None, end: int | None = None, quote: str = "") -> "Source":
        """Found in the ticket text (optionally where, and as what phrase)."""
        span = (start, end) if start is not None and end is not None else None
        return construct(cls, kind=SourceKind.TEXT, span=span, quote=quote or None)

    @classmethod
    def catalog(cls, system: str, code: str) -> "Source":
        """The catalog entry of `code` in `system`."""
        return construct(cls, kind=SourceKind.CODE, system=system, code=code)

    @classmethod
    def by_rule(cls, rule: str) -> "Source":
        """Concluded by `rule`."""
        return construct(cls, kind=SourceKind.RULE, rule=rule)

    @classmethod
    def derived(cls, field: str) -> "Source":
        """Computed from the ticket field `field`."""
        return construct(cls, kind=SourceKind.DERIVED, field=field)

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # only the fields of its kind: {"kind": "code", "code": "1001", "system": "generic"}
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if v is not None}

    def similar(self, example: str, score: float) -> "Source":
        """The same text source, read as resembling `example` with similarity `score`."""
        return self.model_copy(update={"similar_to": example, "similarity": round(score, 2)})

    def carried(self, quote: str) -> "Source":
        """The same text source, the state of the object `quote` named in an earlier clause."""
        return self.model_copy(update={"carried_from": quote})

    def bare(self) -> "Source":
        """The same source without the span and quote (what a fact means, not where it was)."""
        if self.span is None and self.quote is None:
            return self
        return self.model_copy(update={"span": None, "quote": None})

    def __hash__(self) -> int:
        # the value pydantic's hash gives (its fields in order), kept: the model is frozen. A
        # copy (model_copy, pickling) does not carry the slot and makes its own
        try:
            return self._hash  # type: ignore[attr-defined,no-any-return]
        except AttributeError:
            value = hash(_SOURCE_FIELDS(self.__dict__))
            _set(self, "_hash", value)
            return value

    def __str__(self) -> str:
        """A compact, stable form: 'ticket:symptoms', 'text@3-7', 'code:sys/1001', 'rule:x'."""
        kind = self.kind.value
        if self.kind is SourceKind.CODE:
            return f"code:{self.system}/{self.code}"
        if self.kind is SourceKind.RULE:
            return f"rule:{self.rule}"
        if self.kind is SourceKind.TEXT:
            return f"text@{self.span[0]}-{self.span[1]}" if self.span else "text"
        return f"{kind}:{self.field}" if self.field else kind


_SOURCE_FIELDS = operator.itemgetter(*Source.model_fields)


class SymptomRef(_Out):
    """A fact the diagnosis used: symptom id, value, certainty and where it came from."""

    id: str
    value: Any = True
    certainty: float = 1.0
    source: Source


class Evidence(_Out):
    """One rule that supported a fault, and the facts it used."""

    rule: str
    certainty: float
    because: LocalizedText
    symptoms: tuple[SymptomRef, ...]


class RankedFault(_Out):
    """A candidate fault with its combined certainty and the evidence for it."""

    fault_id: str
    category: str
    title: LocalizedText
    severity: Severity
    certainty: float
    evidence: tuple[Evidence, ...]


class Priority(StrEnum):
    """Triage priority: P1 is the most urgent."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Signal(StrEnum):
    """What a priority was decided on."""

    SEVERITY = "severity"
    SCOPE = "scope"
    AFFECTED_USERS = "affected_users"


class PriorityReason(_Out):
    """One signal that called for the priority given: the fault's severity, the impact scope or
    the number of affected users (the one field of the signal is set)."""

    signal: Signal
    priority: Priority
    severity: Severity | None = None
    scope: Scope | None = None
    affected_users: int | None = None


class PlanStep(_Out):
    """One step of the emergency plan."""

    phase: Phase
    text: LocalizedText
    principles: tuple[Principle, ...] = ()


class Escalation(_Out):
    """Who the site profile says to call for this diagnosis, and the condition that chose it."""

    contact: str
    when: str


class JurisdictionBasis(StrEnum):
    """What chose the jurisdictions of a plan, strongest first."""

    GIVEN = "given"  # the caller named them
    TICKET_SYSTEM = "ticket_system"  # the ticket's `system` field
    SITE_SYSTEM = "site_system"  # the site profile's `default_system`
    TEXT_SYSTEM = "text_system"  # a system recognised in the ticket text
    SITE = "site"  # the site profile's `jurisdiction`
    LANGUAGE = "language"  # the script and wording of the ticket text: a weak default


class Plan(_Out):
    """What to do about the most likely fault: the steps in the order of the emergency process."""

    fault_id: str
    steps: tuple[PlanStep, ...]
    workaround: tuple[LocalizedText, ...] = ()
    recovery: tuple[LocalizedText, ...] = ()
    prevention: tuple[LocalizedText, ...] = ()
    customer_notice: LocalizedText | None = None
    references: tuple[str, ...] = ()
    # the jurisdictions the steps were chosen for (empty: not known, every step is kept), the
    # site profile's escalation contact that applies, and, without a site profile, how to set one
    jurisdictions: tuple[str, ...] = ()
    # what chose them (None: nothing did) and the sentence a report shows about it
    jurisdiction_basis: JurisdictionBasis | None = None
    jurisdiction_note: LocalizedText | None = None
    escalation: Escalation | None = None
    contacts_note: LocalizedText | None = None


class InputKind(StrEnum):
    """The kind of input that was not understood."""

    TEXT = "text"
    ERROR_CODE = "error_code"
    SYMPTOM = "symptom"
    METRIC = "metric"
    SYSTEM = "system"


class UnrecognisedReason(StrEnum):
    """Why an input was not understood."""

    NO_MATCH = "no_match"  # a text clause that matched no symptom, code or system
    NOT_IN_CATALOG = "not_in_catalog"  # an error code no catalog lists
    EMPTY_CODE = "empty_code"
    UNKNOWN_SYMPTOM = "unknown_symptom"
    NEEDS_VALUE = "needs_value"  # a symptom that takes a value, given as a flag
    UNKNOWN_METRIC = "unknown_metric"
    UNKNOWN_SYSTEM = "unknown_system"


REASON_TEXT: dict[UnrecognisedReason, LocalizedText] = {
    UnrecognisedReason.NO_MATCH: LocalizedText.model_construct(
        zh="未匹配任何症状、错误代码或系统", en="matched no symptom, code or system"
    ),
    UnrecognisedReason.NOT_IN_CATALOG: LocalizedText.model_construct(
        zh="不在任何错误代码目录中", en="not in any error-code catalog"
    ),
    UnrecognisedReason.EMPTY_CODE: LocalizedText.model_construct(
        zh="错误代码为空", en="empty error code"
    ),
    UnrecognisedReason.UNKNOWN_SYMPTOM: LocalizedText.model_construct(
        zh="不是知识库中的症状", en="not a symptom of the knowledge base"
    ),
    UnrecognisedReason.NEEDS_VALUE: LocalizedText.model_construct(
        zh="需要取值，请作为监控指标或工单字段提供",
        en="takes a value; pass it as a metric or a ticket field",
    ),
    UnrecognisedReason.UNKNOWN_METRIC: LocalizedText.model_construct(
        zh="不是知识库中的监控指标", en="not a metric of the knowledge base"
    ),
    UnrecognisedReason.UNKNOWN_SYSTEM: LocalizedText.model_construct(
        zh="不是知识库中的开票系统", en="not a system of the knowledge base"
    ),
}


class Unrecognised(_Out):
    """Input that matched nothing in the knowledge base, why, and the likely intended name."""

    kind: InputKind
    value: str
    reason: UnrecognisedReason
    suggestion: str | None = Field(default=None, description="A close known name, if any.")

    def message(self, lang: str = "en") -> str:
        """Why, in words: 'not a symptom of the knowledge base; did you mean 'paper_jam'?'."""
        text = REASON_TEXT[self.reason].get(lang)
        if self.suggestion is None:
            return text
        return (
            f"{text}；是否指“{self.suggestion}”？"
            if lang == "zh"
            else (f"{text}; did you mean {self.suggestion!r}?")
        )

    def record(self) -> "UnrecognisedRecord":
        """The plain form batch records carry (the same fields)."""
        # _value_: what .value gives, without the enum property's descriptor call
        return {
            "kind": self.kind._value_,
            "value": self.value,
            "reason": self.reason._value_,
            "suggestion": self.suggestion,
        }


class ContextScope(StrEnum):
    """The context that took a mention out of the present symptoms."""

    NEGATION = "negation"  # 没有卡纸, the printer is fine
    HYPOTHETICAL = "hypothetical"  # 如果停电…, what if the IRP is down
    HISTORY = "history"  # 上个月卡纸已经修好了, was fixed last week


class SetAsideMention(_Out):
    """A symptom the text mentions but does not report as present, and what decided it."""

    symptom: str = Field(description="The symptom mentioned.")
    mention: str = Field(description="The words of the ticket that mention it.")
    scope: ContextScope = Field(description="negation, hypothetical or history.")
    trigger: str = Field(description="The trigger phrase that decided the scope (没问题, if).")


class Firing(_Out):
    """One rule firing, in firing order: the fault it supported or the symptom it derived."""

    rule: str
    fault: str | None = None
    derive: str | None = None
    certainty: float


# --- the batch record ------------------------------------------------------------------------


class RecordFault(TypedDict):
    """A ranked fault of a record."""

    fault_id: str
    category: str
    certainty: float


class RecordEvidence(TypedDict):
    """The rules and symptom ids behind one ranked fault of a record."""

    fault_id: str
    rules: list[str]
    symptoms: list[str]


def _one_of(values: Iterable[Any], *, nullable: bool = False) -> Any:
    """A record field's schema: the values of an enum, as the diagnosis schema has them (a
    record keeps plain strings, so the schema says which)."""
    return Field(json_schema_extra={"enum": [*values, *([None] if nullable else [])]})


class UnrecognisedRecord(TypedDict):
    """Input that matched nothing in the knowledge base, why, and the likely intended name."""

    kind: Annotated[str, _one_of(k.value for k in InputKind)]
    value: str
    reason: Annotated[str, _one_of(r.value for r in UnrecognisedReason)]
    suggestion: str | None


class RecordBody(TypedDict):
    """What a record says that depends only on what the ticket says (not its id or time)."""

    diagnoses: list[RecordFault]
    priority: Annotated[str | None, _one_of((p.value for p in Priority), nullable=True)]
    scope: Annotated[str | None, _one_of((s.value for s in Scope), nullable=True)]
    systems: list[str]
    error_codes: list[str]
    evidence: list[RecordEvidence]
    unrecognised: list[UnrecognisedRecord]


class Record(RecordBody):
    """One diagnosis as a batch record: ids and certainties, no texts."""

    schema_version: str
    id: str
    reported_at: str | None


# what the batch adds to a record beside the diagnosis (each only when it has something to say)
_Label = Annotated[
    Any,
    Field(
        description="The root cause the input's label column gives: a text label as the list "
        "of its comma- or semicolon-separated parts, a JSON value as it was."
    ),
]
_Warnings = Annotated[
    list[str],
    Field(
        description="What was read with a doubt and how: a line decoded in another encoding "
        "than the rest of its file, a date that could not be read and was left out."
    ),
]
_Extra = Annotated[
    dict[str, Any],
    Field(description="The columns carried with --keep, by column name, as they were read."),
]
_Site = Annotated[str, Field(description="The site (store, branch) the ticket comes from.")]
_Region = Annotated[str, Field(description="The region the ticket comes from.")]
_Incident = Annotated[
    str,
    Field(description="The incident this ticket belongs to (batch --incidents), by its id."),
]


@with_config(ConfigDict(extra="forbid"))
class OkRecord(Record):
    """A line of diagnoser batch output for a ticket that was diagnosed."""

    line: int | None
    source: str | None
    status: Literal["ok"]
    label: NotRequired[_Label]
    warnings: NotRequired[_Warnings]
    extra: NotRequired[_Extra]
    site: NotRequired[_Site]
    region: NotRequired[_Region]
    incident: NotRequired[_Incident]


@with_config(ConfigDict(extra="forbid"))
class ErrorRecord(TypedDict):
    """A line of diagnoser batch output for a ticket that could not be diagnosed."""

    schema_version: str
    line: int | None
    source: str | None
    id: str | None
    status: Literal["error"]
    error: str
    label: NotRequired[_Label]
    warnings: NotRequired[_Warnings]
    extra: NotRequired[_Extra]


def record_body(
    ranked: Iterable[tuple[str, str, float, Sequence[str], Sequence[str]]],
    priority: Priority | None,
    scope: Scope | None,
    symptoms: Iterable[tuple[str, Any]],
    unrecognised: Iterable[Unrecognised],
) -> RecordBody:
    """The one definition of a record's body.

    ranked: (fault id, category, certainty, rule ids, symptom ids) best first; symptoms: the
    (id, value) of every fact, in the diagnosis' order (systems and codes are read from them).
    """
    diagnoses: list[RecordFault] = []
    evidence: list[RecordEvidence] = []
    for fault_id, category, certainty, rules, used in ranked:
        diagnoses.append({"fault_id": fault_id, "category": category, "certainty": certainty})
        evidence.append(
            {"fault_id": fault_id, "rules": list(rules), "symptoms": list(dict.fromkeys(used))}
        )
    systems: list[str] = []
    codes: list[str] = []
    for sid, value in symptoms:
        if sid == "system" and value not in systems:
            systems.append(str(value))
        elif sid == "error_code" and value not in codes:
            codes.append(str(value))
    return {
        "diagnoses": diagnoses,
        "priority": priority.value if priority is not None else None,
        "scope": scope.value if scope is not None else None,
        "systems": systems,
        "error_codes": codes,
        "evidence": evidence,
        "unrecognised": [u.record() for u in unrecognised],
    }


def make_record(ticket_id: str, body: RecordBody, reported_at: dt.datetime | None) -> Record:
    """A full record from a body and what is particular to one ticket."""
    return {
        "schema_version": SCHEMA_VERSION,
        "id": ticket_id,
        **body,
        "reported_at": reported_at.isoformat() if reported_at is not None else None,
    }


class ConsultationEntry(_Out):
    """One question of an interactive consultation, its answer, and when it was asked."""

    question: str = Field(description="The question as it was put, in the report language.")
    symptom: str = Field(
        description="The flag symptom asked about, or the ticket field a process question "
        "fills (error_codes, reported_at, scope)."
    )
    answer: str = Field(
        description="What the answer was taken to mean: yes, no, unknown, or the value recorded."
    )
    said: str = Field(default="", description="What was typed.")
    asked_at: dt.datetime


class Diagnosis(_Out):
    """A ranked, explained diagnosis with its priority and emergency plan."""

    schema_version: Literal["2"] = SCHEMA_VERSION
    id: str
    diagnoses: tuple[RankedFault, ...]
    priority: Priority | None
    priority_reasons: tuple[PriorityReason, ...] = ()
    scope: Scope | None = None
    plan: Plan | None
    unrecognised: tuple[Unrecognised, ...] = ()
    # mentions of symptoms that their context took out of the present ones (denied, asked
    # about, past): understood, and not taken as present
    set_aside: tuple[SetAsideMention, ...] = ()
    symptoms: tuple[SymptomRef, ...] = ()
    trace: tuple[Firing, ...] = ()
    reported_at: dt.datetime | None = None
    # the questions asked and answered by `diagnoser interactive`, oldest first (empty for a
    # plain diagnosis)
    consultation: tuple[ConsultationEntry, ...] = ()

    @field_validator("schema_version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        if value != SCHEMA_VERSION:
            raise ValueError(
                f"schema_version {value!r} is not the one this diagnoser reads ({SCHEMA_VERSION})"
            )
        return value

    @property
    def top(self) -> RankedFault | None:
        """The most likely fault, if any."""
        return self.diagnoses[0] if self.diagnoses else None

    def to_record(self) -> Record:
        """This diagnosis as a batch record (what `Diagnoser.diagnose_record` returns)."""
        body = record_body(
            (
                (
                    d.fault_id,
                    d.category,
                    d.certainty,
                    [e.rule for e in d.evidence],
                    [s.id for e in d.evidence for s in e.symptoms],
                )
                for d in self.diagnoses
            ),
            self.priority,
            self.scope,
            ((s.id, s.value) for s in self.symptoms),
            self.unrecognised,
        )
        return make_record(self.id, body, self.reported_at)
