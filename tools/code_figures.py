"""Print the code figures that issue 17 tracks for the product package (stdlib `ast` only).

    python -m tools.code_figures [package-dir]

Figures: the largest module (lines), the longest function (lines), the most parameters of one function (without
self/cls), import cycles among the package's modules (imports inside functions count: they couple modules too), and
string-key lookups on the plan, report and state dicts (`plan["…"]`, `approved.get("…")`) outside the functions that
(de)serialise them (`to_json`, `from_json`). The emulator and the demo are not product code and are left out."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

NOT_PRODUCT = ("emulator", "demo.py")
DOCUMENT_NAMES = frozenset({"plan", "approved", "fresh", "report", "state", "saved", "current"})
SERIALISERS = frozenset({"to_json", "from_json"})


def product_modules(package: Path) -> dict[str, Path]:
    """Dotted module name → file, for every product module of the package."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent)
        if any(part in NOT_PRODUCT for part in relative.parts):
            continue
        parts = list(relative.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imported_modules(name: str, path: Path, tree: ast.AST, known: set[str]) -> set[str]:
    """The package's modules that `name` imports anywhere (module level or inside functions)."""
    package_parts = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                base_name = ".".join(base + ([node.module] if node.module else []))
            else:
                base_name = node.module or ""
            found.add(base_name)
            found.update(f"{base_name}.{alias.name}" for alias in node.names)
    return {module for module in found if module in known and module != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _document(node: ast.AST) -> bool:
    """A name (or attribute, `run.approved`) that holds the plan, report or state dict."""
    if isinstance(node, ast.Name):
        return node.id in DOCUMENT_NAMES
    return isinstance(node, ast.Attribute) and node.attr in DOCUMENT_NAMES


def document_lookups(tree: ast.AST) -> int:
    """`plan["x"]` / `plan.get("x")`-style lookups outside to_json/from_json."""
    count = 0

    def walk(node: ast.AST, in_serialiser: bool) -> None:
        nonlocal count
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            in_serialiser = in_serialiser or node.name in SERIALISERS
        if not in_serialiser:
            if (
                isinstance(node, ast.Subscript)
                and _document(node.value)
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)
            ):
                count += 1
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and _document(node.func.value)
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                count += 1
        for child in ast.iter_child_nodes(node):
            walk(child, in_serialiser)

    walk(tree, False)
    return count


def parameter_count(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    arguments = function.args
    names = [a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs]
    names += [a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None]
    return len([name for name in names if name not in ("self", "cls")])


def figures(package: Path) -> list[str]:
    modules = product_modules(package)
    trees = {name: ast.parse(path.read_text(encoding="utf-8"), str(path)) for name, path in modules.items()}
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules.items()}
    functions = [
        (name, node)
        for name, tree in trees.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    longest = max(functions, key=lambda item: item[1].end_lineno - item[1].lineno + 1)
    widest = max(functions, key=lambda item: parameter_count(item[1]))
    graph = {name: imported_modules(name, modules[name], trees[name], set(modules)) for name in modules}
    found_cycles = cycles(graph)
    lookups = {name: document_lookups(tree) for name, tree in trees.items()}
    largest = max(sizes, key=sizes.__getitem__)
    lines = [
        f"largest module: {largest} ({sizes[largest]} lines)",
        f"longest function: {longest[0]}.{longest[1].name} ({longest[1].end_lineno - longest[1].lineno + 1} lines)",
        f"max parameters: {widest[0]}.{widest[1].name} ({parameter_count(widest[1])})",
        f"import cycles: {len(found_cycles)}" + "".join(f"\n  {' <-> '.join(cycle)}" for cycle in found_cycles),
        f"plan/report/state dict lookups outside (de)serialisation: {sum(lookups.values())}"
        + "".join(f"\n  {name}: {count}" for name, count in sorted(lookups.items()) if count),
    ]
    return lines


def main(argv: list[str]) -> int:
    package = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "amlmove_action"
    print("\n".join(figures(package)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
