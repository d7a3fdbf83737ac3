"""The concept vocabulary: one-pass matching equals the plain path, linear work on long texts,
context scopes, noise, traditional characters, and what `kb lint` says about the vocabulary."""

from __future__ import annotations

import cProfile
import json
import pstats
from pathlib import Path

import pytest
import yaml

from diagnoser import Ticket
from diagnoser.errors import IssueSeverity
from diagnoser.intake import Vocabulary, read_text, take_in
from diagnoser.intake.matcher import CombinationError, parse_combination
from diagnoser.kb.loader import lint_knowledge_base
from diagnoser.kb.redos import backtracking_risk

ROOT = Path(__file__).resolve().parent.parent


def _bench_batch():  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_batch", ROOT / "benchmarks" / "bench_batch.py"
    )
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def _all_texts() -> list[str]:
    """Every ticket text of the rule fixture cases, the examples (not the sealed held-out sets)
    and the benchmark phrases."""
    texts: list[str] = []
    for path in sorted((ROOT / "rules" / "cases").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for case in data.get("cases", []):
            text = (case.get("ticket") or {}).get("text")
            if text:
                texts.append(text)
    for path in sorted((ROOT / "examples" / "tickets").glob("*.jsonl")):
        if "holdout" in path.name:  # sealed sets are never run through the product by a test
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line).get("text") or "")
    texts += [t for canned in _bench_batch().CANNED.values() for t in canned]
    return texts


def _backlog_texts() -> list[str]:
    """The texts of the benchmark backlog (benchmarks/bench_batch.py): every base phrasing it
    uses, each wrapped as the backlog wraps it (greeting, store, date, numbers, signature),
    and the first tickets of the backlog itself."""
    import random

    bench = _bench_batch()
    rng = random.Random(3)
    texts = []
    for phrasings in bench.base_texts().values():
        for serial, base in enumerate(phrasings):
            # make_text picks the language; every one of them wraps this one base
            only = {other: [base] for other in ("zh", "zh-Hant", "en")}
            texts.append(bench.make_text(rng, only, serial))
    rng = random.Random(7)  # the backlog's own seed
    bases = bench.base_texts()
    texts += [bench.make_text(rng, bases, i) for i in range(600)]
    return texts


# the reference path tries every combination and regex on every text: the comparisons are split
# in parts, which parallel test workers can take apart
_PARTS = 3


@pytest.fixture(scope="module")
def both_paths(shipped) -> tuple[Vocabulary, Vocabulary]:
    fast = Vocabulary.build(shipped.kb)
    plain = Vocabulary.build(shipped.kb, finder="reference")
    assert fast.finder_name == "aho-corasick" and plain.finder_name == "reference"
    return fast, plain


@pytest.fixture(scope="module")
def all_texts() -> list[str]:
    return _all_texts()


@pytest.fixture(scope="module")
def backlog_texts() -> list[str]:
    return _backlog_texts()


def test_the_path_comparisons_read_enough_texts(all_texts, backlog_texts, both_paths):
    assert len(all_texts) > 500
    assert len(backlog_texts) > 1000 and len(set(backlog_texts)) > 0.99 * len(backlog_texts)
    fast, _ = both_paths
    read = sum(bool(s.symptoms or s.codes) for s in (read_text(t, fast) for t in backlog_texts))
    assert read > 0.8 * len(backlog_texts)  # the texts do say something


@pytest.mark.parametrize("part", range(_PARTS))
def test_fast_path_and_reference_path_read_every_text_alike(all_texts, both_paths, part):
    fast, plain = both_paths
    # every _PARTS-th text from `part` on: the parts together read every text
    for text in all_texts[part::_PARTS]:
        assert read_text(text, fast) == read_text(text, plain), text


@pytest.mark.parametrize("part", range(_PARTS))
def test_fast_path_reads_the_benchmark_backlog_as_the_reference_path_does(
    backlog_texts, both_paths, part
):
    # the fast path's candidate index, its one-scan parts and its code-token set against the
    # plain path (every combination and regex tried, every token canonicalised) on the texts
    # the speed is measured on
    fast, plain = both_paths
    for text in backlog_texts[part::_PARTS]:
        assert read_text(text, fast) == read_text(text, plain), text


def _parts(vocab: Vocabulary):  # type: ignore[no-untyped-def]
    """Every part of every combination and carry of the compiled vocabulary."""
    compiled = vocab._compiled()
    for entry in compiled.entries:
        for comb in entry.combinations:
            yield from comb.parts
        for carry in entry.carries:
            yield carry.obj
            yield from carry.state.parts


