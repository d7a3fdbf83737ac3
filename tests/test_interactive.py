"""The interactive session (library) and `diagnoser interactive` driven through CliRunner."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from diagnoser import TicketError
from diagnoser.cli import cli
from diagnoser.interactive import (
    SCOPE_FLAGS,
    Answer,
    Command,
    Field,
    Session,
    Stop,
    entropy,
    parse_reply,
    parse_when,
    summarise,
)
from diagnoser.kb.models import SymptomKind
from tests.conftest import MINI

# the mini knowledge base has three faults: its questions gain less than the shipped one's, so
# the session tests lower the bar, and leave out the process questions they do not test
MINI_SESSION = {"process": False, "min_gain": 0.02}
KB = ["--rules", str(MINI / "rules"), "--knowledge", str(MINI / "knowledge")]
SLOW = ["interactive", "--ask", "--text", "system is slow", "--lang", "en", *KB]
# answers to the process questions: no code on the screen, began at 9:05, scope unknown
PROCESS = "n\n9:05\nu\n"


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
    session = Session(mini, {"error_codes": ["1001"]}, **MINI_SESSION)
    ranked = [c.fault_id for c in session.ranking()]
    assert ranked == ["hardware.printer_failure", "network.disconnected"]
    share = session.distribution()
    assert sum(share.values()) == pytest.approx(1.0)
    assert share[None] > 0  # something else keeps a little mass
    assert session.stop_reason() is None


def test_questions_come_from_the_candidates_rules_best_first(mini):
    session = Session(mini, {"error_codes": ["1001"]}, **MINI_SESSION)
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
    question = Session(mini, {"error_codes": ["1001"]}, **MINI_SESSION).question("network_down")
    assert question.text.en == "Does the caller report: network down?"
    assert "断网" in question.text.zh
    assert question.cost == 1


def test_yes_adds_an_explicit_symptom(mini):
    session = Session(mini, {"error_codes": ["1001"]}, **MINI_SESSION)
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
    session = Session(mini, {"error_codes": ["1001"]}, **MINI_SESSION)
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
    session = Session(mini, {"error_codes": ["1001"]}, **MINI_SESSION)
    before = session.distribution()
    session.answer("cannot_connect", "unknown")
    assert session.distribution() == before
    assert session.confirmed == () and session.denied == ()
    assert "cannot_connect" not in {q.symptom for q in session.questions()}


def test_back_undoes_the_last_answer(mini):
    session = Session(mini, {"error_codes": ["1001"]}, **MINI_SESSION)
    first = session.next_question()
    session.answer("paper_jam", "no")
    session.answer("cannot_connect", "yes")
    undone = session.back()
    assert undone is not None and undone.symptom == "cannot_connect"
    assert undone.answer == Answer.YES
    assert session.diagnosis.diagnoses[0].fault_id == "hardware.printer_failure"
    session.back()
    assert session.answers == () and session.back() is None
    assert session.next_question() == first


def test_answers_are_checked(mini):
    session = Session(mini, {"error_codes": ["1001"]}, **MINI_SESSION)
    with pytest.raises(ValueError, match="not a flag"):
        session.answer("cpu_percent", "yes")
    session.answer("paper_jam", "no")
    with pytest.raises(ValueError, match="answered already"):
        session.answer("paper_jam", "yes")
    with pytest.raises(ValueError):
        session.answer("network_down", "perhaps")


def test_an_invalid_ticket_fails_at_once(mini):
    with pytest.raises(TicketError):
        Session(mini, {"text": "x", "scope": "galaxy"}, **MINI_SESSION)


def test_it_stops_when_one_fault_is_clear(mini):
    session = Session(mini, {"text": "system is slow"}, **MINI_SESSION)
    assert session.ranking() == []
    assert session.candidates() == ["software.resource_exhaustion"]  # hinted by its rules
    session.answer("high_cpu", "yes")
    assert session.diagnosis.diagnoses[0].certainty >= 0.85
    assert session.stop_reason() is Stop.CLEAR
    assert session.next_question() is None


def test_it_stops_after_max_questions(mini):
    session = Session(mini, {"error_codes": ["1001"]}, max_questions=1, **MINI_SESSION)
    session.answer("paper_jam", "unknown")
    assert session.stop_reason() is Stop.LIMIT


def test_it_stops_when_nothing_useful_is_left(mini):
    session = Session(mini, {"error_codes": ["1001"]}, **MINI_SESSION)
    session.answer("cannot_connect", "yes")
    # both faults are supported; no printer question can separate them any further
    assert session.stop_reason() is Stop.NOTHING_TO_ASK


def test_nothing_to_go_on_considers_every_fault(mini):
    session = Session(mini, {"text": "hello there"}, **MINI_SESSION)
    assert sorted(session.candidates()) == sorted(mini.kb.faults)
    assert session.next_question() is not None


def test_why_names_the_rules_and_their_reasons(mini):
    session = Session(mini, {"error_codes": ["1001"]}, **MINI_SESSION)
    uses = session.why("cannot_connect")
    assert {u.rule for u in uses} == {"network-1001-local", "network-cannot-connect"}
    assert all(u.fault == "network.disconnected" and u.candidate and not u.absent for u in uses)
    assert all(u.because.en for u in uses)
    # a flag tested by a derivation leads on to the faults that use the derived symptom
    derived = Session(mini, {"text": "system is slow"}, **MINI_SESSION).why("slow_response")
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
    result = run(*SLOW, "--ask-tests", input=PROCESS + "why\nu\nback\nn\nperhaps\ny\n")
    assert result.exit_code == 0, result.output
    err = result.stderr
    assert err.index("[4] Does the caller report: disk nearly full?") < err.index(
        "Rules that use “disk nearly full”"
    )
    assert "resource-high-usage (needs it)" in err
    assert "Undone: disk nearly full (unknown)" in err
    assert "Ruled out: disk nearly full" in err
    assert "Not understood." in err  # "perhaps" means nothing
    assert "One fault is clear: " in err
    assert "software.resource_exhaustion" in result.stdout  # the report
    assert "Does the caller report" not in result.stdout  # the conversation is on stderr


def test_the_report_uses_the_answers_and_can_be_json():
    result = run(*SLOW, "--ask-tests", "--format", "json", input=PROCESS + "y\n")
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
    result = run(
        "interactive",
        "--ask",
        "--ask-tests",
        "--text",
        "系统很慢",
        *KB,
        input="没有\n刚才\n不知道\n不知道\n是\n",
    )
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


# --- what the process needs first, free text, implications, the record ---------------------

NOW = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _session(diagnoser, ticket, **options):
    return Session(diagnoser, ticket, clock=lambda: NOW, **options)


def test_the_process_questions_come_first_and_fill_the_ticket(shipped):
    session = _session(shipped, {"text": "the invoice won't print"})
    asked = []
    for said in ("no", "20 minutes ago", "just this shop"):
        question = session.next_question()
        asked.append(question.field)
        assert session.take(question, said)
    assert asked == [Field.CODE, Field.TIME, Field.SCOPE]
    assert session.ticket.reported_at == NOW - dt.timedelta(minutes=20)
    assert session.diagnosis.scope == "site"
    assert session.next_question().field is None  # then the questions that separate faults
    # the report is diagnose() of the ticket the answers built
    assert session.diagnosis == shipped.diagnose(session.ticket)


def test_process_questions_are_skipped_when_the_ticket_says_it(shipped):
    session = _session(
        shipped,
        {"text": "全市都报1001", "reported_at": "2026-11-24T09:05+08:00"},
    )
    question = session.next_question()
    assert question is None or question.field is None


@pytest.mark.parametrize(
    "said, expected",
    [
        ("9:05", dt.datetime(2026, 11, 24, 9, 5, tzinfo=NOW.tzinfo)),
        ("下午3点", dt.datetime(2026, 11, 23, 15, 0, tzinfo=NOW.tzinfo)),  # later than now
        ("昨天 17:30", dt.datetime(2026, 11, 23, 17, 30, tzinfo=NOW.tzinfo)),
        ("2小时前", NOW - dt.timedelta(hours=2)),
        ("20 minutes ago", NOW - dt.timedelta(minutes=20)),
        ("刚才", NOW),
        ("2026-11-20 08:00", dt.datetime(2026, 11, 20, 8, 0, tzinfo=NOW.tzinfo)),
        ("25:00", None),
        ("some time ago", None),
    ],
)
def test_when_a_fault_began(said, expected):
    assert parse_when(said, NOW) == expected


def test_a_garbled_time_is_not_taken(shipped):
    session = _session(shipped, {"text": "printer jammed", "error_codes": ["1001"]})
    question = session.next_question()
    assert question.field is Field.TIME
    assert not session.take(question, "whenever")
    assert session.next_question().field is Field.TIME and session.exchanges == ()


def test_free_text_answers_are_read_through_intake(shipped):
    session = _session(shipped, {"text": "打印不出来"}, process=False)
    question = session.question("printer_offline")
    assert session.take(question, "打印机灯在闪")
    assert "printer_offline" in session.confirmed
    denied = session.question("paper_jam")
    assert session.take(denied, "没有卡纸")
    assert "paper_jam" in session.denied
    assert not session.take(session.question("paper_out"), "hmm, let me think")


def test_other_symptoms_mentioned_in_an_answer_are_taken(shipped):
    session = _session(shipped, {"text": "打印不出来"}, process=False)
    assert session.take(session.question("after_upgrade"), "打印机卡纸了")
    assert "paper_jam" in session.confirmed
    assert "after_upgrade" not in {a.symptom for a in session.answers}  # still to be asked


def test_an_answered_scope_settles_the_scope_questions(shipped):
    session = _session(shipped, {"text": "开不了票，连不上服务器"})
    while (question := session.next_question()) is not None and question.field is not None:
        session.take(question, "只有我这台" if question.field is Field.SCOPE else "u")
    settled = {a.symptom: a.answer for a in session.answers if a.implied}
    assert settled["citywide_reports"] == Answer.NO
    assert settled["other_merchants_affected"] == Answer.NO
    assert settled["own_branches_affected"] == Answer.NO
    remaining = {q.symptom for q in session.questions()}
    assert not remaining & set(SCOPE_FLAGS)


def test_no_to_other_merchants_settles_the_city(shipped):
    session = _session(shipped, {"text": "开不了票，连不上服务器"}, process=False)
    session.answer("other_merchants_affected", "no")
    settled = {a.symptom: a.answer for a in session.answers if a.implied}
    assert settled == {"citywide_reports": Answer.NO, "region_reports": Answer.NO}
    session.back()  # and undoing the answer undoes what it implied
    assert session.answers == ()


def test_questions_for_the_administrator_wait_for_ask_tests(shipped):
    caller = _session(shipped, {"text": "system very slow"}, process=False)
    admin = _session(shipped, {"text": "system very slow"}, process=False, ask_tests=True)
    costly = {s.id for s in shipped.kb.symptoms.values() if s.cost == 3}
    assert not {q.symptom for q in caller.questions()} & costly
    assert {q.symptom for q in admin.questions()} & costly


def test_the_consultation_is_recorded_with_times(shipped):
    session = _session(shipped, {"text": "printer won't print"})
    session.take(session.next_question(), "没有")
    session.answer("paper_jam", "yes", said="y", asked_at=NOW)
    record = session.result("en").consultation
    assert [(e.symptom, e.answer, e.said) for e in record] == [
        ("error_codes", "none", "没有"),
        ("paper_jam", "yes", "y"),
    ]
    assert record[0].question.startswith("Is there an error code")
    assert all(e.asked_at == NOW for e in record)


def test_the_summary_names_the_fault_the_steps_and_whom_to_call(shipped):
    session = _session(shipped, {"text": "printer jammed"}, process=False)
    summary = summarise(session, "en")
    assert summary.fault_id == "hardware.printer_failure"
    assert len(summary.next_steps) == 3
    assert summary.call and "repair" in summary.call.lower()
    assert summary.call not in summary.next_steps
    profiled = summarise(session, "en", {"hardware": "Printer service, 020-1234"})
    assert profiled.call == "Printer service, 020-1234"


def test_the_command_asks_the_process_questions_and_records_them_in_json():
    result = run(
        "interactive",
        "--ask",
        "--text",
        "printer won't print",
        "--lang",
        "en",
        "--format",
        "json",
        input="no\n9:05\njust me\nq\n",
    )
    data = json.loads(result.stdout)
    fields = [e["symptom"] for e in data["consultation"]]
    assert fields == ["error_codes", "reported_at", "scope"]
    assert all(
        {"question", "symptom", "answer", "asked_at"} <= set(e) for e in data["consultation"]
    )
    # a bare clock time is the latest 9:05 before the question was asked: today's, or
    # yesterday's when asked before 9:05
    reported = dt.datetime.fromisoformat(data["reported_at"])
    asked = dt.datetime.fromisoformat(data["consultation"][1]["asked_at"])
    assert (reported.hour, reported.minute) == (9, 5)
    assert dt.timedelta(0) <= asked - reported < dt.timedelta(days=1)
    assert data["scope"] == "single_user"
    assert "Summary" in result.stderr and "Who to call:" in result.stderr


def test_the_full_report_is_what_diagnose_prints(monkeypatch):
    from diagnoser.report import provenance

    monkeypatch.setattr(provenance, "now", lambda: NOW)
    consulted = run(
        "interactive",
        "--ask",
        "--text",
        "printer won't print",
        "--lang",
        "en",
        "--code",
        "E1001",
        "--reported-at",
        "2026-11-24T09:05",
        "--scope",
        "site",
        input="打印机卡纸了\nq\n",
    )
    same = run(
        "diagnose",
        "--text",
        "printer won't print",
        "--lang",
        "en",
        "--code",
        "E1001",
        "--reported-at",
        "2026-11-24T09:05",
        "--scope",
        "site",
        "--symptom",
        "paper_jam",
    )
    assert consulted.stdout == same.stdout
    assert "paper_jam" in consulted.stdout or "paper jam" in consulted.stdout


def test_at_a_terminal_the_report_is_offered(monkeypatch):
    import diagnoser.cli.interactive as module

    monkeypatch.setattr(module, "report_to_terminal", lambda: True)
    declined = run(*SLOW, "--ask-tests", input=PROCESS + "y\nn\n")
    assert "Show the full report?" in declined.stderr and declined.stdout == ""
    accepted = run(*SLOW, "--ask-tests", input=PROCESS + "y\ny\n")
    assert "software.resource_exhaustion" in accepted.stdout


def test_why_is_wrapped_to_the_terminal(monkeypatch):
    import diagnoser.cli.interactive as module

    monkeypatch.setattr(module, "terminal_width", lambda: 50)
    result = run(*SLOW, "--ask-tests", input=PROCESS + "why\nq\n")
    explained = result.stderr.split("Rules that use", 1)[1].split("[4]", 1)[0]
    assert max(len(line) for line in explained.splitlines()) <= 50


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_the_interactive_report_equals_diagnose_for_the_same_facts(fmt, monkeypatch):
    # names, causes and the "telling them apart" section come from the diagnoser in both; the
    # generation time is fixed so two runs a second apart still print the same report
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764579600")
    said = ["--text", "the printer jammed and we cannot connect to the server", "--lang", "en"]
    asked = run("interactive", *said, "--format", fmt, *KB, input="")
    direct = run("diagnose", *said, "--format", fmt, *KB)
    assert asked.stdout == direct.stdout
    assert "Telling them apart" in asked.stdout


def test_a_stray_key_is_no_code(shipped):
    session = _session(shipped, {"text": "printer won't print"})
    question = session.next_question()
    assert question.field is Field.CODE
    assert not session.take(question, "x") and not session.take(question, "yes")
    assert session.take(question, "屏幕提示：打印机未就绪")  # a message read out is taken
    assert "打印机未就绪" in session.ticket.text
