"""Properties of the blocks that hold for every customer.

Salutations are checked on ``personalize.testing.customers()`` (adversarial
names, many locales) and on a local strategy that draws the honorifics and
registers the salutation tables distinguish.  Offers use the local strategy
because it draws the offer catalog's categories and the cooldown boundaries
(14, 30, 90 days) often enough to matter; the offer property checks the
library's choice against an oracle written here in plain Python from the same
rules, not against the library's own evaluation.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

import personalize
from personalize import testing
from personalize.salutations import salutation_for

from ..blockkit import TODAY, write_library

LOCALES = ["en", "en_GB", "en_US", "de_DE", "de_AT", "fr_FR", "fr_CA", "es_ES", "es_MX", "ja_JP"]
CATEGORIES = ["laptops", "gardening", "baby", "flowers"]
HONORIFICS = ["Dr", "Dr.", "Mrs", "Ms", "Mr", "Mx", "Frau", "Herr", "Frau Dr.", "Mme", "M.", "Sra."]
HONORIFICS += ["Sr.", "Dra.", "Prof", "Lord", "Sir"]

#: Generic ways of addressing nobody in particular, in the four languages.
GENERIC = (
    "customer",
    "resident",
    "member",
    "occupant",
    "homeowner",
    "sir or madam",
    "whom it may concern",
    "kunde",
    "kundin",
    "damen und herren",
    "client",
    "cliente",
)

_NAME_CHARS = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
names = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "Ada",
            "María José",
            "de la Cruz",
            "Nguyễn Thị Minh Khai",
            "O'Brien",
            "siobhán",
            "<b>Bo & Co</b>",
            "{name}",
            "李",
            "Zoë",
            "  ",
        ]
    ),
    st.text(_NAME_CHARS, min_size=1, max_size=15),
)


def _day(days_ago: int) -> str:
    return (TODAY - dt.timedelta(days=days_ago)).isoformat()


@st.composite
def customer_data(draw: st.DrawFn) -> dict[str, Any]:
    """Sparse to complete customer mappings (always valid)."""
    name = {
        "given": draw(names),
        "family": draw(names),
        "preferred": draw(names),
        "honorific": draw(st.none() | st.sampled_from(HONORIFICS)),
        "pronunciation": draw(st.none() | st.sampled_from(["AY-da", 'x"<y>'])),
    }
    data: dict[str, Any] = {
        "id": "c-1",
        "name": {k: v for k, v in name.items() if v is not None},
        "locale": draw(st.none() | st.sampled_from(LOCALES)),
        "register": draw(st.none() | st.sampled_from(["formal", "informal"])),
        "consent": {
            ch: draw(st.sampled_from(["opted_in", "opted_in", "opted_in", "opted_out", "unknown"]))
            for ch in ("email", "sms", "voice")
        },
    }
    orders = draw(
        st.lists(
            st.tuples(  # (days ago, category); cooldown boundaries are drawn often
                st.sampled_from([14, 15, 30, 31, 90, 91]) | st.integers(0, 400),
                st.sampled_from(CATEGORIES),
            ),
            max_size=12,
        )
    )
    if orders:
        data["orders"] = [
            {"id": f"o{i}", "date": _day(ago), "items": [{"category": cat}]}
            for i, (ago, cat) in enumerate(orders)
        ]
    interests = draw(st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True))
    if interests:
        data["interests"] = interests
    children = draw(st.lists(st.integers(2005, 2026), max_size=3))
    if children:
        data["household"] = {"children_birth_years": children}
    rank = draw(st.none() | st.floats(0, 100))
    if rank is not None:
        data["tier"] = {"rank_percentile": rank}
    since = draw(st.none() | st.integers(0, 4000))
    if since is not None:
        data["customer_since"] = _day(since)
    return data


def customers() -> st.SearchStrategy[personalize.Customer]:
    return customer_data().map(lambda d: personalize.Customer.from_dict(d, today=TODAY))


# -- salutation -------------------------------------------------------------------


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


any_customers = st.one_of(customers(), testing.customers(today=TODAY))


@given(cust=any_customers, channel=st.sampled_from(["email", "sms", "voice"]))
def test_salutation_is_personal_or_neutral_never_generic(
    cust: personalize.Customer, channel: str
) -> None:
    chosen = salutation_for(cust, channel)
    text = str(chosen.text)
    assert text.strip()

    def shown(part: str | None) -> str | None:
        if part is None:
            return None
        return str(escape(part)) if channel == "voice" else part

    name = cust.name
    parts = [shown(p) for p in (name.given, name.family, name.preferred, name.honorific)]
    rest = text
    for part in sorted((p for p in parts if p), key=len, reverse=True):
        rest = rest.replace(part, " ")
    for generic in GENERIC:
        assert generic not in _fold(rest), (text, generic)

    first = name.preferred or name.given
    if chosen.rule == "titled":
        # "Dear Dr Lovelace": the form of address the person declared.
        assert chosen.register == "formal" or not first
        assert (shown(name.family) or "") in text
    elif first:
        assert any(p and p in text for p in (shown(name.preferred), shown(name.given)))
    if first and chosen.register == "informal":
        assert chosen.rule == "named"


@given(cust=any_customers)
def test_voice_salutation_is_well_formed_ssml(cust: personalize.Customer) -> None:
    import xml.etree.ElementTree as ET

    text = salutation_for(cust, "voice").text
    ET.fromstring(f"<speak>{text}</speak>")  # raises on unescaped markup


# -- offers -----------------------------------------------------------------------

CATALOG = """
    [[offer]]
    id = "baby"
    slot = "gift"
    category = "baby"
    priority = 30
    when = "customer.youngest_child_age <= 3"
    cooldown_days = 30

    [[offer]]
    id = "laptop"
    slot = "gift"
    category = "laptops"
    priority = 10
    cooldown_days = 90

    [[offer]]
    id = "garden"
    slot = "gift"
    category = "gardening"
    priority = 10
    cooldown_days = 14
    channels = ["email", "sms"]

    [[offer]]
    id = "vip"
    slot = "gift"
    category = "flowers"
    priority = 40
    when = "customer.tier.rank_percentile <= 10 and customer.order_count >= 2"

    [[offer]]
    id = "any"
    slot = "gift"
    priority = 0

    [[offer]]
    id = "other-slot"
    slot = "other"
    priority = 100
