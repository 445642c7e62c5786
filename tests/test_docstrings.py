"""Reference docs that hold: numpydoc parameters, no "brief", cross-references that resolve.

Read with :mod:`ast` only (nothing from the package is imported), so the whole tree
is checked in well under a second:

- every public function or method of three or more parameters (``self``/``cls`` not
  counted) has a numpydoc ``Parameters`` section naming each of its parameters, and no
  ``Parameters`` section names a parameter the signature does not have. Typer command
  functions (``interfaces/cli``) and FastAPI route handlers (``interfaces/api/routes_*``)
  are exempt: their help comes from typer options and request models;
- no docstring points to "the brief" (the package ships ``docs/``, not a design brief);
- every ``:func:``, ``:class:``, ``:mod:``, ``:meth:``, ``:attr:``, ``:data:`` and
  ``:exc:`` reference names a module, function, class, member or attribute that exists,
  looked up from the module (and class) the docstring is in, then as a dotted path from
  ``chipstress``; a name that starts with an installed third-party package (``pandas``)
  is accepted as is.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "chipstress"
ROLE = re.compile(r":(func|class|mod|meth|attr|data|exc):`~?([^`<>]+?)(?:\(\))?`")
BRIEF = re.compile(r"\bthe (?:design )?brief\b|\bbrief's\b", re.IGNORECASE)
SECTION_RULE = re.compile(r"^-{3,}$")
ROUTE_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "api_route"}
Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass
class Scope:
    """The names a module or class binds: own definitions and imported targets."""

    names: set[str] = field(default_factory=set)
    imports: dict[str, str] = field(default_factory=dict)
    classes: dict[str, Scope] = field(default_factory=dict)
    bases: list[str] = field(default_factory=list)


@dataclass
class Module:
    """One source file: its dotted name, tree and top-level scope."""

    name: str
    path: Path
    tree: ast.Module
    scope: Scope


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def _bind(scope: Scope, body: list[ast.stmt], module: str, is_package: bool) -> None:
    for node in body:
        if isinstance(node, ast.ClassDef):
            scope.names.add(node.name)
            inner = Scope(bases=[ast.unparse(base) for base in node.bases])
            _bind(inner, node.body, module, is_package)
            for sub in ast.walk(node):  # self.x = ... in methods
                if (
                    isinstance(sub, ast.Attribute)
                    and isinstance(sub.ctx, ast.Store)
                    and isinstance(sub.value, ast.Name)
                    and sub.value.id == "self"
                ):
                    inner.names.add(sub.attr)
            scope.classes[node.name] = inner
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            scope.names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        scope.names.add(name.id)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                scope.imports[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, is_package, node)
            for alias in node.names:
                scope.imports[alias.asname or alias.name] = f"{source}.{alias.name}"
        elif isinstance(node, ast.If | ast.Try | ast.With):
            for block in ("body", "orelse", "finalbody", "handlers"):
                for part in getattr(node, block, []):
                    inner_body = part.body if isinstance(part, ast.ExceptHandler) else [part]
                    _bind(scope, inner_body, module, is_package)


@cache
def modules() -> dict[str, Module]:
    """Every module of the package, by dotted name."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        name = _module_name(path)
        scope = Scope()
        _bind(scope, tree.body, name, path.name == "__init__.py")
        found[name] = Module(name, path, tree, scope)
    return found


@cache
def defined_anywhere() -> frozenset[str]:
    """Every name a module or class of the package defines (for unqualified references)."""
    names: set[str] = set()

    def collect(scope: Scope) -> None:
        names.update(scope.names)
        for inner in scope.classes.values():
            collect(inner)

    for module in modules().values():
        collect(module.scope)
        names.add(module.name.rsplit(".", 1)[-1])
    return frozenset(names)


def _member(scope: Scope, parts: list[str], module: Module, depth: int = 0) -> bool:
    """Whether ``parts`` resolve inside ``scope`` (a class), following its bases."""
    if not parts:
        return True
    head, rest = parts[0], parts[1:]
    if head in scope.classes:
        return _member(scope.classes[head], rest, module, depth)
    if head in scope.names and not rest:
        return True
    if depth > 8:
        return False
    for base in scope.bases:
        resolved = _in_scope(module, base.split("[")[0].split("."), depth + 1)
        if resolved is not None and _member(resolved, parts, module, depth + 1):
            return True
    return False


