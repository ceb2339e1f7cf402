"""Meta's `X-Hub-Signature-256`: HMAC-SHA256 of the raw request bytes keyed with an app secret."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


def sign(secret: str, body: bytes) -> str:
    """The header value Meta sends for `body` signed with `secret`."""
    return _PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def claimed_digest(header: str | None) -> bytes | None:
    """The digest a `sha256=<hex>` header claims; None when the header is missing or malformed."""
    if not header:
        return None
    value = header.strip()
    if value[: len(_PREFIX)].lower() != _PREFIX:
        return None
    hex_digest = value[len(_PREFIX) :]
    if not _HEX_DIGEST.fullmatch(hex_digest):
        return None
    return bytes.fromhex(hex_digest)


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """True when `header` is the signature of exactly these bytes with `secret` (constant-time compare)."""
    claimed = claimed_digest(header)
    return claimed is not None and signing_secret([secret], body, claimed) is not None


def signing_secret(secrets: Iterable[str], body: bytes, claimed: bytes) -> str | None:
    """The first of `secrets` whose HMAC of `body` is `claimed`, each compared in constant time; one HMAC each."""
    for secret in secrets:
        if secret and hmac.compare_digest(hmac.new(secret.encode(), body, hashlib.sha256).digest(), claimed):
            return secret
    return None


def tenant_accepts(*, tenant_secret: str, shared_secret: str, signed_with: str) -> bool:
    """Whether a change routed to a tenant may be stored, given the secret that signed the body.

    A tenant with its own app secret accepts only bodies signed with it; a tenant without one
    accepts bodies signed with the shared secret. The body can name any phone_number_id, so it is
    the signing secret, never the body, that decides which tenant's data this can be.
    """
    if tenant_secret:
        return signed_with == tenant_secret
    return bool(shared_secret) and signed_with == shared_secret
