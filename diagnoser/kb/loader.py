"""Loading and checking the knowledge base: every problem at once, each with file and line."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, ValidationError

from .._resources import default_paths
from .._yaml import LineMap, YamlError, load_yaml
from ..errors import Issue, IssueSeverity, Location
from ..intake.codes import canonical_code

# the knowledge base and its entry point live in kb/knowledge.py (a warm cache needs no
# loader); their names stay importable from here
from .knowledge import CASES_DIR as CASES_DIR
from .knowledge import INCIDENTS_DIR as INCIDENTS_DIR
from .knowledge import SCENARIOS_DIR as SCENARIOS_DIR
from .knowledge import KnowledgeBase as KnowledgeBase
from .knowledge import load_knowledge_base as load_knowledge_base
from .models import (
    CATEGORY_IDS,
    PLACEHOLDERS,
    Category,
    Condition,
    ContextFile,
    ErrorCode,
    Fault,
    Group,
    IncidentRule,
    LocalizedText,
    Patterns,
    Phase,
    Phrases,
    Related,
    RelationType,
    RuleSpec,
    RuleStatus,
    Source,
    Step,
    Symptom,
    SymptomKind,
    SymptomRole,
    SystemProfile,
    TaggedText,
    _Model,
    placeholders_in,
)
from .redos import backtracking_risk

M = TypeVar("M", bound=BaseModel)
# the knowledge that comes one item per file, named by its id
Ided = TypeVar("Ided", Fault, RuleSpec, IncidentRule)

TERM_NAME = r"[a-z][a-z0-9_]*"  # a vocabulary term's name (re caches it compiled)


# --- the files' own shapes: a file of several items, read only here ----------------------


class CategoryFile(_Model):
    """knowledge/categories.yaml: the five categories."""

    categories: tuple[Category, ...] = Field(min_length=1)


class VocabularyFile(_Model):
    """A file of knowledge/vocabulary/ with term classes: synonyms declared once."""

    terms: dict[str, Phrases] = Field(min_length=1)


class SymptomFile(_Model):
    """A file of knowledge/symptoms/: a list of symptoms."""

    symptoms: tuple[Symptom, ...] = Field(min_length=1)


class SourceFile(_Model):
    """knowledge/sources.yaml: the documents references may name."""

    sources: tuple[Source, ...] = ()


def _lt(zh: str, en: str) -> LocalizedText:
    return LocalizedText.model_construct(zh=zh, en=en)


# Facts that intake produces itself; rules may test them like any symptom.
BUILTIN_SYMPTOMS: tuple[Symptom, ...] = (
    Symptom.model_construct(
        id="error_code", kind=SymptomKind.VALUE, name=_lt("错误代码", "error code")
    ),
    Symptom.model_construct(
        id="code_fault",
        kind=SymptomKind.VALUE,
        role=SymptomRole.CAUSE,  # a fault the catalog documents for a code the ticket gives
        name=_lt("错误代码指向的故障", "fault documented for an error code"),
    ),
    Symptom.model_construct(
        id="system", kind=SymptomKind.VALUE, name=_lt("开票系统", "invoicing system")
    ),
    Symptom.model_construct(
        id="scope", kind=SymptomKind.VALUE, name=_lt("影响范围", "impact scope")
    ),
    Symptom.model_construct(
        id="affected_users", kind=SymptomKind.METRIC, name=_lt("受影响用户数", "affected users")
    ),
    Symptom.model_construct(id="text", kind=SymptomKind.VALUE, name=_lt("工单原文", "ticket text")),
    Symptom.model_construct(
        id="day_of_month",
        kind=SymptomKind.METRIC,
        name=_lt("报障日期（几号）", "day of the month reported"),
    ),
    Symptom.model_construct(
        id="hour", kind=SymptomKind.METRIC, name=_lt("报障时刻（小时）", "hour reported")
    ),
)
BUILTIN_IDS = frozenset(s.id for s in BUILTIN_SYMPTOMS)
# built-in facts no rule may derive (scope and system may be derived)
TICKET_ONLY = frozenset({"error_code", "code_fault", "text", "day_of_month", "hour"})


# --- reading files ------------------------------------------------------------------------------


def _yaml_files(root: Path, skip: str | tuple[str, ...] | None = None) -> Iterator[Path]:
    skipped = (skip,) if isinstance(skip, str) else skip or ()
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".yaml", ".yml") or not path.is_file():
            continue
        if any(part in skipped for part in path.relative_to(root).parts[:-1]):
            continue
        yield path


def _data_path(data: Any, loc: tuple[Any, ...], aliases: dict[str, str]) -> tuple[Any, ...]:
    """Keep only the parts of a pydantic error location that exist in the YAML data."""
    out: list[Any] = []
    for part in loc:
        key = aliases.get(part, part) if isinstance(part, str) else part
        if (isinstance(data, dict) and key in data) or (
            isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data)
        ):
            data = data[key]  # type: ignore[index]  # (a str key indexes a dict, checked above)
            out.append(key)
    return tuple(out)


_KNOWN_KEYS: set[str] = set()


def _collect_keys(model: type[BaseModel]) -> None:
    for name, info in model.model_fields.items():
        _KNOWN_KEYS.add(info.alias or name)


def register_keys(*models: type[BaseModel]) -> None:
    """Make the keys of other validated files (a site profile) known to "did you mean" hints."""
    for model in models:
        _collect_keys(model)


for _m in (
    Category,
    CategoryFile,
    Fault,
    Symptom,
    SymptomFile,
    SystemProfile,
    ErrorCode,
    RuleSpec,
    Condition,
    Step,
    TaggedText,
    Related,
    IncidentRule,
):
    _collect_keys(_m)
_KNOWN_KEYS.update({"all", "any", "none", "fault", "derive", "value", "certainty", "because"})


def _describe(err: Any) -> str:
    loc = ".".join(str(p) for p in err["loc"] if p not in ("condition", "group"))
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        key = str(err["loc"][-1])
        # difflib and the matcher load with a file to check: a process that reads the
        # compiled cache never needs them
        import difflib

        hint = difflib.get_close_matches(key, sorted(_KNOWN_KEYS), n=1)
        msg = f"unknown key {key!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
        return msg
    if err["type"] == "string_type" and isinstance(err.get("input"), dict):
        msg += " (quote the text: an unquoted ': ' makes YAML read it as a mapping)"
    elif (
        err["type"] not in ("missing",)
        and "input" in err
        and not isinstance(err["input"], dict | list)
    ):
        msg += f" (got {err['input']!r})"
    return f"{loc}: {msg}" if loc else msg


def validate_model(model: type[M], data: Any, lines: LineMap, issues: list[Issue]) -> M | None:
    """`data` as a `model`, or None with every validation problem added to `issues` (file:line)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            path = _data_path(data, tuple(err["loc"]), {"in_": "in"})
            issues.append(Issue(lines.at(path), _describe(err), code="schema"))
        return None


