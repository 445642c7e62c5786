"""The public surface of every module: ``__all__``, private names and the import graph.

Read from the source with :mod:`ast` (no module is imported, so optional dependencies
do not matter):

* every module defines ``__all__``, without repeats, and every name in it is bound in
  the module;
* a package's ``__init__`` exports exactly its ``__all__``: every public name it
  defines, or takes from its own submodules only to pass on, is listed (the model is
  httpx's ``test_exported_members``);
* no module imports another module's ``_private`` names, by ``from m import _x`` or
  by ``m._x`` (private submodules, such as ``figures._style``, may be used inside the
  package that holds them);
* no import cycles among chipstress modules, counting imports inside functions too
  (imports under ``if TYPE_CHECKING:`` are left out: they never run).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "chipstress"


@dataclass
class Module:
    """One parsed module of the package."""

    name: str
    path: Path
    tree: ast.Module
    is_package: bool
    imports: set[str] = field(default_factory=set)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _load() -> dict[str, Module]:
    modules = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        name = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        modules[name] = Module(name, path, tree, path.name == "__init__.py")
    return modules


MODULES = _load()


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    """Ids of every node under an ``if TYPE_CHECKING:`` block."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                skipped.update(id(n) for n in ast.walk(inner))
    return skipped


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    """The module an ``ImportFrom`` reads from, relative imports resolved."""
    if node.level == 0:
        return node.module or ""
    base = module.name.split(".")
    if not module.is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _owner(name: str) -> str | None:
    """The chipstress module that ``name`` (a module or a name inside one) lives in."""
    while name and name not in MODULES:
        if "." not in name:
            return None
        name = name.rsplit(".", 1)[0]
    return name or None


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _private_allowed(importer: str, target: str) -> bool:
    """A private submodule may be used by the modules of the package that holds it."""
    if target not in MODULES:
        return False
    parent = target.rsplit(".", 1)[0]
    return importer == parent or importer.startswith(parent + ".")


@dataclass(frozen=True)
class Finding:
    """Where a rule is broken."""

    module: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.what}"


@dataclass(frozen=True)
class Import:
    """One imported name: ``from source import name as alias`` or ``import source as alias``."""

    line: int
    source: str
    name: str | None
    alias: str


