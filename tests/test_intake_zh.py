"""Chinese phrasing classes: word orders, split verbs, mixed zh/en, Cantonese and Taiwan words.

Each class is given a few phrasings of its own; the fast matcher must read each of them as the
reference path does, and the non-faults that share their words must stay undiagnosed."""

from __future__ import annotations

import pytest

from diagnoser.intake import Vocabulary, read_text

# (text, a symptom it must read)
READS = [
    # a verb and its object split by an aspect word: 断过网, 断了网
    ("之前也断过网，今天又断了", "network_down"),
    ("店里上午断了两次网", "network_down"),
    # the state before the program named: V-不-V + object
    ("一直打不开开票软件", "crash_on_startup"),
    ("早上启动不了开票系统", "crash_on_startup"),
    # the server, then its state a clause later or across a time phrase
    ("開票伺服器，早上起來就當機了", "server_down"),
    ("server 从昨晚开始就 down 了", "server_down"),
    ("服务器今早开始就挂了", "server_down"),
    ("服务器硬盘，昨天开始一直报警", "disk_failure"),
    ("硬碟，今天開機後一直告警", "disk_failure"),
    # Cantonese forms of the same states
    ("開票軟件開唔到", "crash_on_startup"),
    ("個開票系統打唔開", "crash_on_startup"),
]

# texts with the same words that report nothing
NOTHING = [
    "上周断过一次网，后来已经恢复了",
    "请问打不开开票软件一般是什么原因？",
    "服务器硬盘报警的时候该怎么处理？",
]


@pytest.fixture(scope="module")
def both_paths(shipped) -> tuple[Vocabulary, Vocabulary]:
    return Vocabulary.build(shipped.kb), Vocabulary.build(shipped.kb, finder="reference")


@pytest.mark.parametrize(("text", "symptom"), READS)
def test_a_chinese_phrasing_reads_its_symptom(shipped, text, symptom):
    assert symptom in {s.id for s in shipped.diagnose({"text": text}).symptoms}


@pytest.mark.parametrize("text", NOTHING)
def test_the_same_words_in_a_non_fault_give_nothing(shipped, text):
    assert not shipped.diagnose({"text": text}).diagnoses


def test_fast_and_reference_paths_read_these_phrasings_alike(both_paths):
    fast, plain = both_paths
    for text in [t for t, _ in READS] + NOTHING:
        assert read_text(text, fast) == read_text(text, plain), text
