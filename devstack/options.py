"""Parsing and validation of `v360` command-line values; pure functions, no I/O."""

from __future__ import annotations

import re
import zoneinfo

import phonenumbers

SERVICES = ("ingest", "visits", "supervisor")
# What `--replicas` scales: the gRPC services, and the gateway (its processes share one port).
SCALABLE = (*SERVICES, "gateway")
MAX_REPLICAS = 8
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def parse_replicas(text: str) -> dict[str, int]:
    """Reads `ingest=2,gateway=2` into a count for every service and the gateway (1 when not named)."""
    counts = dict.fromkeys(SCALABLE, 1)
    seen: set[str] = set()
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep:
            raise ValueError(f"replicas: {item!r} is not <service>=<count>")
        if name not in counts:
            raise ValueError(f"replicas: unknown service {name!r}; expected one of {', '.join(SCALABLE)}")
        if name in seen:
            raise ValueError(f"replicas: {name} given twice")
        try:
            count = int(value.strip())
        except ValueError:
            raise ValueError(f"replicas: {name}={value!r} is not a whole number") from None
        if not 1 <= count <= MAX_REPLICAS:
            raise ValueError(f"replicas: {name}={count} must be between 1 and {MAX_REPLICAS}")
        counts[name] = count
        seen.add(name)
    return counts


def validate_slug(value: str) -> str:
    """The tenant slug if it is 2-63 lowercase letters, digits or dashes, not starting with a dash."""
    if not _SLUG.match(value):
        raise ValueError(
            f"tenant slug {value!r} is invalid: use 2-63 lowercase letters, digits or '-', "
            "starting with a letter or digit"
        )
    return value


def validate_region(value: str) -> str:
    """The upper-cased ISO 3166 region code if the phone library knows it (e.g. AR)."""
    region = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", region):
        raise ValueError(f"region {value!r} is invalid: use a two-letter ISO 3166 code such as AR")
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"region {region!r} is not a known phone-numbering region")
    return region


def validate_timezone(value: str) -> str:
    """The IANA time zone name if it exists (e.g. America/Argentina/Buenos_Aires)."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"timezone {value!r} is not an IANA time zone such as America/Argentina/Buenos_Aires"
        ) from None
    return value