def read_yaml(path: Path, shown: str, issues: list[Issue]) -> tuple[Any, LineMap] | None:
    """The YAML data of `path` and its line map, or None with the problem added to `issues`."""
    try:
        return load_yaml(path, shown)
    except YamlError as exc:
        issues.append(exc.issue)
        return None


# the older private names, still used by the case and incident loaders
_read = read_yaml
_validate = validate_model


def _suggest(name: str, choices: Iterable[str]) -> str:
    import difflib

    hint = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


# --- the loader ---------------------------------------------------------------------------------


class _Loader:
    def __init__(self, rules_root: Path, knowledge_root: Path, check_patterns: bool = True) -> None:
        self.rules_root = rules_root
        self.knowledge_root = knowledge_root
        self.check_patterns = check_patterns
        self.issues: list[Issue] = []
        self.locations: dict[str, Location] = {}
        self.lines: dict[str, LineMap] = {}
        self.terms: dict[str, Phrases] = {}
        self.used_terms: set[str] = set()
        # normalised example phrasing → the symptom (and place) that lists it first
        self.example_owner: dict[str, tuple[str, Location]] = {}
        # ids of entries whose own file is invalid: already reported, so references to them
        # are not reported again as unknown
        self.invalid: set[str] = set()

    def remember_invalid(self, kind: str, data: Any, key: str = "id") -> None:
        items = data if isinstance(data, list) else [data]
        for item in items:
            if isinstance(item, dict) and isinstance(item.get(key), str):
                self.invalid.add(f"{kind}:{item[key]}")

    def shown(self, path: Path) -> str:
        return str(path)

    def register(self, kind: str, ident: str, where: Location) -> bool:
        key = f"{kind}:{ident}"
        if key in self.locations:
            first = self.locations[key]
            self.issues.append(
                Issue(
                    where,
                    f"duplicate {kind} id {ident!r} (first defined at {first})",
                    code="duplicate-id",
                )
            )
            return False
        self.locations[key] = where
        return True

    def check_regexes(self, patterns: Patterns, where: Location) -> None:
        if self.check_patterns:
            problem = patterns.check()
            if problem:
                self.issues.append(Issue(where, f"patterns.{problem}", code="schema"))
                return
            for lang in ("zh", "en"):
                for i, pattern in enumerate(getattr(patterns, lang)):
                    risk = backtracking_risk(pattern)
                    if risk:
                        self.issues.append(
                            Issue(where, f"patterns.{lang}[{i}] {pattern!r}: {risk}", code="regex")
                        )

    def check_match(self, symptom: Symptom, lines: LineMap, i: int) -> None:
        """Each combination of `match` reads, and names only declared terms."""
        from ..intake.matcher import TERM_REF, CombinationError, parse_combination

        phrases = {name: tuple(p.lower() for p in t.all()) for name, t in self.terms.items()}
        for j, text in enumerate(symptom.match):
            try:
                parse_combination(text, phrases)
            except CombinationError as exc:
                self.issues.append(
                    Issue(lines.at(("symptoms", i, "match", j)), f"match: {exc}", code="vocabulary")
                )
                continue
            self.check_simplified(text, lines.at(("symptoms", i, "match", j)))
            for ref in TERM_REF.findall(text):
                self.used_terms.add(ref)

    def check_simplified(self, text: str, where: Location) -> None:
        """Warning: a phrase with characters that OpenCC t2s changes never matches, as text is
        read after that conversion (搵唔到 is read as 揾唔到, 嗰 as 𠮶)."""
        from ..intake._hanzi import to_simplified

        simplified = to_simplified(text)
        if simplified != text:
            self.issues.append(
                Issue(
                    where,
                    f"{text!r} has characters the text never holds after OpenCC t2s: "
                    f"write {simplified!r}",
                    severity=IssueSeverity.WARNING,
                    code="vocabulary",
                )
            )

    def check_vocabulary(self, terms: dict[str, Phrases], symptoms: dict[str, Symptom]) -> None:
        """Warnings: terms no symptom uses, a phrase in two terms, a phrase written twice, a
        phrase in traditional characters."""
        owner: dict[str, str] = {}
        for name, phrases in sorted(terms.items()):
            where = self.locations.get(f"term:{name}", Location("knowledge/vocabulary"))
            for phrase in phrases.all():
                self.check_simplified(phrase, where)
            if name not in self.used_terms:
                self.issues.append(
                    Issue(
                        where,
                        f"term {name!r} is used by no symptom",
                        severity=IssueSeverity.WARNING,
                        code="vocabulary",
                    )
                )
            seen: set[str] = set()
            for phrase in phrases.all():
                key = phrase.lower()
                if key in seen:
                    self.issues.append(
                        Issue(
                            where,
                            f"term {name!r} lists {phrase!r} twice",
                            severity=IssueSeverity.WARNING,
                            code="vocabulary",
                        )
                    )
                seen.add(key)
                if key in owner and owner[key] != name:
                    self.issues.append(
                        Issue(
                            where,
                            f"{phrase!r} is in both term {owner[key]!r} and term {name!r}; "
                            "a phrase belongs to one term",
                            severity=IssueSeverity.WARNING,
                            code="vocabulary",
                        )
                    )
                owner.setdefault(key, name)

    def check_stem(self, path: Path, ident: str, lines: LineMap, key: str) -> None:
        if path.stem != ident:
            self.issues.append(
                Issue(
                    lines.at((key,)),
                    f"{key} {ident!r} does not match the file name {path.name!r}; "
                    f"rename the file to {ident}{path.suffix} or change the {key}",
                    code="file-name",
                )
            )

    def load(self) -> KnowledgeBase:
        for root, what in ((self.rules_root, "rules"), (self.knowledge_root, "knowledge")):
            if not root.is_dir():
                self.issues.append(
                    Issue(Location(str(root)), f"{what} directory does not exist", code="missing")
                )
        categories = self.load_categories()
        faults = self.load_faults()
        terms, context = self.load_vocabulary()
        self.terms = terms
        symptoms = self.load_symptoms()
        systems = self.load_systems()
        rules = self.expand_roles(self.load_rules(), symptoms)
        self.check_vocabulary(terms, symptoms)
        sources = self.load_sources()
        incident_rules = self.load_incident_rules()
        kb = KnowledgeBase(
            categories=categories,
            faults=faults,
            symptoms=symptoms,
            systems=systems,
            rules=rules,
            terms=terms,
            context=context,
            sources=sources,
            incident_rules=incident_rules,
            locations=self.locations,
            rules_path=self.rules_root,
            knowledge_path=self.knowledge_root,
        )
        self.cross_check(kb)
        kb.issues = sorted(self.issues, key=lambda i: (i.location, i.message))
        return kb

    def load_vocabulary(self) -> tuple[dict[str, Phrases], ContextFile]:
        """knowledge/vocabulary/: term classes (every file but context.yaml) and the context
        triggers (context.yaml)."""
        root = self.knowledge_root / "vocabulary"
        terms: dict[str, Phrases] = {}
        context = ContextFile()
        paths = list(_yaml_files(root)) if root.is_dir() else []
        if not any(p.name == "context.yaml" for p in paths):
            # the triggers are language, not domain knowledge: a knowledge base without its own
            # reads context with the shipped ones
            shipped = default_paths()[1] / "vocabulary" / "context.yaml"
            if shipped.is_file():
                paths.append(shipped)
        for path in paths:
            read = _read(path, self.shown(path), self.issues)
            if read is None:
                continue
            data, lines = read
            if path.name == "context.yaml":
                parsed_context = _validate(ContextFile, data, lines, self.issues)
                if parsed_context is not None:
                    context = parsed_context
                    self.locations["context:triggers"] = lines.at(())
                continue
            parsed = _validate(VocabularyFile, data, lines, self.issues)
            if parsed is None:
                continue
            for name, phrases in parsed.terms.items():
                where = lines.at(("terms", name))
                if not re.fullmatch(TERM_NAME, name):
                    self.issues.append(
                        Issue(where, f"term name {name!r} must be lower_snake_case", code="schema")
                    )
                    continue
                if self.register("term", name, where):
                    terms[name] = phrases
                    self.lines[f"term:{name}"] = lines
        return terms, context

    def load_categories(self) -> dict[str, Category]:
        path = self.knowledge_root / "categories.yaml"
        out: dict[str, Category] = {}
        if not path.is_file():
            if self.knowledge_root.is_dir():
                self.issues.append(
                    Issue(Location(self.shown(path)), "file is missing", code="missing")
                )
            return out
        read = read_yaml(path, self.shown(path), self.issues)
        if read is None:
            return out
        data, lines = read
        parsed = validate_model(CategoryFile, data, lines, self.issues)
        if parsed is None:
            return out
        for i, cat in enumerate(parsed.categories):
            if self.register("category", cat.id, lines.at(("categories", i, "id"))):
                out[cat.id] = cat
        for cid in CATEGORY_IDS:
            if cid not in out:
                self.issues.append(Issue(lines.at(), f"category {cid!r} is not defined"))
        return out

    def load_sources(self) -> dict[str, Source]:
        """knowledge/sources.yaml, the documents references may name (optional)."""
        path = self.knowledge_root / "sources.yaml"
        out: dict[str, Source] = {}
        if not path.is_file():
            return out
        read = read_yaml(path, self.shown(path), self.issues)
        if read is None:
            return out
        data, lines = read
        parsed = validate_model(SourceFile, data, lines, self.issues)
        if parsed is not None:
            for i, source in enumerate(parsed.sources):
                if self.register("source", source.id, lines.at(("sources", i, "id"))):
                    out[source.id] = source
        return out

    def load_by_id(
        self, paths: Iterable[Path], model: type[Ided], kind: str, remember_invalid: bool = True
    ) -> dict[str, Ided]:
        """One `model` per file, its `id` equal to the file name, registered as `kind` (a
        duplicate id is an issue); an invalid file is remembered so references to it do not
        add a second error, unless `remember_invalid` is false."""
        out: dict[str, Ided] = {}
        for path in paths:
            read = read_yaml(path, self.shown(path), self.issues)
            if read is None:
                continue
            data, lines = read
            item = validate_model(model, data, lines, self.issues)
            if item is None:
                if remember_invalid:
                    self.remember_invalid(kind, data)
                continue
            self.check_stem(path, item.id, lines, "id")
            if self.register(kind, item.id, lines.at(("id",))):
                out[item.id] = item
                self.lines[f"{kind}:{item.id}"] = lines
        return out

    def load_faults(self) -> dict[str, Fault]:
        return self.load_by_id(_yaml_files(self.knowledge_root / "faults"), Fault, "fault")

    def load_symptoms(self) -> dict[str, Symptom]:
        out: dict[str, Symptom] = {s.id: s for s in BUILTIN_SYMPTOMS}
        for s in BUILTIN_SYMPTOMS:
            self.locations[f"symptom:{s.id}"] = Location("<built-in>")
        for path in _yaml_files(self.knowledge_root / "symptoms"):
            read = read_yaml(path, self.shown(path), self.issues)
            if read is None:
                continue
            data, lines = read
            parsed = validate_model(SymptomFile, data, lines, self.issues)
            if parsed is None:
                if isinstance(data, dict):
                    self.remember_invalid("symptom", data.get("symptoms"))
                continue
            for i, symptom in enumerate(parsed.symptoms):
                where = lines.at(("symptoms", i, "id"))
                self.check_regexes(symptom.patterns, lines.at(("symptoms", i, "patterns")))
                self.check_match(symptom, lines, i)
                if symptom.id in BUILTIN_IDS:
                    self.issues.append(
                        Issue(
                            where,
                            f"symptom id {symptom.id!r} is reserved for a built-in fact",
                            code="duplicate-id",
                        )
                    )
                elif self.register("symptom", symptom.id, where):
                    out[symptom.id] = symptom
                    self.check_examples(symptom, lines, i)
        return out

    def check_examples(self, symptom: Symptom, lines: LineMap, i: int) -> None:
        """An example phrasing belongs to one symptom: the fallback could not tell two apart."""
        from ..intake.similar import example_key, grams

        for j, example in enumerate(symptom.examples):
            where = lines.at(("symptoms", i, "examples", j))
            key = example_key(example)
            first = self.example_owner.setdefault(key, (symptom.id, where))
            if first[0] != symptom.id:
                self.issues.append(
                    Issue(
                        where,
                        f"example {example!r} of symptom {symptom.id!r} is also an example of "
                        f"symptom {first[0]!r} (at {first[1]}); an example belongs to one symptom",
                        code="examples",
                    )
                )
            if len(grams(key)) < 3:
                self.issues.append(
                    Issue(
                        where,
                        f"example {example!r} of symptom {symptom.id!r} is too short to compare "
                        "(fewer than 3 character n-grams): write the whole phrasing",
                        severity=IssueSeverity.WARNING,
                        code="examples",
                    )
                )

    def load_systems(self) -> dict[str, SystemProfile]:
        out: dict[str, SystemProfile] = {}
        for path in _yaml_files(self.knowledge_root / "systems"):
            read = read_yaml(path, self.shown(path), self.issues)
            if read is None:
                continue
            data, lines = read
            system = validate_model(SystemProfile, data, lines, self.issues)
            if system is None:
                continue
            self.check_stem(path, system.system, lines, "system")
            self.check_regexes(system.patterns, lines.at(("patterns",)))
            if not self.register("system", system.system, lines.at(("system",))):
                continue
            out[system.system] = system
            self.lines[f"system:{system.system}"] = lines
            seen: dict[str, int] = {}
            for i, entry in enumerate(system.codes):
                code = canonical_code(entry.code)
                if code in seen:
                    self.issues.append(
                        Issue(
                            lines.at(("codes", i, "code")),
                            f"code {entry.code!r} is listed twice in system {system.system!r} "
                            f"(first at entry {seen[code] + 1})",
                            code="duplicate-id",
                        )
                    )
                seen.setdefault(code, i)
        return out

    def load_rules(self) -> dict[str, RuleSpec]:
        paths = _yaml_files(self.rules_root, skip=(CASES_DIR, INCIDENTS_DIR, SCENARIOS_DIR))
        return self.load_by_id(paths, RuleSpec, "rule")

    def expand_roles(
        self, rules: dict[str, RuleSpec], symptoms: dict[str, Symptom]
    ) -> dict[str, RuleSpec]:
        """Each `none: - role: R` becomes one `none` condition per symptom of role R.

        The symptoms come in the order they are declared (built-in facts first). Left out: the
        rule's own derived symptom (a rule is never stopped by what it concludes), the symptoms
        the rule tests for being there (a rule that needs print_failure is not stopped by it),
        and a symptom the group already lists. A written condition that the role covers anyway,
        and a role no symptom has, are reported.
        """
        out: dict[str, RuleSpec] = {}
        for rid, rule in rules.items():
            if not _has_roles(rule.when):
                out[rid] = rule
                continue
            lines = self.lines[f"rule:{rid}"]
            keep = {*_positive(rule.when), *([rule.then.derive] if rule.then.derive else [])}
            when = self._expand_group(rule.when, ("when",), symptoms, keep, lines)
            out[rid] = rule.model_copy(update={"when": when})
        return out

    def _expand_group(
        self,
        group: Group,
        path: tuple[str | int, ...],
        symptoms: dict[str, Symptom],
        keep: set[str],
        lines: LineMap,
    ) -> Group:
        def nested(items: tuple[Condition | Group, ...], key: str) -> tuple[Condition | Group, ...]:
            return tuple(
                self._expand_group(item, (*path, key, i), symptoms, keep, lines)
                if isinstance(item, Group)
                else item
                for i, item in enumerate(items)
            )

        update: dict[str, Any] = {"all": nested(group.all, "all"), "any": nested(group.any, "any")}
        if group.none_roles:
            roles = set(group.none_roles)
            written = {c.symptom for c in group.none if c.operator == "present"}
            for i, cond in enumerate(group.none):
                known = symptoms.get(cond.symptom)
                if cond.operator == "present" and known and known.effective_role in roles:
                    self.issues.append(
                        Issue(
                            lines.at((*path, "none", i, "symptom")),
                            f"{cond.symptom!r} is a {known.effective_role.value} symptom: "
                            f"'role: {known.effective_role.value}' covers it already",
                            severity=IssueSeverity.WARNING,
                            code="redundant",
                        )
                    )
            added = tuple(
                Condition.model_construct(symptom=sid)
                for sid, symptom in symptoms.items()
                if symptom.effective_role in roles and sid not in keep and sid not in written
            )
            if not added:
                self.issues.append(
                    Issue(
                        lines.at((*path, "none")),
                        "no symptom has the role "
                        + ", ".join(sorted(r.value for r in roles))
                        + ": the condition tests nothing",
                        severity=IssueSeverity.WARNING,
                        code="unused",
                    )
                )
            update["none"] = (*group.none, *added)
        return group.model_copy(update=update)

    def load_incident_rules(self) -> dict[str, IncidentRule]:
        root = self.rules_root / INCIDENTS_DIR
        if not root.is_dir():
            return {}
        # one id space with the other rules: evidence names either kind by its id
        paths = _yaml_files(root, skip=CASES_DIR)
        return self.load_by_id(paths, IncidentRule, "rule", remember_invalid=False)

    def check_incident_refs(self, kb: KnowledgeBase, rule: IncidentRule) -> None:
        lines = self.lines[f"rule:{rule.id}"]
        faults: list[tuple[tuple[str | int, ...], str]] = [(("then", "fault"), rule.then.fault)]
        faults += [(("match", "faults", i), f) for i, f in enumerate(rule.match.faults)]
        for path, fault in faults:
            if not self.known(kb.faults, "fault", fault):
                self.issues.append(
                    Issue(
                        lines.at(path),
                        f"unknown fault {fault!r}{_suggest(fault, kb.faults)}",
                        code="unknown-ref",
                    )
                )
        for i, code in enumerate(rule.match.codes):
            if not kb.code_meanings(canonical_code(code)):
                self.issues.append(
                    Issue(
                        lines.at(("match", "codes", i)),
                        f"code {code!r} is in no system's catalog",
                        severity=IssueSeverity.WARNING,
                        code="unknown-ref",
                    )
                )

    # --- whole-set checks ---------------------------------------------------------------------

    def cross_check(self, kb: KnowledgeBase) -> None:
        for rule in kb.rules.values():
            self.check_rule_refs(kb, rule)
        for incident_rule in kb.incident_rules.values():
            self.check_incident_refs(kb, incident_rule)
        for system in kb.systems.values():
            lines = self.lines[f"system:{system.system}"]
            for i, entry in enumerate(system.codes):
                for j, fault in enumerate(entry.faults):
                    if not self.known(kb.faults, "fault", fault):
                        self.issues.append(
                            Issue(
                                lines.at(("codes", i, "faults", j)),
                                f"unknown fault {fault!r}{_suggest(fault, kb.faults)}",
                                code="unknown-ref",
                            )
                        )
        self.check_cycles(kb)
        self.check_references(kb)
        self.check_plan_texts(kb)
        self.check_plan_complete(kb)
        self.check_related(kb)
        reachable = {r.then.fault for r in kb.rules.values() if r.status != RuleStatus.DEPRECATED}
        reachable |= {f for s in kb.systems.values() for e in s.codes for f in e.faults}
        for fid in sorted(set(kb.faults) - reachable):
            self.issues.append(
                Issue(
                    self.locations[f"fault:{fid}"],
                    f"fault {fid!r} is concluded by no rule and no error code",
                    severity=IssueSeverity.WARNING,
                    code="unreachable",
                )
            )

    def check_references(self, kb: KnowledgeBase) -> None:
        """Every `references` entry is a URL or names a document of knowledge/sources.yaml."""
        owners: list[tuple[str, Any]] = [
            *((f"fault:{f.id}", f) for f in kb.faults.values()),
            *((f"rule:{r.id}", r) for r in kb.rules.values()),
            *((f"system:{s.system}", s) for s in kb.systems.values()),
        ]
        for key, owner in owners:
            lines = self.lines[key]
            entries: list[tuple[tuple[Any, ...], str]] = [
                (("references", i), ref) for i, ref in enumerate(owner.references)
            ]
            for i, entry in enumerate(getattr(owner, "codes", ())):
                entries += [
                    (("codes", i, "references", j), r) for j, r in enumerate(entry.references)
                ]
            for path, ref in entries:
                problem = reference_problem(ref, kb.sources)
                if problem:
                    self.issues.append(Issue(lines.at(path), problem, code="reference"))

    def check_plan_complete(self, kb: KnowledgeBase) -> None:
        """Every plan goes through each phase of the emergency process (seed V) and has a
        workaround, recovery and prevention (seed IV.3, VI): a report without them leaves the
        agent with nothing to say at that point."""
        for fault in kb.faults.values():
            lines = self.lines[f"fault:{fault.id}"]
            phases = {step.phase for step in fault.emergency_steps}
            missing = [p.value for p in Phase if p not in phases]
            if missing:
                self.issues.append(
                    Issue(
                        lines.at(("emergency_steps",)),
                        f"no emergency step for the phase {', '.join(missing)}: a plan goes "
                        "through contain → isolate → contact → fallback",
                        severity=IssueSeverity.WARNING,
                        code="incomplete-plan",
                    )
                )
            for key in ("workaround", "recovery", "prevention"):
                if not getattr(fault, key):
                    self.issues.append(
                        Issue(
                            lines.at(("id",)),
                            f"fault {fault.id!r} has no {key}",
                            severity=IssueSeverity.WARNING,
                            code="incomplete-plan",
                        )
                    )

    def check_plan_texts(self, kb: KnowledgeBase) -> None:
        """Placeholders are known ones; texts naming one jurisdiction's platform are tagged."""
        for fault in kb.faults.values():
            lines = self.lines[f"fault:{fault.id}"]
            for path, text, tags in _plan_texts(fault):
                for lang in ("zh", "en"):
                    for name in placeholders_in(text.get(lang)):
                        if name not in PLACEHOLDERS:
                            self.issues.append(
                                Issue(
                                    lines.at((*path, lang)),
                                    f"unknown placeholder {{{name}}}"
                                    f"{_suggest(name, PLACEHOLDERS)}; known: "
                                    + ", ".join("{" + p + "}" for p in PLACEHOLDERS),
                                    code="placeholder",
                                )
                            )
                named = jurisdictions_named(f"{text.zh} {text.en}")
                missing = [j for j in named if j not in tags]
                if not missing:
                    continue
                if path[0] == "causes":
                    why = (
                        f"a cause is shown whatever the jurisdiction, but this one names a "
                        f"platform of {', '.join(missing)}; keep causes general and name the "
                        "platform in the description or an error code"
                    )
                else:
                    why = (
                        f"the text names a platform of {', '.join(missing)} but is not limited "
                        f"to it; add jurisdictions: [{', '.join(named)}] (or split the text)"
                    )
                self.issues.append(
                    Issue(lines.at(path), why, severity=IssueSeverity.WARNING, code="jurisdiction")
                )

    def check_related(self, kb: KnowledgeBase) -> None:
        """A renamed rule's old id is gone; a derived rule's parent exists."""
        for rule in kb.rules.values():
            lines = self.lines[f"rule:{rule.id}"]
            for i, link in enumerate(rule.related):
                where = lines.at(("related", i, "id"))
                if link.id == rule.id:
                    self.issues.append(
                        Issue(where, "a rule cannot relate to itself", code="related")
                    )
                elif link.type is RelationType.RENAMED and link.id in kb.rules:
                    self.issues.append(
                        Issue(
                            where,
                            f"rule {link.id!r} still exists, so {rule.id!r} is not its new name; "
                            "use type: derived, or remove the old rule",
                            code="related",
                        )
                    )
                elif link.type is RelationType.DERIVED and not self.known(
                    kb.rules, "rule", link.id
                ):
                    self.issues.append(
                        Issue(
                            where,
                            f"rule {rule.id!r} is derived from {link.id!r}, which does not exist"
                            f"{_suggest(link.id, kb.rules)}",
                            severity=IssueSeverity.WARNING,
                            code="related",
                        )
                    )

    def known(self, table: dict[str, Any], kind: str, ident: str) -> bool:
        """Defined, or defined in a file that is itself invalid (and reported already)."""
        return ident in table or f"{kind}:{ident}" in self.invalid

    def check_rule_refs(self, kb: KnowledgeBase, rule: RuleSpec) -> None:
        lines = self.lines[f"rule:{rule.id}"]
        if rule.then.fault and not self.known(kb.faults, "fault", rule.then.fault):
            self.issues.append(
                Issue(
                    lines.at(("then", "fault")),
                    f"unknown fault {rule.then.fault!r}{_suggest(rule.then.fault, kb.faults)}",
                    code="unknown-ref",
                )
            )
        if rule.then.derive:
            if not self.known(kb.symptoms, "symptom", rule.then.derive):
                self.issues.append(
                    Issue(
                        lines.at(("then", "derive")),
                        f"unknown symptom {rule.then.derive!r}"
                        f"{_suggest(rule.then.derive, kb.symptoms)}",
                        code="unknown-ref",
                    )
                )
            elif rule.then.derive in TICKET_ONLY:
                self.issues.append(
                    Issue(
                        lines.at(("then", "derive")),
                        f"symptom {rule.then.derive!r} comes only from the ticket",
                        code="invalid",
                    )
                )
        for use in kb.rule_index().conditions(rule.id):
            cond = use.condition
            symptom = kb.symptoms.get(cond.symptom)
            where = lines.at((*use.path, "symptom"))
            if symptom is None:
                if f"symptom:{cond.symptom}" in self.invalid:
                    continue
                self.issues.append(
                    Issue(
                        where,
                        f"unknown symptom {cond.symptom!r}{_suggest(cond.symptom, kb.symptoms)}",
                        code="unknown-ref",
                    )
                )
                continue
            if cond.symptom == "text":
                self.issues.append(
                    Issue(
                        where,
                        "the rule reads the ticket's raw text: every ticket's facts then differ, "
                        "so no result is shared between tickets (a batch runs the engine for "
                        "each); name what it looks for as a symptom's match instead",
                        severity=IssueSeverity.WARNING,
                        code="raw-text",
                    )
                )
            op = cond.operator
            if op in ("gt", "gte", "lt", "lte") and symptom.kind is not SymptomKind.METRIC:
                self.issues.append(
                    Issue(
                        where,
                        f"{op} compares numbers, but {cond.symptom!r} is a "
                        f"{symptom.kind.value}, not a metric",
                        code="type",
                    )
                )
            if op in ("equals", "in") and symptom.kind is SymptomKind.FLAG:
                self.issues.append(
                    Issue(
                        where,
                        f"{cond.symptom!r} is a flag (present or not); use it without an operator",
                        severity=IssueSeverity.WARNING,
                        code="type",
                    )
                )
            if cond.symptom == "code_fault":
                for value in cond.operand if op == "in" else [cond.operand]:
                    if op in ("equals", "in") and value not in kb.faults:
                        self.issues.append(
                            Issue(
                                where,
                                f"unknown fault {value!r}{_suggest(str(value), kb.faults)}",
                                code="unknown-ref",
                            )
                        )

    def check_cycles(self, kb: KnowledgeBase) -> None:
        """Derivations that feed each other would never settle: reject them."""
        # a `none` condition is an edge too: "a unless b" and "b unless a" never settle on
        # one answer (the firing order would decide it)
        graph = kb.rule_index().derivation_edges()
        state: dict[str, int] = {}

        def visit(node: str, trail: list[str]) -> list[str] | None:
            state[node] = 1
            for nxt in sorted(graph.get(node, ())):
                if state.get(nxt) == 1:
                    return [*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt]
                if nxt not in state:
                    found = visit(nxt, [*trail, nxt])
                    if found:
                        return found
            state[node] = 2
            return None

        for start in sorted(graph):
            if start not in state:
                cycle = visit(start, [start])
                if cycle:
                    culprit = next(
                        r
                        for r in sorted(kb.rules.values(), key=lambda r: r.id)
                        if r.then.derive == cycle[1]
                    )
                    self.issues.append(
                        Issue(
                            self.locations[f"rule:{culprit.id}"],
                            "derived symptoms form a cycle: " + " → ".join(cycle),
                            code="cycle",
                        )
                    )
                    return


