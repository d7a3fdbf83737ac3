"""The Dask executor gives the same records as a local run (a local cluster, two processes)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from diagnoser.batch import BatchConfig, run_batch

if os.environ.get("CI"):  # CI installs the dask extra: the test must run there, not skip
    import distributed
else:
    distributed = pytest.importorskip("distributed")

EXAMPLES = Path(__file__).parent.parent / "examples" / "tickets"


def test_dask_executor_matches_the_local_run(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(
        (EXAMPLES / "tickets.jsonl").read_text(encoding="utf-8") + "{broken\n", encoding="utf-8"
    )
    local = tmp_path / "local.jsonl"
    run_batch(BatchConfig([str(path)], workers=1, chunk_size=25), output=local)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        out = tmp_path / "dask.jsonl"
        config = BatchConfig(
            [str(path)], executor="dask", scheduler=cluster.scheduler_address, chunk_size=25
        )
        result = run_batch(config, output=out)
        with distributed.Client(cluster) as client:
            assert len(client.nthreads()) == 2
    assert result.records == len(local.read_text(encoding="utf-8").splitlines())
    assert out.read_text(encoding="utf-8") == local.read_text(encoding="utf-8")
