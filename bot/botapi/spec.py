"""The machine-readable Bot API description, read at run time when it is present.

Looked up in ``$BOTAPI_SPEC``, else ``../shared/botapi/api.json`` next to the repository. The
file is not part of the repository (and must not be copied into it): without it the fake skips
the checks that need it and still answers every method it implements.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_PRIMITIVE = frozenset({"String", "Integer", "Float", "Boolean", "True", "InputFile"})


@dataclass(frozen=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool

    @property
    def is_json(self) -> bool:
        """True when the value travels as a JSON-serialised object or array."""
        return any(t not in _PRIMITIVE for t in self.types)


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fields: tuple[FieldSpec, ...]

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class BotApiSpec:
    version: str
    methods: dict[str, MethodSpec]  # keyed by lower-cased name: Telegram ignores case

    def method(self, name: str) -> MethodSpec | None:
        return self.methods.get(name.lower())


def default_spec_path() -> Path:
    configured = os.environ.get("BOTAPI_SPEC")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "shared/botapi/api.json"


def _method(raw: dict[str, Any]) -> MethodSpec:
    fields = tuple(
        FieldSpec(str(f["name"]), tuple(f.get("types", ())), bool(f.get("required")))
        for f in raw.get("fields", ())
    )
    return MethodSpec(str(raw["name"]), fields)


@functools.cache
def _load(path: Path) -> BotApiSpec | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        methods = {name.lower(): _method(m) for name, m in raw["methods"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return BotApiSpec(str(raw.get("version", "")), methods)


def load_spec(path: Path | str | None = None) -> BotApiSpec | None:
    """The spec, or None when the file is missing or unreadable (checks are then skipped)."""
    return _load(Path(path) if path is not None else default_spec_path())
