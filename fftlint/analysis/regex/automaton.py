"""Backtracking-faithful NFA (Glushkov style, epsilon-free) built from the plain tree.

Each state is a character position; an edge ``p -> q`` carries a label mask (the
atoms it may consume) and a *multiplicity* (1, or 2 meaning "two or more distinct
epsilon paths", i.e. two ways CPython's backtracker can get from p to q on the same
character).  Zero-width items become *guards*:

* ``nxt``  - atoms the next character may be (``$`` -> ``\\n``; ``(?!a)`` -> not a);
* ``end``  - whether end of input is allowed there;
* ``prev`` - 0 none, 1 beginning of a line (``^`` with MULTILINE), 2 start of input.

CPython facts modelled: one empty iteration of a loop is allowed (``()*`` matches
the empty string in two ways), forced iterations (``min``) may be empty, alternations
of single characters were already merged into a class by CPython's parser, possessive
single-character repeats only stop before a character they cannot take.
"""
from __future__ import annotations

import time
from typing import Dict, List, Optional, Tuple

from . import charset as cs
from .sre_adapter import FLAG_MULTILINE

Guard = Tuple[int, bool, int]          # nxt, end, prev
FirstKey = Tuple[int, int, int]        # state, label, prev
LastKey = Tuple[int, int, bool]        # state, nxt, end

UNROLL = 8          # bounded repeats up to this many iterations are unrolled exactly
CAP = 2


class BudgetExceeded(Exception):
    pass


class Budget:
    def __init__(self, ms: int, max_states: int = 600, max_edges: int = 40000):
        self.deadline = time.perf_counter() + ms / 1000.0
        self.max_states = max_states
        self.max_edges = max_edges
        self.ticks = 0

    def check(self) -> None:
        self.ticks += 1
        if self.ticks & 255 == 0 and time.perf_counter() > self.deadline:
            raise BudgetExceeded("time")

    def expired(self) -> bool:
        return time.perf_counter() > self.deadline


def _add(d: dict, k, c: int) -> None:
    v = d.get(k, 0) + c
    d[k] = CAP if v > CAP else v


class Frag:
    __slots__ = ("empty", "first", "last")

    def __init__(self, empty=None, first=None, last=None):
        self.empty: Dict[Guard, int] = empty if empty is not None else {}
        self.first: Dict[FirstKey, int] = first if first is not None else {}
        self.last: Dict[LastKey, int] = last if last is not None else {}


class NFA:
    def __init__(self, alphabet: cs.Alphabet):
        self.ab = alphabet
        self.inmask: List[int] = []
        self.atomic: List[int] = []
        self.reps: List[Tuple[int, ...]] = []
        self.edges: Dict[Tuple[int, int, int], int] = {}
        self.acc: Dict[int, Dict[Tuple[int, bool], int]] = {}
        self.initial = 0
        self.s0: Optional[int] = None

    def new_state(self, mask: int, atomic: int, reps: Tuple[int, ...]) -> int:
        self.inmask.append(mask)
        self.atomic.append(atomic)
        self.reps.append(reps)
        return len(self.inmask) - 1

    def succ(self) -> List[List[Tuple[int, int, int]]]:
        out: List[List[Tuple[int, int, int]]] = [[] for _ in self.inmask]
        for (p, q, label), c in self.edges.items():
            out[p].append((q, label, c))
        return out


