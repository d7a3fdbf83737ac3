"""`diagnoser kb learn`: what a batch did not understand, grouped, with entries to paste."""

from __future__ import annotations

import json

from click.testing import CliRunner

from diagnoser.cli import cli


def _results(tmp_path, clauses):
    path = tmp_path / "results.jsonl"
    rows = [
        {"id": f"t{i}", "status": "ok", "unrecognised": [{"kind": "text", "value": c}]}
        for i, c in enumerate(clauses)
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def test_groups_unrecognised_clauses_by_their_word_and_proposes_entries(tmp_path):
    path = _results(
        tmp_path,
        [
            "发票二维码扫不出来",
            "二维码扫描失败",
            "顾客说二维码扫不了",
            "QR code will not scan",
            "weird beep",
        ],
    )
    result = CliRunner().invoke(cli, ["kb", "learn", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    groups = json.loads(result.output)["groups"]
    first = groups[0]
    assert first["key"] == "二维码" and first["count"] == 3
    assert len(first["examples"]) == 3
    assert first["proposal"]["term"]["terms"]
    assert first["proposal"]["match"][0].startswith("@")


def test_a_broken_results_file_names_file_and_line(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text('{"id": "a"}\nnot json\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["kb", "learn", str(path)])
    assert result.exit_code == 4  # the input is invalid, as for every command
    assert f"{path}:2: not JSON" in result.output


def test_a_results_file_that_is_not_utf8_names_file_and_line(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_bytes(b'{"id": "a"}\n\xff\xfe not text\n')
    result = CliRunner().invoke(cli, ["kb", "learn", str(path)])
    assert result.exit_code == 4, result.output
    assert f"{path}:2: not UTF-8" in result.output
    assert "internal error" not in result.output


def test_a_results_file_that_fails_while_read_is_an_input_error(tmp_path, fail_reading):
    path = tmp_path / "results.jsonl"
    path.write_text('{"id": "a"}\n', encoding="utf-8")
    fail_reading(path)
    result = CliRunner().invoke(cli, ["kb", "learn", str(path)])
    assert result.exit_code == 4, result.output
    assert f"{path}:1: cannot read: Input/output error" in result.output


def test_memory_is_bounded_by_distinct_clauses_and_the_rest_is_counted():
    from diagnoser.kb.learn import MAX_CLAUSE, learn

    clauses = ["二维码扫不出来", "二维码扫描失败", "二维码扫不出来", "新的一句话", "another one"]
    groups = learn(clauses, max_distinct=2)
    assert groups.ungrouped == 2  # the two new clauses after the bound
    assert groups[0].key == "二维码" and groups[0].count == 3  # a repeat still counts
    long = learn(["打印机" + "啊" * (MAX_CLAUSE * 50)])
    assert all(len(e) <= MAX_CLAUSE for g in long for e in g.examples)


def test_the_command_says_when_clauses_went_ungrouped(tmp_path, monkeypatch):
    import diagnoser.kb.learn as learn_module

    monkeypatch.setattr(learn_module, "MAX_DISTINCT", 1)
    path = _results(tmp_path, ["二维码扫不出来", "打印机卡纸了", "网络断了"])
    result = CliRunner().invoke(cli, ["kb", "learn", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ungrouped"] == 2
    assert "not grouped" in result.stderr
