"""The package layout holds: one home per feature, no handler imported by another module, no
import circles, and rules that know nothing of Telegram or the web."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bot"
FEATURES = ("people", "assessment", "plans", "booking", "broadcasts")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    """Imports under `if TYPE_CHECKING:`: for the type checker, not run."""
    skipped: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for child in node.body:
                skipped.update(ast.walk(child))
    return skipped


def _imports(path: Path) -> set[str]:
    """Every bot module this file imports, at the top or inside functions."""
    found: set[str] = set()
    tree = ast.parse(path.read_text())
    skipped = _type_checking_only(tree)
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in MODULES}


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _has_handlers(path: Path) -> bool:
    return "def create_router(" in path.read_text()


HANDLER_MODULES = {name for name, path in MODULES.items() if _has_handlers(path)}


def test_no_module_imports_a_handler_module_but_the_dispatcher() -> None:
    offenders = sorted(
        f"{importer} imports {imported}"
        for importer, imported_set in GRAPH.items()
        for imported in imported_set & HANDLER_MODULES
        if importer != "bot.dispatcher"
    )
    assert offenders == []


def test_no_import_circles() -> None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    circles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for nxt in sorted(GRAPH[name]):
            if nxt.startswith(name + "."):  # a package importing its own modules
                continue
            if state.get(nxt) == 1:
                circles.append([*path[path.index(nxt) :], nxt] if nxt in path else [name, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert circles == []


def _feature_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FEATURES else None


@pytest.mark.parametrize("feature", FEATURES)
def test_features_never_import_another_features_telegram_part(feature: str) -> None:
    """Only a feature's callback data is public: a button may open another feature's screen."""
    offenders = sorted(
        f"{importer} imports {imported}"
        for importer, imported_set in GRAPH.items()
        if _feature_of(importer) == feature
        for imported in imported_set
        if _feature_of(imported) not in (None, feature)
        and ".telegram" in imported
        and not imported.endswith(".telegram.callbacks")
    )
    assert offenders == []


def test_the_kit_imports_no_feature_handler() -> None:
    offenders = sorted(
        f"{importer} imports {imported}"
        for importer, imported_set in GRAPH.items()
        if importer.startswith("bot.kit")
        for imported in imported_set
        if ".telegram" in imported and _feature_of(imported) is not None
    )
    assert offenders == []


def test_rules_import_neither_telegram_nor_the_web() -> None:
    """Everything of a feature outside its telegram/ (and later web/) part is plain rules."""
    offenders = []
    for name, path in MODULES.items():
        if _feature_of(name) is None or ".telegram" in name or ".web" in name:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom | ast.Import):
                modules = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                )
                if any(m.split(".")[0] in {"aiogram", "aiohttp", "jinja2"} for m in modules):
                    offenders.append(name)
    assert sorted(set(offenders)) == []


def test_callback_prefixes_are_unique_and_actions_are_enums() -> None:
    """Every button's data starts with its own prefix; an action is an enum, never a free string."""
    import importlib
    from enum import Enum

    from aiogram.filters.callback_data import CallbackData

    classes: list[type[CallbackData]] = []
    for name in MODULES:
        if (name.endswith(".callbacks") and ".telegram" in name) or name == "bot.kit.callbacks":
            module = importlib.import_module(name)
            classes += [
                value
                for value in vars(module).values()
                if isinstance(value, type)
                and issubclass(value, CallbackData)
                and value is not CallbackData
                and value.__module__ == name
            ]
    prefixes = [cls.__prefix__ for cls in classes]
    assert len(prefixes) == len(set(prefixes)), sorted(prefixes)
    action_names = {"a", "act", "action", "to"}
    loose = [
        f"{cls.__name__}.{field}"
        for cls in classes
        for field, info in cls.model_fields.items()
        if field in action_names
        and not (isinstance(info.annotation, type) and issubclass(info.annotation, Enum))
    ]
    assert loose == []


def test_buttons_are_built_and_matched_with_enum_members() -> None:
    """A free string where an action goes would pass pydantic but bypass the enum: none left."""
    import importlib
    from enum import Enum

    from aiogram.filters.callback_data import CallbackData

    fields: dict[str, set[str]] = {}
    for name in MODULES:
        if name == "bot.kit.callbacks" or name.endswith(".telegram.callbacks"):
            for value in vars(importlib.import_module(name)).values():
                if isinstance(value, type) and issubclass(value, CallbackData):
                    fields[value.__name__] = {
                        field
                        for field, info in value.model_fields.items()
                        if isinstance(info.annotation, type) and issubclass(info.annotation, Enum)
                    }
    loose = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                for keyword in node.keywords:
                    if keyword.arg in fields.get(node.func.id, set()) and isinstance(
                        keyword.value, ast.Constant
                    ):
                        loose.append(f"{name}:{node.lineno}")
            if (  # F.a == "book" in a filter
                isinstance(node, ast.Compare)
                and isinstance(node.left, ast.Attribute)
                and isinstance(node.left.value, ast.Name)
                and node.left.value.id == "F"
                and any(
                    isinstance(c, ast.Constant) and isinstance(c.value, str)
                    for c in node.comparators
                )
            ):
                loose.append(f"{name}:{node.lineno}")
    assert loose == []