class Builder:
    def __init__(self, parsed, alphabet: cs.Alphabet, budget: Budget, nfa: Optional[NFA] = None):
        self.parsed = parsed
        self.ab = alphabet
        self.top = alphabet.top
        self.budget = budget
        self.nfa = nfa or NFA(alphabet)
        self.nl = alphabet.mask_of(((cs.NEWLINE, cs.NEWLINE),))
        self.full = alphabet.full
        self.TOP: Guard = (self.full, True, 0)
        self.incomplete: List[str] = []
        self.atomic_id = 0
        self.atomic_counter = 0
        self.reps: Tuple[int, ...] = ()
        self.group_bodies: Dict[int, Tuple[list, int]] = {}
        self.open_groups: set = set()
        self.repeat_meta: Dict[int, Tuple[int, Optional[int], str]] = {}

    # ---------------------------------------------------------------- combinators
    def _state(self, mask: int) -> int:
        self.budget.check()
        if len(self.nfa.inmask) >= self.budget.max_states:
            raise BudgetExceeded("states")
        return self.nfa.new_state(mask, self.atomic_id, self.reps)

    def _resolve_prev(self, p: int, prev: int) -> bool:
        if prev == 0:
            return True
        if prev == 2:
            return False
        return bool(self.nfa.inmask[p] & self.nl)

    def _edge(self, p: int, q: int, label: int, c: int) -> None:
        if not label:
            return
        if self.nfa.atomic[p] and self.nfa.atomic[p] == self.nfa.atomic[q]:
            c = 1
        _add(self.nfa.edges, (p, q, label), c)
        if len(self.nfa.edges) > self.budget.max_edges:
            raise BudgetExceeded("edges")

    def seq(self, a: Frag, b: Frag) -> Frag:
        empty: Dict[Guard, int] = {}
        for (n1, e1, p1), c1 in a.empty.items():
            for (n2, e2, p2), c2 in b.empty.items():
                n = n1 & n2
                e = e1 and e2
                if n or e:
                    _add(empty, (n, e, max(p1, p2)), c1 * c2)
        first = dict(a.first)
        for (n1, _e1, p1), c1 in a.empty.items():
            for (q, lab, p2), c2 in b.first.items():
                lab2 = lab & n1
                if lab2:
                    _add(first, (q, lab2, max(p1, p2)), c1 * c2)
        last = dict(b.last)
        for (p, n1, e1), c1 in a.last.items():
            for (n2, e2, p2), c2 in b.empty.items():
                if not self._resolve_prev(p, p2):
                    continue
                n = n1 & n2
                e = e1 and e2
                if n or e:
                    _add(last, (p, n, e), c1 * c2)
        for (p, n1, _e1), c1 in a.last.items():
            for (q, lab, p2), c2 in b.first.items():
                self.budget.check()
                if self._resolve_prev(p, p2):
                    self._edge(p, q, lab & n1, c1 * c2)
        return Frag(empty, first, last)

    def alt(self, frags: List[Frag]) -> Frag:
        out = Frag()
        for f in frags:
            for k, c in f.empty.items():
                _add(out.empty, k, c)
            for k, c in f.first.items():
                _add(out.first, k, c)
            for k, c in f.last.items():
                _add(out.last, k, c)
        return out

    def epsilon(self, guard: Optional[Guard] = None) -> Frag:
        return Frag({guard or self.TOP: 1})

    def star(self, f: Frag) -> Frag:
        """CPython's loop: after a non-empty iteration one more *empty* iteration
        may be tried, after an empty one the loop exits."""
        stop: Dict[Guard, int] = {self.TOP: 1}
        for k, c in f.empty.items():
            _add(stop, k, c)
        last: Dict[LastKey, int] = {}
        for (p, n1, e1), c1 in f.last.items():
            for (n2, e2, p2), c2 in stop.items():
                if not self._resolve_prev(p, p2):
                    continue
                n = n1 & n2
                e = e1 and e2
                if n or e:
                    _add(last, (p, n, e), c1 * c2)
        for (p, n1, _e1), c1 in f.last.items():
            for (q, lab, p2), c2 in f.first.items():
                self.budget.check()
                if self._resolve_prev(p, p2):
                    self._edge(p, q, lab & n1, c1 * c2)
        return Frag(dict(stop), dict(f.first), last)

    def opt(self, f: Frag) -> Frag:
        return self.alt([self.epsilon(), f])

    # ------------------------------------------------------------------ building
    def build_seq(self, items: list, flags: int) -> Frag:
        frag = self.epsilon()
        for node in items:
            frag = self.seq(frag, self.build(node, flags))
        return frag

    def leaf(self, op: str, av, flags: int) -> Frag:
        ivs = cs.leaf(op, av, flags, self.top)
        mask = self.ab.mask_of(ivs)
        if not mask:
            return Frag()
        q = self._state(mask)
        return Frag({}, {(q, mask, 0): 1}, {(q, self.full, True): 1})

    def build(self, node, flags: int) -> Frag:
        op, av = node
        if op in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
            return self.leaf(op, av, flags)
        if op == "BRANCH":
            return self.alt([self.build_seq(b, flags) for b in av])
        if op == "SUBPATTERN":
            group, add, dele, body = av
            fl = (flags | add) & ~dele
            if group:
                self.group_bodies[group] = (body, fl)
                self.open_groups.add(group)
            f = self.build_seq(body, fl)
            if group:
                self.open_groups.discard(group)
            return f
        if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            return self.repeat(op, av, flags)
        if op == "AT":
            return self.anchor(av, flags)
        if op == "ATOMIC_GROUP":
            return self.atomic(lambda: self.build_seq(av, flags))
        if op in ("ASSERT", "ASSERT_NOT"):
            return self.lookaround(op, av, flags)
        if op == "GROUPREF":
            self.incomplete.append("backreference")
            if av in self.open_groups or av not in self.group_bodies:
                return self.epsilon()
            body, fl = self.group_bodies[av]
            return self.atomic(lambda: self.build_seq(body, fl))
        if op == "GROUPREF_EXISTS":
            self.incomplete.append("conditional group")
            g, yes, no = av
            return self.alt([self.build_seq(yes, flags),
                             self.build_seq(no, flags) if no is not None else self.epsilon()])
        raise ValueError(op)  # pragma: no cover

    def anchor(self, kind: str, flags: int) -> Frag:
        if kind == "AT_BEGINNING":
            return self.epsilon((self.full, True, 1 if flags & FLAG_MULTILINE else 2))
        if kind == "AT_BEGINNING_LINE":
            return self.epsilon((self.full, True, 1))
        if kind == "AT_BEGINNING_STRING":
            return self.epsilon((self.full, True, 2))
        if kind in ("AT_END", "AT_END_LINE"):
            return self.epsilon((self.nl, True, 0))
        if kind == "AT_END_STRING":
            return self.epsilon((0, True, 0))
        self.incomplete.append("word boundary")
        return self.epsilon()

    def atomic(self, make) -> Frag:
        self.incomplete.append("atomic group")
        saved = self.atomic_id
        if not saved:
            self.atomic_counter += 1
            self.atomic_id = self.atomic_counter
        try:
            return make()
        finally:
            self.atomic_id = saved

    def lookaround(self, op: str, av, flags: int) -> Frag:
        direction, body = av
        if direction < 0:
            self.incomplete.append("lookbehind")
            return self.epsilon()
        sub = Builder(self.parsed, self.ab, self.budget, NFA(self.ab))
        sub.nfa.inmask.append(0)  # keep state ids non-zero
        sub.nfa.atomic.append(0)
        sub.nfa.reps.append(())
        sub.group_bodies = self.group_bodies
        f = sub.build_seq(body, flags)
        exact = (not sub.nfa.edges and not sub.incomplete
                 and all(n == self.full and e for (_p, n, e) in f.last)
                 and all(p == 0 for (_q, _l, p) in f.first)
                 and all(p == 0 for (_n, _e, p) in f.empty))
        mask = 0
        end_ok = False
        for (_q, lab, _p) in f.first:
            mask |= lab
        for (n, e, _p) in f.empty:
            mask |= n
            end_ok = end_ok or e
        if not exact:
            self.incomplete.append("lookahead")
            if op == "ASSERT":
                return self.epsilon((mask or self.full, True, 0))
            return self.epsilon()
        if op == "ASSERT":
            return self.epsilon((mask, end_ok, 0)) if (mask or end_ok) else Frag()
        return self.epsilon((self.full & ~mask, not end_ok, 0)) if ((self.full & ~mask) or not end_ok) else Frag()

    def _single_leaf(self, body: list):
        while len(body) == 1 and body[0][0] == "SUBPATTERN" and not body[0][1][0]:
            body = body[0][1][3]
        if len(body) == 1 and body[0][0] in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
            return body[0]
        return None

    def repeat(self, op: str, av, flags: int) -> Frag:
        lo, hi, body, ordinal = av
        saved = self.reps
        self.reps = saved + (ordinal,)
        try:
            if op == "POSSESSIVE_REPEAT":
                leafnode = self._single_leaf(body)
                if leafnode is not None:
                    return self._possessive_leaf(leafnode, lo, hi, flags)
                return self.atomic(lambda: self._repeat(lo, hi, body, flags))
            return self._repeat(lo, hi, body, flags)
        finally:
            self.reps = saved

    def _repeat(self, lo: int, hi: Optional[int], body: list, flags: int) -> Frag:
        if lo > UNROLL:
            self.incomplete.append("large repeat count")
            lo = UNROLL
            if hi is not None and hi - lo > UNROLL:
                hi = None
        if hi is not None and hi - lo > UNROLL:
            self.incomplete.append("large repeat count")
            hi = None
        frag = self.epsilon()
        for _ in range(lo):
            frag = self.seq(frag, self.build_seq(body, flags))
        if hi is None:
            return self.seq(frag, self.star(self.build_seq(body, flags)))
        tail: Optional[Frag] = None
        for _ in range(hi - lo):
            inner = self.build_seq(body, flags)
            tail = self.opt(inner if tail is None else self.seq(inner, tail))
        return frag if tail is None else self.seq(frag, tail)

    def _possessive_leaf(self, node, lo: int, hi: Optional[int], flags: int) -> Frag:
        mask = self.ab.mask_of(cs.leaf(node[0], node[1], flags, self.top))
        notc = self.full & ~mask
        if lo > UNROLL:
            lo = UNROLL
            self.incomplete.append("large repeat count")
        if hi is not None and hi - lo > UNROLL:
            hi = None
        frag = self.epsilon()
        for _ in range(lo):
            frag = self.seq(frag, self.leaf(node[0], node[1], flags))
        if not mask:
            return frag
        if hi is None:
            q = self._state(mask)
            self._edge(q, q, mask, 1)
            rest = Frag({(notc, True, 0): 1}, {(q, mask, 0): 1}, {(q, notc, True): 1})
        elif hi == lo:
            return frag
        else:
            states = [self._state(mask) for _ in range(hi - lo)]
            for a, b in zip(states, states[1:]):
                self._edge(a, b, mask, 1)
            last = {(s, notc, True): 1 for s in states[:-1]}
            last[(states[-1], self.full, True)] = 1
            rest = Frag({(notc, True, 0): 1}, {(states[0], mask, 0): 1}, last)
        return self.seq(frag, rest)


