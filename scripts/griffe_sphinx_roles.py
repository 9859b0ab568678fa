"""A griffe extension for the docs build (mkdocs.yml): Sphinx roles in docstrings as code.

orbitcloud's docstrings cite other objects as Sphinx roles (``:func:`orbitcloud.x.y```); the
API reference is Markdown, where a role would show as literal text. This turns each into a code
span of its target (``~`` keeps the last component, as Sphinx shows it).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|data|meth|attr|exc|obj):`(~?)([^`]+)`")


def _code(m: re.Match[str]) -> str:
    target = m.group(2)
    return f"`{target.rsplit('.', 1)[-1] if m.group(1) else target}`"


class SphinxRoles(griffe.Extension):
    """Rewrite ``:role:`target``` to `` `target` `` in every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(_code, obj.docstring.value)
