"""The similarity fallback: clauses no term matched, read through the symptoms' examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from diagnoser import Diagnoser
from diagnoser.cli import cli
from diagnoser.errors import IssueSeverity
from diagnoser.intake import TEXT_CF, Vocabulary, read_text
from diagnoser.intake import similar as similar_mod
from diagnoser.kb.loader import lint_knowledge_base
from diagnoser.report import Format, render
from diagnoser.result import Source

EXAMPLES = "    examples: [发票打不出来, 发票打印失败, the invoice will not print]\n"


def _with_examples(knowledge: Path, examples: str = EXAMPLES) -> None:
    """Give the mini knowledge base's print_failure symptom a few example phrasings."""
    path = knowledge / "symptoms" / "core.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "  - id: print_failure\n    name: {zh: 打印失败, en: print failure}\n"
    assert anchor in text
    path.write_text(text.replace(anchor, anchor + examples), encoding="utf-8")


@pytest.fixture
def similar(kb_copy: tuple[Path, Path]) -> Diagnoser:
    rules, knowledge = kb_copy
    _with_examples(knowledge)
    return Diagnoser.from_paths(rules=rules, knowledge=knowledge, similar=True)


def _print_failure(diagnoser: Diagnoser, text: str) -> tuple[Source, float] | None:
    """Where the text gives print_failure through the fallback, and at what certainty."""
    reading = diagnoser.read_text(text)
    return next(((src, cf) for sid, src, cf in reading.similar if sid == "print_failure"), None)


def test_a_near_phrasing_gives_the_symptom_scaled_by_its_similarity(similar):
    found = _print_failure(similar, "发票打步出来")  # a typo no pattern knows
    assert found is not None
    source, cf = found
    assert source.similar_to == "发票打不出来"
    assert source.similarity is not None and 0.8 <= source.similarity < 1
    assert cf == pytest.approx(TEXT_CF * source.similarity, abs=0.01)
    assert source.quote == "发票打步出来"
    english = _print_failure(similar, "the invoise wil not prnt")
    assert english is not None and english[0].similar_to == "the invoice will not print"


def test_the_report_says_what_the_text_resembled(similar):
    result = similar.diagnose({"text": "发票打步出来"})
    assert result.diagnoses and result.diagnoses[0].fault_id == "hardware.printer_failure"
    report = render(result, Format.TEXT, "en", diagnoser=similar)
    assert "similar to '发票打不出来' (0.8" in report
    assert not result.unrecognised  # the clause was understood, through its likeness


@pytest.mark.parametrize(
    "text",
    [
        "发票打印没有失败",  # a negation inside the clause that the example lacks
        "如果发票打步出来",  # hypothetical
        "发票打步出来已经修好了",  # past and fixed
        "发票打步出来？",  # a question
        "what if the invoise wil not prnt",
    ],
)
def test_context_sets_a_resemblance_aside(similar, text):
    assert _print_failure(similar, text) is None


def test_unlike_text_gives_nothing(similar):
    assert _print_failure(similar, "今天天气不错，发票都开完了") is None


def test_on_by_default_and_off_when_asked(kb_copy):
    rules, knowledge = kb_copy
    _with_examples(knowledge)
    assert _print_failure(Diagnoser.from_paths(rules=rules, knowledge=knowledge), "发票打步出来")
    plain = Diagnoser.from_paths(rules=rules, knowledge=knowledge, similar=False)
    assert _print_failure(plain, "发票打步出来") is None


def test_the_work_per_text_is_bounded(similar, monkeypatch):
    calls = []
    index = similar._vocab._compiled().similar
    assert index is not None
    real = index.best
    monkeypatch.setattr(index, "best", lambda clause: calls.append(len(clause)) or real(clause))
    text = "，".join(f"第{i}张发票打步出来" for i in range(500))
    reading = read_text(text, similar._vocab)
    assert len(calls) == similar_mod.MAX_CLAUSES
    assert max(calls) <= similar_mod.MAX_CLAUSE
    assert any(s == "print_failure" for s, _, _ in reading.similar)


