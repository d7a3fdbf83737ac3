"""Knowledge and rule models (pydantic v2); unknown keys are rejected everywhere."""

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictStr,
    Tag,
    field_validator,
    model_validator,
)

from .._text import CJK as _CJK

FAULT_ID = r"^(software|hardware|network|operation|external)\.[a-z][a-z0-9_]*$"
SYMPTOM_ID = r"^[a-z][a-z0-9_]*$"
RULE_ID = r"^[a-z0-9][a-z0-9_.-]*$"
CATEGORY_IDS = ("software", "hardware", "network", "operation", "external")


class _Model(BaseModel):
    # validators are built on first validation: a knowledge base from the compiled cache is
    # unpickled without them (so an empty default is `X.model_construct()`, not `X()`, which
    # would build X's validator when this module is imported)
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, defer_build=True
    )


class LocalizedText(_Model):
    """A text in Chinese and English; both are required so reports work in either language."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        """The text in `lang` ('zh' or 'en')."""
        return self.zh if lang == "zh" else self.en


class Category(_Model):
    """One of the five fault categories of the seed (II.2, II.3)."""

    id: Literal["software", "hardware", "network", "operation", "external"]
    name: LocalizedText
    description: LocalizedText


class Severity(StrEnum):
    """How bad a fault is for the business, before its impact scope is known."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class CauseKind(StrEnum):
    """Cause classes of seed II.3, plus human error for operation faults."""

    TECHNICAL = "technical"
    MAINTENANCE = "maintenance"
    EXTERNAL = "external"
    HUMAN = "human"


class Cause(_Model):
    """A typical cause of a fault."""

    kind: CauseKind
    text: LocalizedText


class Phase(StrEnum):
    """The phases of the emergency process, in order: contain, isolate and back up, contact
    technical support, fall back to a standby or manual procedure."""

    CONTAIN = "contain"
    ISOLATE = "isolate"
    CONTACT = "contact"
    FALLBACK = "fallback"


PHASE_ORDER = {p: i for i, p in enumerate(Phase)}


class Principle(StrEnum):
    """The three principles of every emergency plan: respond at once, data safety first, stay
    within tax law and regulation."""

    RESPOND_AT_ONCE = "respond_at_once"
    DATA_SAFETY = "data_safety"
    COMPLIANCE = "compliance"


class Jurisdiction(StrEnum):
    """Where a system's rules hold: a tax jurisdiction, or `any` for generic software."""

    CN = "CN"  # mainland China: tax-control devices, 数电
    TW = "TW"  # Taiwan: MOF e-invoice platform
    IN = "IN"  # India: IRP / GSP
    IT = "IT"  # Italy: SdI
    EU = "EU"  # the Peppol network
    PL = "PL"  # Poland: KSeF
    SA = "SA"  # Saudi Arabia: ZATCA (FATOORA)
    ANY = "any"


# Jurisdictions a step, workaround or notice may be limited to (`any` is the default: all).
Jurisdictions = tuple[Literal["CN", "TW", "IN", "IT", "EU", "PL", "SA"], ...]


class TaggedText(LocalizedText):
    """A text of a plan (workaround, recovery, prevention, notice), optionally limited to some
    jurisdictions; without `jurisdictions` it holds everywhere."""

    jurisdictions: Jurisdictions = ()


class Step(_Model):
    """One emergency step, tagged with its phase and the principles it applies."""

    phase: Phase
    text: LocalizedText
    principles: tuple[Principle, ...] = ()
    jurisdictions: Jurisdictions = ()


