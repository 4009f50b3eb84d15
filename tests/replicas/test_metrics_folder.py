"""PROMETHEUS_MULTIPROC_DIR set by the operator: whatever the number of workers, the app
reads and sums every file there (orgql.observability.metrics), so ``orgql serve`` empties it
first; values of an earlier run would otherwise count again."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgql.cli_serve import worker_metrics


@pytest.mark.parametrize("workers", [1, 2])
def test_a_configured_metrics_folder_is_emptied_at_start(
    workers: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    stale = folder / "counter_4242.db"
    stale.write_bytes(b"left by an earlier run")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))

    with worker_metrics(workers):
        assert not stale.exists()

    assert folder.is_dir()  # the operator's folder stays


def test_a_configured_metrics_folder_that_does_not_exist_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """prometheus_client refuses a folder that is not there (the scrape would fail)."""
    folder = tmp_path / "not-yet"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))

    with worker_metrics(1):
        assert folder.is_dir()
