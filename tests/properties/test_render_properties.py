"""Properties of rendering that hold for every valid customer."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import personalize
from personalize import Customer, PersonalizeError, Refused
from personalize.testing import customer_dicts, customers

from ..conftest import TEMPLATES, TODAY

LIB = personalize.Library(TEMPLATES, today=TODAY)
MESSAGES = sorted(LIB.messages)
PAIRS = [(m, c) for m in MESSAGES for c in LIB.message(m).channels]


@given(customer_dicts(today=TODAY))
def test_every_valid_customer_round_trips(data: dict[str, object]) -> None:
    customer = Customer.from_dict(data)
    again = Customer.from_dict(customer.to_dict())
    assert again == customer
    assert again.to_dict() == customer.to_dict()


@given(customers(today=TODAY), st.sampled_from(PAIRS))
def test_every_customer_renders_or_is_refused_with_reasons(
    customer: Customer, pair: tuple[str, str]
) -> None:
    message, channel = pair
    try:
        result = LIB.render(message, customer, channel)
    except Refused as exc:
        assert exc.violations, "a refusal must say why"
        assert all(v.guard and v.message for v in exc.violations)
    except PersonalizeError as exc:  # pragma: no cover - the assertion says what failed
        raise AssertionError(f"{message}/{channel} raised {exc!r} instead of rendering") from exc
    else:
        assert result.channel == channel
        assert result.customer_id == customer.id
