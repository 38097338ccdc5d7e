"""Booking's modules depend one way: its services and selectors know nothing of HTTP or the web pages, and
among the services the waiting list builds on appointments and cancellation on both, never the reverse."""

import ast
from pathlib import Path

import pytest

import eportal.booking

BOOKING = Path(eportal.booking.__file__).parent
SERVICES = sorted((BOOKING / "services").glob("*.py"))
BELOW_THE_WEB = [*SERVICES, BOOKING / "selectors.py", BOOKING / "errors.py", BOOKING / "notices.py"]


def module_name(path: Path) -> str:
    parts = path.relative_to(BOOKING.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, *, top_level_only: bool = False) -> set[str]:
    """The modules (and names in them) the file imports, relative imports made absolute."""
    tree = ast.parse(path.read_text())
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            found |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("path", BELOW_THE_WEB, ids=lambda path: module_name(path))
def test_booking_services_and_selectors_neither_import_the_web_nor_take_a_request(path):
    web = {name for name in imported(path) if name.startswith(("django.http", "eportal.web", "eportal.staff"))}
    assert web == set()
    parameters = {
        argument.arg
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef)
        for argument in [*node.args.args, *node.args.kwonlyargs]
    }
    assert "request" not in parameters


ALLOWED = {  # which sibling service modules each may import
    "schedule": set(),
    "appointments": set(),
    "waitlist": {"appointments"},
    "cancellation": {"appointments", "waitlist"},
}


@pytest.mark.parametrize("path", SERVICES, ids=lambda path: path.stem)
def test_booking_services_import_each_other_one_way_and_only_at_the_top(path):
    siblings = {
        name.removeprefix("eportal.booking.services.").split(".")[0]
        for name in imported(path)
        if name.startswith("eportal.booking.services.")
    }
    assert siblings <= ALLOWED.get(path.stem, set())
    assert imported(path) == imported(path, top_level_only=True)  # no import hidden in a function
