"""The seams the layers keep (docs/architecture.md), checked in the source itself. The import contracts in
pyproject.toml (`lint-imports`, run by CI) keep the apps in layers; these tests keep what they cannot see."""

import ast
import re
import tomllib
from pathlib import Path

import pytest

import eportal

PACKAGE = Path(eportal.__file__).resolve().parent
MODULES = sorted(path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts)

# Domain code: it takes an Actor, never an HTTP request, and never touches a session.
DOMAIN_PACKAGES = {"core", "identity", "audit", "notifications", "representation"}
DOMAIN_MODULE_NAMES = {
    "services",
    "selectors",
    "models",
    "tasks",
    "notices",
    "errors",
    "importer",
    "oidc",
    "tokens",
    "policy",
    "recipients",
    "ages",
}
HTTP_MODULES = {"django.http", "django.shortcuts", "django.contrib.messages", "eportal.web"}


def _name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


TRANSPORT_PACKAGES = {"web", "staff", "demo"}
TRANSPORT_MODULE_NAMES = {"admin", "apps", "urls", "views", "forms", "middleware", "management", "context_processors"}


def _is_domain(path: Path) -> bool:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[0] in TRANSPORT_PACKAGES or any(part in TRANSPORT_MODULE_NAMES for part in parts):
        return False
    return parts[0] in DOMAIN_PACKAGES or any(part in DOMAIN_MODULE_NAMES for part in parts[1:])


DOMAIN = [path for path in MODULES if _is_domain(path)]


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imported(node) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def test_the_domain_list_covers_the_apps_services():
    names = {_name(path) for path in DOMAIN}
    for expected in ["eportal.accounts.services.sms_login", "eportal.booking.selectors", "eportal.audit.services"]:
        assert expected in names


@pytest.mark.parametrize("path", DOMAIN, ids=_name)
def test_domain_code_knows_no_http_request(path):
    """Services, selectors, models and jobs take an actor: no HTTP imports, no `request` parameter, no session."""
    tree = _tree(path)
    problems = []
    for node in ast.walk(tree):
        for module in _imported(node):
            if any(module == http or module.startswith(f"{http}.") for http in HTTP_MODULES):
                problems.append(f"imports {module} (line {node.lineno})")
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            if any(argument.arg == "request" for argument in arguments):
                problems.append(f"{node.name}() takes a request (line {node.lineno})")
        if isinstance(node, ast.Attribute) and node.attr == "session":
            problems.append(f"touches .session (line {node.lineno})")
    assert not problems, f"{_name(path)}: {problems}"


def _function_level_imports(tree: ast.Module):
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and node.level > 0:
                    yield function, node, f"relative import of {node.module or '.'}"
                for module in _imported(node):
                    if module == "eportal" or module.startswith("eportal."):
                        yield function, node, module


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_import_inside_a_function_reaches_into_the_project(path):
    """An import inside a function hides a dependency from the import contracts. Allowed: the command line,
    which must set Django up before it imports models, and an app's ready() that connects its signals."""
    if path.name == "cli.py":
        return
    found = [
        f"{function.name}() imports {what} (line {node.lineno})"
        for function, node, what in _function_level_imports(_tree(path))
        if not (path.name == "apps.py" and function.name == "ready")
    ]
    assert not found, f"{_name(path)}: {found}"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_every_module_says_its_job(path):
    """A module's docstring says what it is for (management command packages and empty __init__ files aside)."""
    tree = _tree(path)
    if not tree.body or path.parent.name in {"management", "commands"} and path.name == "__init__.py":
        return
    docstring = ast.get_docstring(tree)
    assert docstring and len(docstring.split()) >= 3, f"{_name(path)} has no docstring saying its job"


REPOSITORY = Path(__file__).resolve().parent.parent


def test_the_documented_layers_are_the_checked_ones():
    """docs/architecture.md's list of layers is the one import-linter checks (pyproject.toml)."""
    documented = (REPOSITORY / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = documented.split("```layers\n", 1)[1].split("```", 1)[0]
    contracts = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    checked = next(contract for contract in contracts["contracts"] if contract["type"] == "layers")["layers"]
    assert block.split("\n")[:-1] == [layer.replace("eportal.", "") for layer in checked]


def test_the_readme_and_docs_point_only_at_files_in_the_repository():
    for page in [REPOSITORY / "README.md", *sorted((REPOSITORY / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        assert "../shared" not in text and "DESIGN.md" not in text, page
        for target in re.findall(r"\]\(([^)#]+)\)", text):
            if not target.startswith(("http://", "https://")):
                assert (page.parent / target).exists(), f"{page.name} links to {target}, which is not in the repository"
