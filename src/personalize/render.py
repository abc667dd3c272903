"""Rendering one channel of one message for one customer.

The pipeline is: build the render state, render each template part of the
channel in the sandbox, hand the parts to the channel adapter, run the
guards, then return the result or raise :class:`~personalize.Refused`.

Templates are run through their ``root_render_func`` rather than
``Template.render`` so that on an error the traceback still holds Jinja's
compiled frames, from which :func:`_locate` reads the template name and line
the same way Jinja's own traceback rewriting does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.exceptions import SecurityError as JinjaSecurityError
from jinja2.exceptions import UndefinedError

from .channels import Draft, get_channel
from .context import CustomerView, MissingDataError, RenderState, reset_state, set_state
from .customer import Customer
from .errors import PersonalizeError, Refused, SecurityError, TemplateError, did_you_mean
from .guards import GuardInput, run_guards
from .message import CHANNEL_PARTS, MessageSpec
from .result import RenderResult
from .violation import Violation

if TYPE_CHECKING:
    from .library import Library

__all__ = ["render_channel"]

#: Hooks that add template variables for a render (blocks, translations).
ContextHook = Callable[[RenderState], Mapping[str, Any]]


def _locate(tb: TracebackType | None) -> tuple[str | None, int | None, str | None]:
    """The innermost template frame of a traceback: (name, line, source)."""
    found: tuple[str | None, int | None, str | None] = (None, None, None)
    while tb is not None:
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        if template is not None:
            lineno = template.get_corresponding_lineno(tb.tb_lineno)
            found = (template.name, lineno, None)
        tb = tb.tb_next
    return found


def _source_of(env: jinja2.Environment, name: str | None) -> str | None:
    if name is None or env.loader is None:
        return None
    try:
        return env.loader.get_source(env, name)[0]
    except jinja2.TemplateNotFound:
        return None


def _run_template(
    env: jinja2.Environment,
    template: jinja2.Template,
    variables: dict[str, Any],
    state: RenderState,
) -> str | None:
    """Render one template; None when it could not finish (a refusal follows).

    Raises:
        TemplateError: for bugs in the template, with name, line and hint.
        SecurityError: when the template reached outside the sandbox.
    """
    try:
        return env.concat(template.root_render_func(template.new_context(variables)))
    except MissingDataError as exc:
        name, lineno, _ = _locate(exc.__traceback__)
        state.violations.append(
            Violation(
                guard="missing-data",
                message=(
                    f"{exc.path} is missing for this customer and was used without a "
                    "fallback; guard it with {% if %} or give a default"
                ),
                excerpt=exc.path,
                channel=state.channel,
                template=name,
                lineno=lineno,
            )
        )
        return None
    except JinjaSecurityError as exc:
        name, lineno, _ = _locate(exc.__traceback__)
        raise SecurityError(
            str(exc),
            name=name,
            lineno=lineno,
            source=_source_of(env, name),
            hint="templates run in a sandbox; use customer fields and filters instead",
        ) from exc
    except TemplateError as exc:
        if exc.name is None:
            exc.name, exc.lineno, _ = _locate(exc.__traceback__)
            exc.source = _source_of(env, exc.name)
        raise
    except PersonalizeError:
        raise
    except UndefinedError as exc:
        name, lineno, _ = _locate(exc.__traceback__)
        message = str(exc)
        hint = None
        if message.startswith("'") and "' is undefined" in message:
            missing = message.split("'")[1]
            hint = did_you_mean(missing, [*variables, *env.globals])
        raise TemplateError(
            message, name=name, lineno=lineno, source=_source_of(env, name), hint=hint
        ) from exc
    except Exception as exc:
        name, lineno, _ = _locate(exc.__traceback__)
        raise TemplateError(
            f"error while rendering: {type(exc).__name__}: {exc}",
            name=name,
            lineno=lineno,
            source=_source_of(env, name),
        ) from exc


def unsubscribe_url(spec: MessageSpec, customer: Customer) -> str | None:
    """The message's unsubscribe URL for this customer (``{customer_id}`` filled in)."""
    url = spec.setting("email.unsubscribe_url")
    if not url:
        return None
    from urllib.parse import quote

    return str(url).replace("{customer_id}", quote(customer.id, safe=""))


def render_channel(
    lib: Library,
    spec: MessageSpec,
    customer: Customer,
    channel: str,
    *,
    today: dt.date,
) -> RenderResult:
    """Render ``channel`` of ``spec`` for ``customer``; see :meth:`Library.render`."""
    customer = customer.at(today)
    locale = lib.resolve_locale(customer, spec)
    state = RenderState(
        customer=customer, channel=channel, message=spec.name, today=today, locale=locale
    )
    token = set_state(state)
    try:
        variables: dict[str, Any] = {
            "customer": CustomerView(customer),
            "channel": channel,
            "message": MappingProxyType(
                {"name": spec.name, "purpose": spec.purpose, "description": spec.description}
            ),
            "today": today,
            "locale": locale,
            "unsubscribe_url": unsubscribe_url(spec, customer),
            "preheader": "",
        }
        for hook in lib.context_hooks:
            variables.update(hook(state))
        parts: dict[str, str] = {}
        failed = False
        for part, _filename, _required in CHANNEL_PARTS[channel]:
            name = spec.template_for(channel, part)
            if name is None:
                continue
            if part == "html" and channel == "email":
                from .channels.email import render_html

                output = render_html(lib, name, dict(variables), state, _run_template)
            else:
                output = _run_template(lib.env, lib.env.get_template(name), dict(variables), state)
            if output is None:
                failed = True
                output = ""
            parts[part] = output
            if part == "preheader":
                variables["preheader"] = output.strip()
        variables.setdefault("preheader", "")
    finally:
        reset_state(token)

    if failed:
        # A part stopped half-way: there is nothing sound to send whatever the
        # policy says about missing data.
        raise Refused([v for v in state.violations if v.guard == "missing-data"])

    extras = state.extras
    common: dict[str, Any] = {
        "channel": channel,
        "message": spec.name,
        "customer_id": customer.id,
        "purpose": spec.purpose,
        "locale": locale,
        "facts": MappingProxyType(dict(state.facts)),
        "offer": extras.get("offer"),
        "offer_trace": tuple(extras.get("offer_trace", ())),
        "claims": tuple(extras.get("claims", ())),
        "suppressions": tuple(extras.get("suppressions", ())),
        "audit": MappingProxyType(dict(extras.get("audit", {}))),
    }
    result = get_channel(channel).build(
        Draft(
            parts=parts,
            spec=spec,
            customer=customer,
            state=state,
            common=common,
            policy=lib.policy_for(spec),
        )
    )
    policy = lib.policy_for(spec)
    violations = list(state.violations)
    violations.extend(
        run_guards(
            GuardInput(result=result, customer=customer, spec=spec, state=state, policy=policy)
        )
    )
    refusals = [v for v in violations if policy.action(v.guard) == "refuse"]
    warnings = tuple(v for v in violations if policy.action(v.guard) == "warn")
    result = dataclasses.replace(result, warnings=warnings)
    if refusals:
        raise Refused(refusals, result=result)
    return result