"""

Rule = Callable[[personalize.Customer], bool]


def _age_ok(c: personalize.Customer) -> bool:
    age = c.youngest_child_age
    return age is not None and age <= 3


def _vip(c: personalize.Customer) -> bool:
    rank = c.tier.rank_percentile if c.tier else None
    return rank is not None and rank <= 10 and c.order_count >= 2


#: The oracle: (id, category, priority, cooldown, channels, rule) per offer of "gift".
ORACLE: list[tuple[str, str | None, int, int | None, tuple[str, ...], Rule]] = [
    ("baby", "baby", 30, 30, ("email", "sms", "voice"), _age_ok),
    ("laptop", "laptops", 10, 90, ("email", "sms", "voice"), lambda c: True),
    ("garden", "gardening", 10, 14, ("email", "sms"), lambda c: True),
    ("vip", "flowers", 40, None, ("email", "sms", "voice"), _vip),
    ("any", None, 0, None, ("email", "sms", "voice"), lambda c: True),
]


def _bought_within(c: personalize.Customer, category: str, days: int) -> bool:
    return any(
        0 <= (TODAY - o.date).days <= days and any(i.category == category for i in o.items)
        for o in c.orders
    )


def _oracle_eligible(c: personalize.Customer, channel: str) -> dict[str, tuple[int, int, str]]:
    out = {}
    if getattr(c.consent, channel) != "opted_in":
        return out
    bought = {i.category for o in c.orders for i in o.items}
    for offer_id, category, priority, cooldown, channels, rule in ORACLE:
        if channel not in channels or not rule(c):
            continue
        if category and cooldown is not None and _bought_within(c, category, cooldown):
            continue
        relevance = 0
        if category:
            relevance = int(category in c.interests) + int(category in bought)
        out[offer_id] = (-priority, -relevance, offer_id)
    return out


@pytest.fixture(scope="module")
def offer_lib(tmp_path_factory: pytest.TempPathFactory) -> personalize.Library:
    root: Path = tmp_path_factory.mktemp("offers")
    return write_library(root, sms="{% offer 'gift' %}{{ offer.id }}{% endoffer %}", offers=CATALOG)


@given(cust=customers(), channel=st.sampled_from(["email", "sms", "voice"]))
def test_chosen_offer_satisfies_its_rules_and_is_the_best(
    offer_lib: personalize.Library, cust: personalize.Customer, channel: str
) -> None:
    chosen = offer_lib.choose_offer("gift", cust, channel)
    eligible = _oracle_eligible(cust, channel)
    if chosen is None:
        assert eligible == {}
        return
    assert chosen.slot == "gift" and chosen.id in eligible
    assert getattr(cust.consent, channel) == "opted_in"
    if chosen.offer.category and chosen.offer.cooldown_days is not None:
        assert not _bought_within(cust, chosen.offer.category, chosen.offer.cooldown_days)
    assert eligible[chosen.id] == min(eligible.values())
    # and the trace agrees: exactly the oracle's eligible offers are eligible
    assert {t.offer_id for t in chosen.trace if t.eligible} == set(eligible)
    assert [t.offer_id for t in chosen.trace if t.chosen] == [chosen.id]


@given(cust=customers())
def test_parents_of_older_children_never_get_toddler_offers(
    offer_lib: personalize.Library, cust: personalize.Customer
) -> None:
    chosen = offer_lib.choose_offer("gift", cust, "email")
    if chosen is not None and chosen.id == "baby":
        assert cust.youngest_child_age is not None and cust.youngest_child_age <= 3


_LIB: list[personalize.Library] = []


def _shipped() -> personalize.Library:
    if not _LIB:
        _LIB.append(personalize.Library(Path(__file__).parents[2] / "templates", today=TODAY))
    return _LIB[0]


@given(
    cust=st.one_of(customers(), testing.customers(today=TODAY)),
    channel=st.sampled_from(["email", "sms", "voice"]),
)
def test_shipped_offers_satisfy_their_rules_for_every_slot(
    cust: personalize.Customer, channel: str
) -> None:
    from personalize.context import CustomerView

    lib = _shipped()
    for slot in sorted(lib.blocks.offers.slots):
        chosen = lib.choose_offer(slot, cust, channel)
        if chosen is None:
            continue
        offer = chosen.offer
        assert offer.slot == slot and channel in offer.channels
        assert getattr(cust.consent, channel) == "opted_in"
        assert offer.valid_from is None or offer.valid_from <= TODAY
        assert offer.valid_until is None or offer.valid_until >= TODAY
        if offer.category and offer.cooldown_days is not None:
            assert not _bought_within(cust, offer.category, offer.cooldown_days)
        if offer.when:
            # evaluated afresh, outside the library's own choice
            rule = lib.env.compile_expression(offer.when, undefined_to_none=False)
            assert rule(customer=CustomerView(cust.at(TODAY)), today=TODAY, channel=channel)
