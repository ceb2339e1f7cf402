"""The chaos command: options, one run, the table, the JSON file and the exit code (non-zero on any loss)."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from bench.chaos import report
from bench.chaos.faults import DEFAULT_FAULTS, FAULTS
from bench.chaos.run import ChaosRun, Plan
from bench.stack import interrupt_on_sigterm


def _faults(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in FAULTS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown fault {', '.join(unknown)}; choose from {', '.join(FAULTS)}")
    return names


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} must be greater than 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The options of `make chaos ARGS=...`."""
    parser = argparse.ArgumentParser(prog="make chaos", description=__doc__)
    parser.add_argument(
        "--faults",
        type=_faults,
        default=DEFAULT_FAULTS,
        help=f"comma separated, in order (default {','.join(DEFAULT_FAULTS)}; also: supervisor-mid-send)",
    )
    parser.add_argument("--messages", type=_positive, default=200, help="lead messages per fault (default 200)")
    parser.add_argument("--leads", type=_positive, default=8, help="new leads writing in per fault (default 8)")
    parser.add_argument("--replies", type=_positive, default=4, help="dashboard replies per fault (default 4)")
    parser.add_argument(
        "--window", type=float, default=0.0, help="seconds over which a fault's messages go out (default: by count)"
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results"), help="folder for the JSON result")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (data and process log)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the faults in turn, prints the table, writes the JSON; 1 on any loss, duplicate or unobserved fault."""
    # Ctrl-C or SIGTERM cancels the run: the cluster's `finally` stops every process it started.
    interrupt_on_sigterm()
    args = build_parser().parse_args(argv)
    plan = Plan(
        faults=args.faults,
        messages=args.messages,
        leads=min(args.leads, args.messages),
        replies=args.replies,
        window_seconds=args.window or max(3.0, args.messages / 25),
    )
    scratch = Path(tempfile.mkdtemp(prefix="v360-chaos-"))
    # Postgres runs as an unprivileged account when we are root: it must reach its data folder.
    scratch.chmod(0o755)
    log_path = scratch / "stack.log"
    began = time.monotonic()
    result: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "plan": {
            "faults": list(plan.faults),
            "messages": plan.messages,
            "leads": plan.leads,
            "replies": plan.replies,
            "window_seconds": plan.window_seconds,
        },
    }
    print(f"chaos: {len(plan.faults)} faults, {plan.messages} messages each; process log {log_path}", flush=True)
    rows: list[dict[str, Any]] = []
    error = ""
    with log_path.open("w") as log:
        chaos = ChaosRun(plan=plan, data_dir=scratch / "stack", log=log, say=lambda line: print(line, flush=True))
        try:
            phases = asyncio.run(chaos.run())
            rows = [phase.row() for phase in phases]
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
    result.update(seconds=round(time.monotonic() - began, 1), phases=rows, error=error)
    found = report.problems(rows)
    failed = bool(error or found)
    result["problems"] = found
    result["passed"] = not failed
    print()
    if rows:
        print(report.table(rows))
    for problem in found[:40]:
        print(f"  ! {problem}")
    if error:
        print(f"  ! the run stopped: {error}")
        print("".join(f"    {line}" for line in log_path.read_text(errors="replace").splitlines(True)[-30:]))
    path = report.write_json(args.out, result)
    print(f"\n{'FAILED' if failed else 'passed'} in {result['seconds']}s; results: {path}")
    if args.keep or failed:
        print(f"scratch folder kept: {scratch}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