class Fault(_Model):
    """A fault type: what it is, why it happens and what to do about it."""

    id: str = Field(pattern=FAULT_ID)
    title: LocalizedText
    description: LocalizedText
    severity: Severity
    causes: tuple[Cause, ...] = Field(min_length=1)
    emergency_steps: tuple[Step, ...] = Field(min_length=1)
    workaround: tuple[TaggedText, ...] = ()
    recovery: tuple[TaggedText, ...] = ()
    prevention: tuple[TaggedText, ...] = ()
    customer_notice: TaggedText | None = None
    references: tuple[StrictStr, ...] = Field(min_length=1)

    @property
    def category(self) -> str:
        """The category part of the id."""
        return self.id.split(".", 1)[0]

    @field_validator("emergency_steps")
    @classmethod
    def _seed_order(cls, steps: tuple[Step, ...]) -> tuple[Step, ...]:
        order = [PHASE_ORDER[s.phase] for s in steps]
        if order != sorted(order):
            raise ValueError(
                "emergency steps must follow the order contain → isolate → contact → fallback"
            )
        return steps


class SymptomKind(StrEnum):
    """flag: present or not; metric: a number; value: a word such as a scope or a code."""

    FLAG = "flag"
    METRIC = "metric"
    VALUE = "value"


class SymptomRole(StrEnum):
    """What a symptom says about a fault, for rules that ask whether anything else was said.

    cause: it names or points at a cause (a device, a quota, the network, a rejection, a code);
    context: it says only when, where or how widely, or restates that something fails.
    A flag is a cause unless it is declared context; metrics and values are context (their
    derived flags, such as high_cpu, carry the cause).
    """

    CAUSE = "cause"
    CONTEXT = "context"


class Patterns(_Model):
    """Regular expressions (case-insensitive) that recognise a symptom or system in ticket text."""

    zh: tuple[StrictStr, ...] = ()
    en: tuple[StrictStr, ...] = ()

    def check(self) -> str | None:
        """Why these patterns cannot be compiled, or None when they can.

        Compiles the patterns as two alternations (Chinese and other; they must combine);
        only when one fails is each pattern compiled alone to name the culprit.
        """
        if not self.all():
            return None
        try:
            self.compiled()
        except re.error as combined:
            for lang in ("zh", "en"):
                for i, pattern in enumerate(getattr(self, lang)):
                    try:
                        re.compile(pattern)
                    except re.error as exc:
                        return f"{lang}[{i}]: invalid regular expression: {exc}"
            return f"the patterns do not combine: {combined}"
        return None  # backtracking risk: reported by the loader's check_regexes

    def all(self) -> tuple[str, ...]:
        """Every pattern, both languages."""
        return self.zh + self.en

    def compiled(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        """(patterns with Chinese characters, all others), each as one alternation.

        Both are meant for lower-cased text (see `fold_case`): a group whose patterns are all
        lower case is compiled without IGNORECASE, which matches two to three times faster.
        Intake runs the first group only on text that has Chinese characters.
        """
        cjk = tuple(p for p in self.all() if _CJK.search(p))
        other = tuple(p for p in self.all() if not _CJK.search(p))
        return _alternation(cjk), _alternation(other)


def _has_upper(pattern: str) -> bool:
    """Whether a pattern has an upper-case letter outside an escape (\\S, \\B, … don't count)."""
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i].isupper():
            return True
        i += 1
    return False


def _alternation(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    flags = re.IGNORECASE if any(_has_upper(p) for p in patterns) else 0
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags)


def fold_case(text: str) -> str:
    """Lower-cased text of the same length, so match positions still index the original."""
    folded = text.lower()
    if len(folded) == len(text):
        return folded
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


MIN_EXAMPLE, MAX_EXAMPLE = 4, 80  # characters of one example phrasing