def _walk_imports(module: Module) -> Iterator[Import]:
    """Every run-time import of ``module``, inside functions too."""
    skipped = _type_checking_nodes(module.tree)
    for node in ast.walk(module.tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for a in node.names:
                yield Import(node.lineno, a.name, None, a.asname or a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            for a in node.names:
                yield Import(node.lineno, source, a.name, a.asname or a.name)


def _graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for module in MODULES.values():
        for imp in _walk_imports(module):
            target = _owner(f"{imp.source}.{imp.name}" if imp.name else imp.source)
            if target is not None and target != module.name:
                edges[module.name].add(target)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _declared_all(module: Module) -> list[str] | None:
    for node in module.tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            assert node.value is not None
            value = ast.literal_eval(node.value)
            return [str(v) for v in value]
    return None


def _lazy_module(module: Module) -> bool:
    """True for a module with a module-level ``__getattr__`` (:pep:`562` lazy names)."""
    return any(
        isinstance(node, ast.FunctionDef) and node.name == "__getattr__"
        for node in module.tree.body
    )


def _bound_names(module: Module) -> set[str]:
    """Names bound at module level (including inside top-level ``if``/``try`` blocks).

    In a module with a module-level ``__getattr__``, the names declared under
    ``if TYPE_CHECKING:`` count as bound: ``__getattr__`` serves them on first use
    (``test_lazy_names_resolve`` checks that it does).
    """
    skipped = set() if _lazy_module(module) else _type_checking_nodes(module.tree)
    names: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if id(node) in skipped:
                continue
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Import):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.module == "__future__":
                    continue
                names.update(a.asname or a.name for a in node.names)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(module.tree.body)
    return names


# --------------------------------------------------------------------------- tests
def test_the_package_is_found() -> None:
    assert "chipstress.model.network" in MODULES
    assert len(MODULES) > 50


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_declares_all(name: str) -> None:
    module = MODULES[name]
    declared = _declared_all(module)
    assert declared is not None, f"{name} defines no __all__"
    repeated = sorted({n for n in declared if declared.count(n) > 1})
    assert not repeated, f"{name}.__all__ repeats {repeated}"
    missing = sorted(set(declared) - _bound_names(module))
    assert not missing, f"{name}.__all__ names what the module does not define: {missing}"


def _exports(module: Module) -> set[str]:
    """Public names a package ``__init__`` exports.

    That is what it defines (functions, classes, constants) and what it takes from its
    own submodules without using it itself; helpers it imports for its own code
    (``Path``, ``InvalidInput``, a reader its dispatcher calls) and submodules are not
    exports.
    """
    used = {
        n.id
        for n in ast.walk(module.tree)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    imported: set[str] = set()
    reexported: set[str] = set()
    for node in module.tree.body:
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            source = _absolute(module, node)
            own = source == module.name or source.startswith(module.name + ".")
            for a in node.names:
                name = a.asname or a.name
                imported.add(name)
                if own and name not in used and f"{source}.{a.name}" not in MODULES:
                    reexported.add(name)
        elif isinstance(node, ast.Import):
            imported.update((a.asname or a.name).split(".")[0] for a in node.names)
    defined = _bound_names(module) - imported
    hooks = {"__all__", "__getattr__", "__dir__"}  # the module protocol, not exports
    return {n for n in defined | reexported if not _is_private(n) and n not in hooks}


@pytest.mark.parametrize("name", sorted(n for n, m in MODULES.items() if m.is_package))
def test_packages_export_exactly_their_all(name: str) -> None:
    module = MODULES[name]
    declared = set(_declared_all(module) or [])
    left_out = sorted(_exports(module) - declared)
    assert not left_out, f"{name} defines or re-exports names left out of __all__: {left_out}"
    missing = sorted(declared - _bound_names(module))
    assert not missing, f"{name}.__all__ lists names it does not bind: {missing}"


def test_no_module_imports_private_names_of_another() -> None:
    findings: list[Finding] = []
    for module in MODULES.values():
        # Names bound to chipstress modules here, for ``alias._name`` uses.
        aliases: dict[str, str] = {}
        for imp in _walk_imports(module):
            if _owner(imp.source) is None:
                continue
            full = f"{imp.source}.{imp.name}" if imp.name else imp.source
            if full in MODULES and (imp.name or imp.alias != imp.source.split(".")[0]):
                aliases[imp.alias] = full
            if imp.name is None or not _is_private(imp.name):
                continue
            if _owner(imp.source) != module.name and not _private_allowed(module.name, full):
                findings.append(
                    Finding(module.name, imp.line, f"imports {imp.name} from {imp.source}")
                )
        for node in ast.walk(module.tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and _is_private(node.attr)
            ):
                target = aliases[node.value.id]
                if target != module.name and not _private_allowed(
                    module.name, f"{target}.{node.attr}"
                ):
                    findings.append(Finding(module.name, node.lineno, f"uses {target}.{node.attr}"))
    assert not findings, "private names used across modules:\n" + "\n".join(map(str, findings))


def test_lazy_names_resolve() -> None:
    """Every name a lazy module (module ``__getattr__``) exports is really served."""
    import importlib

    lazy = [m for m in MODULES.values() if _lazy_module(m)]
    assert "chipstress" in {m.name for m in lazy}
    for module in lazy:
        loaded = importlib.import_module(module.name)
        for name in _declared_all(module) or []:
            assert getattr(loaded, name) is not None, f"{module.name}.{name}"
        with pytest.raises(AttributeError):
            loaded.__getattr__("no_such_name")


def test_no_import_cycles() -> None:
    cycles = _cycles(_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == [["a", "b", "c"]]
