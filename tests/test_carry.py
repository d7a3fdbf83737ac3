"""The carry: an object named in one clause, its state told in a later clause of the sentence
(docs/intake.md, "Clauses and the carry"). The state's clause keeps its own context; a cleared
or asked object lends nothing; a sentence end, a new object or distance stop the carry; both
matcher paths carry alike."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from diagnoser.intake import Vocabulary, read_text

ROOT = Path(__file__).resolve().parent.parent


def _symptoms(shipped, text):
    return dict(read_text(text, shipped._vocab).symptoms)


def _faults(shipped, text):
    return [d.fault_id for d in shipped.diagnose({"text": text}).diagnoses]


@pytest.mark.parametrize(
    ("text", "symptom", "state", "obj"),
    [
        ("税控盘昨天还好好的，今天插上去又没反应了", "device_not_detected", "没反应", "税控盘"),
        ("那台收銀機，開機後一直卡在開機畫面", "terminal_hardware_fault", "卡在开机画面", "收银机"),
        ("UKey 拔了重插，还是识别不到", "device_not_detected", "识别不到", "UKey"),
        ("打印机，今天一直离线", "printer_offline", "今天一直离线", "打印机"),
        (
            "the printer was fine yesterday, today it shows offline",
            "printer_offline",
            "shows offline",
            "printer",
        ),
        # over a clause that names nothing: 重启了好几次
        ("前台那台打印机，重启了好几次，还是脱机", "printer_offline", "还是脱机", "打印机"),
    ],
)
def test_a_state_in_a_later_clause_takes_the_object_named_before_it(
    shipped, text, symptom, state, obj
):
    said = read_text(text, shipped._vocab)
    source = dict(said.symptoms)[symptom]
    # the evidence is the state's own words, and says which object it was told of
    assert source.quote == state and source.carried_from == obj
    assert said.text[source.span[0] : source.span[1]] == state
    # the object's clause was read too: it is not left as not understood
    assert not any(obj.lower() in u.value.lower() for u in said.unrecognised)


def test_the_carried_object_shows_in_the_json_evidence(shipped):
    got = shipped.diagnose({"text": "那台收銀機，開機後一直卡在開機畫面"})
    assert got.diagnoses[0].fault_id == "hardware.terminal_failure"
    data = got.model_dump(mode="json")
    sources = [s["source"] for s in data["symptoms"] if s["id"] == "terminal_hardware_fault"]
    assert sources == [
        {"kind": "text", "span": [11, 17], "quote": "卡在开机画面", "carried_from": "收银机"}
    ]


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "printer offline, said of 'printer' named earlier"),
        ("zh", "（说的是前文的“printer”）"),
    ],
)
def test_every_report_says_which_object_a_carried_state_was_said_of(shipped, lang, said):
    from diagnoser.report import Format, render

    got = shipped.diagnose({"text": "the printer was fine yesterday, today it shows offline"})
    for fmt in (Format.TEXT, Format.MARKDOWN):
        assert said in render(got, fmt, lang, diagnoser=shipped)
    html = render(got, Format.HTML, lang, diagnoser=shipped)
    assert said.replace("'", "&#39;") in html
    # a state said in the object's own clause names no earlier object
    plain = shipped.diagnose({"text": "the printer shows offline"})
    assert "named earlier" not in render(plain, Format.TEXT, "en", diagnoser=shipped)


@pytest.mark.parametrize(
    "text",
    [
        "打印机换了新纸，现在没问题了",  # cleared
        "打印机，换了色带，现在好了",
        "UKey 拔了重插，现在可以识别了",
        "the printer was offline this morning, after a restart it works now",
        "打印机，如果一直显示离线该怎么办？",  # asked, hypothetical
        "税控盘，要是插上去没反应应该怎么处理？",
        "What should we do if the receipt printer, after an update, shows offline?",
        "打印机，上次显示离线，这次要怎么预防？",  # recalled with a prevention ask
        "收银机，上周卡在开机画面，后来已经修好了",  # history
    ],
)
def test_the_state_clause_keeps_its_own_context(shipped, text):
    assert _faults(shipped, text) == []


def test_a_cleared_object_lends_nothing_and_the_next_clause_object_wins(shipped):
    text = "打印机没问题，就是开票软件点打印没反应"
    said = read_text(text, shipped._vocab)
    assert all(s.carried_from is None for _, s in said.symptoms)
    assert "printer_offline" not in dict(said.symptoms)
    assert _faults(shipped, text)[0] == "software.program_error"
    # said of the object now, not before: "is fine" with nothing earlier does not lend
    said = _symptoms(shipped, "The printer is fine, but the software shows offline")
    assert "printer_offline" not in said


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("打印机。一直离线", "a sentence end"),
        ("The printer. Today it shows offline", "a sentence end"),
        ("打印机，税控盘一直没反应", "a new object in the state's clause"),
        ("打印机，税控盘插上了，还是离线", "a new object between"),
        ("打印机，重启了，换了纸，拔了线，还是离线", "more than three clauses back"),
    ],
)
def test_where_the_carry_stops(shipped, text, reason):
    said = _symptoms(shipped, text)
    assert not any(s.carried_from == "打印机" or s.carried_from == "printer" for s in said.values())
    assert "printer_offline" not in said, reason


@pytest.mark.parametrize(
    ("text", "symptom", "obj"),
    [
        # what happened before, not what fails: after, since, update, patch, upgrade
        ("the till printer, after the windows update, shows offline", "printer_offline", "printer"),
        ("our invoice printer, after the patch, is offline again", "printer_offline", "printer"),
        ("the printer, since the upgrade on friday, shows offline", "printer_offline", "printer"),
        ("打印机，从 update 之后一直脱机", "printer_offline", "打印机"),
        # a count names nothing: it is said of what was done to the object
        ("the receipt printer, restarted it twice, still offline", "printer_offline", "printer"),
        (
            "the tax UKey, replugged it three times, still not detected",
            "device_not_detected",
            "tax UKey",
        ),
    ],
)
def test_a_circumstance_or_a_count_between_does_not_stop_the_carry(shipped, text, symptom, obj):
    source = _symptoms(shipped, text)[symptom]
    assert source.carried_from == obj


@pytest.mark.parametrize(
    ("text", "symptom", "obj"),
    [
        # a state word between names no object: cleared, frozen, hacked, blocked
        (
            "the receipt printer, we cleared the jam, still shows offline",
            "printer_offline",
            "printer",
        ),
        ("the tax UKey, frozen after the update, not detected", "device_not_detected", "tax UKey"),
        ("the IRP, cleared yesterday, now down again", "platform_error", "IRP"),
        ("the receipt printer, hacked or not, still shows offline", "printer_offline", "printer"),
        ("the tax UKey, blocked by windows, not detected", "device_not_detected", "tax UKey"),
    ],
)
def test_a_state_word_between_does_not_stop_the_carry(shipped, text, symptom, obj):
    source = _symptoms(shipped, text)[symptom]
    assert source.carried_from == obj


@pytest.mark.parametrize(
    ("text", "symptom"),
    [
        # the state-first shapes still read where they are said
        ("our vendor says it was a compromised account", "cyber_attack"),
        ("pegged cpu on the invoicing server all morning", "high_cpu"),
    ],
)
def test_a_state_said_before_its_object_still_reads(shipped, text, symptom):
    assert symptom in _symptoms(shipped, text)


def test_a_connection_named_between_is_an_object_of_its_own(shipped):
    # "connection timed out" is said of the connection, not of the GSP named before it
    text = "SAP can't reach the GSP endpoint, connection timed out after 30s every time"
    said = _symptoms(shipped, text)
    assert all(s.carried_from != "GSP" for s in said.values())
    assert _faults(shipped, text)[0] == "network.disconnected"


def test_a_state_said_outright_is_not_also_carried(shipped):
    # both clauses name the printer's state: the first says it outright
    said = _symptoms(shipped, "打印机离线了，重启后还是离线")
    assert said["printer_offline"].carried_from is None


def _carry_texts() -> list[str]:
    data = yaml.safe_load(
        (ROOT / "rules" / "scenarios" / "carry-phrasing-6.yaml").read_text(encoding="utf-8")
    )
    return [s["ticket"]["text"] for s in data["scenarios"]]


def test_both_matcher_paths_carry_alike(shipped):
    fast = Vocabulary.build(shipped.kb)
    plain = Vocabulary.build(shipped.kb, finder="reference")
    texts = _carry_texts()
    carried = 0
    for text in texts:
        said = read_text(text, fast)
        assert said == read_text(text, plain), text
        carried += any(s.carried_from for _, s in said.symptoms)
    assert carried >= 25  # the list does exercise the carry


def test_the_breadth_list_holds_carried_faults_and_look_alikes(shipped_scenarios):
    scenarios = shipped_scenarios["carry-phrasing-6"]
    no_faults = sum(s.nothing for s in scenarios)
    assert len(scenarios) >= 60
    assert no_faults >= len(scenarios) / 3
    assert len(scenarios) - no_faults >= len(scenarios) / 2
