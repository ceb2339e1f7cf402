"""Phone numbers to E.164 with the `phonenumbers` library and a tenant's default region."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from libs.common.errors import InvalidArgument


def _valid(raw: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _argentine_mobile(number: phonenumbers.PhoneNumber) -> phonenumbers.PhoneNumber:
    # WhatsApp numbers are mobiles; in Argentina a mobile's E.164 carries a 9 after +54, which
    # senders often leave out ("54 11 ..." or "11 ..."), so a fixed-line reading gets the 9 back.
    if number.country_code != 54 or phonenumbers.number_type(number) == PhoneNumberType.MOBILE:
        return number
    mobile = _valid(f"+549{number.national_number}", None)
    return mobile or number


def to_e164(raw: str, *, region: str, international_first: bool = False) -> str:
    """E.164 form of `raw`.

    A number without "+" is read in `region` first and then as international digits, or the other
    way round with `international_first` (WhatsApp ids always carry the country code, so "2975601234"
    from Meta is Aruba, while a person typing it in Argentina means a local number).
    """
    text = raw.strip()
    if not text:
        raise InvalidArgument("phone is empty", field="phone")
    if text.startswith("+"):
        number = _valid(text, None)
        if number is None:
            raise InvalidArgument(f"phone {text[:4]}… is not a valid number", field="phone")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    digits = "".join(ch for ch in text if ch.isdigit())
    readings = (lambda: _valid(text, region), lambda: _valid(f"+{digits}", None))
    if international_first:
        readings = readings[::-1]
    number = (readings[0]() or readings[1]()) if digits else None
    if number is None:
        raise InvalidArgument("phone is not a valid number", field="phone")
    number = _argentine_mobile(number)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