class Symptom(_Model):
    """A symptom of the vocabulary: what rules reason over."""

    id: str = Field(pattern=SYMPTOM_ID)
    name: LocalizedText
    kind: SymptomKind = SymptomKind.FLAG
    # None: a flag is a cause, a metric or value context (see SymptomRole and `effective_role`)
    role: SymptomRole | None = None
    unit: str | None = None
    description: LocalizedText | None = None
    patterns: Patterns = Patterns.model_construct()
    # combinations of vocabulary terms within a clause (see knowledge/vocabulary/ and
    # diagnoser/intake/matcher.py): "@printer ... @no_response"
    match: tuple[StrictStr, ...] = ()
    # how `diagnoser interactive` asks about a flag on the phone, and what asking costs:
    # 1 ask the caller, 2 needs a look at the device or screen, 3 needs a test or the admin
    question: LocalizedText | None = None
    cost: int = Field(default=1, ge=1, le=3)
    # how people say it, in a few whole phrasings: a clause no term matched is compared with
    # these by diagnoser/intake/similar.py (the similarity fallback); knowledge, not tickets
    examples: tuple[StrictStr, ...] = ()

    @property
    def effective_role(self) -> SymptomRole:
        """The declared role, or the default of the symptom's kind."""
        if self.role is not None:
            return self.role
        return SymptomRole.CAUSE if self.kind is SymptomKind.FLAG else SymptomRole.CONTEXT

    @model_validator(mode="after")
    def _question_for_flags(self) -> "Symptom":
        if self.question is not None and self.kind is not SymptomKind.FLAG:
            raise ValueError("'question' is for flag symptoms only (a yes/no question)")
        if self.examples and self.kind is not SymptomKind.FLAG:
            raise ValueError("'examples' are for flag symptoms only (a phrasing of the symptom)")
        seen: set[str] = set()
        for i, example in enumerate(self.examples):
            text = " ".join(example.split())
            if not MIN_EXAMPLE <= len(text) <= MAX_EXAMPLE:
                raise ValueError(
                    f"examples[{i}] {example!r}: an example has {MIN_EXAMPLE} to {MAX_EXAMPLE} "
                    f"characters (this one has {len(text)})"
                )
            if text.lower() in seen:
                raise ValueError(f"examples[{i}] {example!r} is listed twice")
            seen.add(text.lower())
        return self


class Phrases(_Model):
    """Literal phrases per language (matched on lower-cased, simplified text)."""

    zh: tuple[StrictStr, ...] = ()
    en: tuple[StrictStr, ...] = ()

    def all(self) -> tuple[str, ...]:
        """Every phrase, both languages."""
        return self.zh + self.en


class Scope(_Model):
    """Triggers of one context scope: phrases before or after a mention that decide it."""

    before: Phrases = Phrases.model_construct()
    after: Phrases = Phrases.model_construct()
    # how far a trigger may stand from the mention: characters for Chinese, words for English
    window: dict[str, int] = Field(default_factory=lambda: {"zh": 0, "en": 2})
    # triggers allowed further away (Chinese characters / English words), e.g. 不是 … 4
    wide: dict[str, int] = Field(default_factory=dict)


class Resolution(_Model):
    """Words that take back what a sentence said before them: "…，改了税号已经好了",
    "… but it's fixed now". They reach across clauses and contrasts, back to the start of
    their sentence, when their own clause names no other problem before them."""

    after: Phrases = Phrases.model_construct()
    # a resolution denied or only hoped for is none: 还没好, not fixed yet, hopefully fixed
    void_before: Phrases = Phrases.model_construct()
    # how far such a word may stand before the resolution (characters / English words)
    void_window: dict[str, int] = Field(default_factory=lambda: {"zh": 3, "en": 2})
    # the problem is back after it: 又不行了, still failing, again
    recur: Phrases = Phrases.model_construct()
    # what a resolution may name as what came back ("網路已經恢復了", "the internet is back"):
    # said right before it, at its clause's head, and named nowhere earlier in its sentence,
    # it takes back only its own clause — the faults told before it are not that thing
    subjects: Phrases = Phrases.model_construct()
    # words right after a resolution that tell what fixed it ("the errors are gone after the
    # patch"): the rest of its clause is part of the past too
    means: Phrases = Phrases.model_construct()


class Asked(_Model):
    """A how-to question told across clauses: an opener before the mention (请问) and a how-to
    ask after it (应该怎么处理), in the same sentence: "请问，打印机卡纸了，应该怎么处理"."""

    before: Phrases = Phrases.model_construct()
    after: Phrases = Phrases.model_construct()
    # in a statement right after the how-to question, the fault said to be here now
    # ("…应该怎么处理？现在完全打不了"): the mention is a report after all
    stated: Phrases = Phrases.model_construct()