SOURCES_PREFIX = "docs/sources.md#"
_SOURCE_REF = r"^docs/sources\.md#(?P<id>[^\s()]+)(?:\s|$)"  # compiled by re on first use


def _has_roles(group: Group) -> bool:
    return bool(group.none_roles) or any(
        isinstance(item, Group) and _has_roles(item) for item in (*group.all, *group.any)
    )


def _positive(group: Group) -> Iterator[str]:
    for item in (*group.all, *group.any):
        if isinstance(item, Group):
            yield from _positive(item)
        else:
            yield item.symptom


def reference_problem(ref: str, sources: dict[str, Source]) -> str | None:
    """Why a `references` entry does not resolve, or None when it is a URL or a known source."""
    parts = urlsplit(ref.split()[0]) if ref.split() else None
    if parts is not None and parts.scheme in ("http", "https") and parts.netloc:
        return None
    match = re.match(_SOURCE_REF, ref)
    if match is None:
        return (
            f"reference {ref!r} is neither a URL nor {SOURCES_PREFIX}<id>; documents outside the "
            "repository must be listed in knowledge/sources.yaml (and docs/sources.md)"
        )
    ident = match["id"]
    if ident not in sources:
        known = ", ".join(sorted(sources)) or "none listed"
        return (
            f"reference names {SOURCES_PREFIX}{ident}, which knowledge/sources.yaml does not list"
            f"{_suggest(ident, sources)} (known: {known})"
        )
    return None


# Words that name one jurisdiction's platforms; a plan text using them should be limited to it.
# Compiled by the first check that reads files: a start from the compiled cache needs none.
_JURISDICTION_WORDS: dict[str, str] = {
    "IN": r"\b(?:IRP|IRN|GSP|GSTN|GSTIN)\b|印度|\bIndia",
    "IT": r"\bSdI\b|\bscarto\b|FatturaPA|意大利|\bItal",
    "EU": r"\bPeppol\b|\bPEPPOL\b",
    "PL": r"\bKSeF\b|波兰|\bPol(?:and|ish)\b",
    "SA": r"\bZATCA\b|\bFATOORA\b|\bFatoora\b|沙特|沙烏地|沙乌地|\bSaudi|\bKSA\b",
    "TW": r"台湾|臺灣|\bTaiwan|\bTurnkey\b|加值中心",
}


@functools.cache
def _jurisdiction_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((j, re.compile(p)) for j, p in _JURISDICTION_WORDS.items())


def jurisdictions_named(text: str) -> list[str]:
    """The jurisdictions (other than CN) whose platforms `text` names."""
    return [j for j, pattern in _jurisdiction_patterns() if pattern.search(text)]


def _plan_texts(fault: Fault) -> Iterator[tuple[tuple[Any, ...], LocalizedText, tuple[str, ...]]]:
    """(path, text, jurisdictions) of every text of a fault a plan or report may show."""
    for i, cause in enumerate(fault.causes):
        yield ("causes", i, "text"), cause.text, ()
    for i, step in enumerate(fault.emergency_steps):
        yield ("emergency_steps", i, "text"), step.text, step.jurisdictions
    for key in ("workaround", "recovery", "prevention"):
        for i, item in enumerate(getattr(fault, key)):
            yield (key, i), item, item.jurisdictions
    if fault.customer_notice is not None:
        yield ("customer_notice",), fault.customer_notice, fault.customer_notice.jurisdictions


def lint_knowledge_base(rules: Path | str, knowledge: Path | str) -> list[Issue]:
    """Every issue (errors and warnings) of a knowledge base, without raising."""
    return _Loader(Path(rules), Path(knowledge)).load().issues
