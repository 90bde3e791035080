"""Operator mutants of a Python source, for showing that the exercise grader catches wrong solutions.

Each mutant changes one thing in the code of the functions (docstrings untouched): an arithmetic operator
(+ for -, * for +, / for *, // for *, ...), a comparison (> for >=, < for <=, ...), a unary minus
dropped, an integer or float constant changed (n -> n + 1, 0.0 -> 1.0, 2.0 -> 3.0), or the last two
indices of a subscript swapped (x[.., i, j] -> x[.., j, i]).
"""

from __future__ import annotations

import ast
import copy

OPERATORS = {
    ast.Add: (ast.Sub, ast.Mult),
    ast.Sub: (ast.Add,),
    ast.Mult: (ast.Add, ast.Div),
    ast.Div: (ast.Mult,),
    ast.FloorDiv: (ast.Mult,),
    ast.MatMult: (ast.Mult,),
}
COMPARISONS = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}


def _not_code(tree) -> set[int]:
    """ids of the nodes that are text, never mutated: docstrings, and everything inside an f-string (an
    error message's wording is not what the grader checks)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            found.update(id(inner) for inner in ast.walk(node))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _mutations(node, docstrings):
    """(description, function mutating a copy of ``node`` in place) for every mutation of ``node``."""
    if id(node) in docstrings:
        return
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        for new in OPERATORS[type(node.op)]:
            yield f"{type(node.op).__name__} -> {new.__name__}", lambda n, new=new: setattr(n, "op", new())
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARISONS:
        new = COMPARISONS[type(node.ops[0])]
        yield f"{type(node.ops[0]).__name__} -> {new.__name__}", lambda n: setattr(n, "ops", [new()])
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield "unary minus dropped", lambda n: setattr(n, "op", ast.UAdd())
        if isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, (int, float)):
            value = node.operand.value
            yield f"-{value!r} -> -{value + 1!r}", lambda n: setattr(n.operand, "value", value + 1)
    elif isinstance(node, ast.Constant) and not isinstance(node.value, bool) and isinstance(node.value, (int, float)):
        new_value = node.value + 1
        yield f"{node.value!r} -> {new_value!r}", lambda n: setattr(n, "value", new_value)
    elif (
        isinstance(node, ast.Subscript)
        and isinstance(node.slice, ast.Tuple)
        and len(node.slice.elts) >= 2
        and ast.dump(node.slice.elts[-1]) != ast.dump(node.slice.elts[-2])
    ):

        def swap(n):
            n.slice.elts[-1], n.slice.elts[-2] = n.slice.elts[-2], n.slice.elts[-1]

        yield "last two indices swapped", swap


def mutants(source: str) -> list[tuple[str, str]]:
    """Every single-change mutant of ``source``: (description with the line, mutated source)."""
    tree = ast.parse(source)
    docstrings = _not_code(tree)
    negated = {
        id(node.operand)
        for node in ast.walk(tree)  # -1: mutated as a whole, to -2
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
    }
    sites = [node for node in ast.walk(tree) if hasattr(node, "lineno")]
    lines = source.splitlines()
    result = []
    for position, node in enumerate(sites):
        for description, mutate in _mutations(node, docstrings | negated):
            mutated = copy.deepcopy(tree)
            target = [n for n in ast.walk(mutated) if hasattr(n, "lineno")][position]
            mutate(target)
            text = ast.unparse(ast.fix_missing_locations(mutated))
            where = f"line {node.lineno} `{lines[node.lineno - 1].strip()}`: {description}"
            result.append((where, text))
    return result
