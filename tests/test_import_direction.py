"""Imports run one way: visitors -> sessions -> agencies, with the project's
settings and URLs above every app and its shared helpers below them.

Every ``.py`` file of the project's packages is parsed with ``ast``, so
imports inside functions (the lazy ones that avoid import cycles) count as
much as those at the top. Migrations are checked too: they import their own
app's models, or a lower app's, so they need no exemption."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The layers, each with the layers it may import from. A layer may always
# import itself. "eserviceverkstad (top)" wires the apps together; the
# helpers (Babel formatting, colours, id-safe fields, the client's address,
# template tags) know nothing domain-specific, so any app may use them.
TOP, HELPERS = "eserviceverkstad (top)", "eserviceverkstad (helpers)"
MAY_IMPORT = {
    TOP: {"visitors", "sessions", "agencies", HELPERS},
    "visitors": {"sessions", "agencies", HELPERS},
    "sessions": {"agencies", HELPERS},
    "agencies": {HELPERS},
    HELPERS: set(),
}
# The modules of the eserviceverkstad package that sit above the apps; every
# other module in it is a shared helper.
TOP_MODULES = {"settings", "urls", "views", "wsgi", "asgi"}
PACKAGES = ("agencies", "sessions", "visitors", "eserviceverkstad")


def layer_of(module):
    """The layer of a dotted module name, or None outside the project."""
    parts = module.split(".")
    if parts[0] in ("agencies", "sessions", "visitors"):
        return parts[0]
    if parts[0] == "eserviceverkstad":
        return TOP if len(parts) > 1 and parts[1] in TOP_MODULES else HELPERS
    return None


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_project_module(dotted):
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def resolve_from(node, importer, is_package):
    """The module a ``from ... import`` names, with relative imports made
    absolute."""
    if not node.level:
        return node.module
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def imported_modules(path):
    """(line, module) for every import in the file, wherever it stands."""
    importer = module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            module = resolve_from(node, importer, path.name == "__init__.py")
            for alias in node.names:
                # "from eserviceverkstad import views" imports the module
                # eserviceverkstad.views, not just the package.
                submodule = f"{module}.{alias.name}"
                yield node.lineno, submodule if is_project_module(submodule) else module


def violations(paths):
    """(where, the importer's layer, the imported module, its layer) for each
    import against the direction."""
    found = []
    for path in paths:
        own = layer_of(module_name(path))
        for line, module in sorted(set(imported_modules(path))):
            target = layer_of(module)
            if target is not None and target != own and target not in MAY_IMPORT[own]:
                found.append((f"{path.relative_to(ROOT)}:{line}", own, module, target))
    return found


def project_files():
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_the_rule_table_names_every_layer_and_allows_no_cycle():
    assert set(MAY_IMPORT) == {layer_of(f"{p}.x") for p in PACKAGES} | {TOP}
    for layer, allowed in MAY_IMPORT.items():
        for other in allowed:
            assert layer not in MAY_IMPORT[other], f"{layer} and {other} may import each other"


def test_the_walk_finds_the_files_and_their_imports():
    files = project_files()
    assert ROOT / "sessions" / "models.py" in files
    assert ROOT / "visitors" / "migrations" / "0001_initial.py" in files
    # The lazy import inside StaffedSlot.save() is found (and allowed: same app).
    assert "sessions.schedule" in {module for _line, module in imported_modules(ROOT / "sessions/models.py")}


@pytest.mark.parametrize(
    ("importer", "source", "expected"),
    [
        ("agencies/views.py", "from sessions.models import Occurrence", ["sessions"]),
        ("agencies/views.py", "def f():\n    import visitors.models", ["visitors"]),
        ("sessions/views.py", "from visitors import services", ["visitors"]),
        ("eserviceverkstad/i18n.py", "from agencies.models import Agency", ["agencies"]),
        ("agencies/models.py", "from eserviceverkstad import urls", [TOP]),
        ("sessions/views.py", "from agencies.models import Agency", []),
        ("eserviceverkstad/urls.py", "from visitors.forms import StaffLoginForm", []),
        ("sessions/views.py", "from django.contrib.sessions.models import Session", []),
        ("sessions/admin.py", "from .models import Occurrence", []),
    ],
)
def test_a_wrong_way_import_is_caught(tmp_path, monkeypatch, importer, source, expected):
    monkeypatch.setattr("tests.test_import_direction.ROOT", tmp_path)
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
        for name in ("models", "views", "urls", "forms", "services"):
            (tmp_path / package / f"{name}.py").write_text("")
    path = tmp_path / importer
    path.write_text(source)
    assert [target for *_where, target in violations([path])] == expected


def test_no_import_runs_against_the_direction():
    found = [
        f"{where} ({own}) imports {module} ({target})"
        for where, own, module, target in violations(project_files())
    ]
    assert found == [], "Imports against visitors -> sessions -> agencies:\n" + "\n".join(found)