def test_parts_found_around_their_anchor_or_by_a_scan_match_as_finditer_does(
    all_texts, backlog_texts, both_paths
):
    # a part whose first literals are vague is looked for around its anchor's hits (or, when
    # its anchor is vague too, by a scan of the text): on every text, where a regex over the
    # whole text finds it
    from diagnoser.intake import normalise_text
    from diagnoser.intake.matcher import part_spans, part_spans_fast
    from diagnoser.kb.models import fold_case

    fast, _ = both_paths
    parts = [p for p in _parts(fast) if p._lead is not p._firsts]
    assert len(parts) > 50  # the vague ones the shipped vocabulary has
    assert any(p._lead is None for p in parts) and any(p._lead is not None for p in parts)
    finder = fast._compiled().finder
    matched = 0
    for text in all_texts + backlog_texts[::4]:
        folded = fold_case(normalise_text(text))
        hits = finder.find(folded)
        for part in parts:
            want = [m.span() for m in part._regex.finditer(folded)]
            assert part_spans_fast(part, hits) == want, (text, part)
            assert part_spans(part, hits) == want, (text, part)
            matched += bool(want)
    assert matched > 100  # the comparison is not over texts where nothing matches


def test_the_automaton_leaves_vague_literals_out(both_paths):
    # ' ', 'e', '1', 'in': in most texts, each a hit to file at every place; only what a
    # context trigger, an object or a combination with nothing telling needs is looked for
    from diagnoser.intake.matcher import combination_groups, vague

    fast, _ = both_paths
    compiled = fast._compiled()
    needed = set(compiled.context.literals()) | set(compiled.objects)
    for entry in compiled.entries:
        for comb in entry.combinations:
            groups = combination_groups(comb.parts)
            if all(vague(g) for g in groups):
                needed.update(*groups)
        for need in entry.needs:
            needed.update(need or ())
    left = {x for x in compiled.literals if vague([x])} - needed
    assert not left, sorted(left)[:20]
    assert " " not in compiled.literals and "e" not in compiled.literals


