"""JSONL lines that cross to the workers unparsed: a worker's parse and mapping of a line gives
the item the main process made of it before, record for record, on messy lines and on every
example ticket."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from diagnoser.batch import BatchConfig, ColumnMap, run_batch
from diagnoser.batch.runner import _read, iter_items, resolve_items

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "tickets"


def _messy(path: Path) -> Path:
    good = {"id": "M1", "text": "打印机卡纸了", "store": "A"}
    rows = [
        ("\ufeff" + json.dumps(good, ensure_ascii=False)).encode(),
        b"",
        b"   ",
        b'{"id": "M2", "text": "cut off",',
        b"[1, 2]",
        b'"a string"',
        json.dumps({"text": "no id"}).encode(),
        json.dumps({"id": 5, "text": "系统很慢", "metrics": {"cpu_percent": 97}}).encode(),
        json.dumps({"id": "M6", "text": 12}).encode(),
        b"[" * 100_000 + b"]" * 100_000,
        b'{"id": "M7", "n": ' + b"9" * 5000 + b"}",
        json.dumps(
            {"id": "M8", "subject": "上传失败", "reported_at": "02/Mar/26 9:15 AM"}
        ).encode(),
        json.dumps({"id": "M9", "text": "x\u0001y"}).encode(),
        json.dumps({"id": "M10", "text": "fine", "reported_at": "not a date"}).encode(),
        json.dumps({"id": "M11", "text": "发票打印不出来"}, ensure_ascii=False).encode("gb18030"),
        b'{"id": "M12", "text": "\xff\xfe\xfa broken"}',
        json.dumps({"id": "M13", "text": "printer\tjammed\r again"}).encode(),
    ]
    path.write_bytes(b"\n".join(rows) + b"\n")
    return path


def _both(config: BatchConfig) -> tuple[list, list]:
    chunk = list(_read(config, None, defer=True))
    # what a worker receives has been through pickle
    return list(iter_items(config)), resolve_items(
        pickle.loads(pickle.dumps(chunk)), config.columns
    )


def test_a_worker_makes_the_items_the_main_process_made(tmp_path):
    path = _messy(tmp_path / "messy.jsonl")
    for columns in (
        ColumnMap.build(),
        ColumnMap.build(overrides=["text=subject", "text=text"], keep=["store"]),
        ColumnMap.build(preset="zendesk"),
    ):
        made, resolved = _both(BatchConfig([str(path)], columns=columns))
        assert resolved == made
        assert any(item[4] for item in made) and any(item[2] for item in made)


def test_deferred_lines_are_one_per_record_so_resume_skips_the_same(tmp_path):
    path = _messy(tmp_path / "messy.jsonl")
    config = BatchConfig([str(path)])
    pending = list(_read(config, None, defer=True))
    assert len(pending) == len(list(iter_items(config)))
    assert any(len(entry) == 4 for entry in pending)  # lines really cross unparsed
    assert [entry[1] for entry in pending] == [item[1] for item in iter_items(config)]


@pytest.mark.parametrize("name", ["tickets.jsonl", "holdout.jsonl", "realworld-dev.jsonl"])
def test_example_tickets_map_alike_in_a_worker(name):
    made, resolved = _both(BatchConfig([str(EXAMPLES / name)]))
    assert resolved == made and made


def test_other_formats_are_still_mapped_where_they_are_read(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("id,text\nC1,printer jammed\n,no id\n", encoding="utf-8")
    config = BatchConfig([str(path)])
    assert list(_read(config, None, defer=True)) == list(iter_items(config))


def test_two_workers_write_what_one_process_writes(tmp_path):
    path = _messy(tmp_path / "messy.jsonl")
    outs = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}.jsonl"
        rejects = tmp_path / f"rejects{workers}.jsonl"
        columns = ColumnMap.build(keep=["store"])
        config = BatchConfig([str(path)], workers=workers, chunk_size=3, columns=columns)
        result = run_batch(config, output=out, rejects=rejects)
        outs.append((out.read_bytes(), rejects.read_bytes(), result.records, result.rejected))
    assert outs[0] == outs[1]
    assert outs[0][3] > 0


def test_deep_nesting_is_judged_alike_in_the_main_process_and_in_a_worker(tmp_path):
    # the decoder's own limit depends on the caller's stack: a fixed one makes every worker
    # count give the same records; 500 levels with the ticket's own object parse, 501 do not
    path = tmp_path / "deep.jsonl"
    depths = [*range(495, 506), *range(970, 1000, 3)]
    rows = [f'{{"id": "D{d}", "text": "printer jammed", "x": {"[" * d + "]" * d}}}' for d in depths]
    rows.append(f'{{"id": "S", "text": "{"[" * 2000}"}}')  # brackets in a string do not count
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    outs = []
    for workers in (1, 2):
        out = tmp_path / f"deep{workers}.jsonl"
        run_batch(BatchConfig([str(path)], workers=workers, chunk_size=4), output=out)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    status = {r["id"] or r["line"]: r["status"] for r in map(json.loads, outs[0].splitlines())}
    assert status["D499"] == "ok" and status["S"] == "ok"
    assert status[6] == "error" and list(status.values()).count("ok") == 6
