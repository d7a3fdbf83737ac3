"""Training drills: the caller, the scoring, and `diagnoser drill` with scripted trainees."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from diagnoser.cli import cli
from diagnoser.interactive.caller import Caller, fault_symptoms
from diagnoser.interactive.drill import MAX_QUESTIONS, Drill
from diagnoser.result import SCHEMA_VERSION

PRINTER = "hardware.printer_failure"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["drill", *args], input=input, catch_exceptions=False)


# --- the caller ------------------------------------------------------------------------------


def test_a_caller_sees_what_the_faults_rules_test(shipped):
    sees = fault_symptoms(shipped, PRINTER)
    # printer-jam-or-offline tests these; printer-print-failure needs them absent, but a jam is
    # still the printer's own evidence
    assert {"paper_jam", "printer_offline", "print_failure"} <= sees
    assert "after_upgrade" not in sees  # only ever needed absent
    caller = Caller.for_fault(shipped, PRINTER)
    assert caller.answer("paper_jam") == "yes" and caller.answer("after_upgrade") == "no"
    with pytest.raises(KeyError):
        fault_symptoms(shipped, "hardware.no_such")


def test_a_citywide_fault_tells_its_scope(shipped):
    outage = Caller.for_fault(shipped, "external.platform_outage")
    assert outage.scope == "city"


# --- the drill -------------------------------------------------------------------------------


def _perfect(drill: Drill) -> None:
    """A trainee who asks one good question, diagnoses right and orders the plan."""
    drill.ask("打印机是不是脱机了？")
    drill.diagnose(str(drill.choices().index(drill.fault_id) + 1))
    shown = drill.shown_steps
    drill.order([shown.index(i) + 1 for i in range(len(shown))])


def test_the_same_seed_gives_the_same_drill(shipped):
    one = Drill(shipped, seed=42, lang="en")
    two = Drill(shipped, seed=42, lang="en")
    assert (one.fault_id, one.opening, one.choices(), one.steps()) == (
        two.fault_id,
        two.opening,
        two.choices(),
        two.steps(),
    )
    others = {Drill(shipped, seed=s).fault_id for s in range(30)}
    assert len(others) > 3  # seeds do draw different faults


def test_a_category_limits_the_draw(shipped):
    assert all(
        Drill(shipped, category="network", seed=s).fault_id.startswith("network.")
        for s in range(10)
    )
    with pytest.raises(ValueError, match="no fault in category"):
        Drill(shipped, category="weather")
    with pytest.raises(ValueError, match="unknown fault"):
        Drill(shipped, fault_id="hardware.nope")


def test_the_opening_is_in_the_vocabularys_words(shipped):
    drill = Drill(shipped, fault_id=PRINTER, seed=1, lang="zh")
    said = shipped.kb.symptoms[drill.opening_symptom].name.zh
    assert said in drill.opening
    read = shipped.diagnose({"text": drill.opening})
    assert drill.opening_symptom in {s.id for s in read.symptoms}  # intake understands it


def test_questions_are_answered_from_the_faults_symptoms(shipped):
    drill = Drill(shipped, fault_id=PRINTER, seed=3, lang="en")
    offline = drill.ask("is the printer offline?")
    upgrade = drill.ask("did it start after an upgrade?")
    nonsense = drill.ask("what is your favourite colour")
    assert offline.symptoms == ("printer_offline",) and offline.present is True
    assert upgrade.symptoms == ("after_upgrade",) and upgrade.present is False
    assert nonsense.present is None and "does not understand" in nonsense.answer
    assert len(drill.asked) == 3


def test_the_questions_are_bounded(shipped):
    drill = Drill(shipped, fault_id=PRINTER, seed=3)
    for _ in range(MAX_QUESTIONS):
        drill.ask("卡纸")
    with pytest.raises(ValueError, match="at most"):
        drill.ask("卡纸")


def test_a_perfect_trainee_scores_full_marks(shipped):
    drill = Drill(shipped, fault_id=PRINTER, seed=5, lang="zh")
    _perfect(drill)
    score = drill.score()
    assert score.correct and score.order_score == 1.0
    assert all(c.kept for c in score.checks) and score.checks
    assert score.total == 100


def test_a_wrong_diagnosis_and_a_reversed_plan_score_low(shipped):
    drill = Drill(shipped, fault_id=PRINTER, seed=5, lang="en")
    wrong = next(f for f in drill.choices() if f != PRINTER)
    assert drill.diagnose(wrong) is False
    shown = drill.shown_steps
    drill.order([shown.index(i) + 1 for i in reversed(range(len(shown)))])
    score = drill.score()
    assert not score.correct and score.points["diagnosis"] == 0
    assert score.order_score == 0.0 and score.points["steps"] == 0
    broken = {c.principle for c in score.checks if not c.kept}
    assert "respond_at_once" in broken  # contain did not come first


def test_fallback_before_backup_breaks_data_safety(shipped):
    fault = shipped.kb.faults[PRINTER]
    phases = [s.phase.value for s in fault.emergency_steps]
    assert "isolate" in phases and "fallback" in phases
    drill = Drill(shipped, fault_id=PRINTER, seed=5, lang="en")
    order = list(range(len(phases)))
    i, f = phases.index("isolate"), phases.index("fallback")
    order[i], order[f] = order[f], order[i]  # the standby printer before backing up
    shown = drill.shown_steps
    drill.order([shown.index(k) + 1 for k in order])
    kept = {c.principle: c.kept for c in drill.score().checks}
    assert kept["data_safety"] is False and kept["respond_at_once"] is True


def test_many_questions_cost_points(shipped):
    frugal = Drill(shipped, fault_id=PRINTER, seed=5)
    _perfect(frugal)
    chatty = Drill(shipped, fault_id=PRINTER, seed=5)
    for _ in range(10):
        chatty.ask("有没有卡纸")
    _perfect(chatty)
    assert chatty.score().points["questions"] < frugal.score().points["questions"]


def test_bad_answers_are_refused(shipped):
    drill = Drill(shipped, fault_id=PRINTER, seed=5)
    with pytest.raises(ValueError):
        drill.diagnose("99")
    with pytest.raises(ValueError, match="each of the numbers"):
        drill.order([1, 1, 2, 3])


# --- the command, with scripted trainees -----------------------------------------------------


def _script(drill: Drill, questions: list[str], right: bool = True) -> str:
    choice = drill.choices().index(drill.fault_id) + 1
    if not right:
        choice = 1 if choice != 1 else 2
    shown = drill.shown_steps
    order = " ".join(str(shown.index(i) + 1) for i in range(len(shown)))
    return "\n".join([*questions, "", str(choice), order]) + "\n"


def test_a_scripted_trainee_gets_a_debrief(shipped):
    drill = Drill(shipped, fault_id=PRINTER, seed=11, lang="en")
    script = _script(drill, ["is the printer offline?", "any paper jam?"])
    result = run("--fault", PRINTER, "--seed", "11", "--lang", "en", input=script)
    assert result.exit_code == 0, result.output
    assert drill.opening in result.stderr
    assert "Caller: " in result.stderr and "Which fault is it?" in result.stderr
    out = result.stdout
    assert "Diagnosis right." in out and "2 questions asked (the system itself needs 0)" in out
    # the opening alone makes the printer clear: the second question is one too many
    assert "Score 96/100: diagnosis 50, questions 16, steps 30" in out and "--seed 11" in out


def test_json_gives_the_score_for_a_training_log(shipped):
    drill = Drill(shipped, fault_id=PRINTER, seed=11, lang="zh")
    script = _script(drill, ["打印机是不是脱机了"], right=False)
    result = run("--fault", PRINTER, "--seed", "11", "--lang", "zh", "-f", "json", input=script)
    assert result.exit_code == 1  # the diagnosis was wrong
    record = json.loads(result.stdout)
    assert record["schema_version"] == SCHEMA_VERSION  # as every JSON output
    assert record["drill"] == {
        "seed": 11,
        "lang": "zh",
        "fault_id": PRINTER,
        "category": "hardware",
        "opening": drill.opening,
    }
    assert record["questions"][0]["symptoms"] == ["printer_offline"]
    assert record["diagnosis"]["correct"] is False
    assert record["steps"]["order_score"] == 1.0
    assert record["score"]["diagnosis"] == 0 and record["score"]["total"] == 30


def test_garbage_and_end_of_input_end_the_drill_cleanly():
    result = run("--fault", PRINTER, "--seed", "2", "--lang", "en", input="\nbanana\n")
    assert result.exit_code == 1
    assert "Give one of the numbers above." in result.stderr
    assert "No diagnosis given." in result.stdout


def test_usage_errors():
    both = run("--fault", PRINTER, "--category", "network")
    assert both.exit_code == 2 and "exclude each other" in both.output
    unknown = run("--fault", "hardware.nope", input="")
    assert unknown.exit_code == 2 and "unknown fault" in unknown.output
