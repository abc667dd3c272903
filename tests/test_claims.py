"""Claims: claims.toml, the {% claim %} tag, evidence and load-time checks."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import pytest

import personalize
from personalize.claims import ClaimCatalog, ClaimCheck

from .blockkit import TODAY, customer, write_library

SHIPPED = Path(__file__).resolve().parent.parent / "templates"

CLAIMS = """
    [claim.loyal_customer]
    when = "customer.tenure_years >= 3 and customer.order_count >= 10"
    evidence = "{{ customer.order_count }} orders over {{ customer.tenure_years }} years"

    [claim.top_customer]
    when = "customer.tier.rank_percentile <= 5"
    evidence = "top {{ customer.tier.rank_percentile }}%"
"""

TEMPLATE = (
    '{% claim "loyal_customer" %}One of our most loyal customers.'
    "{% else %}Thanks for shopping with us.{% endclaim %}"
)


def orders(n: int) -> list[dict[str, Any]]:
    return [
        {"id": f"o{i}", "date": (TODAY - dt.timedelta(days=10 * i + 1)).isoformat()}
        for i in range(n)
    ]


@pytest.fixture
def lib(tmp_path: Path) -> personalize.Library:
    return write_library(tmp_path, sms=TEMPLATE, claims=CLAIMS)


def test_claim_holds(lib: personalize.Library) -> None:
    cust = customer(customer_since="2020-01-01", orders=orders(12))
    result = lib.render("m", cust, "sms")
    assert result.text == "One of our most loyal customers."
    assert result.claims == (
        ClaimCheck(name="loyal_customer", held=True, evidence="12 orders over 6 years"),
    )
    assert "customer.order_count" in result.facts
    assert result.to_dict()["claims"] == [
        {"name": "loyal_customer", "held": True, "evidence": "12 orders over 6 years"}
    ]


@pytest.mark.parametrize(
    ("since", "count", "reason"),
    [
        ("2024-01-01", 12, "rule does not hold"),  # 2 years
        ("2020-01-01", 9, "rule does not hold"),  # 9 orders
        (None, 40, "rule does not hold"),  # tenure unknown: Missing >= 3 is false
    ],
)
def test_claim_does_not_hold(
    lib: personalize.Library, since: str | None, count: int, reason: str
) -> None:
    data: dict[str, Any] = {"orders": orders(count)}
    if since:
        data["customer_since"] = since
    result = lib.render("m", customer(**data), "sms")
    assert result.text == "Thanks for shopping with us."
    (check,) = result.claims
    assert check.name == "loyal_customer" and not check.held
    assert check.reason is not None and check.reason.startswith(reason)
    # the raw evidence declaration, not a half-filled sentence
    assert check.evidence == CLAIMS.split('evidence = "')[1].split('"')[0]


def test_satisfied_claim_bodies_go_to_state_claimed(tmp_path: Path) -> None:
    from personalize.context import current_state

    seen: list[list[tuple[str, str]]] = []
    lib = write_library(
        tmp_path,
        email=(
            '<p>{% claim "top_customer" %}You are <b>one of our best</b> customers.'
            "{% endclaim %}</p>"
        ),
        claims=CLAIMS,
    )

    def spy(state: Any) -> dict[str, Any]:
        seen.append(state.claimed)
        assert current_state() is state
        return {}

    lib.add_context_hook(spy)
    result = lib.render("m", customer(tier={"rank_percentile": 2.5}), "email")
    assert isinstance(result, personalize.EmailResult)
    assert "one of our best" in result.text
    assert seen[0] == [("top_customer", "You are <b>one of our best</b> customers.")]
    assert result.claims[0].evidence == "top 2.5%"


def test_claim_without_else_renders_nothing(tmp_path: Path) -> None:
    lib = write_library(
        tmp_path, sms='A{% claim "top_customer" %} top{% endclaim %}.', claims=CLAIMS
    )
    assert lib.render("m", customer(), "sms").text == "A."
    assert lib.render("m", customer(tier={"rank_percentile": 1}), "sms").text == "A top."


def test_each_claim_is_recorded_once(tmp_path: Path) -> None:
    lib = write_library(
        tmp_path,
        sms='{% claim "top_customer" %}a{% endclaim %}{% claim "top_customer" %}b{% endclaim %}',
        claims=CLAIMS,
    )
    result = lib.render("m", customer(tier={"rank_percentile": 1}), "sms")
    assert result.text == "ab"
    assert len(result.claims) == 1


def test_unknown_claim_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(personalize.TemplateError) as info:
        write_library(
            tmp_path,
            sms='Hi\n\n{% claim "loyal_custmer" %}x{% endclaim %}',
            claims=CLAIMS,
        )
    err = info.value
    assert err.name == "m/sms.txt.j2" and err.lineno == 3
    assert "unknown claim 'loyal_custmer'" in str(err)
    assert "did you mean 'loyal_customer'?" in str(err)


def test_claim_without_claims_toml_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(personalize.TemplateError, match="unknown claim 'x'"):
        write_library(tmp_path, sms='{% claim "x" %}x{% endclaim %}')


@pytest.mark.parametrize(
    ("claims", "lineno", "fragment"),
    [
        ('[claim.a]\nwhen = "true"\n', 1, "evidence is required"),
        ('[claim.a]\nevidence = "x"\n', 1, "when is required"),
        (
            '[claim.a]\nevidence = "x"\n\n[claim.b]\nwhen = "true"\nevidence = "y"\n',
            1,  # claim a's header, not claim b's `when`
            "claim.a.when is required",
        ),
        ('[claim.a]\nwhen = "true"\nevidence = "x"\nevidense = "y"\n', 4, "unknown key"),
        ('[claim.a]\nwhen = "customer.tenure >= 1"\nevidence = "x"\n', 2, "no field 'tenure'"),
        ('[claim.a]\nwhen = "true"\nevidence = "{{ x"\n', 3, "evidence"),
        ('[claims.a]\nwhen = "true"\n', None, "unknown top-level key 'claims'"),
        ('[claim."a b"]\nwhen = "true"\nevidence = "x"\n', 1, "letters, digits"),
    ],
)
def test_claims_toml_errors(tmp_path: Path, claims: str, lineno: int | None, fragment: str) -> None:
    with pytest.raises(personalize.TemplateError) as info:
        write_library(tmp_path, sms="x", claims=claims)
    assert info.value.name == "claims.toml"
    if lineno is not None:
        assert info.value.lineno == lineno
    assert fragment in str(info.value)


# -- the shipped defaults ------------------------------------------------------


@functools.cache
def _shipped_claims() -> ClaimCatalog:
    # Only the catalog: loading the whole gallery once per check is slow.
    return personalize.Library(SHIPPED, today=TODAY).blocks.claims


def shipped_check(name: str, **data: Any) -> ClaimCheck:
    return _shipped_claims().check(name, customer(**data))


def test_shipped_loyal_customer() -> None:
    assert shipped_check("loyal_customer", customer_since="2023-11-23", orders=orders(10)).held
    assert not shipped_check("loyal_customer", customer_since="2023-11-24", orders=orders(10)).held
    assert not shipped_check("loyal_customer", customer_since="2010-01-01", orders=orders(9)).held
    # one purchase is never "loyal", however long ago the account was opened
    assert not shipped_check("loyal_customer", customer_since="2010-01-01", orders=orders(1)).held


def test_shipped_top_customer() -> None:
    assert shipped_check("top_customer", tier={"rank_percentile": 5}).held
    assert not shipped_check("top_customer", tier={"rank_percentile": 5.1}).held
    assert not shipped_check("top_customer", tier={"name": "gold"}).held
    assert not shipped_check("top_customer").held
    check = shipped_check("top_customer", tier={"rank_percentile": 2.5})
    assert check.evidence == "ranked in the top 2.5% of customers by tier"


def test_shipped_first_order_and_frequent_buyer() -> None:
    assert shipped_check("first_order", orders=orders(1)).held
    assert not shipped_check("first_order", orders=orders(2)).held
    assert shipped_check("frequent_buyer", orders=orders(5)).held
    assert not shipped_check("frequent_buyer", orders=orders(4)).held
