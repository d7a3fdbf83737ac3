"""The batch record path: what it leaves out or does faster gives the very same records."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from diagnoser import Diagnoser, Ticket
from diagnoser.service import _fact_order, sorted_facts
from tests.test_engine import _all_tickets
from tests.test_vocabulary import _bench_batch

# a late day (peak_period: day_of_month >= 25) and an early one, at other hours
_TIMES = ("2026-03-27T09:15:00", "2026-03-03T18:40:00")


def _example_and_backlog_tickets(tmp_path) -> list[dict]:  # type: ignore[no-untyped-def]
    bench = _bench_batch()
    path = tmp_path / "backlog.jsonl"
    bench.make_backlog(path, 300, seed=3)
    backlog = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [*_all_tickets(), *backlog]


def test_records_leave_the_time_out_only_where_it_cannot_change_them(shipped, tmp_path):
    # a record whose facts can reach no fault rule the time changes is made without the
    # time facts (one cache entry for every hour and day); every record body stays what it
    # is with the time facts kept, on every example and benchmark ticket, early and late in
    # the month
    from diagnoser.intake import take_in

    diagnoser = Diagnoser(shipped.kb, cache_size=4096)
    assert "peak_period" in diagnoser._timed and diagnoser._time_needs
    left_out = changed_by_time = 0
    for raw in _example_and_backlog_tickets(tmp_path):
        given = Ticket.parse(raw)
        said = diagnoser.read_text(given.text)
        bodies = []
        for when in _TIMES:
            ticket = given.model_copy(update={"reported_at": dt.datetime.fromisoformat(when)})
            intake = take_in(ticket, shipped.kb, diagnoser._vocab, said)
            facts = sorted_facts(intake.facts)
            untimed = diagnoser._untimed(facts)
            left_out += untimed != facts
            body = diagnoser._record_body(ticket, intake, untimed)
            assert body == diagnoser._record_body(ticket, intake, facts), raw.get("id")
            bodies.append(body)
        changed_by_time += bodies[0] != bodies[1]
    # both kinds are there: tickets the time does change (a slow link at month end is
    # congestion) kept their time facts, and most others left them out
    assert changed_by_time > 0
    assert left_out > 1000


def test_a_ticket_the_time_cannot_change_shares_one_entry_at_any_time(shipped):
    cached = Diagnoser(shipped.kb, cache_size=4096)
    for day in (2, 26):
        for hour in (8, 21):
            cached.diagnose_record(
                {
                    "id": f"p{day}{hour}",
                    "text": "打印机卡纸",
                    "reported_at": f"2026-05-{day:02d}T{hour:02d}:00",
                }
            )
    assert len(cached._record_cache) == 1
    # a slow system at month end is a peak: the day decides, so each day class has its entry
    for day in (2, 26):
        cached.diagnose_record(
            {
                "id": f"s{day}",
                "text": "系统很慢，一直转圈",
                "reported_at": f"2026-05-{day:02d}T10:00",
            }
        )
    assert len(cached._record_cache) == 3


def test_the_canonical_fact_order_is_the_full_orders(shipped):
    from diagnoser.intake import take_in

    for raw in _all_tickets():
        ticket = Ticket.parse(raw)
        facts = take_in(ticket, shipped.kb, shipped._vocab).facts
        assert sorted_facts(facts) == tuple(sorted(facts, key=_fact_order)), raw.get("id")


@pytest.mark.parametrize("swap", [False, True])
def test_facts_whose_heads_tie_are_ordered_by_their_sources(swap):
    from diagnoser.facts import FactIn
    from diagnoser.result import Source

    a = FactIn("system", "generic", 1.0, Source.ticket("system"))
    b = FactIn("system", "generic", 0.8, Source.derived("reported_at"))
    facts = [b, a] if swap else [a, b]
    assert sorted_facts(facts) == tuple(sorted(facts, key=_fact_order))


def test_a_sources_kept_hash_is_that_of_its_fields_and_not_carried_by_a_copy():
    import pickle

    from diagnoser.result import Source

    fields = list(Source.model_fields)
    made = [
        Source.text(3, 7, "down"),
        Source.text(),
        Source.ticket("symptoms"),
        Source.catalog("generic", "1001"),
        Source.by_rule("r1"),
        Source.text(3, 7, "down").similar("offline", 0.9).carried("printer"),
    ]
    for source in made:
        by_fields = hash(tuple(source.__dict__[f] for f in fields))
        assert hash(source) == hash(source) == by_fields
        rebuilt = Source.model_validate(source.model_dump())
        assert rebuilt == source and hash(rebuilt) == by_fields
        assert hash(pickle.loads(pickle.dumps(source))) == by_fields
    spanned = Source.text(3, 7, "down")
    hash(spanned)  # kept on the instance: a copy with other fields must not inherit it
    assert hash(spanned.bare()) == hash(Source.text()) != hash(spanned)
    assert hash(spanned.similar("offline", 0.9)) != hash(spanned)
