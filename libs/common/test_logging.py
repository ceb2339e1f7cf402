"""Log lines never carry a full phone number, and timestamps stay readable."""

import json
import logging

from libs.common.logging import JsonFormatter, TextFormatter, mask_phone


def record(msg: str) -> logging.LogRecord:
    return logging.LogRecord("t", logging.INFO, __file__, 1, msg, None, None)


def test_mask_phone_keeps_only_the_ends() -> None:
    assert mask_phone("lead +5491155551234 wrote") == "lead +549********34 wrote"
    assert "55551234" not in mask_phone("from 5491155551234")


def test_json_lines_are_masked() -> None:
    line = json.loads(JsonFormatter("ingest").format(record("from +5491155551234")))
    assert line["msg"] == "from +549********34"
    assert line["service"] == "ingest"


def test_text_lines_mask_the_message_not_the_timestamp() -> None:
    line = TextFormatter("ingest").format(record("from +5491155551234"))
    assert "+549********34" in line and "55551234" not in line
    assert "*" not in line.split(" INFO ")[0]