def _in_scope(module: Module, parts: list[str], depth: int = 0) -> Scope | None:
    """The class scope ``parts`` names from ``module`` (through imports), if a class."""
    if depth > 8 or not parts:
        return None
    head, rest = parts[0], parts[1:]
    if head in module.scope.classes and not rest:
        return module.scope.classes[head]
    if head in module.scope.imports:
        target = module.scope.imports[head].split(".") + rest
        for cut in range(len(target), 0, -1):
            owner = modules().get(".".join(target[:cut]))
            if owner is not None and owner is not module:
                return _in_scope(owner, target[cut:], depth + 1)
    return None


def resolves(dotted: str, module: Module, owner: Scope | None = None, depth: int = 0) -> bool:
    """Whether ``dotted`` names something that exists, seen from ``module`` (``owner``: class)."""
    parts = dotted.strip().split(".")
    if depth > 8 or not all(part.isidentifier() for part in parts):
        return False
    if owner is not None and _member(owner, parts, module):
        return True
    head, rest = parts[0], parts[1:]
    if head in module.scope.classes:
        return _member(module.scope.classes[head], rest, module)
    if head in module.scope.names and not rest:
        return True
    if head in module.scope.imports:
        target = module.scope.imports[head].split(".") + rest
        return _absolute_resolves(target, depth + 1)
    if head == "chipstress":
        return _absolute_resolves(parts, depth + 1)
    if len(parts) == 1 and (head in defined_anywhere() or f"chipstress.{head}" in modules()):
        return True
    return head != "chipstress" and head not in defined_anywhere() and _installed(head)


def _absolute_resolves(parts: list[str], depth: int) -> bool:
    for cut in range(len(parts), 0, -1):
        owner = modules().get(".".join(parts[:cut]))
        if owner is not None:
            rest = parts[cut:]
            return not rest or resolves(".".join(rest), owner, depth=depth)
    return parts[0] != "chipstress" and _installed(parts[0])


@cache
def _installed(top: str) -> bool:
    return top.isidentifier() and importlib.util.find_spec(top) is not None


def _decorator_attrs(node: Definition) -> set[str]:
    attrs = set()
    for decorator in node.decorator_list:
        call = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(call, ast.Attribute):
            attrs.add(call.attr)
    return attrs


@cache
def typer_commands() -> frozenset[str]:
    """Names of functions registered as typer commands: ``app.command(...)(module.f)``."""
    names = set()
    for module in modules().values():
        if not module.name.startswith("chipstress.interfaces.cli"):
            continue
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Call):
                inner = node.func.func
                if isinstance(inner, ast.Attribute) and inner.attr in {"command", "callback"}:
                    for arg in node.args:
                        names.add(arg.attr if isinstance(arg, ast.Attribute) else ast.unparse(arg))
    return frozenset(names)


def is_exempt(module: Module, node: Definition) -> bool:
    """Typer commands in ``interfaces/cli`` and route handlers in ``interfaces/api/routes_*``."""
    if module.name.startswith("chipstress.interfaces.cli."):
        return bool(_decorator_attrs(node) & {"command", "callback"}) or (
            node.name in typer_commands()
        )
    if module.name.startswith("chipstress.interfaces.api.routes_"):
        return bool(_decorator_attrs(node) & ROUTE_METHODS)
    return False


