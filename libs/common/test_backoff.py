"""The one retry delay policy."""

import pytest

from libs.common.backoff import Backoff


@pytest.mark.parametrize("attempt", range(1, 12))
def test_delays_grow_with_jitter_and_stay_under_the_cap(attempt: int) -> None:
    policy = Backoff(base=2.0, cap=60.0)
    ceiling = min(60.0, 2.0 * 2 ** (attempt - 1))
    low = policy.delay(attempt, rand=lambda: 0.0)
    high = policy.delay(attempt, rand=lambda: 0.999999)
    assert low == pytest.approx(ceiling / 2)
    assert ceiling / 2 <= high <= ceiling


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    policy = Backoff(base=1.0, cap=60.0)
    assert policy.delay(1, retry_after=30, rand=lambda: 0.0) == 30
    assert policy.delay(1, retry_after=3600, rand=lambda: 0.0) == 60


@pytest.mark.parametrize(("base", "cap"), [(0.0, 1.0), (2.0, 1.0), (-1.0, 5.0)])
def test_a_policy_needs_a_positive_base_under_its_cap(base: float, cap: float) -> None:
    with pytest.raises(ValueError):
        Backoff(base=base, cap=cap)
