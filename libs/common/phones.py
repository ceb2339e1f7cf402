"""Phone numbers to E.164 with the `phonenumbers` library, and WhatsApp sender ids read as addresses.

Two kinds of input, two rules (docs/architecture.md, "Sender ids"):

- A number a person typed (the manual channel) must be a valid number; it is read in the tenant's region.
- A WhatsApp sender id (`wa_id` / `from`) is a reachable account by definition. It is kept as the reply
  address whatever the library thinks of it, and stored as E.164 as well when it is at least a possible
  number, so numbering metadata that lags reality never loses a lead.

Both go through `canonical`, which folds the forms WhatsApp uses for one person into one number: Mexico's
legacy `+52 1` mobile prefix, Brazilian mobiles without the ninth digit, Argentine mobiles without the 9.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from libs.common.errors import InvalidArgument

# A WhatsApp id as providers write it: digits (no country code starts with 0), maybe with "+", spaces, dots,
# dashes or parentheses.
_WHATSAPP_ID = re.compile(r"^\+?[1-9][0-9 ().-]*$")
# The shortest E.164 numbers (Niue, Saint Helena) have 7 digits; no numbering plan reaches 20.
MIN_WHATSAPP_ID_DIGITS, MAX_WHATSAPP_ID_DIGITS = 7, 20
MEXICO, BRAZIL, ARGENTINA = 52, 55, 54
# Brazilian mobile subscriber numbers start with 6-9; landlines with 2-5 (the ninth digit went to mobiles only).
_BRAZIL_MOBILE_FIRST_DIGITS = frozenset("6789")


@dataclass(frozen=True, slots=True)
class Sender:
    """A WhatsApp sender as stored: the id replies go to, and its E.164 form when it has one."""

    # Digits exactly as WhatsApp keys the account (e.g. Mexico's legacy "521…"): the reply address.
    address: str
    # Canonical E.164 when the id is at least a possible number; None otherwise (kept, never refused).
    e164: str | None


def _parse(raw: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(raw, region)
    except NumberParseException:
        return None


def _with_national(number: phonenumbers.PhoneNumber, national: str) -> phonenumbers.PhoneNumber | None:
    return _parse(f"+{number.country_code}{national}", None)


def canonical(number: phonenumbers.PhoneNumber) -> phonenumbers.PhoneNumber:
    """One number for the forms WhatsApp and people use for the same mobile (see the module docstring)."""
    national = str(number.national_number)
    if number.country_code == MEXICO and len(national) == 11 and national.startswith("1"):
        # WhatsApp still keys Mexican mobiles as 52 1 + 10 digits; the number dialled since 2019 has no 1.
        return _with_national(number, national[1:]) or number
    if number.country_code == BRAZIL and len(national) == 10 and national[2] in _BRAZIL_MOBILE_FIRST_DIGITS:
        # Old Brazilian accounts lack the mobile ninth digit after the two-digit area code.
        return _with_national(number, f"{national[:2]}9{national[2:]}") or number
    if number.country_code == ARGENTINA and phonenumbers.number_type(number) != PhoneNumberType.MOBILE:
        # An Argentine mobile's E.164 carries a 9 after +54, which senders often leave out ("54 11 ..."),
        # so a fixed-line reading gets the 9 back when that makes a valid mobile.
        mobile = _with_national(number, f"9{national}")
        if mobile is not None and phonenumbers.is_valid_number(mobile):
            return mobile
    return number


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _valid(raw: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    number = _parse(raw, region)
    if number is None:
        return None
    number = canonical(number)
    return number if phonenumbers.is_valid_number(number) else None


def to_e164(raw: str, *, region: str, field: str = "phone") -> str:
    """Canonical E.164 of a number a person typed; InvalidArgument naming `field` unless it is valid.

    A number without "+" is read in `region` first and then as international digits ("54 11 ..." typed in
    Argentina, "1 415 ..." typed anywhere).
    """
    text = raw.strip()
    if not text:
        raise InvalidArgument(f"{field} is empty", field=field)
    if text.startswith("+"):
        number = _valid(text, None)
    else:
        digits = "".join(ch for ch in text if ch.isdigit())
        number = (_valid(text, region) or _valid(f"+{digits}", None)) if digits else None
    if number is None:
        raise InvalidArgument(f"{field} is not a valid number", field=field)
    return _e164(number)


def whatsapp_sender(raw: str, *, field: str = "from_phone") -> Sender:
    """The sender of a provider message: its id as the reply address and, when possible, canonical E.164.

    WhatsApp ids always carry the country code. Only text that is not a number at all (letters, no digits,
    fewer or more digits than any numbering plan) is refused, naming `field`.
    """
    text = raw.strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if not _WHATSAPP_ID.match(text) or not MIN_WHATSAPP_ID_DIGITS <= len(digits) <= MAX_WHATSAPP_ID_DIGITS:
        raise InvalidArgument(f"{field} is not a WhatsApp id (digits with the country code)", field=field)
    number = _parse(f"+{digits}", None)
    if number is None:
        return Sender(address=digits, e164=None)
    number = canonical(number)
    return Sender(address=digits, e164=_e164(number) if phonenumbers.is_possible_number(number) else None)
