"""JSON log lines with service, trace and span ids, tenant and ticket; phone numbers masked, secrets never printed."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from contextvars import ContextVar

from opentelemetry import trace

_PHONE = re.compile(r"\+?\d[\d\s-]{7,}\d")
log_context: ContextVar[dict[str, str] | None] = ContextVar("log_context", default=None)


def mask_phone(text: str) -> str:
    """Replaces every phone-like run of digits by its first 3 and last 2 digits."""

    def _mask(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        prefix = "+" if match.group(0).startswith("+") else ""
        return f"{prefix}{digits[:3]}{'*' * (len(digits) - 5)}{digits[-2:]}"

    return _PHONE.sub(_mask, text)


class JsonFormatter(logging.Formatter):
    """One JSON object a line."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": mask_phone(record.getMessage()),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = format(span.trace_id, "032x")
            entry["span_id"] = format(span.span_id, "016x")
        entry.update(log_context.get() or {})
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update({k: mask_phone(str(v)) for k, v in extra.items()})
        if record.exc_info:
            entry["exc"] = mask_phone(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Readable lines for a terminal, still masked."""

    def __init__(self, service: str) -> None:
        super().__init__(f"%(asctime)s %(levelname)s {service} %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = mask_phone(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: object) -> str:
        return mask_phone(super().formatException(ei))  # type: ignore[arg-type]


def configure_logging(service: str, *, level: str = "INFO", fmt: str = "json") -> None:
    """Sends this process's logs to stdout in the chosen format."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service) if fmt == "json" else TextFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