class Questions(_Model):
    """A ticket that only asks yes/no ("客户的邮箱停用了吗？", "Is the IRP portal down?")
    reports nothing: `asks` mark such a clause (吗, 是不是; English: the auxiliary it opens
    with), `reports` make it a report all the same (为什么, 一直, why, keeps, anyone else),
    `asides` are sentences that state no fault (先问问, just asking)."""

    asks: Phrases = Phrases.model_construct()
    reports: Phrases = Phrases.model_construct()
    # a sentence after the question that only says the caller asks ahead (先问问, planning our
    # month-end run): it states nothing, the ticket still only asks
    asides: Phrases = Phrases.model_construct()
    # how a clause before the question ends when it only names what the question is about
    # ("颱風假那兩天開的票，上傳期限會順延嗎？": the invoices of those days, not a fault): that
    # clause belongs to the question
    topics: Phrases = Phrases.model_construct()


class Labels(_Model):
    """Labels that open a sentence and say what it is, not a report: a resolved alert
    ("[RESOLVED] …", "【已恢复】…") is past, a feature request or a maintenance notice
    ("Feature request: …", "维护通知：…") supposes. Every mention after one in its sentence
    is set aside."""

    hypothetical: Phrases = Phrases.model_construct()
    history: Phrases = Phrases.model_construct()


class ContextFile(_Model):
    """knowledge/vocabulary/context.yaml: NegEx-style trigger lists per language."""

    negation: Scope = Scope.model_construct()
    hypothetical: Scope = Scope.model_construct()
    history: Scope = Scope.model_construct()
    # phrases that contain a trigger but are none ("not only", 是不是); a trigger inside one, or
    # right after one (within `window`), does not count
    pseudo: Scope = Scope.model_construct()
    # phrases that end a scope: what follows "but" is read on its own
    contrast: Phrases = Phrases.model_construct()
    resolved: Resolution = Resolution.model_construct()
    asked: Asked = Asked.model_construct()
    # a past fault and how to prevent it: "上次打印机卡纸了，这次要怎么预防？"
    recalled: Asked = Asked.model_construct()
    questions: Questions = Questions.model_construct()
    # a time still to come told inside a mention, between or over its parts ("证书快到期",
    # "the certificate expires in 30 days"): the mention is hypothetical
    to_come: Phrases = Phrases.model_construct()
    # a sentence opened by a label ("[RESOLVED]", "Feature request:") reports nothing
    labels: Labels = Labels.model_construct()


class ErrorCode(_Model):
    """What one error code means in one system."""

    code: StrictStr = Field(min_length=1)
    message: LocalizedText
    faults: tuple[str, ...] = Field(min_length=1)
    certainty: float = Field(default=0.6, gt=0, le=1)
    note: LocalizedText | None = None
    references: tuple[StrictStr, ...] = ()

    @field_validator("code", mode="before")
    @classmethod
    def _code_is_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(
                f"error code {value!r} must be a quoted string: YAML reads unquoted codes such as "
                "0x11 or 00404 as numbers and changes them"
            )
        return value


class SystemProfile(_Model):
    """An invoicing system and its error-code catalog; id = file name."""

    system: str = Field(pattern=SYMPTOM_ID)
    name: LocalizedText
    # where the system's rules hold: picks the jurisdiction-specific steps of a plan
    jurisdiction: Jurisdiction
    description: LocalizedText | None = None
    patterns: Patterns = Patterns.model_construct()
    references: tuple[StrictStr, ...] = ()
    codes: tuple[ErrorCode, ...] = ()


# --- rules -----------------------------------------------------------------------------------

OPERATORS = ("equals", "in", "gt", "gte", "lt", "lte", "present", "matches")


