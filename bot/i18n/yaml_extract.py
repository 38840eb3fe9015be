"""Babel extractor for dialog data in `dialogs/*.yaml`.

A string is a message to translate when its key is one of TRANSLATABLE_KEYS, so data authors
never mark anything by hand and `pybabel extract` finds questions, options and labels alike.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

import yaml

TRANSLATABLE_KEYS = frozenset(
    {"label", "text", "title", "description", "question", "hint", "note", "name"}
)


def extract(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    root = yaml.compose(fileobj.read().decode("utf-8"))
    if root is not None:
        yield from _walk(root)


def _walk(node: yaml.Node) -> Iterator[tuple[int, str | None, str, list[str]]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if (
                isinstance(key, yaml.ScalarNode)
                and key.value in TRANSLATABLE_KEYS
                and isinstance(value, yaml.ScalarNode)
                and value.tag == "tag:yaml.org,2002:str"
                and value.value.strip()
            ):
                yield value.start_mark.line + 1, None, value.value, []
            else:
                yield from _walk(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _walk(item)
