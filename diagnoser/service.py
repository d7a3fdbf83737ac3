"""The Diagnoser: knowledge base + compiled rules + intake + ranking + plan."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._resources import default_paths
from .engine import EngineProtocol, Firing, MatcherKind, build_test, compile_rules, guarded
from .facts import FactIn
from .intake import Intake, SetAside, TextReading, Vocabulary, take_in
from .intake.codes import canonical_code
from .kb.index import RuleIndex
from .kb.knowledge import KnowledgeBase, load_knowledge_base
from .kb.models import Group, RuleSpec, SymptomKind
from .result import (
    ContextScope,
    Diagnosis,
    Plan,
    Record,
    RecordBody,
    SetAsideMention,
    Source,
    SourceKind,
    construct,
    make_record,
    record_body,
)
from .result import Firing as FiringView
from .ticket import Ticket
from .triage import assess, triage, triage_band, widest_scope
from .triage.plan import build_plan, choose_jurisdictions, given_jurisdictions
from .triage.rank import (
    Candidate,
    code_preference,
    derived_facts,
    rank,
    ranked_faults,
    symptom_ref,
)

if TYPE_CHECKING:
    # the site profile's models load with a profile (a plan without one needs none of them)
    from .triage.site import SiteProfile


def _normalise(symptom: str, value: Any) -> Any:
    return canonical_code(str(value)) if symptom == "error_code" else value


def _numeric_tests(kb: KnowledgeBase, index: RuleIndex) -> dict[str, list[Any]]:
    """For each number-valued symptom, the distinct tests rules apply to it.

    A symptom that some rule tests by `matches` is left out: only its value itself says what
    that test does.
    """
    numeric = {s.id for s in kb.symptoms.values() if s.kind is SymptomKind.METRIC}
    found: dict[str, dict[tuple[str, Any], Any]] = {sid: {} for sid in numeric}
    for use in index.all_conditions():
        cond = use.condition
        tests = found.get(cond.symptom)
        if tests is None or cond.operator == "present":
            continue
        if cond.operator not in ("gt", "gte", "lt", "lte", "equals", "in"):
            found.pop(cond.symptom)
            continue
        key = (cond.operator, cond.operand)
        if key not in tests:
            tests[key] = guarded(build_test(*key), f"rule {use.rule}")
    return {sid: [tests[k] for k in sorted(tests, key=repr)] for sid, tests in found.items()}


def _fact_order(fact: FactIn) -> tuple[str, str, str, str, float]:
    return (fact.id, type(fact.value).__name__, str(fact.value), str(fact.source), fact.cf)


def _fact_head(fact: FactIn) -> tuple[str, str, str]:
    return (fact.id, type(fact.value).__name__, str(fact.value))


def sorted_facts(facts: Sequence[FactIn]) -> tuple[FactIn, ...]:
    """The facts in their canonical order (`_fact_order`), so equal fact sets give equal runs.

    Intake keeps one fact per symptom and value, so the head of the order (id, type, value)
    almost always decides it alone; the source's text form (a tenth of a ticket's record
    work when made for every fact) is made only when two heads tie.
    """
    heads = sorted([(_fact_head(f), i) for i, f in enumerate(facts)])  # i: stable, unique
    ordered = [facts[i] for _, i in heads]
    if len({head for head, _ in heads}) < len(heads):
        ordered.sort(key=_fact_order)
    return tuple(ordered)


# what intake derives from a ticket's reported_at (diagnoser/intake: take_in)
_TIME_FACTS = ("day_of_month", "hour")
# what a record reads from its facts beside the engine's firings (record_body, triage)
_RECORD_READS = frozenset({"system", "error_code", "scope"})


def _time_dependence(index: RuleIndex) -> tuple[frozenset[str], frozenset[str] | None]:
    """Which facts the time of a ticket reaches, and when they can matter to its record.

    The first set is the time facts and every symptom derived, at any depth, by a rule that
    tests one of them (day_of_month ≥ 25 → peak_period). Only the rules testing those can
    change with the time: the derivations among them, whose facts a record does not list, and
    the fault rules. The second set holds, for each such fault rule, symptoms one of which a
    ticket must have for it to fire (its own positive tests and what they are derived from),
    None when the time facts alone may let one fire. A ticket none of whose other facts is in
    it gets the same record with or without the time facts.
    """
    timed = set(_TIME_FACTS)
    consumers: dict[str, RuleSpec] = {}
    todo = list(timed)
    while todo:
        for rule_id in index.testing(todo.pop()):
            rule = index.rules[rule_id]
            derived = rule.then.derive
            if derived is None:
                consumers[rule_id] = rule
            elif derived not in timed:
                timed.add(derived)
                todo.append(derived)
    if timed & _RECORD_READS:
        return frozenset(timed), None

    def needs(item: Any) -> frozenset[str] | None:
        """Symptoms one of which must be declared for `item` to hold (None: no such set)."""
        if isinstance(item, Group):
            options = [n for n in map(needs, item.all) if n is not None]
            if item.any:
                alternatives = [needs(i) for i in item.any]
                if all(n is not None for n in alternatives):
                    options.append(frozenset().union(*alternatives))  # type: ignore[arg-type]
            return min(options, key=len) if options else None
        reach = index.upstream([item.symptom])
        return None if reach & timed else frozenset(reach)

    wanted: set[str] = set()
    for rule in consumers.values():
        need = needs(rule.when)
        if need is None:
            return frozenset(timed), None
        wanted |= need
    return frozenset(timed), frozenset(wanted)


# constructed, not validated: the value Source(kind=TEXT) would be, without building Source's
# validator at import (a text report never validates a source)
_BARE_TEXT = construct(Source, kind=SourceKind.TEXT)


def _bare(source: Source) -> Source:
    """source.bare(), without a model copy for the usual case (a phrase of the text): every
    text source without its span and quote is the same one."""
    return _BARE_TEXT if source.kind is SourceKind.TEXT else source.bare()


class Diagnoser:
    """Diagnoses tickets against one knowledge base.

    Building one loads and compiles the knowledge base (tens of milliseconds); reuse it.
    A Diagnoser may be shared between threads: each thread gets its own engine. `matcher`
    chooses how the engine matches rules ("direct", "rete" or experta's own "stock"); all fire
    the same rules in the same order (see docs/engine.md).
    """

    def __init__(
        self,
        kb: KnowledgeBase | None = None,
        *,
        min_certainty: float = 0.05,
        max_results: int = 10,
        cache_size: int = 4096,
        stock_matcher: bool = False,
        matcher: MatcherKind | str = MatcherKind.DIRECT,
        similar: bool = True,
        site: SiteProfile | str | Path | Mapping[str, Any] | None = None,
    ) -> None:
        if kb is None:
            # the shipped knowledge base is linted by CI: its text patterns compile on first use
            kb = load_knowledge_base(*default_paths(), check_patterns=False)
        self.kb = kb
        # the desk's profile (contacts, jurisdiction, default system); a path, mapping or model
        self.site: SiteProfile | None = None
        if site is not None:
            from .triage.site import site_profile

            self.site = site_profile(site, kb.systems)
        self.min_certainty = min_certainty
        self.max_results = max_results
        # what the rules test and conclude, walked once per knowledge base (kb.index)
        self.index = kb.rule_index(running=True)
        self.rules: dict[str, RuleSpec] = dict(self.index.rules)
        # stock_matcher: experta's own matcher, kept for comparisons (same as matcher="stock")
        self._compiled = compile_rules(
            list(self.rules.values()),
            normalise=_normalise,
            matcher=MatcherKind.STOCK if stock_matcher else matcher,
        )
        # the similarity fallback (diagnoser/intake/similar.py); similar=False turns it off
        self._vocab = Vocabulary.build(kb, similar=similar)
        self._local = threading.local()
        # engine results keyed by the canonical fact set: backlogs repeat symptom sets heavily
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[FactIn, ...], tuple[Firing, ...]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.cache_hits = 0
        self.cache_misses = 0
        self._tested = self.index.tested
        self._numeric_tests = _numeric_tests(kb, self.index)
        self._representative: dict[tuple[str, Any], Any] = {}
        # a record whose facts cannot reach a fault rule that the time can change is made
        # without the time facts: one cache entry and engine run serve every hour and day
        self._timed, self._time_needs = _time_dependence(self.index)
        # plain batch records keyed by the facts intake reads (see diagnose_record)
        self._record_cache: OrderedDict[tuple[Any, ...], RecordBody] = OrderedDict()

    @classmethod
    def from_paths(
        cls,
        rules: str | Path | None = None,
        knowledge: str | Path | None = None,
        **options: Any,
    ) -> Diagnoser:
        """A Diagnoser over another knowledge base; a missing path means the shipped one."""
        default_rules, default_knowledge = default_paths()
        kb = load_knowledge_base(
            rules or default_rules,
            knowledge or default_knowledge,
            check_patterns=bool(rules or knowledge),
        )
        return cls(kb, **options)

    def prepare(self, engine: bool = False) -> Diagnoser:
        """Compile now what is otherwise compiled on first use (the text vocabulary), so that
        processes forked from this one share it instead of each compiling it. With `engine`,
        also build this thread's network of every rule (`Engine.prepare`): worth it before
        many tickets, which would build it anyway after the partial networks of the first
        few hundred (a forked process inherits the network of the thread that forks)."""
        self._vocab.compile()
        if engine:
            self._engine().prepare()
        return self

    def _engine(self) -> EngineProtocol:
        engine = getattr(self._local, "engine", None)
        if engine is None:
            engine = self._local.engine = self._compiled.new_engine()
        return engine

    def diagnose(self, ticket: Ticket | Mapping[str, Any]) -> Diagnosis:
        """Diagnose one ticket (a Ticket or a dict with the ticket fields)."""
        given = Ticket.parse(dict(ticket) if isinstance(ticket, Mapping) else ticket)
        said = self._vocab.read_text(given.text)
        parsed = self._with_site(given, said)
        intake = take_in(parsed, self.kb, self._vocab, said)
        # a canonical order, so equal fact sets give equal runs (and may share a cache entry)
        facts = sorted_facts(intake.facts)
        firings = self._run(self._engine_facts(facts))
        return self._conclude(
            parsed,
            list(facts),
            intake.unrecognised,
            list(firings),
            systems=intake.systems,
            set_aside=intake.set_aside,
            system_from_site=parsed.system != given.system,
        )

    def read_text(self, text: str) -> TextReading:
        """What a free text says to this knowledge base's vocabulary: the symptoms present, the
        codes and systems it names, and the mentions its context set aside (denied, asked
        about, past)."""
        return self._vocab.read_text(text)

    def _with_site(self, ticket: Ticket, said: TextReading) -> Ticket:
        """The ticket with the site profile's default system when it names none, in its
        system field or its text (`said`, the reading of its text)."""
        default = self.site.default_system if self.site is not None else None
        if default is None or ticket.system or said.systems:
            return ticket
        return ticket.model_copy(update={"system": default})

    def _engine_facts(self, facts: tuple[FactIn, ...]) -> tuple[FactIn, ...]:
        """The facts some rule tests: the others cannot change a firing, only split the cache."""
        return tuple(f for f in facts if f.id in self._tested)

    def diagnose_record(self, ticket: Ticket | Mapping[str, Any]) -> Record:
        """Diagnose one ticket into a plain record, for batch runs (same verdict as diagnose()).

        The record is `diagnose(ticket).to_record()` (see `Record`): ids and certainties, the
        systems and canonical error codes recognised, and the unrecognised input. No pydantic
        result is built, and the part that depends only on the facts intake reads is cached by
        those facts: in a backlog every text differs, but what they say repeats. The lists of a
        record may be shared with the cache: copy before changing them. Raises TicketError as
        diagnose() does.
        """
        # a plain dict is not copied: parsing does not change it
        given = Ticket.parse(
            ticket if type(ticket) is dict or not isinstance(ticket, Mapping) else dict(ticket)
        )
        reading = self._vocab.read_text(given.text)  # read once, for the site and the intake
        parsed = self._with_site(given, reading)
        reported = parsed.reported_at
        # no key by the ticket's text and fields: real backlogs hardly repeat a text, so such a
        # key costs on every ticket and crowds the cache with entries that are never hit
        intake = take_in(parsed, self.kb, self._vocab, reading)
        facts = self._untimed(sorted_facts(intake.facts))
        said = self._facts_key(parsed, intake, facts)
        body = self._record_cache.get(said)
        if body is None:
            body = self._record_body(parsed, intake, facts)
            self._remember(said, body)
        record = make_record(parsed.id, body, reported)
        # the clauses not understood are the ticket's own words: they are not in the cache key
        # (a key by them would be a key by the text), so they are filled in per ticket, in
        # the body's place for them
        record["unrecognised"] = [u.record() for u in intake.unrecognised]
        # where the ticket comes from, when it says: what incident correlation groups by
        if parsed.site is not None:
            record["site"] = parsed.site  # type: ignore[typeddict-unknown-key]
        if parsed.region is not None:
            record["region"] = parsed.region  # type: ignore[typeddict-unknown-key]
        return record

    def _untimed(self, facts: tuple[FactIn, ...]) -> tuple[FactIn, ...]:
        """`facts` without those the time reaches when no fault rule they can change may fire
        (see _time_dependence): the record is the same either way."""
        needs = self._time_needs
        if needs is None:
            return facts
        ids = {f.id for f in facts}
        if ids.isdisjoint(self._timed) or not ids.isdisjoint(needs):
            return facts
        return tuple(f for f in facts if f.id not in self._timed)

    def _facts_key(
        self, ticket: Ticket, intake: Intake, facts: tuple[FactIn, ...]
    ) -> tuple[Any, ...]:
        """What a record's body is made of, but for its unrecognised input: the tested facts
        (numbers by the tests they pass, sources without their place in the text), the systems
        and codes it lists, the scope and the triage band."""
        tested = self._tested
        numeric = self._numeric_tests
        said = []
        codes = []
        for f in facts:
            fact_id = f.id
            if fact_id == "error_code":
                codes.append(str(f.value))
            if fact_id in tested:
                value = self._signature(fact_id, f.value) if fact_id in numeric else f.value
                said.append((fact_id, value, f.cf, _bare(f.source)))
        return (
            "facts",
            tuple(said),
            # the record lists the systems and codes of its facts in the facts' sorted order,
            # so equal sets named in any order make the same record
            frozenset(intake.systems),
            frozenset(codes),
            ticket.scope,
            triage_band(ticket.affected_users),
        )

    def _representatives(self, facts: tuple[FactIn, ...]) -> tuple[FactIn, ...]:
        """The tested facts, each number replaced by the first value seen with its signature."""
        out = []
        for fact in self._engine_facts(facts):
            value = fact.value
            if fact.id in self._numeric_tests:
                key = (fact.id, self._signature(fact.id, fact.value))
                value = self._representative.setdefault(key, fact.value)
            source = _bare(fact.source)  # where in the text does not change a record
            if value != fact.value or source is not fact.source:
                fact = FactIn(fact.id, value, fact.cf, source)
            out.append(fact)
        return tuple(out)

    def _signature(self, symptom: str, value: Any) -> Any:
        """The outcome of every rule test on `symptom` for `value` (the value itself when a
        rule tests it in a way that is not a number comparison, or it is not a known metric)."""
        tests = self._numeric_tests.get(symptom)
        if tests is None:
            return ("raw", value)
        return tuple(test(value) for test in tests)

    def _remember(self, key: tuple[Any, ...], body: RecordBody) -> None:
        if self.cache_size <= 0:
            return
        with self._cache_lock:
            self._record_cache[key] = body
            while len(self._record_cache) > self.cache_size:
                self._record_cache.popitem(last=False)

    def _record_body(self, ticket: Ticket, intake: Intake, facts: tuple[FactIn, ...]) -> RecordBody:
        # a record lists symptom ids, not values: each number may stand in for every number
        # that passes the same rule tests, so the engine's cache serves them all
        plain, derived = self._rank(list(self._run(self._representatives(facts))))
        all_facts = [*facts, *derived]
        scope = widest_scope(str(f.value) for f in all_facts if f.id == "scope")
        top = self.kb.faults[plain[0][0]] if plain else None
        priority, _ = triage(top.severity if top else None, scope, ticket.affected_users)
        return record_body(
            (
                (
                    fault_id,
                    self.kb.faults[fault_id].category,
                    certainty,
                    [f.rule for f in supporting],
                    [e.id for f in supporting for e in f.evidence],
                )
                for fault_id, certainty, supporting in plain
            ),
            priority,
            scope,
            ((f.id, f.value) for f in all_facts),
            (),  # filled in per ticket by diagnose_record
        )

    def _run(self, facts: tuple[FactIn, ...]) -> tuple[Firing, ...]:
        if self.cache_size <= 0:
            return tuple(self._engine().run(facts).firings)
        with self._cache_lock:
            cached = self._cache.get(facts)
            if cached is not None:
                self._cache.move_to_end(facts)
                self.cache_hits += 1
                return cached
            self.cache_misses += 1
        firings = tuple(self._engine().run(facts).firings)
        with self._cache_lock:
            self._cache[facts] = firings
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return firings

    def _rank(self, firings: list[Firing]) -> tuple[list[Candidate], list[FactIn]]:
        """(fault id, combined certainty, supporting firings) best first, and the derived facts."""
        ranked = rank(
            firings,
            min_certainty=self.min_certainty,
            max_results=self.max_results,
            prefer=code_preference(firings, self.kb.code_meanings),
        )
        return ranked, derived_facts(firings, self.rules)

    def _conclude(
        self,
        ticket: Ticket,
        facts: list[FactIn],
        unrecognised: list[Any],
        firings: list[Firing],
        systems: list[str] | None = None,
        set_aside: list[SetAside] | None = None,
        system_from_site: bool = False,
    ) -> Diagnosis:
        plain, derived = self._rank(firings)
        ranked = ranked_faults(plain, self.kb.faults, self.rules)
        all_facts = [*facts, *derived]
        top = ranked[0] if ranked else None
        severity = top.severity if top else None
        priority, reasons, scope = assess(all_facts, severity, ticket.affected_users)
        return Diagnosis.model_construct(
            id=ticket.id,
            diagnoses=ranked,
            priority=priority,
            priority_reasons=reasons,
            scope=scope,
            plan=self.plan(
                top.fault_id,
                systems=systems or (),
                named_by_ticket=bool(ticket.system),
                system_from_site=system_from_site,
                text=ticket.text,
                priority=priority.value if priority else None,
            )
            if top
            else None,
            unrecognised=tuple(unrecognised),
            set_aside=tuple(
                SetAsideMention.model_construct(
                    symptom=a.symptom,
                    mention=a.mention,
                    scope=ContextScope(a.scope),
                    trigger=a.trigger,
                )
                for a in set_aside or ()
            ),
            symptoms=tuple(symptom_ref(f) for f in all_facts),
            trace=tuple(
                FiringView.model_construct(
                    rule=f.rule, fault=f.fault, derive=f.derive, certainty=float(f.certainty)
                )
                for f in firings
            ),
            reported_at=ticket.reported_at,
        )

    def plan(
        self,
        fault_id: str,
        *,
        systems: Sequence[str] = (),
        named_by_ticket: bool = False,
        system_from_site: bool = False,
        text: str | None = None,
        priority: str | None = None,
        jurisdictions: Sequence[str] | None = None,
    ) -> Plan:
        """The emergency plan for one fault, from the knowledge base.

        It keeps the steps that hold in the jurisdiction of `systems` (the ticket's own system
        first, then those recognised in its text), else of the site profile, else a weak default
        from the ticket `text` (simplified Chinese: CN; Taiwan-specific words: TW); none known
        keeps every step. `jurisdictions` overrides all of these. The plan's
        `jurisdiction_basis` and `jurisdiction_note` say what chose them. Contacts are filled in
        from the site profile, with the escalation contact for `priority`.
        """
        choice = (
            given_jurisdictions(jurisdictions)
            if jurisdictions is not None
            else choose_jurisdictions(
                systems,
                self.kb.systems,
                self.site,
                named_by_ticket=named_by_ticket,
                system_from_site=system_from_site,
                text=text,
            )
        )
        return build_plan(
            self.kb.faults[fault_id],
            jurisdictions=choice.jurisdictions,
            site=self.site,
            priority=priority,
            basis=choice.basis,
            jurisdiction_note=choice.note,
        )
