"""Decode Stripe's form encoding into nested Python values.

stripe-python sends `line_items[0][price_data][currency]=eur` and
`shipping_address_collection[allowed_countries][0]=US` (always indexed; other
clients send `[]`). The result uses dicts for objects and lists for arrays.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


class FormError(ValueError):
    """A body or query string that cannot be decoded; `param` names the culprit."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def decode_form(raw: str) -> dict[str, Any]:
    """Turn `a[b][0][c]=1&a[b][1][c]=2` into `{"a": {"b": [{"c": "1"}, {"c": "2"}]}}`."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True, strict_parsing=False):
        match = _KEY.match(key)
        if not match:
            raise FormError(f"Invalid parameter name: {key}", param=key)
        parts = [match.group(1), *_PART.findall(match.group(2))]
        _insert(root, parts, value, key)
    return _listify(root)


def _insert(node: dict[str, Any], parts: list[str], value: str, key: str) -> None:
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if part == "":
            # `name[]` appends; give it the next free numeric index
            part = str(sum(1 for k in node if k.isdigit()))
        if last:
            if isinstance(node.get(part), dict):
                raise FormError(f"Invalid value for {key}: expected an object", param=key)
            node[part] = value
            return
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise FormError(f"Invalid value for {key}: mixes a value and an object", param=key)
        node = child


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted
