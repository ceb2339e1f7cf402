"""Typed numbers to E.164, WhatsApp sender ids as addresses, and the forms of one person folded together."""

import phonenumbers
import pytest

from libs.common.errors import InvalidArgument
from libs.common.phones import Sender, to_e164, whatsapp_sender


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("5491155551234", "+5491155551234"),  # Meta wa_id of an Argentine mobile
        ("541155551234", "+5491155551234"),  # the 9 left out
        ("1155551234", "+5491155551234"),  # national without the 9
        ("011 15 5555-1234", "+5491155551234"),  # national with the old 15 mobile prefix
        ("+5491155551234", "+5491155551234"),
        ("+54 9 11 5555-1234", "+5491155551234"),
        ("14155552671", "+14155552671"),  # international digits
        ("+14155552671", "+14155552671"),
        ("5511987654321", "+5511987654321"),  # Brazil
        ("+52 1 55 1234 5678", "+525512345678"),  # Mexico's legacy mobile prefix, typed
        ("+55 11 8765-4321", "+5511987654321"),  # a Brazilian mobile typed without the ninth digit
    ],
)
def test_to_e164(raw: str, expected: str) -> None:
    assert to_e164(raw, region="AR") == expected


@pytest.mark.parametrize("raw", ["", "   ", "abc", "+12", "+5491", "0000"])
def test_typed_numbers_must_be_valid(raw: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        to_e164(raw, region="AR", field="phone")
    assert exc.value.field == "phone"


def test_typed_local_numbers_stay_local() -> None:
    assert to_e164("2975601234", region="AR") == "+5492975601234"


@pytest.mark.parametrize(
    ("wa_id", "e164"),
    [
        # One person, the forms WhatsApp (and people) use: each pair must fold into the same number.
        ("5491155551234", "+5491155551234"),
        ("541155551234", "+5491155551234"),
        ("5215512345678", "+525512345678"),  # Mexico: WhatsApp's 521 + 10 digits; the library calls it impossible
        ("525512345678", "+525512345678"),
        ("551187654321", "+5511987654321"),  # Brazil without the ninth digit; the library calls it invalid
        ("5511987654321", "+5511987654321"),
        ("554899887766", "+5548999887766"),
        ("14155552671", "+14155552671"),
        ("4915123456789", "+4915123456789"),
        ("2975601234", "+2975601234"),  # Aruba: WhatsApp ids are international, never read in the tenant's region
        ("88212345678", "+88212345678"),  # an international network the library calls invalid but possible
        ("19995550123", "+19995550123"),  # an unassigned North American area code
    ],
)
def test_whatsapp_ids_keep_their_address_and_get_a_canonical_e164(wa_id: str, e164: str) -> None:
    sender = whatsapp_sender(wa_id)
    assert sender == Sender(address=wa_id, e164=e164)


@pytest.mark.parametrize("wa_id", ["22507012345", "9991234567890", "1234567"])
def test_ids_no_numbering_plan_allows_are_kept_as_addresses_without_e164(wa_id: str) -> None:
    # Côte d'Ivoire's pre-2021 8-digit form, an unknown country code, a too-short North American number.
    number = phonenumbers.parse(f"+{wa_id}", None) if not wa_id.startswith("999") else None
    assert number is None or not phonenumbers.is_possible_number(number)
    assert whatsapp_sender(wa_id) == Sender(address=wa_id, e164=None)


def test_formatting_is_not_part_of_the_address() -> None:
    assert whatsapp_sender("+54 9 11 5555-1234") == Sender(address="5491155551234", e164="+5491155551234")


@pytest.mark.parametrize("raw", ["", "abc", "US.13491208655302741918", "123456", "1" * 21, "54911x5555", "0000000"])
def test_text_that_is_no_whatsapp_id_is_refused_naming_the_field(raw: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        whatsapp_sender(raw, field="from_phone")
    assert exc.value.field == "from_phone"
