"""Plans per jurisdiction and the site profile: contacts, escalation, default system, language."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from diagnoser import Diagnoser
from diagnoser.cli import cli, main
from diagnoser.errors import SiteProfileError
from diagnoser.report import Format, render
from diagnoser.triage.site import SiteProfile, load_site

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "site.yaml"
FOREIGN = re.compile(r"IRP|GSP|KSeF|SdI|Peppol")

SITE = """\
name: 天河路店
jurisdiction: CN
default_system: shudian
language: zh
support: {hotline: "400-000-1234", hours: "8:00–20:00", email: "it@example.com"}
escalation:
  - {when: {priority: P1}, contact: "值班经理 138-0000-0000"}
  - {when: {category: hardware}, contact: "打印机维修站 020-0000-0000"}
"""


@pytest.fixture
def site_file(tmp_path: Path) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(SITE, encoding="utf-8")
    return path


def _flat(report: str, fmt: Format) -> str:
    return html.unescape(report) if fmt is Format.HTML else report


def _texts(plan) -> list[str]:
    out = [s.text.zh + s.text.en for s in plan.steps]
    out += [t.zh + t.en for t in (*plan.workaround, *plan.recovery, *plan.prevention)]
    if plan.customer_notice is not None:
        out.append(plan.customer_notice.zh + plan.customer_notice.en)
    return out


# --- jurisdiction ------------------------------------------------------------------------------


def test_every_system_names_its_jurisdiction(shipped):
    assert {s: p.jurisdiction.value for s, p in shipped.kb.systems.items()} | {} == {
        s: p.jurisdiction.value for s, p in shipped.kb.systems.items()
    }
    assert shipped.kb.systems["shudian"].jurisdiction.value == "CN"
    assert shipped.kb.systems["india_irp"].jurisdiction.value == "IN"
    assert shipped.kb.systems["generic"].jurisdiction.value == "any"


@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.value)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_shudian_report_never_mentions_foreign_platforms(shipped, fmt, lang):
    base = shipped.diagnose({"id": "s", "text": "开不了票", "system": "shudian", "scope": "city"})
    assert base.plan is None or base.plan.jurisdictions == ("CN",)
    for fault_id in shipped.kb.faults:
        plan = shipped.plan(fault_id, systems=["shudian"], named_by_ticket=True)
        assert plan.jurisdictions == ("CN",)
        top = next(iter(base.diagnoses), None)
        ranked = (
            (top.model_copy(update={"fault_id": fault_id, "category": fault_id.split(".")[0]}),)
            if top
            else ()
        )
        result = base.model_copy(update={"plan": plan, "diagnoses": ranked})
        report = _flat(render(result, fmt, lang, diagnoser=shipped), fmt)
        if fmt is Format.JSON:  # references name the sources, which cover several countries
            data = json.loads(report)
            data["plan"].pop("references")
            report = json.dumps(data, ensure_ascii=False)
        found = FOREIGN.findall(report)
        assert not found, (fault_id, found)


def test_an_india_report_gets_the_irp_steps(shipped):
    result = shipped.diagnose({"text": "IRP down, 2146", "system": "india_irp"})
    assert result.plan is not None and result.plan.fault_id == "external.platform_outage"
    assert result.plan.jurisdictions == ("IN",)
    texts = " ".join(_texts(result.plan))
    assert "IRP helpdesk" in texts and "NIC-IRP1" in texts
    assert "KSeF" not in texts and "数电平台没有本地离线模式" not in texts


def test_generic_steps_stay_whatever_the_jurisdiction(shipped):
    fault = shipped.kb.faults["external.platform_outage"]
    every = shipped.plan(fault.id).steps  # no jurisdiction known: all, in the fault's order
    generic = [every[i].text.en for i, s in enumerate(fault.emergency_steps) if not s.jurisdictions]
    for system in ("shudian", "india_irp", "italy_sdi"):
        plan = shipped.plan(fault.id, systems=[system], named_by_ticket=True)
        kept = [s.text.en for s in plan.steps]
        assert all(g in kept for g in generic), system


def test_without_a_system_or_site_every_step_is_kept(shipped):
    plan = shipped.plan("external.platform_outage")
    fault = shipped.kb.faults["external.platform_outage"]
    assert plan.jurisdictions == () and len(plan.steps) == len(fault.emergency_steps)


def test_the_site_jurisdiction_applies_when_the_ticket_names_no_system(shipped):
    poland = Diagnoser(shipped.kb, site={"jurisdiction": "PL"})
    result = poland.diagnose({"text": "the tax platform is down for everyone", "scope": "city"})
    assert result.plan is not None and result.plan.jurisdictions == ("PL",)
    texts = " ".join(_texts(result.plan))
    assert "KSeF" in texts and "IRP" not in texts
    # the ticket's own system wins over the site's jurisdiction
    named = poland.diagnose({"text": "platform down", "system": "india_irp", "scope": "city"})
    assert named.plan is not None and named.plan.jurisdictions == ("IN",)


# --- the site profile --------------------------------------------------------------------------


def test_the_shipped_example_profile_is_valid_and_says_it_is_an_example(shipped):
    profile = load_site(EXAMPLE, shipped.kb.systems)
    assert profile.support.hotline == "020-12345678"
    assert "EXAMPLE" in EXAMPLE.read_text(encoding="utf-8")


def test_the_seed_number_lives_only_in_the_example_profile():
    for root in ("knowledge", "rules"):
        for path in (ROOT / root).rglob("*.yaml"):
            assert "12345678" not in path.read_text(encoding="utf-8"), path


def test_contacts_are_filled_from_the_profile(shipped, site_file):
    desk = Diagnoser(shipped.kb, site=site_file)
    result = desk.diagnose({"error_codes": ["1001"], "system": "generic"})
    assert result.plan is not None and result.plan.contacts_note is None
    contact = " ".join(s.text.zh + s.text.en for s in result.plan.steps)
    assert "400-000-1234" in contact and "8:00–20:00" in contact
    assert "{support." not in contact


def test_without_a_profile_contacts_name_the_role_and_the_report_says_how_once(shipped):
    result = shipped.diagnose({"error_codes": ["1001"], "system": "generic"})
    assert result.plan is not None
    contact = " ".join(s.text.en for s in result.plan.steps)
    assert "your invoicing-system support line" in contact and "{" not in contact
    assert "贵单位开票系统的技术支持热线" in " ".join(s.text.zh for s in result.plan.steps)
    for fmt in Format:
        report = _flat(render(result, fmt, "en", diagnoser=shipped), fmt)
        assert report.count("--site FILE") == 1, fmt


def test_the_escalation_contact_that_applies_is_shown(shipped, site_file):
    desk = Diagnoser(shipped.kb, site=site_file)
    printer = desk.diagnose({"text": "the invoice printer jammed", "scope": "single_user"})
    assert printer.plan is not None and printer.plan.escalation is not None
    assert printer.plan.escalation.contact == "打印机维修站 020-0000-0000"
    assert "打印机维修站 020-0000-0000" in render(printer, Format.TEXT, "zh", diagnoser=desk)
    city = desk.diagnose({"text": "全市都报错误代码1001", "scope": "city"})
    assert city.priority is not None and city.priority.value == "P1"
    assert city.plan is not None and city.plan.escalation is not None
    assert city.plan.escalation.contact.startswith("值班经理")  # the first entry that holds
    quiet = desk.diagnose({"error_codes": ["1001"], "scope": "single_user"})
    assert quiet.plan is not None and quiet.plan.escalation is None


def test_braces_in_profile_values_and_tickets_are_harmless(shipped):
    desk = Diagnoser(
        shipped.kb,
        site={"support": {"hotline": "{support.email} {0} {__class__}", "email": "x@y"}},
    )
    result = desk.diagnose(
        {"text": "error code 1001, hello {support.hotline} {0}", "system": "generic"}
    )
    assert result.plan is not None
    contact = " ".join(s.text.en for s in result.plan.steps)
    assert "{support.email} {0} {__class__}" in contact  # inserted as given, not re-read
    report = render(result, Format.TEXT, "en", diagnoser=desk)
    assert "{support.hotline} {0}" in report  # the ticket text is shown as typed


def test_the_default_system_applies_only_when_the_ticket_names_none(shipped):
    desk = Diagnoser(shipped.kb, site={"default_system": "india_irp"})
    plain = desk.diagnose({"error_codes": ["2150"]})
    assert any(s.id == "system" and s.value == "india_irp" for s in plain.symptoms)
    own = desk.diagnose({"error_codes": ["1001"], "system": "generic"})
    assert not any(s.id == "system" and s.value == "india_irp" for s in own.symptoms)
    said = desk.diagnose({"text": "数电平台报错 1001"})
    assert not any(s.id == "system" and s.value == "india_irp" for s in said.symptoms)
    record = desk.diagnose_record({"error_codes": ["2150"]})
    assert record["systems"] == ["india_irp"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\nsuport: {hotline: '1'}\n", ":2: error: unknown key 'suport' (did you mean"),
        ("jurisdiction: XX\n", ":1: error: jurisdiction: Input should be"),
        ("escalation:\n  - {when: {}, contact: a}\n", ":2: error: escalation.0.when: 'when' needs"),
        ("escalation:\n  - {when: {priority: P9}, contact: a}\n", ":2: error: escalation.0.when"),
        ("language: fr\n", ":1: error: language:"),
        ("name: [unclosed\n", "site.yaml:"),
    ],
)
def test_a_bad_profile_names_file_and_line(tmp_path, text, expected):
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SiteProfileError) as info:
        load_site(path)
    assert expected in str(info.value)


def test_an_unknown_default_system_is_an_error_with_its_line(shipped, tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text("name: x\ndefault_system: shudain\n", encoding="utf-8")
    with pytest.raises(SiteProfileError) as info:
        Diagnoser(shipped.kb, site=path)
    assert "site.yaml:2:" in str(info.value) and "did you mean 'shudian'" in str(info.value)


def test_the_library_takes_a_path_a_mapping_or_a_model(shipped, site_file):
    for site in (site_file, str(site_file), {"support": {"hotline": "400-000-1234"}}):
        desk = Diagnoser(shipped.kb, site=site)
        assert desk.site is not None and desk.site.support.hotline == "400-000-1234"
    model = SiteProfile.model_validate({"jurisdiction": "IN"})
    assert Diagnoser(shipped.kb, site=model).site == model


# --- the command line --------------------------------------------------------------------------


def test_cli_site_option_and_environment(site_file):
    runner = CliRunner()
    by_option = runner.invoke(cli, ["diagnose", "-c", "1001", "--site", str(site_file)])
    assert by_option.exit_code == 0, by_option.output
    assert "400-000-1234" in by_option.output
    assert "联系技术支持" in by_option.output  # the profile's language: the ticket has no text
    by_env = runner.invoke(
        cli, ["diagnose", "-c", "1001", "-f", "json"], env={"DIAGNOSER_SITE": str(site_file)}
    )
    data = json.loads(by_env.output)
    assert data["plan"]["contacts_note"] is None
    assert data["plan"]["jurisdictions"] == ["CN"]
    text = runner.invoke(
        cli, ["diagnose", "-t", "cannot connect, error 1001", "--site", str(site_file)]
    )
    assert "Contact support" in text.output  # an English ticket gets an English report


def test_cli_bad_site_exits_4_naming_the_line(tmp_path, monkeypatch, capsys):
    path = tmp_path / "site.yaml"
    path.write_text("support:\n  hotlin: '1'\n", encoding="utf-8")
    monkeypatch.setattr("sys.argv", ["diagnoser", "diagnose", "-c", "1001", "--site", str(path)])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 4
    assert "site.yaml:2: error: unknown key 'hotlin'" in capsys.readouterr().err


def test_batch_applies_the_site_default_system(tmp_path, site_file):
    tickets = tmp_path / "t.jsonl"
    tickets.write_text('{"id": "1", "error_codes": ["1001"]}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        cli,
        ["batch", str(tickets), "-o", str(out), "--workers", "1", "--site", str(site_file), "-q"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["systems"] == ["shudian"]
