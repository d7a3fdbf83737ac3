"""`diagnoser drill`: a caller with a fault from the knowledge base, for staff training.

The drill (the caller, the choices, the steps) is on stderr; the debrief — or, with
`--format json`, the score for a training log — on stdout. Answers are read from stdin, one a
line, so a trainee at a terminal and a scripted trainee in a test are served the same way.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..interactive.drill import MAX_QUESTIONS, Drill
from ..report import clean, detect_language, wrap
from ._common import EXIT_NOTHING, EXIT_OK, kb_options, make_diagnoser
from .interactive import enable_line_editing, is_terminal, terminal_width

MESSAGES: dict[str, dict[str, str]] = {
    "head": {
        "zh": "演练（种子 {seed}）：来电人在线。向来电人提问，一次问一个现象；"
        "空行或“诊断”结束提问。",
        "en": "Drill (seed {seed}): a caller is on the line. Ask about one thing at a time; an "
        "empty line or 'done' ends the questions.",
    },
    "caller": {"zh": "来电人：", "en": "Caller: "},
    "ask": {"zh": "你的问题", "en": "Your question"},
    "limit": {"zh": "问题已达上限（{n} 个）。", "en": "That is the limit ({n} questions)."},
    "choose": {"zh": "是哪种故障？", "en": "Which fault is it?"},
    "diagnosis": {"zh": "你的诊断（编号）", "en": "Your diagnosis (number)"},
    "bad_choice": {"zh": "请输入上面的一个编号。", "en": "Give one of the numbers above."},
    "steps": {
        "zh": "把应急步骤排成应执行的顺序：",
        "en": "Put the emergency steps in the order to carry them out:",
    },
    "order": {"zh": "顺序（如 3 1 2 4）", "en": "Order (e.g. 3 1 2 4)"},
    "bad_order": {
        "zh": "请把 1 到 {n} 每个编号写一次，用空格分开。",
        "en": "Give each number from 1 to {n} once, separated by spaces.",
    },
    "debrief": {"zh": "演练讲评", "en": "Debrief"},
    "fault": {"zh": "来电人的故障：{title} [{id}]", "en": "The caller's fault: {title} [{id}]"},
    "right": {"zh": "诊断正确。", "en": "Diagnosis right."},
    "wrong": {"zh": "诊断不对：你选了 {given}。", "en": "Diagnosis wrong: you chose {given}."},
    "none": {"zh": "没有给出诊断。", "en": "No diagnosis given."},
    "questions": {
        "zh": "提问 {n} 个（系统自己问需要 {ref} 个）。",
        "en": "{n} questions asked (the system itself needs {ref}).",
    },
    "missed": {"zh": "可以问的现象：{names}", "en": "Worth asking about: {names}"},
    "plan": {"zh": "正确顺序（括号里是你排的位置）：", "en": "The plan's order (your position):"},
    "kept": {"zh": "✓ {text}", "en": "✓ {text}"},
    "broken": {"zh": "✗ {text}", "en": "✗ {text}"},
    "score": {
        "zh": "得分 {total}/100：诊断 {diagnosis}，提问 {questions}，步骤 {steps}",
        "en": "Score {total}/100: diagnosis {diagnosis}, questions {questions}, steps {steps}",
    },
    "repeat": {"zh": "重做同一演练：--seed {seed}", "en": "Repeat this drill: --seed {seed}"},
}
_DONE = {"", "done", "diagnose", "诊断", "好了", "完成", "结束"}


def _say(key: str, lang: str, **values: Any) -> str:
    return MESSAGES[key][lang].format(**values)


def _echo(text: str = "") -> None:
    click.echo(clean(text), err=True)


def _read(prompt: str) -> str | None:
    """One line from the trainee; None at the end of input (or Ctrl-C)."""
    try:
        return click.prompt(prompt, default="", show_default=False, prompt_suffix=": ", err=True)
    except click.exceptions.Abort:
        _echo()
        return None


def _run(drill: Drill, width: int) -> None:
    lang = drill.lang
    _echo(wrap(_say("head", lang, seed=drill.seed), width))
    _echo()
    _echo(wrap(_say("caller", lang) + drill.opening, width, 2))
    while True:
        if len(drill.asked) >= MAX_QUESTIONS:
            _echo(_say("limit", lang, n=MAX_QUESTIONS))
            break
        said = _read(f"\n[{len(drill.asked) + 1}] {_say('ask', lang)}")
        if said is None or said.strip().lower() in _DONE:
            break
        _echo(wrap(_say("caller", lang) + drill.ask(said).answer, width, 2))
    options = drill.choices()
    _echo()
    _echo(_say("choose", lang))
    for i, fault in enumerate(options, 1):
        _echo(f"  {i}. " + wrap(drill.kb.faults[fault].title.get(lang), width, 5))
    for _ in range(5):  # bounded: a trainee who cannot answer ends the drill undiagnosed
        answer = _read(_say("diagnosis", lang))
        if answer is None:
            break
        try:
            drill.diagnose(answer)
            break
        except ValueError:
            _echo(_say("bad_choice", lang))
    steps = drill.steps()
    _echo()
    _echo(_say("steps", lang))
    for i, text in enumerate(steps, 1):
        _echo(f"  {i}. " + wrap(text, width, 5))
    for _ in range(5):
        answer = _read(_say("order", lang))
        if answer is None:
            break
        try:
            drill.order([int(x) for x in answer.replace(",", " ").replace("，", " ").split()])
            break
        except ValueError:
            _echo(_say("bad_order", lang, n=len(steps)))


def debrief(drill: Drill, width: int = 80) -> str:
    """The debrief as text: the fault, the diagnosis, the questions, the order, the score."""
    lang = drill.lang
    score = drill.score()
    fault = drill.fault
    lines = [_say("debrief", lang), "─" * min(width, 60)]
    lines.append(wrap(_say("fault", lang, title=fault.title.get(lang), id=fault.id), width))
    if score.diagnosed is None:
        lines.append(_say("none", lang))
    elif score.correct:
        lines.append(_say("right", lang))
    else:
        given = drill.kb.faults[score.diagnosed].title.get(lang)
        lines.append(wrap(_say("wrong", lang, given=f"{given} [{score.diagnosed}]"), width))
    lines.append(_say("questions", lang, n=score.questions, ref=score.reference_questions))
    asked = {s for a in drill.asked for s in a.symptoms}
    missed = sorted(drill.caller.sees - asked - {drill.opening_symptom})[:4]
    if missed:
        names = ("、" if lang == "zh" else ", ").join(
            drill.kb.symptoms[s].name.get(lang) for s in missed
        )
        lines.append(wrap(_say("missed", lang, names=names), width, 2))
    lines.append(_say("plan", lang))
    position = {step: i for i, step in enumerate(score.order_given, 1)}
    for number, step in enumerate(fault.emergency_steps, 1):
        mark = f"({position[number]})" if number in position else "(-)"
        lines.append(f"  {number}. {mark} " + wrap(step.text.get(lang), width, 5 + len(mark)))
    for check in score.checks:
        lines.append(
            wrap(_say("kept" if check.kept else "broken", lang, text=check.text), width, 2)
        )
    lines.append(_say("score", lang, total=score.total, **score.points))
    lines.append(_say("repeat", lang, seed=drill.seed))
    return "\n".join(lines) + "\n"


@click.command()
@click.option("--fault", "fault_id", help="Drill this fault (a fault id).")
@click.option("--category", help="Draw the fault from this category (software, network, …).")
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    help="Language of the caller and the debrief (default: the locale's).",
)
@click.option("--seed", type=int, help="Make the drill repeatable: the same seed, the same drill.")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: the debrief; json: the score for a training log.",
)
@kb_options
def drill(
    fault_id: str | None,
    category: str | None,
    lang: str | None,
    seed: int | None,
    fmt: str,
    rules: Path | None,
    knowledge: Path | None,
) -> None:
    """Play a caller with a fault from the knowledge base, for training.

    The caller describes a symptom; ask about what they see, one thing a question, and end
    with an empty line. Then pick the fault and put the emergency steps in order. The debrief
    scores the diagnosis, the questions spent and the order of the steps against the plan and
    the three principles.
    """
    if fault_id and category:
        raise click.UsageError("--fault and --category exclude each other")
    diagnoser = make_diagnoser(rules, knowledge)
    try:
        found = Drill(
            diagnoser,
            fault_id=fault_id,
            category=category,
            lang=lang or detect_language(""),
            seed=seed,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--fault' / '--category'") from None
    if is_terminal():
        enable_line_editing()
    width = terminal_width()
    _run(found, width)
    _echo()
    if fmt == "json":
        click.echo(json.dumps(found.record(), ensure_ascii=False, indent=2))
    else:
        click.echo(clean(debrief(found, width)), nl=False)
    sys.exit(EXIT_OK if found.score().correct else EXIT_NOTHING)
