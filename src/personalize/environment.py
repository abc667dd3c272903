"""The sandboxed Jinja environment every template and rule runs in.

Templates may be written by people who are not engineers, so the sandbox is
the security boundary: :class:`jinja2.sandbox.ImmutableSandboxedEnvironment`
refuses private attributes and mutation of lists and dicts, and
:func:`check_template_ast` refuses the usual escape routes at load time so
that a bad template fails when the library loads rather than in production.

Escaping follows the channel, chosen by the template's file name: ``.html``
and ``.ssml`` (and ``.xml``) templates autoescape, because markupsafe's
escaping of ``& < > " '`` is valid for both HTML and XML; text templates do
not.  Header safety for the subject is the email channel's job (it folds
every line break and control character), since it must hold for the literal
template text as much as for data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

from jinja2 import FileSystemLoader, StrictUndefined, nodes, pass_context
from jinja2.ext import Extension
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .channels.speech import SPEECH_FILTERS
from .context import Missing, current_state, fallback
from .errors import SecurityError, TemplateError

__all__ = [
    "AUTOESCAPE_SUFFIXES",
    "Environment",
    "check_template_ast",
]

#: Template name endings that autoescape (HTML and XML escaping coincide).
AUTOESCAPE_SUFFIXES: Final = (".html.j2", ".html", ".ssml.j2", ".ssml", ".xml.j2", ".xml")

#: Attribute names that lead out of the sandbox in CPython, refused statically
#: even though the sandbox would refuse most at run time too.
UNSAFE_ATTRIBUTES: Final = frozenset(
    {
        "mro",
        "func_globals",
        "func_code",
        "gi_frame",
        "gi_code",
        "cr_frame",
        "cr_code",
        "ag_frame",
        "ag_code",
        "f_globals",
        "f_locals",
        "f_builtins",
        "tb_frame",
        "im_func",
        "im_self",
        "format_map",
        "globals",
    }
)


def _autoescape(name: str | None) -> bool:
    return bool(name) and str(name).endswith(AUTOESCAPE_SUFFIXES)


@pass_context
def _finalize(context: Context, value: Any) -> Any:
    """Turn printed missing values into ``missing-data`` violations.

    The render goes on (printing nothing for the value) so that one pass
    reports every missing fact, and the renderer refuses the result after.
    """
    if isinstance(value, Missing) or value is None:
        state = current_state()
        path = value.path if isinstance(value, Missing) else "a value that is None"
        if state is None:
            raise TemplateError(f"{path} is missing")
        state.missing(path)
        return ""
    return value


class _StrictUndefined(StrictUndefined):
    """Unknown template variables are errors, never blank output."""

    __slots__ = ()


class Environment(ImmutableSandboxedEnvironment):
    """The personalize Jinja environment: sandboxed, strict, channel-escaped.

    Configure it before loading templates; like Jinja's own environment it is
    not meant to change once templates are compiled.  Jinja's template cache
    is unbounded and auto-reload is off: a :class:`~personalize.Library`
    compiles every template once when it loads.
    """

    def __init__(
        self,
        root: Path,
        *,
        extensions: tuple[type[Extension] | str, ...] = (),
    ) -> None:
        super().__init__(
            loader=FileSystemLoader(str(root)),
            autoescape=_autoescape,
            undefined=_StrictUndefined,
            finalize=_finalize,
            extensions=(
                "jinja2.ext.i18n",
                "jinja2.ext.loopcontrols",
                "personalize.guards.suppress.AllowExtension",
                *extensions,
            ),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,
            cache_size=-1,
        )
        self.filters["fallback"] = fallback
        self.filters.update(SPEECH_FILTERS)  # spoken_money/date/time/phone (docs/channels.md)
        # Null translations until the locale layer installs per-render ones.
        self.install_null_translations(newstyle=True)  # type: ignore[attr-defined]

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr in UNSAFE_ATTRIBUTES:
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def compile_expression_checked(
        self, source: str, *, name: str, lineno: int | None = None
    ) -> Callable[..., Any]:
        """Compile a rule expression (``when = "..."``), checked like templates.

        Raises:
            TemplateError: on a syntax error, naming ``name`` and ``lineno``.
            SecurityError: if the expression reaches for private attributes.
        """
        try:
            ast = self.parse("{{ " + source + " }}")
        except Exception as exc:
            raise TemplateError(
                f"invalid expression {source!r}: {exc}", name=name, lineno=lineno
            ) from exc
        check_template_ast(ast, name=name, source=source, lineno_offset=(lineno or 1) - 1)
        try:
            return self.compile_expression(source, undefined_to_none=False)
        except Exception as exc:  # pragma: no cover - parse() above catches syntax
            raise TemplateError(
                f"invalid expression {source!r}: {exc}", name=name, lineno=lineno
            ) from exc


def _walk(node: nodes.Node) -> Iterator[nodes.Node]:
    yield node
    for child in node.iter_child_nodes():
        yield from _walk(child)


def check_template_ast(
    ast: nodes.Template, *, name: str, source: str, lineno_offset: int = 0
) -> None:
    """Refuse sandbox escapes statically.

    Raises:
        SecurityError: for a private (``_``-prefixed) or known-unsafe
            attribute or item, naming the template and line.
    """
    for node in _walk(ast):
        attr: object = None
        if isinstance(node, nodes.Getattr):
            attr = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            attr = node.arg.value
        if isinstance(attr, str) and (attr.startswith("_") or attr in UNSAFE_ATTRIBUTES):
            raise SecurityError(
                f"access to {attr!r} is not allowed in templates",
                name=name,
                lineno=node.lineno + lineno_offset,
                source=source,
                hint="templates run in a sandbox; use the customer fields and filters instead",
            )


def undeclared_names(env: Environment, ast: nodes.Template) -> set[str]:
    """Variables a template uses that it does not define itself."""
    from jinja2 import meta

    return set(meta.find_undeclared_variables(ast))


def attribute_chains(ast: nodes.Template, root: str) -> Iterator[tuple[list[str], int]]:
    """Yield ``(["name", "given"], lineno)`` for each ``root.name.given`` chain.

    Only maximal chains are yielded (``customer.name.given`` but not its prefix
    ``customer.name``), for the static field check and coverage reports.
    """
    inner: set[int] = set()
    for node in _walk(ast):
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Getattr):
            inner.add(id(node.node))
    for node in _walk(ast):
        if not isinstance(node, nodes.Getattr) or id(node) in inner:
            continue
        chain: list[str] = []
        cursor: nodes.Node = node
        while isinstance(cursor, nodes.Getattr):
            chain.append(cursor.attr)
            cursor = cursor.node
        if isinstance(cursor, nodes.Name) and cursor.name == root:
            yield list(reversed(chain)), node.lineno
