"""The forged-webhook bench part's body: about a mebibyte, naming every number it is given."""

from __future__ import annotations

import json

from bench.forged import BODY_BYTES, forged_body
from gateway.webhooks.meta import named_phone_number_ids


def test_a_forged_body_is_a_mebibyte_naming_each_number_in_turn() -> None:
    body = forged_body(["111", "222", "333"])
    assert BODY_BYTES - 2048 < len(body) <= BODY_BYTES
    assert named_phone_number_ids(json.loads(body)) == ["111", "222", "333"]
