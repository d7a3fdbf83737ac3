"""The compiled knowledge-base cache: hits, invalidation by content, corrupt entries, opt-out."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from diagnoser import Diagnoser, KnowledgeBaseError, _cachedir, load_knowledge_base
from diagnoser.kb import _cache


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The YAML files parsed from now on."""
    import diagnoser._yaml as yaml_module

    seen: list[str] = []
    real = yaml_module.load_yaml

    def counting(path: Path, display: str | None = None):  # type: ignore[no-untyped-def]
        seen.append(str(path))
        return real(path, display)

    monkeypatch.setattr(yaml_module, "load_yaml", counting)
    monkeypatch.setattr("diagnoser.kb.loader.load_yaml", counting)
    return seen


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("kb-*.pickle"))


def test_a_second_load_reads_no_yaml_and_gives_the_same_knowledge_base(cache, kb_copy, parses):
    rules, knowledge = kb_copy
    first = load_knowledge_base(rules, knowledge)
    assert parses and len(_entries(cache)) == 1
    parses.clear()
    second = load_knowledge_base(rules, knowledge)
    assert parses == []
    assert second == first
    assert second.location("fault", "network.disconnected") is not None
    a = Diagnoser(first).diagnose({"id": "t", "error_codes": ["1001"]})
    b = Diagnoser(second).diagnose({"id": "t", "error_codes": ["1001"]})
    assert a == b


def test_a_changed_file_is_read_again(cache, kb_copy, parses):
    rules, knowledge = kb_copy
    load_knowledge_base(rules, knowledge)
    rule = rules / "network" / "network-1001-local.yaml"
    text = rule.read_text(encoding="utf-8")
    rule.write_text(text.replace("title:", "title: changed", 1), encoding="utf-8")
    parses.clear()
    kb = load_knowledge_base(rules, knowledge)
    assert parses
    assert kb.rules[rule.stem].title.startswith("changed")
    assert len(_entries(cache)) == 2


def test_a_new_file_is_seen(cache, kb_copy):
    rules, knowledge = kb_copy
    load_knowledge_base(rules, knowledge)
    source = rules / "network" / "network-1001-local.yaml"
    broken = source.read_text(encoding="utf-8") + "\n: :\n"
    (rules / "network" / "zz_broken.yaml").write_text(broken, encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="zz_broken"):
        load_knowledge_base(rules, knowledge)


def test_rule_cases_and_scenarios_are_not_in_the_key(cache, kb_copy, parses):
    rules, knowledge = kb_copy
    load_knowledge_base(rules, knowledge)
    # fixture cases and scenarios are not the knowledge base: adding or changing one keeps
    # the entry (a changed rule is read again: test_a_changed_file_is_read_again)
    for unread in ("cases", "scenarios", "incidents/cases", "network/cases"):
        (rules / unread).mkdir(parents=True, exist_ok=True)
        (rules / unread / "new-case.yaml").write_text("cases: []\n", encoding="utf-8")
    parses.clear()
    load_knowledge_base(rules, knowledge)
    assert parses == [] and len(_entries(cache)) == 1


@pytest.mark.parametrize("damage", [b"", b"garbage", None])
def test_a_corrupt_entry_is_ignored_and_rebuilt(cache, kb_copy, parses, damage):
    rules, knowledge = kb_copy
    expected = load_knowledge_base(rules, knowledge)
    (entry,) = _entries(cache)
    data = entry.read_bytes()
    # None: the right header with a truncated pickle behind it
    entry.write_bytes(data[: len(data) // 2] if damage is None else damage)
    parses.clear()
    assert load_knowledge_base(rules, knowledge) == expected
    assert parses
    assert entry.read_bytes() == data  # rewritten whole
    parses.clear()
    load_knowledge_base(rules, knowledge)
    assert parses == []


@pytest.mark.parametrize("truncated", [False, True])
@pytest.mark.parametrize("collecting", [True, False])
def test_reading_an_entry_leaves_the_collector_as_it_was(cache, kb_copy, truncated, collecting):
    import gc

    rules, knowledge = kb_copy
    load_knowledge_base(rules, knowledge)
    if truncated:  # the right header, half a pickle: the read fails inside pickle.loads
        (entry,) = _entries(cache)
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2])
    try:
        if not collecting:
            gc.disable()
        load_knowledge_base(rules, knowledge)
        assert gc.isenabled() is collecting
    finally:
        gc.enable()


def test_diagnoser_cache_0_turns_it_off(cache, kb_copy, parses, monkeypatch):
    monkeypatch.setenv("DIAGNOSER_CACHE", "0")
    rules, knowledge = kb_copy
    load_knowledge_base(rules, knowledge)
    parses.clear()
    load_knowledge_base(rules, knowledge)
    assert parses
    assert not cache.exists()


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root writes")
def test_an_unwritable_cache_directory_only_costs_time(tmp_path, kb_copy, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    monkeypatch.setenv("DIAGNOSER_CACHE_DIR", str(locked / "cache"))
    rules, knowledge = kb_copy
    assert load_knowledge_base(rules, knowledge).rules


def test_a_cache_directory_that_is_a_file_only_costs_time(tmp_path, kb_copy, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("DIAGNOSER_CACHE_DIR", str(blocker))
    rules, knowledge = kb_copy
    assert load_knowledge_base(rules, knowledge).rules
    assert blocker.read_text() == "not a directory"


def test_old_entries_are_pruned(cache, kb_copy, monkeypatch):
    monkeypatch.setattr(_cache, "MAX_ENTRIES", 2)
    rules, knowledge = kb_copy
    rule = rules / "network" / "network-1001-local.yaml"
    text = rule.read_text(encoding="utf-8")
    for i in range(4):
        rule.write_text(text.replace("title:", f"title: v{i}", 1), encoding="utf-8")
        load_knowledge_base(rules, knowledge)
    assert len(_entries(cache)) == 2


def test_the_default_directory_is_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("DIAGNOSER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert _cachedir.cache_dir() == tmp_path / "diagnoser"


@pytest.mark.parametrize("setting", ["1", "0"])
def test_compiled_report_templates_are_kept_unless_the_cache_is_off(
    cache, monkeypatch, mini, setting
):
    import datetime as dt

    from diagnoser.report import render
    from diagnoser.report.renderers import _shipped_environment

    at = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)

    monkeypatch.setenv("DIAGNOSER_CACHE", setting)
    _shipped_environment.cache_clear()
    try:
        diagnosis = mini.diagnose({"id": "t", "error_codes": ["1001"]})
        first = render(diagnosis, "text", "en", diagnoser=mini, generated_at=at)
        _shipped_environment.cache_clear()
        assert render(diagnosis, "text", "en", diagnoser=mini, generated_at=at) == first
    finally:
        _shipped_environment.cache_clear()
    kept = list(cache.glob("templates-*/*"))
    assert bool(kept) is (setting == "1")
