"""Phone normalisation, including the Argentine mobile rule."""

import pytest

from libs.common.errors import InvalidArgument
from libs.common.phones import to_e164


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("5491155551234", "+5491155551234"),  # Meta wa_id of an Argentine mobile
        ("541155551234", "+5491155551234"),  # the 9 left out
        ("1155551234", "+5491155551234"),  # national without the 9
        ("011 15 5555-1234", "+5491155551234"),  # national with the old 15 mobile prefix
        ("+5491155551234", "+5491155551234"),
        ("+54 9 11 5555-1234", "+5491155551234"),
        ("14155552671", "+14155552671"),  # a foreign wa_id: international digits
        ("+14155552671", "+14155552671"),
        ("5511987654321", "+5511987654321"),  # Brazil
    ],
)
def test_to_e164(raw: str, expected: str) -> None:
    assert to_e164(raw, region="AR") == expected


@pytest.mark.parametrize("raw", ["", "   ", "abc", "+12", "+5491", "0000"])
def test_rejects_non_numbers(raw: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        to_e164(raw, region="AR")
    assert exc.value.field == "phone"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2975601234", "+2975601234"),  # Aruba, as a WhatsApp id
        ("5491155551234", "+5491155551234"),
        ("541155551234", "+5491155551234"),  # the Argentine mobile rule still applies
        ("14155552671", "+14155552671"),
    ],
)
def test_whatsapp_ids_are_read_as_international_first(raw: str, expected: str) -> None:
    assert to_e164(raw, region="AR", international_first=True) == expected


def test_typed_local_numbers_stay_local() -> None:
    assert to_e164("2975601234", region="AR") == "+5492975601234"
