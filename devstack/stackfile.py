"""`<data-dir>/stack.json` and `<data-dir>/auth_secret`: how other commands find the running stack."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

STACK_FILE = "stack.json"
SECRET_FILE = "auth_secret"


class StackNotRunning(Exception):
    """No `v360 up` is serving from this data dir."""


def write_json_private(path: Path, data: dict[str, Any]) -> None:
    """Replaces `path` atomically with `data` as JSON, readable by the owner only."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)


def read_stack(data_dir: Path) -> dict[str, Any] | None:
    """The last stack.json written in `data_dir`, or None."""
    path = data_dir / STACK_FILE
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None


def pid_alive(pid: int) -> bool:
    """True when a process with this id exists (zombies count as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in {"Z", "X"}


def running_stack(data_dir: Path) -> dict[str, Any]:
    """stack.json of the stack serving from `data_dir`; raises StackNotRunning otherwise."""
    stack = read_stack(data_dir)
    if not stack or stack.get("status") != "running" or not pid_alive(int(stack.get("pid", 0))):
        raise StackNotRunning(f"no running stack in {data_dir}; start one with `v360 up --data-dir {data_dir}`")
    return stack


def load_or_create_secret(data_dir: Path) -> str:
    """The stack's token secret from `<data-dir>/auth_secret`, generated (mode 0600) on first use."""
    path = data_dir / SECRET_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another command created it first; theirs wins.
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    return secret


def load_secret(data_dir: Path) -> str | None:
    """The stack's token secret from `<data-dir>/auth_secret`, or None if no stack ever ran there."""
    try:
        return (data_dir / SECRET_FILE).read_text().strip() or None
    except FileNotFoundError:
        return None