class Condition(_Model):
    """A test on one symptom fact; without an operator it tests that the symptom is present."""

    symptom: str = Field(pattern=SYMPTOM_ID)
    equals: StrictStr | int | float | bool | None = None
    in_: tuple[StrictStr | int | float, ...] | None = Field(default=None, alias="in", min_length=1)
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    present: Literal[True] | None = None
    matches: StrictStr | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    @model_validator(mode="after")
    def _one_operator(self) -> "Condition":
        used = [op for op in OPERATORS if self.value_of(op) is not None]
        if len(used) > 1:
            raise ValueError(f"one operator per condition, got {', '.join(used)}")
        if self.matches is not None:
            try:
                re.compile(self.matches)
            except re.error as exc:
                raise ValueError(f"matches: invalid regular expression: {exc}") from exc
            from .redos import backtracking_risk  # validating a rule file, not every start

            risk = backtracking_risk(self.matches)
            if risk:  # it would run on every ticket: refused, not only linted
                raise ValueError(f"matches: {self.matches!r}: {risk}")
        return self

    def value_of(self, op: str) -> Any:
        """The operand given for `op`, or None."""
        return self.in_ if op == "in" else getattr(self, op)

    @property
    def operator(self) -> str:
        """The operator of this condition ('present' when none is given)."""
        for op in OPERATORS:
            if self.value_of(op) is not None:
                return op
        return "present"

    @property
    def operand(self) -> Any:
        """The operand of this condition (True for 'present')."""
        value = self.value_of(self.operator)
        return True if value is None else value

    def describe(self) -> str:
        """A short human-readable form, e.g. 'cpu_percent >= 90'."""
        op = self.operator
        if op == "present":
            return self.symptom
        signs = {"equals": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
        if op in signs:
            return f"{self.symptom} {signs[op]} {self.operand}"
        if op == "in":
            return f"{self.symptom} in [{', '.join(map(str, self.operand))}]"
        return f"{self.symptom} matches /{self.operand}/"


def _item_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "condition" if "symptom" in value else "group"
    return "condition" if isinstance(value, Condition) else "group"


Item = Annotated[
    Annotated[Condition, Tag("condition")] | Annotated["Group", Tag("group")],
    Discriminator(_item_kind),
]


class Group(_Model):
    """all: every item holds; any: at least one holds; none: no item holds.

    A `none:` item may name a role instead of a symptom (`- role: cause`): no symptom of that
    role may hold. The loader expands it into one condition per such symptom
    (`expand_roles`), so every symptom declared later with that role counts without an edit to
    the rule; `none_roles` keeps what was written.
    """

    all: tuple[Item, ...] = ()
    any: tuple[Item, ...] = ()
    none: tuple[Condition, ...] = ()
    none_roles: tuple[SymptomRole, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _role_items(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("none"), list):
            return data
        roles = [
            item["role"]
            for item in data["none"]
            if isinstance(item, dict) and set(item) == {"role"}
        ]
        if not roles:
            return data
        kept = [i for i in data["none"] if not (isinstance(i, dict) and set(i) == {"role"})]
        return {**data, "none": kept, "none_roles": [*data.get("none_roles", ()), *roles]}

    @model_validator(mode="after")
    def _not_empty(self) -> "Group":
        if not (self.all or self.any):
            raise ValueError("a condition group needs at least one 'all' or 'any' item")
        return self


class Conclusion(_Model):
    """What a rule concludes: a fault with a certainty factor, or a derived symptom."""

    fault: str | None = Field(default=None, pattern=FAULT_ID)
    derive: str | None = Field(default=None, pattern=SYMPTOM_ID)
    value: StrictStr | int | float | bool = True
    certainty: float = Field(gt=0, le=1)
    because: LocalizedText

    @model_validator(mode="after")
    def _exactly_one(self) -> "Conclusion":
        if (self.fault is None) == (self.derive is None):
            raise ValueError("'then' needs exactly one of 'fault' or 'derive'")
        if self.fault is not None and self.value is not True:
            raise ValueError("'value' is only for 'derive'")
        return self


class RuleStatus(StrEnum):
    """Lifecycle of a rule (deprecated rules are loaded and linted but not compiled)."""

    STABLE = "stable"
    TEST = "test"
    EXPERIMENTAL = "experimental"
    DEPRECATED = "deprecated"


class RelationType(StrEnum):
    """How a rule relates to another (Sigma's `related`)."""

    RENAMED = "renamed"  # this rule was called `id` before
    DERIVED = "derived"  # this rule was made from rule `id`


class Related(_Model):
    """A link from a rule to an earlier or parent rule id."""

    id: str = Field(pattern=RULE_ID)
    type: RelationType


class RuleSpec(_Model):
    """A declarative rule: one YAML file, id = file name."""

    id: str = Field(pattern=RULE_ID)
    title: str = Field(min_length=1)
    description: str | None = None
    status: RuleStatus
    author: str = Field(min_length=1)
    date: dt.date
    modified: dt.date | None = None
    references: tuple[StrictStr, ...] = Field(min_length=1)
    tags: tuple[str, ...] = ()
    falsepositives: tuple[str, ...] = ()
    related: tuple[Related, ...] = ()
    when: Group
    then: Conclusion

    @model_validator(mode="after")
    def _dates(self) -> "RuleSpec":
        if self.modified is not None and self.modified < self.date:
            raise ValueError("'modified' is earlier than 'date'")
        return self


class Source(_Model):
    """A document that references may name as docs/sources.md#<id>."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1)
    url: str | None = None


# --- contacts in plan texts ---------------------------------------------------------------------

# Placeholders a plan text may use for the desk's own contacts; a site profile fills them, and
# without one each becomes the role it names (see diagnoser.triage.site).
PLACEHOLDERS = ("support.hotline", "support.email", "support.hours", "escalation", "site.name")
PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)?)\}")


def placeholders_in(text: str) -> list[str]:
    """The placeholder names written as `{name}` in `text`, in order."""
    return PLACEHOLDER.findall(text)


# --- incident rules (rules/incidents/) --------------------------------------------------------

# what a fingerprint may hold: the fault or code, the system, the region
GroupKey = Literal["key", "system", "region"]
GROUP_KEYS: tuple[GroupKey, ...] = ("key", "system", "region")


class IncidentMatch(_Model):
    """Which diagnosed tickets an incident rule looks at: by error code, else by top fault."""

    codes: tuple[StrictStr, ...] = ()
    faults: tuple[Annotated[str, Field(pattern=FAULT_ID)], ...] = ()

    @model_validator(mode="after")
    def _something(self) -> "IncidentMatch":
        if not (self.codes or self.faults):
            raise ValueError("'match' needs 'codes' or 'faults'")
        return self


class IncidentThresholds(_Model):
    """How much must happen within the window: distinct tickets, sites and regions."""

    tickets: int = Field(default=1, ge=1)
    sites: int = Field(default=1, ge=1)
    regions: int = Field(default=1, ge=1)


class IncidentConclusion(_Model):
    """What the incident is, and what its tickets are told: fault, scope, priority, why."""

    fault: str = Field(pattern=FAULT_ID)
    scope: Literal["site", "region", "city"]
    priority: Literal["P1", "P2", "P3", "P4"]
    certainty: float = Field(gt=0, le=1)
    because: LocalizedText


class IncidentRule(_Model):
    """rules/incidents/<id>.yaml: when many tickets within a window make one incident."""

    id: str = Field(pattern=RULE_ID)
    title: str = Field(min_length=1)
    description: str | None = None
    status: RuleStatus
    author: str = Field(min_length=1)
    date: dt.date
    modified: dt.date | None = None
    references: tuple[StrictStr, ...] = Field(min_length=1)
    tags: tuple[str, ...] = ()
    match: IncidentMatch
    # the fingerprint: tickets with equal values of these fields (and in one window) group
    group_by: tuple[GroupKey, ...] = GROUP_KEYS
    window_minutes: int = Field(ge=1, le=7 * 24 * 60)
    at_least: IncidentThresholds
    then: IncidentConclusion

    @model_validator(mode="after")
    def _checks(self) -> "IncidentRule":
        if "key" not in self.group_by:
            raise ValueError("'group_by' must include 'key' (the fault or the code)")
        if len(set(self.group_by)) != len(self.group_by):
            raise ValueError("'group_by' lists a field twice")
        if self.modified is not None and self.modified < self.date:
            raise ValueError("'modified' is earlier than 'date'")
        return self
