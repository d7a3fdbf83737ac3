"""The compiled vocabulary cache: the same readings from the cache as compiled, in processes of
their own; damaged entries rebuilt; keys that follow the knowledge base; the opt-out."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from diagnoser import load_knowledge_base
from diagnoser.intake import Vocabulary, _Compiled, read_text
from diagnoser.intake import _cache as vocab_cache
from diagnoser.kb import _cache as kb_cache
from tests.test_vocabulary import _all_texts

ROOT = Path(__file__).resolve().parent.parent
TEXT = "开票时打印机不出纸，提示错误代码1001"


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[Vocabulary]:
    """The vocabularies compiled (not read from the cache) from now on."""
    seen: list[Vocabulary] = []
    real = Vocabulary._compile_all

    def counting(self: Vocabulary) -> _Compiled:
        seen.append(self)
        return real(self)

    monkeypatch.setattr(Vocabulary, "_compile_all", counting)
    return seen


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("vocab-*.pickle"))


# one process reads every text with the vocabulary as the environment has it: compiled (cache
# off), compiled and stored (cache empty), or read from the cache (cache filled)
_READER = """
import pickle, sys
from diagnoser import Diagnoser
from diagnoser.intake import read_text
texts = pickle.loads(sys.stdin.buffer.read())
vocab = Diagnoser()._vocab
readings = [read_text(t, vocab) for t in texts]
sys.stdout.buffer.write(pickle.dumps((vocab._compiled_ is not None, readings)))
"""


def _read_in_process(texts: list[str], env: dict[str, str]) -> list[object]:
    done = subprocess.run(
        [sys.executable, "-c", _READER],
        input=pickle.dumps(texts),
        capture_output=True,
        env=env,
        check=True,
        timeout=600,
    )
    compiled, readings = pickle.loads(done.stdout)
    assert compiled
    return list(readings)


def test_a_process_reading_the_cache_reads_every_text_as_one_that_compiles(tmp_path):
    texts = _all_texts()
    assert len(texts) > 500
    env = {**os.environ, "DIAGNOSER_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("DIAGNOSER_CACHE", None)
    uncached = _read_in_process(texts, {**env, "DIAGNOSER_CACHE": "0"})
    assert not (tmp_path / "cache").exists()
    filling = _read_in_process(texts, env)
    assert len(_entries(tmp_path / "cache")) == 1
    stamp = _entries(tmp_path / "cache")[0].stat().st_mtime_ns
    cached = _read_in_process(texts, env)
    assert _entries(tmp_path / "cache")[0].stat().st_mtime_ns == stamp  # read, not written
    for text, plain, filled, read in zip(texts, uncached, filling, cached, strict=True):
        assert plain == filled == read, text


def test_a_vocabulary_from_the_cache_reads_as_the_compiled_one(cache, shipped, compiles):
    compiled = Vocabulary.build(shipped.kb)
    compiled.compile()
    assert len(compiles) == 1 and len(_entries(cache)) == 1
    loaded = Vocabulary.build(shipped.kb)
    assert loaded.finder_name == "aho-corasick"
    assert len(compiles) == 1  # read, not compiled
    plain = Vocabulary.build(shipped.kb, finder="reference")
    assert plain.finder_name == "reference" and len(compiles) == 2
    assert len(_entries(cache)) == 2  # the reference path is an entry of its own
    again = Vocabulary.build(shipped.kb, finder="reference")
    assert again.finder_name == "reference" and len(compiles) == 2
    for text in _all_texts()[::7]:
        assert read_text(text, loaded) == read_text(text, compiled) == read_text(text, again)


def test_a_damaged_or_foreign_entry_is_compiled_again(cache, shipped, compiles):
    Vocabulary.build(shipped.kb).compile()
    (entry,) = _entries(cache)
    whole = entry.read_bytes()
    key = vocab_cache.vocabulary_key(Vocabulary.build(shipped.kb))
    expected = read_text(TEXT, Vocabulary.build(shipped.kb))
    assert expected.symptoms and len(compiles) == 1
    middle = len(whole) // 2
    damaged = {
        "truncated": whole[:middle],
        "a byte changed": whole[:middle] + bytes([whole[middle] ^ 0x20]) + whole[middle + 1 :],
        "empty": b"",
        "garbage": os.urandom(4096),
        "another format": whole.replace(b"vocabulary-cache 1", b"vocabulary-cache 0", 1),
        "another key": whole.replace(whole[40:50], b"0123456789", 1),
    }
    for n, (what, data) in enumerate(damaged.items(), start=2):
        entry.write_bytes(data)
        vocab = Vocabulary.build(shipped.kb)
        assert read_text(TEXT, vocab) == expected, what
        assert len(compiles) == n, what  # compiled again, and stored whole again
        assert isinstance(kb_cache.read_entry(entry, vocab_cache._FORMAT, key), _Compiled), what
    # a whole entry of the right key that holds no compiled vocabulary is none either
    kb_cache.write_entry(cache, entry, vocab_cache._FORMAT, key, [1], "vocab-*.pickle")
    assert read_text(TEXT, Vocabulary.build(shipped.kb)) == expected
    assert len(compiles) == len(damaged) + 2


def test_the_key_follows_the_knowledge_files(cache, kb_copy, compiles):
    rules, knowledge = kb_copy
    text = "打印机一直缺纸"
    kb = load_knowledge_base(rules, knowledge)
    first = Vocabulary.build(kb)
    before = read_text(text, first)
    assert "paper_jam" not in dict(before.symptoms)
    key = vocab_cache.vocabulary_key(first)
    assert vocab_cache.vocabulary_key(Vocabulary.build(kb)) == key
    assert vocab_cache.vocabulary_key(Vocabulary.build(kb, similar=False)) != key
    assert vocab_cache.vocabulary_key(Vocabulary.build(kb, finder="reference")) != key

    core = knowledge / "symptoms" / "core.yaml"
    written = core.read_text(encoding="utf-8")
    written = written.replace("['卡纸', '夹纸']", "['卡纸', '夹纸', '缺纸']")
    core.write_text(written, encoding="utf-8")
    changed = load_knowledge_base(rules, knowledge)
    vocab = Vocabulary.build(changed)
    assert vocab_cache.vocabulary_key(vocab) != key
    assert "paper_jam" in dict(read_text(text, vocab).symptoms)
    assert len(compiles) == 2 and len(_entries(cache)) == 2

    # a knowledge base changed in memory has a key of its own too
    del kb.symptoms["paper_jam"]
    assert vocab_cache.vocabulary_key(Vocabulary.build(kb)) != key


def test_the_key_follows_the_libraries_and_the_package(cache, shipped, monkeypatch):
    vocab = Vocabulary.build(shipped.kb)
    key = vocab_cache.vocabulary_key(vocab)
    monkeypatch.setattr(vocab_cache, "_LIBRARIES", (*vocab_cache._LIBRARIES, "json"))
    assert vocab_cache.vocabulary_key(vocab) != key
    monkeypatch.undo()
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    assert vocab_cache.vocabulary_key(vocab) != key
    monkeypatch.undo()
    monkeypatch.setattr(vocab_cache, "package_stamp", lambda digest: digest.update(b"other"))
    assert vocab_cache.vocabulary_key(vocab) != key


def test_diagnoser_cache_0_writes_nothing(cache, shipped, monkeypatch, compiles):
    monkeypatch.setenv("DIAGNOSER_CACHE", "0")
    read_text(TEXT, Vocabulary.build(shipped.kb))
    read_text(TEXT, Vocabulary.build(shipped.kb))
    assert len(compiles) == 2
    assert not cache.exists()


def test_a_cache_directory_that_cannot_be_made_means_no_cache(tmp_path, shipped, monkeypatch):
    blocked = tmp_path / "a file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("DIAGNOSER_CACHE_DIR", str(blocked / "cache"))
    monkeypatch.delenv("DIAGNOSER_CACHE", raising=False)
    assert read_text(TEXT, Vocabulary.build(shipped.kb)).symptoms
    assert blocked.read_text() == "not a directory"


def test_processes_writing_one_entry_at_once_leave_a_whole_one(cache, shipped):
    vocab = Vocabulary.build(shipped.kb)
    compiled = vocab._compiled()
    key = vocab_cache.vocabulary_key(vocab)
    path = cache / f"vocab-{key[:32]}.pickle"
    form = vocab_cache._FORMAT

    def write() -> None:
        for _ in range(3):
            kb_cache.write_entry(cache, path, form, key, compiled, "vocab-*.pickle")

    writers = [threading.Thread(target=write) for _ in range(4)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    assert _entries(cache) == [path]
    assert [p.name for p in cache.iterdir()] == [path.name]  # no temporary file left
    loaded = kb_cache.read_entry(path, form, key)
    assert isinstance(loaded, _Compiled)
    assert loaded.literals == compiled.literals and loaded.table == compiled.table


def test_two_processes_filling_an_empty_cache_at_once_leave_one_whole_entry(tmp_path):
    directory = tmp_path / "cache"
    env = {**os.environ, "DIAGNOSER_CACHE_DIR": str(directory)}
    env.pop("DIAGNOSER_CACHE", None)
    texts = [TEXT, "the printer is offline", "税控盘插上去没反应"]
    both = [
        subprocess.Popen(
            [sys.executable, "-c", _READER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(pickle.dumps(texts), timeout=600)[0] for p in both]
    assert [p.returncode for p in both] == [0, 0]
    first, second = (pickle.loads(out)[1] for out in outputs)
    assert first == second
    names = sorted(p.name for p in directory.iterdir())
    assert len(_entries(directory)) == 1 and len(names) == 2  # and the knowledge base's
    assert _read_in_process(texts, env) == first
