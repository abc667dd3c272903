"""Properties of Customer.from_dict that hold for every input."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from personalize import Customer, CustomerDataError

from ..conftest import load_customer_data

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "id",
    "name",
    "locale",
    "timezone",
    "register",
    "contact",
    "consent",
    "birthday",
    "customer_since",
    "orders",
    "household",
    "interests",
    "tier",
    "contact_history",
    "provenance",
    "attributes",
]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_paths(v, (*prefix, i)))
    return out


ADA = load_customer_data("ada")
ADA_PATHS = _paths(ADA)


@st.composite
def mutated_customers(draw: st.DrawFn) -> dict[str, Any]:
    """The example customer with some leaves or subtrees replaced by junk."""
    data = copy.deepcopy(ADA)
    for path in draw(st.lists(st.sampled_from(ADA_PATHS), max_size=4)):
        target: Any = data
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue
    return data


@given(st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=8))
def test_arbitrary_mappings_only_raise_customer_data_error(data: dict[str, Any]) -> None:
    try:
        customer = Customer.from_dict(data)
    except CustomerDataError as exc:
        assert exc.problems
        assert all(":" in p for p in exc.problems)
    else:
        assert customer.id


@given(mutated_customers())
def test_mutated_customers_only_raise_customer_data_error(data: dict[str, Any]) -> None:
    try:
        customer = Customer.from_dict(data)
    except CustomerDataError as exc:
        assert exc.problems
    else:
        assert Customer.from_dict(customer.to_dict()) == customer


@given(json_values)
def test_any_json_value_is_accepted_or_explained(data: Any) -> None:
    try:
        Customer.from_dict(data)
    except CustomerDataError as exc:
        assert str(exc).startswith("invalid customer data")
