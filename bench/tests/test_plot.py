"""The PNG of the webhook steps, drawn from a result dict like the one `make bench` writes."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from bench import cli, plot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _row(load: int, served: float, *, offered: bool) -> dict[str, object]:
    row: dict[str, object] = {
        "concurrency": load,
        "messages_per_second": served,
        "p50_ms": 10.0 + load,
        "p95_ms": 20.0 + load,
        "p99_ms": 40.0 + load,
        "max_ms": 90.0 + load,
        "errors": 1 if load == 32 else 0,
    }
    if offered:
        row["offered_per_second"] = load * 10
    return row


def test_writes_a_png_of_the_webhook_steps(tmp_path: Path) -> None:
    rows = [_row(n, 30.0 * n if n < 16 else 110.0, offered=True) for n in (1, 4, 16, 32)]
    result = {"webhooks": rows, "webhooks_by_replicas": {"default": rows}, "ceiling": {"ceiling": 1500.0}}

    path = plot.plot(result, tmp_path / "results" / "bench.png")

    assert path == tmp_path / "results" / "bench.png"
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    height, width, _ = plt.imread(path).shape
    assert width > 400 and height > 400


def test_nothing_to_draw_without_webhook_rows(tmp_path: Path) -> None:
    assert plot.plot({"ceiling": {"ceiling": 1500.0}}, tmp_path / "bench.png") is None
    assert not (tmp_path / "bench.png").exists()


def test_ratios_summary_and_tables_from_a_result(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [_row(1, 10.0, offered=True), _row(4, 30.0, offered=True)]
    rows[0]["holds"], rows[1]["holds"] = True, False
    grpc_rows = [_row(1, 120.0, offered=False)]
    result = {
        "webhooks_by_replicas": {"default": rows},
        "grpc_by_replicas": {"default": grpc_rows},
        "ceiling": {"ceiling": 1200.0, "ceiling_known_lead": 400.0},
    }

    cli.add_ratios(result)
    cli.report(result)

    # Webhook steps send known leads' messages, gRPC new leads': each against its own ceiling.
    assert [row["ceiling_ratio"] for row in rows] == [0.025, 0.075]
    assert grpc_rows[0]["ceiling_ratio"] == 0.1
    assert result["webhooks_summary"]["sustained_per_second"] == 10.0
    assert result["webhooks_summary"]["breaks_at_offered"] == 40
    out = capsys.readouterr().out
    assert "40     30.0     14.0     24.0     44.0     94.0       0     0.075  BREAKS" in out
    assert "webhooks held up to 10.0 msg/s; first step that broke: offered 40/s" in out
