"""`make chaos`, short: every fault once under a small load; nothing lost or doubled, and each fault really hit."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from bench.chaos.faults import DEFAULT_FAULTS, FAULTS
from tests.support.servers import ROOT

pytestmark = pytest.mark.e2e

SHORT = ["--messages", "24", "--leads", "4", "--replies", "2"]
# Which client each fault must have hurt (a retry it had to make), beyond the fault being observed.
HURT = {
    "ingest": "sender_errors_in_fault",
    "gateway": "sender_errors_in_fault",
    "postgres": "sender_errors_in_fault",
    "visits": "dashboard_errors_in_fault",
    # The taps reached ingest while visits was down: their hand-offs had to be tried again.
    "visits-taps": "hand_off_retries",
    "supervisor": "dashboard_errors_in_fault",
    "provider": "provider_failures",
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("chaos")
    done = subprocess.run(
        [sys.executable, "-m", "bench.chaos", *SHORT, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    files = list(out.glob("chaos-*.json"))
    assert len(files) == 1, f"no result file; exit {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    data: dict[str, Any] = json.loads(files[0].read_text())
    data["exit_code"] = done.returncode
    data["output"] = done.stdout[-4000:] + done.stderr[-2000:]
    return data


def test_the_run_passes_and_exits_zero(result: dict[str, Any]) -> None:
    assert result["error"] == "", result["output"]
    assert result["problems"] == [], result["output"]
    assert (result["passed"], result["exit_code"]) == (True, 0), result["output"]


@pytest.mark.parametrize("fault", DEFAULT_FAULTS)
def test_every_message_reply_and_visit_got_through_once(result: dict[str, Any], fault: str) -> None:
    row = next(row for row in result["phases"] if row["fault"] == fault)
    # Leads tapping a visit button send two taps each on top of the phase's messages.
    assert row["sent"] == row["acknowledged"] == row["stored"] == 24 + row["taps"], row
    assert (row["duplicates"], row["lost"]) == (0, 0), row
    assert row["replies"] == 2 + 2, row  # two dashboard replies, the proposal and the confirmation
    assert (row["replies_sent_twice"], row["replies_lost"]) == (0, 0), row
    assert row["visit_stage_ok"] and row["settled"], row
    assert row["problems"] == [], row


@pytest.mark.parametrize("fault", DEFAULT_FAULTS)
def test_the_fault_happened(result: dict[str, Any], fault: str) -> None:
    row = next(row for row in result["phases"] if row["fault"] == fault)
    assert row["observed"], row
    if FAULTS[fault].process is not None:
        assert row["pid_before"] != row["pid_after"] and row["not_ready_seen"], row
    if fault in HURT:
        assert row[HURT[fault]] > 0, row


@pytest.mark.parametrize("fault", [name for name in DEFAULT_FAULTS if not FAULTS[name].intake_needs_it])
def test_webhook_intake_never_waits_on_what_it_does_not_need(result: dict[str, Any], fault: str) -> None:
    row = next(row for row in result["phases"] if row["fault"] == fault)
    assert row["intake_ready_in_fault"] is True and row["intake_ok"] is True, row
    assert row["sender_errors_in_fault"] == 0, row


def test_taps_with_visits_down_each_confirm_their_visit_once_after_it_is_back(result: dict[str, Any]) -> None:
    row = next(row for row in result["phases"] if row["fault"] == "visits-taps")
    assert row["taps"] == 2 * 4 and row["taps_confirmed"] == 4, row
