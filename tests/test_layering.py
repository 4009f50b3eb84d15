"""The service core does not know its transports (STYLE.md, "Layers, one direction")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1] / "src" / "orgql" / "core"

#: Transport libraries and the adapters built on them; the core imports none of these.
FORBIDDEN = (
    "strawberry",
    "starlette",
    "graphql",
    "httpx",
    "uvicorn",
    "orgql.graphql",
    "orgql.rest",
    "orgql.app",
)


def _imported_modules(tree: ast.AST, package: str) -> list[str]:
    """Every module an ``import`` or ``from ... import`` names, relative ones resolved."""
    modules: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                prefix = ".".join(base)
                module = f"{prefix}.{node.module}" if node.module else prefix
            else:
                module = node.module or ""
            modules.append(module)
            # `from orgql import graphql` imports the orgql.graphql module.
            modules.extend(f"{module}.{alias.name}" for alias in node.names)
    return modules


def _is_forbidden(module: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in FORBIDDEN)


def _core_files() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def test_core_has_modules_to_check() -> None:
    assert len(_core_files()) > 1


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_imports_no_transport(path: Path) -> None:
    package = "orgql.core" + "".join(f".{part}" for part in path.relative_to(CORE).parent.parts)
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))

    forbidden = [m for m in _imported_modules(tree, package) if _is_forbidden(m)]

    assert forbidden == [], f"{path.relative_to(CORE.parents[2])} imports {forbidden}"


@pytest.mark.parametrize(
    ("source", "package", "expected"),
    [
        ("import strawberry", "orgql.core", ["strawberry"]),
        (
            "from starlette.requests import Request",
            "orgql.core",
            ["starlette.requests", "starlette.requests.Request"],
        ),
        ("from orgql import graphql", "orgql.core", ["orgql.graphql"]),
        ("from ..rest import routes", "orgql.core", ["orgql.rest", "orgql.rest.routes"]),
        ("from . import repository", "orgql.core", []),
        ("from sqlalchemy import select", "orgql.core", []),
        ("import graphqlish", "orgql.core", []),
    ],
)
def test_the_import_check_sees_every_import_form(
    source: str, package: str, expected: list[str]
) -> None:
    modules = _imported_modules(ast.parse(source), package)

    assert [m for m in modules if _is_forbidden(m)] == expected
