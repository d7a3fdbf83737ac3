"""`diagnoser interactive`: a question-and-answer diagnosis for an agent on the phone.

The conversation (questions, rankings, explanations, the closing summary) goes to stderr and
the final report to stdout, so `--format json > out.json` still works at a terminal. Questions
are asked only when stdin is a terminal; `--ask` forces them (scripts and tests feed the
answers on stdin), and `--no-input` never asks. At a terminal, answers are typed with line
editing and history (the standard library's readline, where the platform has it).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .._text import CJK as _CJK
from ..interactive import (
    FIELD_NAMES,
    MAX_QUESTIONS,
    Command,
    Question,
    Session,
    Stop,
    parse_reply,
    summarise,
)
from ..report import Format, clean, detect_language, render, wrap
from . import _timestamp, ticket_options
from ._common import (
    EXIT_NOTHING,
    EXIT_OK,
    kb_options,
    make_diagnoser,
    report_language,
    site_option,
)

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
        "zh": "没有听懂。请回答 是 / 否 / 不知道，或用一句话说看到的现象；"
        "也可输入 为什么、返回、退出。",
        "en": "Not understood. Answer y(es) / n(o) / u(nknown), or say in a few words what the "
        "caller sees; or type why, back or quit.",
    },
    "field_hint": {"zh": "（不知道，返回，退出）", "en": "(u = unknown, back, quit)"},
    "invalid_error_codes": {
        "zh": "请照读屏幕上的错误代码或提示，没有就答“没有”，不知道答“不知道”。",
        "en": "Read out the code or message on the screen, or answer no / u(nknown).",
    },
    "invalid_reported_at": {
        "zh": "请给出时间，如 9:05、下午3点、20分钟前、刚才，或答“不知道”。",
        "en": "Give a time such as 9:05, 3pm, 20 minutes ago or just now — or u(nknown).",
    },
    "invalid_scope": {
        "zh": "请说影响范围：人数（如 3），或 只有这一台 / 这家店 / 一个区 / 全市，或答“不知道”。",
        "en": "Say how far it reaches: a number of users (e.g. 3), or just me / this shop / "
        "a district / the whole city — or u(nknown).",
    },
    "recorded": {"zh": "已记录：{name} = {value}", "en": "Recorded: {name} = {value}"},
    "why_field": {
        "zh": "应急流程需要它：联系技术支持时要提供错误代码、故障开始时间和影响范围，"
        "影响范围还决定优先级。",
        "en": "The emergency process needs it: support asks for the code, the time the fault "
        "began and how far it reaches, and the scope sets the priority.",
    },
    "summary": {"zh": "小结", "en": "Summary"},
    "summary_fault": {
        "zh": "最可能：{title} [{id}]，可信度 {pct}",
        "en": "Most likely: {title} [{id}], certainty {pct}",
    },
    "summary_none": {"zh": "没有识别出故障。", "en": "No fault identified."},
    "summary_priority": {"zh": "优先级 {p}", "en": "priority {p}"},
    "summary_steps": {"zh": "接下来：", "en": "Next steps:"},
    "summary_call": {"zh": "联系谁：", "en": "Who to call:"},
    "summary_asked": {"zh": "共问了 {n} 个问题。", "en": "{n} questions asked."},
    "offer": {"zh": "显示完整报告？", "en": "Show the full report?"},
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


def stdout_is_terminal() -> bool:
    """Whether the report would go to a terminal (then it is offered, not just printed)."""
    return sys.stdout.isatty()


# the check for offering the report; tests may point it elsewhere
report_to_terminal: Callable[[], bool] = stdout_is_terminal


def enable_line_editing() -> bool:
    """Line editing and history for the answers (arrow keys, ^R): the standard library's
    readline, which `input()` — and so click.prompt — uses once it is imported."""
    try:
        import readline  # noqa: F401  (importing it is what turns it on)
    except ImportError:  # Windows without pyreadline: plain input still works
        return False
    return True


def terminal_width() -> int:
    """Columns of the terminal on stderr (80 when it cannot tell); at least 40."""
    return max(40, shutil.get_terminal_size((80, 24)).columns)


class _Conversation:
    """The terminal side of a Session: prompts, rankings and explanations on stderr."""

    def __init__(self, session: Session, lang: str) -> None:
        self.session = session
        self.lang = lang
        self.show_hint = True  # the answer choices, shown at the first question
        self.width = terminal_width()

    def echo(self, text: str = "") -> None:
        click.echo(clean(text), err=True)

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
        width = self.width
        if question.field is not None:
            self.echo(wrap(_say("why_field", lang), width))
            return
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
            self.echo(wrap(f"  - {use.rule} ({role}) → {target} @{use.certainty:g}", width, 6))
            self.echo("      " + wrap(use.because.get(lang), width, 6))
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
                        n=session.asked,
                    )
                )
                return
            number = session.asked + 1
            hint_key = "field_hint" if question.field is not None else "hint"
            hint = f" {_say(hint_key, lang)}" if self.show_hint or question.field else ""
            if question.field is None:
                self.show_hint = False
            asked_at = session.clock()
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
            if parsed is Command.QUIT:
                self.echo(_say("stop_quit", lang))
                return
            if parsed is Command.WHY:
                self.explain(question)
            elif parsed is Command.BACK:
                undone = session.back()
                if undone is None:
                    self.echo(_say("nothing_to_undo", lang))
                else:
                    self.echo(
                        _say(
                            "undone",
                            lang,
                            name=self._name(undone.question),
                            answer=self._meaning(undone.answer),
                        )
                    )
                    self.show_ranking()
            elif session.take(question, reply, asked_at=asked_at):
                if question.field is not None:
                    value = session.exchanges[-1].answer
                    self.echo(
                        _say(
                            "recorded", lang, name=self._name(question), value=self._meaning(value)
                        )
                    )
                self.show_ranking()
            else:
                key = f"invalid_{question.field.value}" if question.field else "invalid"
                self.echo(_say(key, lang))
                self.show_hint = True

    def _name(self, question: Question) -> str:
        if question.field is not None:
            return FIELD_NAMES[question.field].get(self.lang)
        return question.name.get(self.lang)

    def _meaning(self, answer: str) -> str:
        return _say(answer, self.lang) if answer in ("yes", "no", "unknown") else answer

    def summary(self, contacts: dict[str, str] | None = None) -> None:
        """The closing summary: top fault, certainty, next three steps, who to call."""
        lang = self.lang
        width = self.width
        found = summarise(self.session, lang, contacts)
        self.echo()
        self.echo(_say("summary", lang))
        self.echo("─" * min(width, 60))
        if found.fault_id is None:
            self.echo(_say("summary_none", lang))
        else:
            pct = f"{(found.certainty or 0) * 100:.0f}%"
            line = _say("summary_fault", lang, title=found.title, id=found.fault_id, pct=pct)
            if found.priority:
                line += ("，" if lang == "zh" else ", ") + _say(
                    "summary_priority", lang, p=found.priority
                )
            self.echo(wrap(line, width))
        if found.next_steps:
            self.echo(_say("summary_steps", lang))
            for i, step in enumerate(found.next_steps, 1):
                self.echo(f"  {i}. " + wrap(step, width, 5))
        if found.call:
            self.echo(_say("summary_call", lang))
            self.echo("  " + wrap(found.call, width, 2))
        self.echo(_say("summary_asked", lang, n=found.asked))


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
@click.option(
    "--reported-at",
    callback=_timestamp,
    help="When the fault began, ISO 8601 (otherwise it is asked and recorded).",
)
@click.option(
    "--ask-tests",
    is_flag=True,
    help="The one on the line can run tests and read logs: ask those questions too.",
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
    reported_at: dt.datetime | None,
    ask_tests: bool,
    no_input: bool,
    ask: bool,
    rules: Path | None,
    knowledge: Path | None,
) -> None:
    """Diagnose by asking: the question that best separates the candidates comes next.

    First it asks what the emergency process needs and the ticket lacks: the error code on the
    screen, when the fault began (recorded) and how far it reaches. Answer each question with
    y(es) / n(o) / u(nknown) — or 是 / 否 / 不知道 — or in the caller's words ("打印机灯在闪");
    type `why` to see why it is asked, `back` to undo the last answer and `quit` to stop. It
    ends with a one-screen summary and the full report, the same as `diagnose` prints for the
    facts gathered. Without a terminal on stdin (or with --no-input) it asks nothing.
    """
    if no_input and ask:
        raise click.UsageError("--ask and --no-input exclude each other")
    at_terminal = is_terminal()
    asking = ask or (not no_input and at_terminal)
    if asking and at_terminal:
        enable_line_editing()
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
    diagnoser = make_diagnoser(rules, knowledge)
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
        "reported_at": reported_at,
    }
    session = Session(
        diagnoser, ticket, max_questions=max_questions, process=asking, ask_tests=ask_tests
    )
    show = True
    if asking:
        conversation = _Conversation(session, lang)
        conversation.run()
        conversation.summary()
        if report_to_terminal():
            try:
                show = click.confirm(_say("offer", lang), default=True, err=True)
            except click.exceptions.Abort:
                show = False
        click.echo(err=True)
    result = session.diagnosis
    if show:
        # the same report `diagnose` prints for the ticket the answers built; JSON also
        # carries the consultation
        shown = session.result(lang) if fmt == Format.JSON.value else result
        click.echo(
            render(shown, Format(fmt), lang, diagnoser=diagnoser, ticket=session.ticket), nl=False
        )
    sys.exit(EXIT_OK if result.diagnoses else EXIT_NOTHING)
