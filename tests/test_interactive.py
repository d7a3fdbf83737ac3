"""The interactive session (library) and `diagnoser interactive` driven through CliRunner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from diagnoser import TicketError
from diagnoser.cli import cli
from diagnoser.interactive import (
    Answer,
    Command,
    Session,
    Stop,
    entropy,
    parse_reply,
)
from diagnoser.kb.models import SymptomKind
from tests.conftest import MINI

KB = ["--rules", str(MINI / "rules"), "--knowledge", str(MINI / "knowledge")]
SLOW = ["interactive", "--ask", "--text", "system is slow", "--lang", "en", *KB]


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


# --- replies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, meaning",
    [
        ("y", Answer.YES),
        ("Yes", Answer.YES),
        ("是", Answer.YES),
        ("对", Answer.YES),
        ("有", Answer.YES),
        ("n", Answer.NO),
        ("NO ", Answer.NO),
        ("否", Answer.NO),
        ("没有", Answer.NO),
        ("不是", Answer.NO),
        ("u", Answer.UNKNOWN),
        ("?", Answer.UNKNOWN),
        ("？", Answer.UNKNOWN),  # full width
        ("不知道", Answer.UNKNOWN),
        ("why", Command.WHY),
        ("为什么", Command.WHY),
        ("back", Command.BACK),
        ("返回", Command.BACK),
        ("q", Command.QUIT),
        ("quit", Command.QUIT),
        ("maybe", None),
        ("", None),
    ],
)
def test_replies(text, meaning):
    assert parse_reply(text) is meaning


def test_entropy():
    assert entropy([0.5, 0.5]) == pytest.approx(1.0)
    assert entropy([1.0]) == 0.0


# --- the session ---------------------------------------------------------------------------


def test_a_session_starts_from_the_ticket(mini):
    session = Session(mini, {"error_codes": ["1001"]})
    ranked = [c.fault_id for c in session.ranking()]
    assert ranked == ["hardware.printer_failure", "network.disconnected"]
    share = session.distribution()
    assert sum(share.values()) == pytest.approx(1.0)
    assert share[None] > 0  # something else keeps a little mass
    assert session.stop_reason() is None


def test_questions_come_from_the_candidates_rules_best_first(mini):
    session = Session(mini, {"error_codes": ["1001"]})
    questions = session.questions()
    asked = {q.symptom for q in questions}
    # flags tested positively by rules concluding the two candidates
    assert asked <= {
        "cannot_connect",
        "connection_timeout",
        "network_down",
        "paper_jam",
        "printer_offline",
        "faint_print",
        "print_failure",
    }
    assert {"cannot_connect", "paper_jam"} <= asked
    scores = [q.score for q in questions]
    assert scores == sorted(scores, reverse=True)
    assert all(q.gain > session.min_gain and 0 < q.p_yes < 1 for q in questions)
    assert session.next_question() == questions[0]


def test_a_symptom_without_a_question_gets_a_generic_one(mini):
    question = Session(mini, {"error_codes": ["1001"]}).question("network_down")
    assert question.text.en == "Does the caller report: network down?"
    assert "断网" in question.text.zh
    assert question.cost == 1


def test_yes_adds_an_explicit_symptom(mini):
    session = Session(mini, {"error_codes": ["1001"]})
    session.answer("cannot_connect", "yes")
    assert session.confirmed == ("cannot_connect",)
    assert "cannot_connect" in session.ticket.symptoms
    top = session.diagnosis.diagnoses[0]
    assert top.fault_id == "network.disconnected" and top.certainty > 0.9
    used = {s.id: s for s in session.diagnosis.symptoms}
    assert (
        used["cannot_connect"].certainty == 1.0 and used["cannot_connect"].source.kind == "ticket"
    )
    assert "cannot_connect" not in {q.symptom for q in session.questions()}


def test_no_is_remembered_and_weighs_against_faults_that_needed_it(mini):
    session = Session(mini, {"error_codes": ["1001"]})
    before = session.distribution()
    session.answer("paper_jam", Answer.NO)
    after = session.distribution()
    assert session.denied == ("paper_jam",)
    # the engine's certainties are unchanged: it already assumed the jam absent ...
    assert [c.certainty for c in session.ranking()] == [0.8, 0.7]
    # ... but the printer, whose remaining support needed it, is less likely now
    assert after["hardware.printer_failure"] < before["hardware.printer_failure"]
    assert after["network.disconnected"] > before["network.disconnected"]
    assert "paper_jam" not in session.pool()
    assert "paper_jam" not in session.ticket.symptoms


def test_no_to_a_symptom_a_rule_needs_absent_counts_for_that_rule(shipped):
    # printer-print-failure needs `after_upgrade` absent: ruling the upgrade out leaves the
    # printer as the explanation, while the upgrade fault loses what would have supported it
    session = Session(shipped, {"text": "the invoice won't print"})
    before = session.distribution()
    session.answer("after_upgrade", "no")
    after = session.distribution()
    assert after["hardware.printer_failure"] > before["hardware.printer_failure"]


def test_unknown_only_skips_the_question(mini):
    session = Session(mini, {"error_codes": ["1001"]})
    before = session.distribution()
    session.answer("cannot_connect", "unknown")
    assert session.distribution() == before
    assert session.confirmed == () and session.denied == ()
    assert "cannot_connect" not in {q.symptom for q in session.questions()}


def test_back_undoes_the_last_answer(mini):
    session = Session(mini, {"error_codes": ["1001"]})
    first = session.next_question()
    session.answer("paper_jam", "no")
    session.answer("cannot_connect", "yes")
    undone = session.back()
    assert undone is not None and undone.symptom == "cannot_connect"
    assert undone.answer is Answer.YES
    assert session.diagnosis.diagnoses[0].fault_id == "hardware.printer_failure"
    session.back()
    assert session.answers == () and session.back() is None
    assert session.next_question() == first


def test_answers_are_checked(mini):
    session = Session(mini, {"error_codes": ["1001"]})
    with pytest.raises(ValueError, match="not a flag"):
        session.answer("cpu_percent", "yes")
    session.answer("paper_jam", "no")
    with pytest.raises(ValueError, match="answered already"):
        session.answer("paper_jam", "yes")
    with pytest.raises(ValueError):
        session.answer("network_down", "perhaps")


def test_an_invalid_ticket_fails_at_once(mini):
    with pytest.raises(TicketError):
        Session(mini, {"text": "x", "scope": "galaxy"})


def test_it_stops_when_one_fault_is_clear(mini):
    session = Session(mini, {"text": "system is slow"})
    assert session.ranking() == []
    assert session.candidates() == ["software.resource_exhaustion"]  # hinted by its rules
    session.answer("high_cpu", "yes")
    assert session.diagnosis.diagnoses[0].certainty >= 0.85
    assert session.stop_reason() is Stop.CLEAR
    assert session.next_question() is None


def test_it_stops_after_max_questions(mini):
    session = Session(mini, {"error_codes": ["1001"]}, max_questions=1)
    session.answer("paper_jam", "unknown")
    assert session.stop_reason() is Stop.LIMIT


def test_it_stops_when_nothing_useful_is_left(mini):
    session = Session(mini, {"error_codes": ["1001"]})
    session.answer("cannot_connect", "yes")
    # both faults are supported; no printer question can separate them any further
    assert session.stop_reason() is Stop.NOTHING_TO_ASK


def test_nothing_to_go_on_considers_every_fault(mini):
    session = Session(mini, {"text": "hello there"})
    assert sorted(session.candidates()) == sorted(mini.kb.faults)
    assert session.next_question() is not None


def test_why_names_the_rules_and_their_reasons(mini):
    session = Session(mini, {"error_codes": ["1001"]})
    uses = session.why("cannot_connect")
    assert {u.rule for u in uses} == {"network-1001-local", "network-cannot-connect"}
    assert all(u.fault == "network.disconnected" and u.candidate and not u.absent for u in uses)
    assert all(u.because.en for u in uses)
    # a flag tested by a derivation leads on to the faults that use the derived symptom
    derived = Session(mini, {"text": "system is slow"}).why("slow_response")
    assert {u.rule for u in derived} == {"resource-slow-under-load"}


def test_costlier_questions_need_more_gain(shipped):
    session = Session(shipped, {"text": "the invoice won't print"})
    questions = session.questions()
    assert questions and all(q.score == pytest.approx(q.gain / q.cost) for q in questions)
    assert [q.score for q in questions] == sorted((q.score for q in questions), reverse=True)


def test_every_shipped_flag_has_a_question_in_both_languages(shipped):
    for symptom in shipped.kb.symptoms.values():
        if symptom.kind is SymptomKind.FLAG:
            assert symptom.question is not None, symptom.id
            assert symptom.question.zh.endswith("？"), symptom.id
            assert symptom.question.en.endswith("?"), symptom.id
            assert 1 <= symptom.cost <= 3


# --- the command ---------------------------------------------------------------------------


def test_a_scripted_session_with_why_unknown_back_no_and_yes():
    # questions in order: disk_full, disk_full_message, ... (equal gain and cost: by id)
    result = run(*SLOW, input="why\nu\nback\nn\nperhaps\ny\n")
    assert result.exit_code == 0, result.output
    err = result.stderr
    assert err.index("[1] Does the caller report: disk nearly full?") < err.index(
        "Rules that use “disk nearly full”"
    )
    assert "resource-high-usage (needs it)" in err
    assert "Undone: disk nearly full (unknown)" in err
    assert "Ruled out: disk nearly full" in err
    assert "Please answer" in err  # "perhaps" means nothing
    assert "One fault is clear: " in err
    assert "software.resource_exhaustion" in result.stdout  # the report
    assert "Does the caller report" not in result.stdout  # the conversation is on stderr


def test_the_report_uses_the_answers_and_can_be_json():
    result = run(*SLOW, "--format", "json", input="y\n")
    data = json.loads(result.stdout)
    assert data["diagnoses"][0]["fault_id"] == "software.resource_exhaustion"
    used = {s["id"]: s for s in data["symptoms"]}
    assert used["disk_full"]["source"]["kind"] == "ticket" and used["disk_full"]["certainty"] == 1.0


def test_quit_and_end_of_input_print_the_report_for_what_is_known():
    for script in ("q\n", ""):
        result = run(*SLOW, input=script)
        assert "Stopped early." in result.stderr
        assert result.exit_code == 1  # nothing identified from "slow" alone in the mini KB
        assert result.stdout.strip()


def test_chinese_input_gets_chinese_questions():
    result = run("interactive", "--ask", "--text", "系统很慢", *KB, input="不知道\n是\n")
    assert "来电人是否反映“磁盘将满”？" in result.stderr
    assert "已经可以确定" in result.stderr


def test_it_asks_for_the_first_input_and_takes_a_code():
    result = run("interactive", "--ask", "--lang", "en", *KB, input="E1001\nq\n")
    assert "Describe the problem" in result.stderr
    assert "Most likely now:" in result.stderr
    assert "hardware.printer_failure" in result.stderr
    assert result.exit_code == 0


def test_without_a_terminal_it_asks_nothing():
    result = run("interactive", "--text", "system is slow", *KB, input="y\n")
    assert result.stderr == "" and "Does the caller" not in result.output
    code = run("interactive", "--code", "1001", "--system", "generic", *KB)
    assert code.exit_code == 0 and "network.disconnected" in code.stdout


def test_no_input_asks_nothing_even_at_a_terminal(monkeypatch):
    import diagnoser.cli.interactive as module

    monkeypatch.setattr(module, "is_terminal", lambda: True)
    asked = run("interactive", "--text", "system is slow", "--lang", "en", *KB, input="y\n")
    assert "[1] " in asked.stderr  # a terminal: it asks
    quiet = run("interactive", "--no-input", "--text", "system is slow", *KB, input="y\n")
    assert quiet.stderr == ""


def test_usage_errors():
    both = run("interactive", "--ask", "--no-input", "--code", "1001", *KB)
    assert both.exit_code == 2 and "exclude each other" in both.output
    nothing = run("interactive", *KB)
    assert nothing.exit_code == 2 and "give at least one of" in nothing.output


def test_text_from_stdin_without_questions():
    result = run("interactive", "--text", "-", "--format", "json", *KB, input="printer jammed\n")
    assert json.loads(result.stdout)["diagnoses"][0]["fault_id"] == "hardware.printer_failure"


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_the_interactive_report_equals_diagnose_for_the_same_facts(fmt):
    # names, causes and the "telling them apart" section come from the diagnoser in both
    said = ["--text", "the printer jammed and we cannot connect to the server", "--lang", "en"]
    asked = run("interactive", *said, "--format", fmt, *KB, input="")
    direct = run("diagnose", *said, "--format", fmt, *KB)
    assert asked.stdout == direct.stdout
    assert "Telling them apart" in asked.stdout
