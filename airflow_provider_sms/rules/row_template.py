"""Per-row message templates: ``{{ row.first_name }}`` rendered once per row, in a sandbox.

A message that uses ``row`` is rendered in one pass per row, with the task's context (``ds``,
``params``, ``macros``, ...) and ``row`` (the row's fields) together. Nothing is rendered twice: a
row value, or a task-level value, that reads ``{{ 7*7 }}`` is sent as written (no template
injection). The environment is Jinja's :class:`~jinja2.sandbox.SandboxedEnvironment` with
:class:`~jinja2.StrictUndefined`: a field the row does not have fails that row, and so does an
expression that prints ``None`` (an empty column). Problem texts name fields, never values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from airflow_provider_sms.exceptions import SmsValidationError

if TYPE_CHECKING:
    from collections.abc import Mapping

#: The name a message template reads a row's fields under.
ROW = "row"
_PLAIN = jinja2.Environment()


class RowTemplateError(ValueError):
    """One row could not be rendered; the text names the cause, never a value."""


class _PrintedNone(Exception):
    """An expression printed ``None``."""


def _finalize(value: Any) -> Any:
    if value is None:
        raise _PrintedNone
    return value


def uses_row(text: object, env: jinja2.Environment | None = None) -> bool:
    """Whether ``text`` is a template that reads ``row`` (a syntax error says no: the usual
    rendering then reports it)."""
    if not isinstance(text, str) or ROW not in text:
        return False
    try:
        parsed = (env or _PLAIN).parse(text)
    except jinja2.TemplateSyntaxError:
        return False
    return ROW in meta.find_undeclared_variables(parsed)


def row_environment(base: jinja2.Environment | None = None) -> SandboxedEnvironment:
    """A sandboxed, strict environment for row templates, with ``base``'s filters, tests and
    globals (the DAG's ``user_defined_filters`` / ``user_defined_macros``)."""
    env = SandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        finalize=_finalize,
        cache_size=0,
    )
    if base is not None:
        env.filters.update(base.filters)
        env.tests.update(base.tests)
        env.globals.update(base.globals)
    return env


class RowTemplate:
    """A message template that reads ``row``: compiled once, rendered for each row.

    :param source: the template, as the DAG author wrote it (not rendered by Airflow).
    :param context: what the template may read beside ``row`` (the task's Airflow context).
    :param env: the environment whose filters and globals it may use (the DAG's).
    :raises SmsValidationError: the template does not parse.
    """

    def __init__(
        self, source: str, context: Mapping[str, Any] | None = None, env: jinja2.Environment | None = None
    ) -> None:
        self.source = source
        try:
            self._template = row_environment(env).from_string(source)
        except jinja2.TemplateSyntaxError as exc:
            raise SmsValidationError([f"message template: {exc.message} (line {exc.lineno})"]) from None
        self._context = {k: v for k, v in (context or {}).items() if k != ROW}
        # What Template.render() builds for every row (its globals merged with the context),
        # built once: a row then costs a dict copy, not a walk of the globals' ChainMap.
        template = self._template
        self._globals = dict(template.globals)
        self._parent = {**self._globals, **self._context}

    def render(self, row: Mapping[str, Any]) -> str:
        """The text for ``row``.

        :raises RowTemplateError: a field it reads is missing, an expression prints ``None``, an
            unsafe access, or any other failure (named by its class).
        """
        template = self._template
        env = template.environment
        context = env.context_class(
            env, {**self._parent, ROW: row}, template.name, template.blocks, globals=self._globals
        )
        try:
            return env.concat(template.root_render_func(context))  # what Template.render() does
        except jinja2.UndefinedError as exc:
            raise RowTemplateError(f"message template: {exc.message}") from None
        except _PrintedNone:
            raise RowTemplateError("message template: an expression printed None (an empty field?)") from None
        except SecurityError as exc:
            raise RowTemplateError(f"message template: {exc}") from None
        except Exception as exc:
            raise RowTemplateError(f"message template failed ({type(exc).__name__})") from None