def collect_sets(tree: list, flags: int, top: int) -> List[cs.Intervals]:
    """Every character set the builder may ask for (for the atom partition)."""
    out: List[cs.Intervals] = [((cs.NEWLINE, cs.NEWLINE),)]

    def walk(items, fl):
        for op, av in items:
            if op in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
                out.append(cs.leaf(op, av, fl, top))
            elif op == "BRANCH":
                for b in av:
                    walk(b, fl)
            elif op == "SUBPATTERN":
                walk(av[3], (fl | av[1]) & ~av[2])
            elif op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                walk(av[2], fl)
            elif op == "ATOMIC_GROUP":
                walk(av, fl)
            elif op in ("ASSERT", "ASSERT_NOT"):
                walk(av[1], fl)
            elif op == "GROUPREF_EXISTS":
                walk(av[1], fl)
                if av[2] is not None:
                    walk(av[2], fl)

    walk(tree, flags)
    return out


def build_nfa(parsed, mode: str, budget: Budget):
    top = cs.BYTES_MAX if parsed.is_bytes else cs.UNICODE_MAX
    ab = cs.Alphabet(collect_sets(parsed.tree, parsed.flags, top), top)
    b = Builder(parsed, ab, budget)
    nfa = b.nfa
    nfa.new_state(0, 0, ())               # initial
    search = mode == "search"
    if search:
        nfa.s0 = nfa.new_state(ab.full, 0, ())
    root = b.build_seq(parsed.tree, parsed.flags)
    if mode == "fullmatch":
        root = b.seq(root, b.epsilon((0, True, 0)))
    I = nfa.initial
    for (q, lab, prev), c in root.first.items():
        b._edge(I, q, lab, c)
        if search and prev != 2:
            b._edge(nfa.s0, q, lab, c)
    for (n, e, prev), c in root.empty.items():
        _add(nfa.acc.setdefault(I, {}), (n, e), c)
        if search and prev != 2:
            _add(nfa.acc.setdefault(nfa.s0, {}), (n, e), c)
    for (p, n, e), c in root.last.items():
        _add(nfa.acc.setdefault(p, {}), (n, e), c)
    if search:
        b._edge(I, nfa.s0, ab.full, 1)
        b._edge(nfa.s0, nfa.s0, ab.full, 1)
    return nfa, b