def _calls(vocab: Vocabulary, text: str) -> int:
    profile = cProfile.Profile()
    profile.enable()
    read_text(text, vocab)
    profile.disable()
    return pstats.Stats(profile).total_calls  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize(
    "unit",
    [
        "not jammed ",
        "没有卡纸",
        "printer jammed, ",
        "打印机卡纸了，",
        # a state carrying the object of an earlier clause, repeated
        "打印机，重启后，还是离线，",
        "the printer, today it shows offline, ",
    ],
)
def test_long_repetitive_text_takes_linear_work(shipped, unit):
    vocab = Vocabulary.build(shipped.kb)
    read_text("warm up", vocab)
    half = unit * (50_000 // len(unit))
    whole = unit * (100_000 // len(unit))
    small, big = _calls(vocab, half), _calls(vocab, whole)
    # twice the text, about twice the work: a quadratic reading would take four times as much
    assert big < 2.5 * small, (small, big)
    # and a generous absolute bound: a few hundred Python calls per repeat at most
    assert big < 400 * (100_000 // len(unit)), big


def test_contrast_and_negation_read_the_right_way_round(shipped):
    said = read_text("打印机没问题，测试页能打，就是开票软件里点打印没反应", shipped._vocab)
    ids = [s for s, _ in said.symptoms]
    assert "print_failure" in ids and "printer_offline" not in ids


@pytest.mark.parametrize(
    ("text", "symptom", "scope"),
    [
        ("上个月卡纸已经修好了", "paper_jam", "history"),
        ("the paper jam from last week was fixed", "paper_jam", "history"),
        ("如果停电的话开票系统怎么处理？", "power_outage", "hypothetical"),
        ("没有卡纸", "paper_jam", "negation"),
        ("the printer is not jammed", "paper_jam", "negation"),
    ],
)
def test_a_mention_out_of_the_present_is_set_aside_with_its_scope(shipped, text, symptom, scope):
    said = read_text(text, shipped._vocab)
    assert symptom not in [s for s, _ in said.symptoms]
    assert any(a.symptom == symptom and a.scope == scope for a in said.set_aside), said.set_aside


def test_a_question_about_a_denial_is_not_a_denial(shipped):
    said = read_text("是不是没插盘？", shipped._vocab)
    # 是不是 asks; the 没 after it does not deny
    assert said.set_aside == () or all(a.scope != "negation" for a in said.set_aside)


def test_noise_is_neither_matched_nor_not_understood(shipped):
    text = (
        "Hello team,\n<p>the printer is <b>offline</b> since 2026-03-02 10:30</p>\n"
        "https://example.com/t/123 +44 20 7946 0958, order #448812\n"
        "Thanks in advance\nJohn Smith | Acme Stores | Store 12\n"
        "> earlier reply: paper jam"
    )
    said = read_text(text, shipped._vocab)
    ids = [s for s, _ in said.symptoms]
    assert "printer_offline" in ids and "paper_jam" not in ids
    assert said.unrecognised == (), said.unrecognised


def test_traditional_characters_read_like_simplified_ones(shipped):
    trad = read_text("印表機無法列印", shipped._vocab)
    simp = read_text("印表机无法列印", shipped._vocab)
    assert trad.symptoms and [s for s, _ in trad.symptoms] == [s for s, _ in simp.symptoms]


def test_set_aside_mentions_reach_the_intake(shipped):
    got = take_in(Ticket.parse({"id": "t", "text": "没有卡纸"}), shipped.kb, shipped._vocab)
    assert [(a.symptom, a.scope, a.trigger) for a in got.set_aside] == [
        ("paper_jam", "negation", "没有")
    ]


def test_combinations_name_declared_terms():
    terms = {"printer": ("打印机", "印表机")}
    comb = parse_combination("@printer ..4 脱机|离线", terms)
    assert comb.gaps == (4,) and set(comb.literals()) == {"打印机", "印表机", "脱机", "离线"}
    with pytest.raises(CombinationError, match="unknown term @printr"):
        parse_combination("@printr+脱机", terms)


def test_backtracking_risk():
    assert backtracking_risk("(a+)+$")
    assert backtracking_risk("(x*y?)*")
    assert backtracking_risk("打印机(显示)?(脱机|离线)") is None
    assert backtracking_risk("( [a-z]+){0,4}") is None


def _add_symptom(knowledge: Path, entry: str) -> None:
    path = knowledge / "symptoms" / "extra.yaml"
    path.write_text(
        "symptoms:\n  - id: extra_symptom\n    name: {zh: 额外, en: extra}\n" + entry,
        encoding="utf-8",
    )


def test_lint_rejects_catastrophic_backtracking(kb_copy):
    rules, knowledge = kb_copy
    _add_symptom(knowledge, "    patterns:\n      en: ['(a+)+$']\n")
    issues = lint_knowledge_base(rules, knowledge)
    # refused when the file is read (code "schema") or by the pattern check ("regex"): either
    # way an error that names the file and the pattern
    bad = [i for i in issues if "(a+)+$" in i.message]
    assert bad and "extra.yaml" in str(bad[0].location)
    assert bad[0].severity is IssueSeverity.ERROR


def test_lint_checks_the_vocabulary(kb_copy):
    rules, knowledge = kb_copy
    (knowledge / "vocabulary").mkdir()
    (knowledge / "vocabulary" / "terms.yaml").write_text(
        "terms:\n  printer: {zh: [打印机], en: [printer]}\n"
        "  device: {zh: [设备, 打印机]}\n  unused: {en: [widget]}\n",
        encoding="utf-8",
    )
    _add_symptom(knowledge, "    match: ['@printer+脱机', '@device+坏了', '@nosuch+坏了']\n")
    issues = {(i.code, i.message) for i in lint_knowledge_base(rules, knowledge)}
    messages = " | ".join(m for _, m in issues)
    assert "unknown term @nosuch" in messages
    assert "term 'unused' is used by no symptom" in messages
    assert "'打印机' is in both term 'device' and term 'printer'" in messages


def test_lint_warns_of_phrases_the_simplified_text_never_holds(kb_copy):
    # text is matched after OpenCC t2s, so 搵 (read as 揾) or 嗰 (read as 𠮶) never matches
    rules, knowledge = kb_copy
    (knowledge / "vocabulary").mkdir()
    (knowledge / "vocabulary" / "terms.yaml").write_text(
        "terms:\n  printer: {zh: [打印机, 印表機], en: [printer]}\n", encoding="utf-8"
    )
    _add_symptom(knowledge, "    match: ['@printer+搵唔到', '@printer+揾唔到']\n")
    warned = [
        i.message
        for i in lint_knowledge_base(rules, knowledge)
        if i.severity is IssueSeverity.WARNING and "after OpenCC t2s" in i.message
    ]
    assert any("'@printer+搵唔到'" in m and "'@printer+揾唔到'" in m for m in warned)
    assert any("'印表機'" in m and "'印表机'" in m for m in warned)
    assert not any("'@printer+揾唔到' has" in m for m in warned)
