"""Griffe extension for the documentation site (``mkdocs.yml``): Sphinx roles become links.

The docstrings are reST (``:param x:`` fields, ``:class:`~airflow_provider_sms.x.Y``` roles), read
by mkdocstrings with ``docstring_style: sphinx``, which parses the fields but leaves the roles as
text. This rewrites each role as an optional cross-reference: a link where the site documents the
target, its name in code otherwise (the API reference covers the public classes, not every module a
docstring mentions). ``~`` shows the last part of the path only, as in Sphinx.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(
    r":(?:py:)?(?:class|func|meth|mod|attr|exc|data|obj|const):`(?P<tilde>~?)(?P<target>[^`]+)`"
)


def _autoref(match: re.Match[str]) -> str:
    target = match["target"].strip()
    title = target.rsplit(".", 1)[-1] if match["tilde"] else target
    return f'<autoref identifier="{target}" optional><code>{title}</code></autoref>'


def rewrite_roles(text: str) -> str:
    """Return ``text`` with every Sphinx cross-reference role replaced by an optional autoref."""
    return _ROLE.sub(_autoref, text)


class SphinxRoles(griffe.Extension):
    """Rewrite the Sphinx roles of every docstring as it is loaded."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rewrite_roles(obj.docstring.value)
