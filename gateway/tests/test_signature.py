"""X-Hub-Signature-256 over raw bytes, and which tenant a signing secret may speak for."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from gateway.tests.builders import fixture_bytes
from gateway.webhooks.signature import claimed_digest, sign, signing_secret, tenant_accepts, verify

SECRET = "acme-own-app-secret"


def test_signature_is_hmac_sha256_hex_of_the_raw_bytes() -> None:
    body = fixture_bytes("meta", "text")
    assert sign(SECRET, body) == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def test_right_secret_is_accepted() -> None:
    body = fixture_bytes("meta", "text")
    assert verify(SECRET, body, sign(SECRET, body))


def test_uppercase_hex_is_accepted() -> None:
    body = fixture_bytes("meta", "text")
    header = sign(SECRET, body)
    assert verify(SECRET, body, "sha256=" + header.removeprefix("sha256=").upper())


def test_wrong_secret_is_rejected() -> None:
    body = fixture_bytes("meta", "text")
    assert not verify(SECRET, body, sign("another-secret", body))


def test_altered_body_is_rejected() -> None:
    body = fixture_bytes("meta", "text")
    header = sign(SECRET, body)
    assert not verify(SECRET, body.replace(b"Torre Norte", b"Torre Sur"), header)
    assert not verify(SECRET, body + b"\n", header)


def test_reserialised_body_is_rejected_and_the_original_bytes_accepted() -> None:
    # Meta signs the body with non-ASCII escaped (\u00e9); decoding and re-encoding changes the bytes.
    raw = fixture_bytes("meta", "text")
    assert b"\\u00e9" in raw
    header = sign(SECRET, raw)
    reencoded = json.dumps(json.loads(raw), ensure_ascii=False).encode()
    assert "é".encode() in reencoded
    assert not verify(SECRET, reencoded, header)
    compact = json.dumps(json.loads(raw)).encode()
    assert not verify(SECRET, compact, header)
    assert verify(SECRET, raw, header)


@pytest.mark.parametrize(
    "header",
    [None, "", "sha256=", "sha1=" + "0" * 40, "sha256=xyz", "sha256=" + "0" * 63, "0" * 64, "sha256=" + "é" * 64],
)
def test_malformed_headers_are_rejected(header: str | None) -> None:
    assert not verify(SECRET, b"{}", header)


def test_empty_secret_never_verifies() -> None:
    body = b"{}"
    assert not verify("", body, sign("", body))


def test_signing_secret_is_the_first_that_signed_each_tried_once() -> None:
    body = fixture_bytes("meta", "text")
    claimed = claimed_digest(sign("b", body))
    assert claimed is not None
    assert signing_secret(["a", "b", "c"], body, claimed) == "b"
    assert signing_secret(["a", "", "c"], body, claimed) is None


def test_tenant_with_own_secret_accepts_only_that_secret() -> None:
    assert tenant_accepts(tenant_secret="own", shared_secret="shared", signed_with="own")
    assert not tenant_accepts(tenant_secret="own", shared_secret="shared", signed_with="shared")
    assert not tenant_accepts(tenant_secret="own", shared_secret="shared", signed_with="other-tenant")


def test_tenant_without_own_secret_accepts_only_the_shared_secret() -> None:
    assert tenant_accepts(tenant_secret="", shared_secret="shared", signed_with="shared")
    assert not tenant_accepts(tenant_secret="", shared_secret="shared", signed_with="other-tenant")
    assert not tenant_accepts(tenant_secret="", shared_secret="", signed_with="")
