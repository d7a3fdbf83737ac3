"""`diagnoser interactive`: a question-and-answer diagnosis for an agent on the phone.

The conversation (questions, rankings, explanations) goes to stderr and the final report to
stdout, so `--format json > out.json` still works at a terminal. Questions are asked only when
stdin is a terminal; `--ask` forces them (scripts and tests feed the answers on stdin), and
`--no-input` never asks.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..interactive import (
    MAX_QUESTIONS,
    Answer,
    Command,
    Question,
    Session,
    Stop,
    parse_reply,
)
from ..report import Format, detect_language, render
from . import (
    EXIT_NOTHING,
    EXIT_OK,
    _diagnoser,
    kb_options,
    report_language,
    site_option,
    ticket_options,
)

_CJK = re.compile(r"[\u3400-\u9fff]")
# one token with a digit and no spaces: an error code (E1001, 错误代码1001, GSPERR300)
_CODE_LIKE = re.compile(r"\S*\d\S*")

MESSAGES: dict[str, dict[str, str]] = {
    "describe": {
        "zh": "请描述问题（原话或错误代码）",
        "en": "Describe the problem (what the caller says, or an error code)",
    },
    "ranking": {"zh": "目前最可能", "en": "Most likely now"},
    "nothing": {"zh": "目前还没有识别出故障。", "en": "No fault identified yet."},
    "denied": {"zh": "已排除", "en": "Ruled out"},
    "hint": {
        "zh": "（是/否/不知道，为什么，返回，退出）",
        "en": "(y/n/u, why, back, quit)",
    },
    "invalid": {
        "zh": "请回答 是 / 否 / 不知道，或输入 为什么、返回、退出。",
        "en": "Please answer y(es) / n(o) / u(nknown), or type why, back or quit.",
    },
    "why_none": {"zh": "没有规则用到这个症状。", "en": "No rule uses this symptom."},
    "why_head": {"zh": "用到“{name}”的规则：", "en": "Rules that use “{name}”:"},
    "needs": {"zh": "需要有", "en": "needs it"},
    "needs_absent": {"zh": "需要没有", "en": "needs it absent"},
    "derives": {"zh": "推出", "en": "derives"},
    "leads_to": {"zh": "进而指向", "en": "leading to"},
    "more": {"zh": "……另有 {n} 条规则", "en": "… and {n} more rules"},
    "undone": {"zh": "已撤销：{name}（{answer}）", "en": "Undone: {name} ({answer})"},
    "nothing_to_undo": {"zh": "还没有可撤销的回答。", "en": "Nothing to undo yet."},
    "stop_clear": {"zh": "已经可以确定：{title}。", "en": "One fault is clear: {title}."},
    "stop_nothing_to_ask": {
        "zh": "没有能进一步区分候选故障的问题了。",
        "en": "No question left would separate the candidates.",
    },
    "stop_limit": {
        "zh": "已问了 {n} 个问题，到此为止。",
        "en": "{n} questions asked; stopping here.",
    },
    "stop_quit": {"zh": "提前结束。", "en": "Stopped early."},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "unknown": {"zh": "不知道", "en": "unknown"},
}


def _say(key: str, lang: str, **values: Any) -> str:
    return MESSAGES[key][lang].format(**values)


def stdin_is_terminal() -> bool:
    """Whether stdin is an interactive terminal (tests replace this or pass --ask)."""
    return sys.stdin.isatty()


# the check `interactive` uses; a test or an embedding tool may point it elsewhere
is_terminal: Callable[[], bool] = stdin_is_terminal


def first_input(raw: str) -> dict[str, Any]:
    """Ticket fields from what the agent typed first: a lone code-like token is an error code,
    anything else is text."""
    raw = raw.strip()
    if _CODE_LIKE.fullmatch(raw) and len(raw) <= 40:
        return {"error_codes": [raw]}
    return {"text": raw}


class _Conversation:
    """The terminal side of a Session: prompts, rankings and explanations on stderr."""

    def __init__(self, session: Session, lang: str) -> None:
        self.session = session
        self.lang = lang
        self.show_hint = True  # the answer choices, shown at the first question

    def echo(self, text: str = "") -> None:
        click.echo(text, err=True)

    def show_ranking(self) -> None:
        lang = self.lang
        ranking = self.session.ranking(3)
        if not ranking:
            self.echo(_say("nothing", lang))
        else:
            self.echo(_say("ranking", lang) + ("：" if lang == "zh" else ":"))
            for i, c in enumerate(ranking, 1):
                self.echo(f"  {i}. {c.certainty * 100:3.0f}%  {c.title.get(lang)} [{c.fault_id}]")
        denied = self.session.denied
        if denied:
            names = [self.session.kb.symptoms[s].name.get(lang) for s in denied]
            sep = "、" if lang == "zh" else ", "
            colon = "：" if lang == "zh" else ": "
            self.echo(f"  {_say('denied', lang)}{colon}{sep.join(names)}")

    def explain(self, question: Question) -> None:
        lang = self.lang
        uses = self.session.why(question.symptom)
        if not uses:
            self.echo(_say("why_none", lang))
            return
        self.echo(_say("why_head", lang, name=question.name.get(lang)))
        shown = [u for u in uses if u.candidate] or uses
        shown = shown[:6]
        for use in shown:
            role = _say("needs_absent" if use.absent else "needs", lang)
            if use.fault:
                target = use.fault
            else:
                reached = ", ".join(use.faults) or "-"
                target = f"{_say('derives', lang)} {use.derive}, {_say('leads_to', lang)} {reached}"
            self.echo(f"  - {use.rule} ({role}) → {target} @{use.certainty:g}")
            self.echo(f"      {use.because.get(lang)}")
        if len(uses) > len(shown):
            self.echo("  " + _say("more", lang, n=len(uses) - len(shown)))

    def run(self) -> None:
        """Ask until the session stops or the agent quits (end of input counts as quit)."""
        lang = self.lang
        session = self.session
        self.show_ranking()
        while True:
            question = session.next_question()
            if question is None:
                reason = session.stop_reason()
                top = session.diagnosis.top
                self.echo(
                    _say(
                        f"stop_{reason.value if reason else Stop.NOTHING_TO_ASK.value}",
                        lang,
                        title=top.title.get(lang) if top else "-",
                        n=len(session.answers),
                    )
                )
                return
            number = len(session.answers) + 1
            hint = f" {_say('hint', lang)}" if self.show_hint else ""
            self.show_hint = False
            try:
                reply = click.prompt(
                    f"\n[{number}] {question.text.get(lang)}{hint}",
                    prompt_suffix=" ",
                    err=True,
                )
            except click.exceptions.Abort:  # end of input or Ctrl-C: report what we have
                self.echo()
                self.echo(_say("stop_quit", lang))
                return
            parsed = parse_reply(reply)
            if parsed is None:
                self.echo(_say("invalid", lang))
                self.show_hint = True
            elif parsed is Command.QUIT:
                self.echo(_say("stop_quit", lang))
                return
            elif parsed is Command.WHY:
                self.explain(question)
            elif parsed is Command.BACK:
                undone = session.back()
                if undone is None:
                    self.echo(_say("nothing_to_undo", lang))
                else:
                    name = session.kb.symptoms[undone.symptom].name.get(lang)
                    answer = _say(undone.answer.value, lang)
                    self.echo(_say("undone", lang, name=name, answer=answer))
                    self.show_ranking()
            else:
                assert isinstance(parsed, Answer)
                session.answer(question.symptom, parsed)
                self.show_ranking()


@click.command()
@ticket_options
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice([f.value for f in Format]),
    default=Format.TEXT.value,
    show_default=True,
    help="Format of the final report.",
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    help="Language of the questions and the report (default: the first input's, else the "
    "locale's).",
)
@click.option(
    "--max-questions",
    type=click.IntRange(min=0),
    default=MAX_QUESTIONS,
    show_default=True,
    help="Stop after this many answers.",
)
@click.option("--no-input", is_flag=True, help="Ask nothing; print the report for what is given.")
@click.option(
    "--ask",
    is_flag=True,
    help="Ask even when stdin is not a terminal (answers are read from stdin, one per line).",
)
@kb_options
@site_option
def interactive(
    text: str | None,
    codes: tuple[str, ...],
    symptoms: tuple[str, ...],
    metrics: dict[str, float],
    scope: str | None,
    system: str | None,
    affected_users: int | None,
    ticket_id: str,
    fmt: str,
    lang: str | None,
    max_questions: int,
    no_input: bool,
    ask: bool,
    rules: Path | None,
    knowledge: Path | None,
) -> None:
    """Diagnose by asking: the question that best separates the candidates comes next.

    Answer each question with y(es) / n(o) / u(nknown) — or 是 / 否 / 不知道 — type `why` to see
    which rules need the answer, `back` to undo the last answer and `quit` to stop. It ends with
    the report. Without a terminal on stdin (or with --no-input) it asks nothing.
    """
    if no_input and ask:
        raise click.UsageError("--ask and --no-input exclude each other")
    asking = ask or (not no_input and is_terminal())
    if text == "-":
        if asking:
            raise click.UsageError("--text - reads stdin, which the answers need; pass the text")
        text = sys.stdin.read()
    fields: dict[str, Any] = {"text": text or "", "error_codes": list(codes)}
    typed = text or ""
    if not (typed.strip() or codes or symptoms or metrics):
        if not asking:
            raise click.UsageError(
                "give at least one of --text, --code, --symptom or --metric "
                "(or run it at a terminal to type the description)"
            )
        prompt_lang = lang or detect_language("")
        typed = ""
        while not typed.strip():
            typed = click.prompt(_say("describe", prompt_lang), prompt_suffix=": ", err=True)
        fields.update(first_input(typed))
    diagnoser = _diagnoser(rules, knowledge)
    if lang is None:
        lang = report_language(
            None, fields["text"] or (typed if _CJK.search(typed) else ""), diagnoser
        )
    ticket: dict[str, Any] = {
        "id": ticket_id,
        **fields,
        "symptoms": list(symptoms),
        "metrics": metrics,
        "scope": scope,
        "system": system,
        "affected_users": affected_users,
    }
    session = Session(diagnoser, ticket, max_questions=max_questions)
    if asking:
        _Conversation(session, lang).run()
        click.echo(err=True)
    result = session.diagnosis
    click.echo(render(result, Format(fmt), lang, diagnoser=session.diagnoser), nl=False)
    sys.exit(EXIT_OK if result.diagnoses else EXIT_NOTHING)
