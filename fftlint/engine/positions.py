"""Where each reported CST node is: LibCST's position codegen, cut short.

LibCST's ``PositionProvider`` (through a ``MetadataWrapper``) copies the module and
generates the code of every node, making ``CodeRange`` objects for all of them. A linter
needs the positions of the few nodes it reports. :func:`position_tuples` runs the same
codegen with plain tuples and stops once the wanted nodes are done; :class:`Positions`
gives ``CodeRange`` objects on request. Imported with the first finding of a run (it
needs libcst, which fftlint loads on first use)."""

from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata import CodePosition, CodeRange
from libcst.metadata.position_provider import PositionProvider, PositionProvidingCodegenState


class _Enough(Exception):
    """Every node whose position was asked for is known: stop generating code."""


class _PositionState(PositionProvidingCodegenState):
    """LibCST's position codegen storing plain ``(line, column, end line, end column)``
    tuples (no ``CodePosition``/``CodeRange`` objects for the thousands of nodes nobody
    asks about, no regex split per token), stopping early once the positions of
    ``wanted`` nodes are known (``wanted`` None: the whole module)."""

    wanted: Optional[set]
    done: bool = False

    def _update_position(self, value: str) -> None:
        if "\n" in value or "\r" in value:
            PositionProvidingCodegenState._update_position(self, value)
        else:
            self.column += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._stack.append((self.line, self.column))  # type: ignore[arg-type]

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self._stack.pop()
        computed = self.provider._computed  # type: ignore[attr-defined]
        if node not in computed:  # a syntactic position recorded inside wins
            computed[node] = (start[0], start[1], self.line, self.column)  # type: ignore[index]
        wanted = self.wanted
        if wanted and node in wanted:
            wanted.discard(node)
            if not wanted:
                self.done = True
                raise _Enough

    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: Optional[cst.CSTNode] = None,
        end_node: Optional[cst.CSTNode] = None,
    ) -> "_Syntactic":
        return _Syntactic(self, node, start_node, end_node)


class _Syntactic:
    """``record_syntactic_position``'s ``with`` block as a plain class (LibCST enters one per
    expression node; a generator-based context manager costs about three times as much).
    Like a ``finally``, the exit records the position when the block raises too."""

    __slots__ = ("state", "node", "start_node", "end_node", "start")

    def __init__(self, state: _PositionState, node: cst.CSTNode, start_node: Optional[cst.CSTNode], end_node: Optional[cst.CSTNode]) -> None:
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node

    def __enter__(self) -> None:
        self.start = (self.state.line, self.state.column)

    def __exit__(self, *exc: object) -> None:
        state = self.state
        computed = state.provider._computed  # type: ignore[attr-defined]
        start = self.start
        end = (state.line, state.column)
        if self.start_node is not None:
            start = computed[self.start_node][:2]
        if self.end_node is not None:
            end = computed[self.end_node][2:]
        computed[self.node] = (start[0], start[1], end[0], end[1])


def code_range(t: Tuple[int, int, int, int]) -> CodeRange:
    return CodeRange(CodePosition(t[0], t[1]), CodePosition(t[2], t[3]))


def position_tuples(module: cst.Module, wanted: Optional[Sequence[cst.CSTNode]] = None) -> Dict[cst.CSTNode, Tuple[int, int, int, int]]:
    """Node -> (line, column, end line, end column) as LibCST's ``PositionProvider`` would
    give them (without a MetadataWrapper's extra full traversal). With ``wanted``,
    generation stops once those are known and only their entries are reliable."""
    provider = PositionProvider()
    state = _PositionState(default_indent=module.default_indent, default_newline=module.default_newline, provider=provider)
    state.wanted = set(wanted) if wanted is not None else None
    try:
        module._codegen(state)
    except (_Enough, KeyError):
        # Unwinding after an early stop, enclosing nodes look up children that were
        # never generated (KeyError); the wanted nodes were all complete before.
        if not state.done:
            raise
    return provider._computed  # type: ignore[return-value]


class Positions:
    """Positions of the nodes reports need, computed on first use; any other node
    triggers one full computation."""

    def __init__(self, module: cst.Module, wanted: Sequence[cst.CSTNode]) -> None:
        self.module = module
        self.wanted = set(wanted)
        self.computed: Optional[Dict[cst.CSTNode, Tuple[int, int, int, int]]] = None
        self.complete = not self.wanted

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        if self.computed is None:
            self.computed = position_tuples(self.module, None if self.complete else self.wanted)
        if not self.complete and node not in self.wanted:
            self.computed = position_tuples(self.module)
            self.complete = True
        return code_range(self.computed[node])
