"""Per-row message templates: ``{{ row.first_name }}`` rendered once per row, in a sandbox.

A message that uses ``row`` is rendered in one pass per row, with the task's context (``ds``,
``params``, ``macros``, ...) and ``row`` (the row's fields) together. Nothing is rendered twice: a
row value, or a task-level value, that reads ``{{ 7*7 }}`` is sent as written (no template
injection). The environment is Jinja's :class:`~jinja2.sandbox.SandboxedEnvironment` with
:class:`~jinja2.StrictUndefined`: a field the row does not have fails that row, and so does an
expression that prints ``None`` (an empty column). Problem texts name fields, never values.
"""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from airflow_provider_sms.exceptions import SmsValidationError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

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


def plain_fields(env: jinja2.Environment, source: str) -> tuple[str, tuple[str, ...]] | None:
    """A template that only prints row fields (``{{ row.name }}``, ``{{ row["name"] }}``) between
    literal text, as a ``str.format`` string over those fields, or ``None`` for any other template.

    Such a template's text for a ``dict`` row holding every field, none of them ``None``, is
    exactly the format string filled with ``str()`` of each value: what Jinja prints. Fields a
    ``dict`` also has as an attribute (``items``, ``keys``...) are left to Jinja, which would
    print the method.
    """
    try:
        body = env.parse(source).body
    except jinja2.TemplateSyntaxError:
        return None
    if len(body) != 1 or not isinstance(body[0], nodes.Output):
        return None
    parts: list[str] = []
    fields: list[str] = []
    for node in body[0].nodes:
        if isinstance(node, nodes.TemplateData):
            parts.append(node.data.replace("{", "{{").replace("}", "}}"))
            continue
        name = _row_field(node)
        if name is None:
            return None
        parts.append("{!s}")
        fields.append(name)
    return ("".join(parts), tuple(fields)) if fields else None


def _row_field(node: nodes.Node) -> str | None:
    """The field ``node`` reads of ``row`` (``row.name`` or ``row["name"]``), else ``None``."""
    if isinstance(node, nodes.Getattr):
        target, name = node.node, node.attr
    elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        target, name = node.node, node.arg.value
    else:
        return None
    if not (isinstance(target, nodes.Name) and target.name == ROW and isinstance(name, str)):
        return None
    return None if name.startswith("_") or hasattr(dict, name) else name


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
        self._plain = plain_fields(template.environment, source)

    def render_rows(self, rows: Sequence[object]) -> list[str] | None:
        """Every row's text at once, where the template only prints row fields
        (:func:`plain_fields`) and every row is a ``dict`` with each field set (not ``None``):
        the same texts as :meth:`render`, column by column. ``None`` otherwise: render row by row,
        which also names what a row lacks."""
        if self._plain is None or set(map(type, rows)) != {dict}:
            return None
        text, fields = self._plain
        try:
            columns = [list(map(itemgetter(name), rows)) for name in fields]  # type: ignore[arg-type]
            if any(None in column for column in columns):
                return None  # Jinja's finalize refuses it: the row by row path says which row
            return list(map(text.format, *columns))
        except Exception:  # a field missing, a value that cannot be compared or printed
            return None

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
