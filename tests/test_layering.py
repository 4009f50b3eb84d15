"""The service core does not know its transports (STYLE.md, "Layers, one direction"), nor
GraphQL's shapes (DESIGN.md, "Layout": edges, cursors and page info live in graphql/); the
transports do not know each other; each layer has the same domain packages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "orgql"
CORE = PACKAGE / "core"

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


def _is_forbidden(module: str, forbidden: tuple[str, ...] = FORBIDDEN) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in forbidden)


def _files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def _core_files() -> list[Path]:
    return _files(CORE)


def _imports_of(path: Path) -> list[str]:
    package = "orgql" + "".join(f".{part}" for part in path.relative_to(PACKAGE).parent.parts)
    return _imported_modules(ast.parse(path.read_text("utf-8"), filename=str(path)), package)


def test_core_has_modules_to_check() -> None:
    assert len(_core_files()) > 1


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_imports_no_transport(path: Path) -> None:
    forbidden = [m for m in _imports_of(path) if _is_forbidden(m)]

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


#: The keys of Relay connections: what a GraphQL answer looks like, not what the core returns.
GRAPHQL_SHAPES = {"edges", "node", "pageInfo", "hasNextPage", "endCursor", "startCursor"}


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_builds_no_graphql_shape(path: Path) -> None:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    keys = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in GRAPHQL_SHAPES
    }
    classes = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.name.endswith(("Edge", "Connection", "PageInfo"))
    }

    assert (keys, classes) == (set(), set()), f"{path.relative_to(CORE)} builds GraphQL shapes"


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_makes_no_cursor(path: Path) -> None:
    """Cursors are how GraphQL spells a page position (graphql/cursors.py): the core pages
    by keyset positions and never encodes or decodes one."""
    imported = set(_imports_of(path))

    assert path.stem != "cursors"
    assert not imported & {"base64", "orgql.graphql.cursors"}, path.relative_to(CORE)


@pytest.mark.parametrize(
    ("transport", "other"),
    [("graphql", ("orgql.rest",)), ("rest", ("orgql.graphql", "strawberry"))],
)
def test_a_transport_imports_not_the_other(transport: str, other: tuple[str, ...]) -> None:
    crossing = {
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in _files(PACKAGE / transport)
        for module in _imports_of(path)
        if _is_forbidden(module, other)
    }

    assert crossing == set()


#: Transport packages that are about the transport itself, not a domain of the core.
TRANSPORT_ONLY = {"execution"}


@pytest.mark.parametrize("transport", ["graphql", "rest"])
def test_transport_domains_are_core_domains(transport: str) -> None:
    """graphql/<domain>/ and rest/<domain>/ carry the names of core/<domain>/."""
    domains = {p.parent.name for p in (PACKAGE / transport).glob("*/__init__.py")}
    core = {p.parent.name for p in CORE.glob("*/__init__.py")}

    assert domains - TRANSPORT_ONLY <= core
