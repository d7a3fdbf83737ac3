"""Intake: tickets become symptom facts; nothing the ticket says is silently dropped."""

from __future__ import annotations

from diagnoser import Ticket
from diagnoser.intake import take_in
from diagnoser.intake.noise import noise_spans, strip_noise
from diagnoser.result import Source
from diagnoser.result import UnrecognisedReason as Why


def _intake(d, **ticket):
    return take_in(Ticket.parse({"id": "t", **ticket}), d.kb, d._vocab)


def _facts(result):
    return {(f.id, f.value) for f in result.facts}


def test_explicit_symptoms_metrics_scope_and_time(mini):
    got = _intake(
        mini,
        symptoms=["paper_jam"],
        metrics={"cpu_percent": 97},
        scope="全市",
        affected_users=12,
        reported_at="2026-11-28T09:30:00",
    )
    assert {
        ("paper_jam", True),
        ("cpu_percent", 97.0),
        ("scope", "city"),
        ("affected_users", 12),
        ("day_of_month", 28),
        ("hour", 9),
    } <= _facts(got)
    assert got.unrecognised == []


def test_unknown_symptoms_and_metrics_are_reported_with_a_suggestion(mini):
    got = _intake(mini, symptoms=["paper_jamm"], metrics={"cpu_pct": 97})
    reasons = {(u.kind, u.value): (u.reason, u.suggestion) for u in got.unrecognised}
    assert reasons[("symptom", "paper_jamm")] == (Why.UNKNOWN_SYMPTOM, "paper_jam")
    assert reasons[("metric", "cpu_pct=97")] == (Why.UNKNOWN_METRIC, "cpu_percent")
    said = {u.value: u.message("en") for u in got.unrecognised}
    assert said["paper_jamm"].endswith("did you mean 'paper_jam'?")
    assert not got.facts


def test_codes_from_field_and_text_are_normalised_once(mini):
    got = _intake(mini, error_codes=["E1001"], text="又报错误代码1001了")
    codes = [f for f in got.facts if f.id == "error_code"]
    assert [(f.value, f.source) for f in codes] == [("1001", Source.ticket("error_codes"))]


def test_a_code_means_every_documented_fault_when_no_system_is_named(mini):
    got = _intake(mini, error_codes=["1001"])
    meanings = {(f.value, str(f.source), f.cf) for f in got.facts if f.id == "code_fault"}
    assert meanings == {
        ("network.disconnected", "code:generic/1001", 0.7),
        ("hardware.printer_failure", "code:demo_printer/1001", 0.8),
    }


def test_a_named_system_picks_its_own_meaning(mini):
    by_field = _intake(mini, error_codes=["1001"], system="generic")
    assert {f.value for f in by_field.facts if f.id == "code_fault"} == {"network.disconnected"}
    by_text = _intake(mini, text="demo print service says 1001")
    assert {f.value for f in by_text.facts if f.id == "code_fault"} == {"hardware.printer_failure"}
    assert ("system", "demo_printer") in _facts(by_text)


def test_unknown_codes_and_systems_are_unrecognised(mini):
    got = _intake(mini, error_codes=["ZZ-9"], system="nosuch")
    kinds = {(u.kind, u.value) for u in got.unrecognised}
    assert ("error_code", "ZZ-9") in kinds and ("system", "nosuch") in kinds


def test_text_in_chinese_and_english(mini):
    assert ("paper_jam", True) in _facts(_intake(mini, text="打印机又卡纸了"))
    assert ("paper_jam", True) in _facts(_intake(mini, text="Printer JAMMED again"))
    # full-width letters are normalised before matching
    assert ("paper_jam", True) in _facts(_intake(mini, text="ＰＲＩＮＴＥＲ ＪＡＭＭＥＤ"))