def public_functions() -> Iterator[tuple[Module, str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """``(module, qualified name, node)`` of every public function and method of public classes."""

    def walk(module: Module, body: list[ast.stmt], prefix: str) -> Iterator:
        for node in body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                yield from walk(module, node.body, f"{prefix}{node.name}.")
            elif isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef
            ) and not node.name.startswith("_"):
                yield module, prefix + node.name, node

    for module in modules().values():
        yield from walk(module, module.tree.body, "")


def parameters(node: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> list[str]:
    """The parameter names of ``node`` (``*args`` as ``args``), without a method's ``self``/``cls``."""
    args = node.args
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    static = any(ast.unparse(d) == "staticmethod" for d in node.decorator_list)
    if method and not static and names and names[0] in ("self", "cls"):
        names = names[1:]
    return names


def documented_parameters(doc: str) -> list[str] | None:
    """Names in the numpydoc ``Parameters`` section of ``doc``; ``None`` without one."""
    lines = doc.splitlines()
    for start in range(len(lines) - 1):
        if lines[start].strip() == "Parameters" and SECTION_RULE.match(lines[start + 1].strip()):
            break
    else:
        return None
    names = []
    for number in range(start + 2, len(lines)):
        line = lines[number]
        following = lines[number + 1].strip() if number + 1 < len(lines) else ""
        if SECTION_RULE.match(following):
            break  # the next section's title
        if line.strip() and not line[0].isspace():
            for name in line.split(" : ")[0].split(","):
                names.append(name.strip().lstrip("*"))
    return names


def docstrings() -> Iterator[tuple[Module, Scope | None, str, str]]:
    """``(module, enclosing class scope, where, docstring)`` for every docstring."""

    def walk(module: Module, node: ast.AST, owner: Scope | None, where: str) -> Iterator:
        doc = (
            ast.get_docstring(node, clean=True)
            if isinstance(node, Definition | ast.Module)
            else None
        )
        if doc:
            yield module, owner, where, doc
        for child in ast.iter_child_nodes(node):
            if isinstance(child, Definition):
                inner = owner
                if isinstance(child, ast.ClassDef):
                    inner = (owner.classes if owner else module.scope.classes).get(child.name)
                yield from walk(module, child, inner, f"{where}:{child.lineno} {child.name}")

    for module in modules().values():
        yield from walk(module, module.tree, None, str(module.path.relative_to(PACKAGE)))


IMPLEMENTS = re.compile(r"^Implements :meth:`~?[\w.]+\.(\w+)`", re.MULTILINE)


def implements(node: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    """A method that implements a protocol's method of the same name, documented there.

    Its docstring says ``Implements :meth:`Protocol.method```; the reference is checked
    to resolve by :func:`test_cross_references_resolve`.
    """
    found = IMPLEMENTS.search(ast.get_docstring(node) or "")
    return "." in name and found is not None and found.group(1) == node.name


def test_parameters_sections_name_every_parameter() -> None:
    missing = []
    for module, name, node in public_functions():
        where = f"{module.path.relative_to(PACKAGE)}:{node.lineno} {name}"
        names = parameters(node, method="." in name)
        documented = documented_parameters(ast.get_docstring(node) or "")
        if documented is not None and (extra := sorted(set(documented) - set(names))):
            missing.append(f"{where}: documents parameters it does not have: {extra}")
        if len(names) < 3 or is_exempt(module, node) or implements(node, name):
            continue
        if documented is None:
            missing.append(f"{where}: no numpydoc Parameters section")
        elif absent := [n for n in names if n not in documented]:
            missing.append(f"{where}: Parameters does not name {absent}")
    assert not missing, f"{len(missing)} docstrings:\n" + "\n".join(missing)


def test_no_docstring_points_to_the_brief() -> None:
    found = [f"{where}" for _, _, where, doc in docstrings() if BRIEF.search(doc)]
    assert not found, "point to docs/*.md instead of the brief:\n" + "\n".join(found)


def test_cross_references_resolve() -> None:
    broken = []
    for module, owner, where, doc in docstrings():
        for role, target in ROLE.findall(doc):
            if not resolves(target, module, owner):
                broken.append(f"{where}: :{role}:`{target}`")
    assert not broken, f"{len(broken)} references to nothing:\n" + "\n".join(broken)


def test_the_checks_see_the_package() -> None:
    """The checks above are not vacuous: they read the package and catch what they should."""
    assert "chipstress.engine.solver" in modules()
    assert resolves("chipstress.engine.solver.SolveStatus", modules()["chipstress"])
    assert not resolves("chipstress.engine._highs", modules()["chipstress"])
    assert not resolves("solve_worst", modules()["chipstress.workflows.plan.mip"])
    assert documented_parameters("x.\n\nParameters\n----------\na, b : int\n    A.\n") == [
        "a",
        "b",
    ]
    assert "sweep_command" in typer_commands()
