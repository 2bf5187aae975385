"""``fftlint.engine.walk.replaced``: LibCST's ``deep_replace``, copying only the ancestors.

Whole-module fixes (a statement moved into a new ``with`` block, a task kept in a set)
rebuild the module around one changed block; ``deep_replace`` re-creates every node of the
file to do that, which cost seconds on the stdlib. ``replaced`` must give the same code."""

from __future__ import annotations

import os
import random
import textwrap

import libcst as cst
import pytest

from fftlint.engine.walk import descendants, replaced

SOURCE = textwrap.dedent(
    '''
    """Doc."""
    import asyncio


    class Worker:
        def __init__(self):
            self.items = [1, 2, 3]

        async def run(self, jobs):
            for job in jobs:
                if job.ready:
                    asyncio.create_task(self.handle(job))  # keep me
                else:
                    try:
                        job.retry()
                    except ValueError:
                        pass
            return [x * 2 for x in self.items]


    def main():
        with open("f") as fh:
            print(fh.read())
    '''
)


def _same_as_deep_replace(module: cst.Module, old: cst.CSTNode, new: cst.CSTNode, via=()) -> None:
    expected = module.deep_replace(old, new).code
    got = replaced(module, old, new, via)
    assert isinstance(got, cst.Module) and got.code == expected


def test_every_node_of_a_module_replaced_gives_what_deep_replace_gives():
    module = cst.parse_module(SOURCE)
    marker = cst.Name("REPLACED")
    for node in descendants(module):
        if isinstance(node, cst.BaseExpression):
            _same_as_deep_replace(module, node, marker)
        elif isinstance(node, cst.SimpleStatementLine):
            _same_as_deep_replace(module, node, cst.parse_statement("pass  # replaced\n"))
        elif isinstance(node, cst.IndentedBlock):
            _same_as_deep_replace(module, node, node.with_changes(body=[*node.body, cst.parse_statement("extra()\n")]))


def test_hints_on_the_path_bound_the_search_and_wrong_hints_are_skipped():
    module = cst.parse_module(SOURCE)
    cls = module.body[2]
    run = cls.body.body[1]
    loop = run.body.body[0]
    call_line = loop.body.body[0].body.body[0]
    new = cst.parse_statement("task = asyncio.create_task(self.handle(job))\n")
    _same_as_deep_replace(module, call_line, new, via=(module, cls, run, loop))
    # a hint that is not an ancestor (the other method) is skipped, not trusted
    _same_as_deep_replace(module, call_line, new, via=(cls.body.body[0], loop))


def test_the_root_itself_and_a_node_outside_the_tree():
    module = cst.parse_module(SOURCE)
    other = cst.parse_module("x = 1\n")
    assert replaced(module, module, other) is other
    with pytest.raises(ValueError):
        replaced(module, other.body[0], cst.parse_statement("pass\n"))


@pytest.mark.slow
def test_matches_deep_replace_on_stdlib_modules():
    """A random sample of nodes from stdlib modules (the shapes real code has)."""
    rng = random.Random(7)
    directory = os.path.dirname(os.__file__)
    names = sorted(n for n in os.listdir(directory) if n.endswith(".py"))
    for name in rng.sample(names, 12):
        with open(os.path.join(directory, name), encoding="utf-8") as fh:
            module = cst.parse_module(fh.read())
        nodes = [n for n in descendants(module) if isinstance(n, (cst.IndentedBlock, cst.SimpleStatementLine, cst.Call))]
        for node in rng.sample(nodes, min(5, len(nodes))):
            if isinstance(node, cst.IndentedBlock):
                new = node.with_changes(body=[*node.body, cst.parse_statement("extra()\n")])
            elif isinstance(node, cst.Call):
                new = cst.Name("REPLACED")
            else:
                new = cst.parse_statement("pass\n")
            _same_as_deep_replace(module, node, new)