def test_negated_symptoms_are_not_facts(mini):
    for text in (
        "printer not jammed",
        "没有卡纸",
        "不是卡纸的问题",
        "it doesn't jam",
        "也不卡纸",
        "没卡纸",
        "排除了卡纸",
    ):
        assert ("paper_jam", True) not in _facts(_intake(mini, text=text)), text
    # negation stays inside its clause
    assert ("paper_jam", True) in _facts(_intake(mini, text="没有断网，但是卡纸了"))
    # a cue may stand a few characters before the symptom
    assert ("paper_jam", True) not in _facts(_intake(mini, text="不是打印机卡纸"))
    # a question is not a denial
    assert ("paper_jam", True) in _facts(_intake(mini, text="是不是卡纸了"))


def test_every_mention_counts_as_understood(mini):
    got = _intake(mini, text="卡纸，又卡纸，还是卡纸")
    assert [u.value for u in got.unrecognised] == []


def test_clauses_that_match_nothing_are_returned(mini):
    got = _intake(mini, text="你好，打印机卡纸了，麻烦尽快处理。发票上的二维码扫不了。thanks!")
    texts = [u.value for u in got.unrecognised if u.kind == "text"]
    # greetings and courtesies are noise, not "not understood"
    assert texts == ["发票上的二维码扫不了"]


def test_traditional_characters_are_read_like_simplified(mini):
    assert ("paper_jam", True) in _facts(_intake(mini, text="打印機又卡紙了"))
    assert ("cannot_connect", True) in _facts(_intake(mini, text="無法連接伺服器，連接服務器失敗"))
    codes = [
        f.value for f in _intake(mini, text="開票時提示錯誤代碼1001").facts if f.id == "error_code"
    ]
    assert codes == ["1001"]


def test_single_quotes_around_a_word_are_dropped_but_apostrophes_stay(shipped):
    # integrators quote the state a screen shows: 'pending', 'queued', 'no user card'
    quoted = shipped.diagnose({"text": "invoices sit as 'pending' in the provider's cloud"})
    assert "intermediary_down" in {s.id for s in quoted.symptoms}
    text = "the provider's 'Failed' state, don't retry"
    clean, _ = strip_noise(text, noise_spans(text))
    assert clean == "the provider's Failed state, don't retry"


def test_a_contraction_typed_without_its_apostrophe_or_with_a_curly_one_reads_the_same(shipped):
    from diagnoser.intake import normalise_text

    assert normalise_text("the cash drawer doesnt open, we cant log in") == (
        "the cash drawer doesn't open, we can't log in"
    )
    assert normalise_text("it doesn’t print") == "it doesn't print"
    # words that only look like one are left alone: Kant, canteen, wonton, Don Tomas
    assert normalise_text("Kant canteen wonton Don Tomas") == "Kant canteen wonton Don Tomas"
    faults = {
        text: [d.fault_id for d in shipped.diagnose({"text": text}).diagnoses][:1]
        for text in (
            "the cash drawer doesn't open when the sale is done",
            "the cash drawer doesnt open when the sale is done",
            "the cash drawer doesn’t open when the sale is done",
        )
    }
    assert set(map(tuple, faults.values())) == {("hardware.terminal_failure",)}


def test_spans_apart_are_painted_as_every_span_character_by_character_is():
    """strip_noise paints spans apart from each other slice by slice: random texts and spans
    (apart, touching, nested, repeated, empty; every filler) give what painting each character
    in turn gives, and what the whole strip does with the character-by-character painting."""
    import itertools
    import random

    from diagnoser.intake import noise

    rng = random.Random(5)
    took_slices = 0
    for _ in range(3000):
        text = "".join(rng.choice("ab 打\n.") for _ in range(rng.randrange(0, 30)))
        spans = []
        for _ in range(rng.randrange(0, 6)):
            start = rng.randrange(0, len(text) + 1)
            end = rng.randrange(start, min(len(text), start + 8) + 1)
            spans.append((start, end, rng.choice(["", " ", "\n"])))
        expected = noise._painted_by_char(text, spans)
        assert noise._painted(text, spans) == expected, (text, spans)
        ordered = sorted(spans)
        if all(b[0] >= a[1] for a, b in itertools.pairwise(ordered)):
            took_slices += 1
    assert took_slices > 1000  # the slice path was exercised, not only the fallback
