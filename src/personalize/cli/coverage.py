"""Static field coverage: which customer fields each template prints, and how safely.

Without rendering anything, walk each template's Jinja AST and list every
customer field path it *prints* (``{{ customer.name.given }}``, also inside
filters such as ``| upper``), with whether the output survives the field
being missing:

* ``or``: ``{{ customer.name.given or "there" }}``;
* ``fallback``/``default`` filter: ``{{ customer.name.given | fallback("there") }}``;
* ``if``: inside ``{% if customer.name.given %}`` (or an inline
  ``x if customer.name.given else y``) testing that path, or testing the
  collection an item comes from (``customer.interests`` for
  ``customer.interests[0]``);
* ``claim NAME``: inside ``{% claim "NAME" %}``, printed only when the
  claim's rule holds (whether that rule implies the field is present is
  the claim's business: ``tenure_years >= 5`` does);
* nothing: a customer without the field gets a ``missing-data`` refusal.

Variables of ``{% trans name=customer.name.given %}`` count as printed.
Only what reaches the output counts: a field used in a condition or passed
to a block is read, not printed.  Loop variables (``{% for o in
customer.orders %}{{ o.id }}``) are not followed.  Jinja's AST is walked
the way :func:`personalize.environment.attribute_chains` walks it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from jinja2 import nodes

from ..customer import Customer
from ..library import Library

__all__ = ["PrintedField", "library_coverage", "printed_fields"]

#: Filters that replace a missing value.
FALLBACK_FILTERS = frozenset({"fallback", "default", "d"})


@dataclass(frozen=True, slots=True, kw_only=True)
class PrintedField:
    """One customer field a template prints.

    Attributes:
        path: ``customer.name.given`` (item access as ``[0]``).
        template: the template name.
        lineno: the line of the output.
        fallback: how a missing value is handled (``"or"``, ``"fallback"``,
            ``"if"``), or None when it is not.
    """

    path: str
    template: str
    lineno: int
    fallback: str | None


def _path(node: nodes.Node) -> str | None:
    """``customer.a.b[0]`` for a chain rooted at ``customer``, else None."""
    parts: list[str] = []
    cursor: nodes.Node = node
    while True:
        if isinstance(cursor, nodes.Getattr):
            parts.append(f".{cursor.attr}")
            cursor = cursor.node
        elif isinstance(cursor, nodes.Getitem) and isinstance(cursor.arg, nodes.Const):
            parts.append(f"[{cursor.arg.value!r}]")
            cursor = cursor.node
        else:
            break
    if parts and isinstance(cursor, nodes.Name) and cursor.name == "customer":
        return "customer" + "".join(reversed(parts))
    return None


def _tested(test: nodes.Node) -> set[str]:
    """Every customer path a condition mentions (truthiness of each guards it)."""
    found = set()
    for node in [test, *test.find_all((nodes.Getattr, nodes.Getitem))]:
        path = _path(node)
        if path:
            found.add(path)
    return found


def _negated(test: nodes.Node) -> set[str]:
    """Paths tested as ``not path`` (their ``else`` branch is guarded)."""
    if isinstance(test, nodes.Not):
        return _tested(test.node)
    return set()


def _covered(path: str, guarded: frozenset[str]) -> bool:
    # Testing a path guards printing it; testing a collection guards printing
    # its items (``{% if customer.interests %}{{ customer.interests[0] }}``).
    return any(path == g or path.startswith(g + "[") for g in guarded)


#: The i18n extension's functions; their keyword arguments are printed.
GETTEXT_NAMES = frozenset({"gettext", "ngettext", "pgettext", "npgettext", "_"})


def _is_gettext(call: nodes.Call) -> bool:
    return isinstance(call.node, nodes.Name) and call.node.name in GETTEXT_NAMES


def _printed(
    expr: nodes.Node, guarded: frozenset[str], how: str | None
) -> Iterator[tuple[str, int, str | None]]:
    path = _path(expr)
    if path is not None:
        yield path, expr.lineno, how or ("if" if _covered(path, guarded) else None)
        return
    if isinstance(expr, nodes.Or):
        yield from _printed(expr.left, guarded, how or "or")
        yield from _printed(expr.right, guarded, how)
    elif isinstance(expr, nodes.Filter):
        if expr.name in FALLBACK_FILTERS and expr.node is not None:
            label = "default" if expr.name == "d" else expr.name
            yield from _printed(expr.node, guarded, how or label)
            # Every alternative but the last is itself covered by the ones after it.
            for i, alt in enumerate(expr.args):
                last = i == len(expr.args) - 1
                yield from _printed(alt, guarded, how if last else how or label)
        elif expr.node is not None:
            yield from _printed(expr.node, guarded, how)
    elif isinstance(expr, nodes.CondExpr):
        tested = frozenset(_tested(expr.test))
        yield from _printed(expr.expr1, guarded | tested, how)
        if expr.expr2 is not None:
            yield from _printed(expr.expr2, guarded | frozenset(_negated(expr.test)), how)
    elif isinstance(expr, nodes.Call) and _is_gettext(expr):
        # {% trans name=customer.name.given %}: the variables are printed.
        for kwarg in expr.kwargs:
            yield from _printed(kwarg.value, guarded, how)
        for arg in expr.args[1:]:
            yield from _printed(arg, guarded, how)
    elif isinstance(expr, nodes.Mod) and isinstance(expr.right, nodes.Dict):
        # Old-style i18n: gettext("...") % {"name": customer.name.given}.
        for pair in expr.right.items:
            yield from _printed(pair.value, guarded, how)
    elif isinstance(expr, nodes.Concat):
        for child in expr.nodes:
            yield from _printed(child, guarded, how)
    elif isinstance(expr, nodes.MarkSafe | nodes.MarkSafeIfAutoescape):
        yield from _printed(expr.expr, guarded, how)


def _claim_of(test: nodes.Node) -> str | None:
    """The claim name when ``test`` is a ``{% claim %}`` block's condition."""
    if (
        isinstance(test, nodes.Call)
        and isinstance(test.node, nodes.ExtensionAttribute)
        and test.node.name == "_holds"
        and test.args
        and isinstance(test.args[0], nodes.Const)
    ):
        return str(test.args[0].value)
    return None


