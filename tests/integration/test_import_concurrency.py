"""Imports as separate processes: two at once over overlapping files, and one killed half-way."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import AGENT_INN
from tests.helpers import query_rows, table_counts, valid_inns

BANKON = [sys.executable, "-m", "bankon_cli.main"]
HEADER = "ИНН;Наименование компании;ФИО контактного лица;Email\r\n"

pytestmark = pytest.mark.slow


def write_file(path: Path, inns: list[str]) -> Path:
    # The same INN always carries the same data, so whichever process wins, the other agrees.
    lines = [f"{inn};ООО «Клиент {inn}»;Контакт {inn[-4:]};c{inn}@example.ru\r\n" for inn in inns]
    path.write_bytes((HEADER + "".join(lines)).encode("cp1251"))
    return path


def start(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*BANKON, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


@pytest.fixture
def process_env(env: dict[str, str]) -> dict[str, str]:
    env = dict(env, BANKON_AGENT=AGENT_INN)
    subprocess.run(
        [*BANKON, "agent", "add", "--inn", AGENT_INN, "--name", "Агент"],
        env=env,
        check=True,
        capture_output=True,
    )
    return env


def each_client_once(db_url: str, expected: int) -> None:
    counts = table_counts(db_url)
    assert (
        counts["clients"],
        counts["invitations"],
        counts["invite_tokens"],
        counts["outbox"],
    ) == (
        expected,
        expected,
        expected,
        expected,
    )
    duplicates = query_rows(
        db_url,
        "SELECT c.inn, count(DISTINCT i.id) AS invitations, count(DISTINCT o.id) AS messages "
        "FROM clients c LEFT JOIN invitations i ON i.client_id = c.id "
        "LEFT JOIN outbox o ON o.client_id = c.id "
        "GROUP BY c.inn HAVING count(DISTINCT i.id) <> 1 OR count(DISTINCT o.id) <> 1",
    )
    assert duplicates == []


def test_two_overlapping_imports_at_once_end_with_each_inn_exactly_once(
    process_env, db_url, tmp_path, home
):
    inns = valid_inns(1000)
    first = write_file(tmp_path / "first.csv", inns[:600])
    # The second file overlaps the first by 200 INNs, in the opposite order.
    second = write_file(tmp_path / "second.csv", list(reversed(inns[400:])))
    options = ("--batch-size", "50", "--format", "json")
    runs = [
        start(process_env, "client", "import", str(first), *options),
        start(process_env, "client", "import", str(second), *options),
    ]
    reports = []
    for run in runs:
        stdout, stderr = run.communicate(timeout=300)
        assert run.returncode == 0, stderr.decode()
        reports.append(json.loads(stdout))
    created = sum(report["counts"]["created"] for report in reports)
    unchanged = sum(report["counts"]["unchanged"] for report in reports)
    assert (created, unchanged) == (1000, 200)
    assert all(report["counts"]["rejected"] == 0 for report in reports)
    each_client_once(db_url, 1000)
    assert query_rows(db_url, "SELECT count(DISTINCT inn) AS inns FROM clients") == [{"inns": 1000}]
    assert len(list((home / "outbox").glob("*.eml"))) == 1000


def test_an_import_killed_half_way_leaves_whole_batches_and_the_rerun_completes(
    process_env, db_url, tmp_path, home
):
    source = write_file(tmp_path / "big.csv", valid_inns(1200))
    run = start(process_env, "client", "import", str(source), "--batch-size", "20")
    deadline = time.monotonic() + 120
    written = 0
    while written < 40 and time.monotonic() < deadline and run.poll() is None:
        written = table_counts(db_url)["clients"]
        time.sleep(0.005)
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=60)
    written = table_counts(db_url)["clients"]
    assert 0 < written < 1200, "the import was not killed half-way; make the file bigger"
    assert written % 20 == 0
    each_client_once(db_url, written)
    rerun = subprocess.run(
        [*BANKON, "client", "import", str(source), "--batch-size", "20", "--format", "json"],
        env=process_env,
        capture_output=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr.decode()
    counts = json.loads(rerun.stdout)["counts"]
    assert (counts["unchanged"], counts["created"]) == (written, 1200 - written)
    each_client_once(db_url, 1200)
    # The rerun delivers everything queued, the killed run's invitations included, once each.
    assert len(list((home / "outbox").glob("*.eml"))) == 1200