def test_lint_checks_the_examples(kb_copy):
    rules, knowledge = kb_copy
    _with_examples(knowledge, "    examples: [发票打不出来, 打印机!!]\n")
    extra = knowledge / "symptoms" / "extra.yaml"
    extra.write_text(
        "symptoms:\n  - id: extra_symptom\n    name: {zh: 额外, en: extra}\n"
        "    examples: [發票打不出來]\n",  # the same phrasing once normalised
        encoding="utf-8",
    )
    issues = lint_knowledge_base(rules, knowledge)
    twice = [i for i in issues if i.code == "examples" and "belongs to one symptom" in i.message]
    assert twice and twice[0].severity is IssueSeverity.ERROR
    assert "extra.yaml" in str(twice[0].location) and "print_failure" in twice[0].message
    short = [i for i in issues if i.code == "examples" and "too short" in i.message]
    assert short and short[0].severity is IssueSeverity.WARNING
    assert "core.yaml" in str(short[0].location) and "打印机!!" in short[0].message


def test_an_example_has_a_length_within_bounds(kb_copy):
    rules, knowledge = kb_copy
    _with_examples(knowledge, "    examples: [发票打不出来, 打印]\n")
    issues = lint_knowledge_base(rules, knowledge)
    refused = [i for i in issues if "examples[1]" in i.message]
    assert refused and refused[0].severity is IssueSeverity.ERROR
    assert "core.yaml" in str(refused[0].location) and "4 to 80 characters" in refused[0].message


def test_examples_are_for_flags(kb_copy):
    rules, knowledge = kb_copy
    (knowledge / "symptoms" / "extra.yaml").write_text(
        "symptoms:\n  - id: extra_metric\n    name: {zh: 额外, en: extra}\n    kind: metric\n"
        "    examples: [cpu is very high]\n",
        encoding="utf-8",
    )
    issues = lint_knowledge_base(rules, knowledge)
    assert any("'examples' are for flag symptoms only" in i.message for i in issues)


def test_the_shipped_examples_read_as_their_own_symptom(shipped):
    """Each shipped example, read through the fallback alone, gives back its own symptom."""
    vocab = Vocabulary.build(shipped.kb, similar=True)
    index = vocab._compiled().similar
    assert index is not None and len(index) > 0
    for example in index.examples:
        found = index.best(example.key)
        assert found is not None and found[0].symptom == example.symptom, example


def test_the_command_line_turns_it_off_with_diagnoser_similar(kb_copy):
    rules, knowledge = kb_copy
    _with_examples(knowledge)
    args = ["diagnose", "-t", "发票打步出来", "--format", "json"]
    args += ["--rules", str(rules), "--knowledge", str(knowledge)]
    on = CliRunner().invoke(cli, args)
    assert on.exit_code == 0, on.output
    assert json.loads(on.output)["diagnoses"][0]["fault_id"] == "hardware.printer_failure"
    off = CliRunner().invoke(cli, args, env={"DIAGNOSER_SIMILAR": "0"})
    assert off.exit_code == 1, off.output  # nothing diagnosed
    assert json.loads(off.output)["diagnoses"] == []


def test_a_piece_of_an_example_is_not_a_phrasing_of_it(kb_copy):
    rules, knowledge = kb_copy
    _with_examples(knowledge, "    examples: [发票打印机没纸了]\n")
    diagnoser = Diagnoser.from_paths(rules=rules, knowledge=knowledge)
    # "发票打印机没" aligns with the example's first six characters, then the clause goes on
    # to say something else entirely: the aligned part covers too little of the example
    assert _print_failure(diagnoser, "发票打印机没有坏掉，今天也能用") is None
    assert _print_failure(diagnoser, "发票打印机没纸啦") is not None