def _walk(
    node: nodes.Node, guarded: frozenset[str], name: str, claim: str | None = None
) -> Iterator[PrintedField]:
    if isinstance(node, nodes.Output):
        for expr in node.nodes:
            for path, lineno, how in _printed(expr, guarded, None):
                if how is None and claim is not None:
                    how = f"claim {claim}"
                yield PrintedField(path=path, template=name, lineno=lineno, fallback=how)
        return
    if isinstance(node, nodes.If):
        tested = frozenset(_tested(node.test))
        for stmt in node.body:
            yield from _walk(stmt, guarded | tested, name, _claim_of(node.test) or claim)
        negated = frozenset(_negated(node.test))
        for branch in (*node.elif_, *node.else_):
            yield from _walk(branch, guarded | negated, name, claim)
        return
    for child in node.iter_child_nodes():
        yield from _walk(child, guarded, name, claim)


def _always_present() -> frozenset[str]:
    """Customer paths that can never be missing: the required id, and facts
    typed ``int`` or ``bool`` (counts are 0, not absent)."""
    paths = {"customer.id"}
    for attr, value in vars(Customer).items():
        if isinstance(value, property) and value.fget is not None:
            ret = value.fget.__annotations__.get("return")
            if ret in ("int", "bool", int, bool):
                paths.add(f"customer.{attr}")
    return frozenset(paths)


#: Paths printed safely whatever the customer (see :func:`_always_present`).
ALWAYS_PRESENT = _always_present()


def printed_fields(ast: nodes.Template, name: str) -> list[PrintedField]:
    """The customer fields ``ast`` prints, in template order, without duplicates."""
    seen: dict[tuple[str, int, str | None], PrintedField] = {}
    for field in _walk(ast, frozenset(), name):
        if field.fallback is None and field.path in ALWAYS_PRESENT:
            field = PrintedField(
                path=field.path, template=name, lineno=field.lineno, fallback="always present"
            )
        seen.setdefault((field.path, field.lineno, field.fallback), field)
    return sorted(seen.values(), key=lambda f: (f.lineno, f.path))


def library_coverage(
    lib: Library, messages: Iterable[str] | None = None
) -> dict[str, list[PrintedField]]:
    """Template name -> printed fields, for every template of ``lib``.

    With ``messages``, only their templates and the shared layouts and
    partials (folders starting with ``_``) are walked.
    """
    wanted = None if messages is None else tuple(f"{m}/" for m in messages)
    out = {}
    for name in lib.template_names():
        if wanted is not None and not name.startswith(("_", *wanted)):
            continue
        assert lib.env.loader is not None
        source = lib.env.loader.get_source(lib.env, name)[0]
        out[name] = printed_fields(lib.env.parse(source, name=name), name)
    return out
