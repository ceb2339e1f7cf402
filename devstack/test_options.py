"""Unit tests of the `v360` value parsers and validators."""

from __future__ import annotations

import pytest

from devstack.options import MAX_REPLICAS, parse_replicas, validate_region, validate_slug, validate_timezone


def test_replicas_default_to_one_each() -> None:
    assert parse_replicas("") == {"ingest": 1, "visits": 1, "supervisor": 1, "gateway": 1}


def test_replicas_named_counts_override_defaults() -> None:
    assert parse_replicas("ingest=3, supervisor=2, gateway=2") == {
        "ingest": 3,
        "visits": 1,
        "supervisor": 2,
        "gateway": 2,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("postgres=2", "unknown service 'postgres'"),
        ("ingest", "is not <service>=<count>"),
        ("ingest=two", "is not a whole number"),
        ("ingest=0", "must be between 1"),
        (f"ingest={MAX_REPLICAS + 1}", "must be between 1"),
        ("ingest=2,ingest=3", "ingest given twice"),
    ],
)
def test_replicas_rejects_bad_input(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_replicas(text)


@pytest.mark.parametrize("slug", ["vertice360", "acme-desarrollos", "a1", "9-lives", "x" * 63])
def test_slug_accepts_valid(slug: str) -> None:
    assert validate_slug(slug) == slug


@pytest.mark.parametrize("slug", ["", "a", "Acme", "acme_sa", "-acme", "acme.com", "x" * 64, "_system"])
def test_slug_rejects_invalid(slug: str) -> None:
    with pytest.raises(ValueError, match="tenant slug"):
        validate_slug(slug)


def test_region_is_upper_cased() -> None:
    assert validate_region("ar") == "AR"


@pytest.mark.parametrize("region", ["ARG", "A", "1A", "XX", ""])
def test_region_rejects_unknown(region: str) -> None:
    with pytest.raises(ValueError, match="region"):
        validate_region(region)


def test_timezone_accepts_iana_name() -> None:
    assert validate_timezone("America/Argentina/Buenos_Aires") == "America/Argentina/Buenos_Aires"


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../etc/passwd", "GMT+25"])
def test_timezone_rejects_unknown(name: str) -> None:
    with pytest.raises(ValueError, match="timezone"):
        validate_timezone(name)
