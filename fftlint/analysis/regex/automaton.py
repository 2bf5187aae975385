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

Guard = Tuple[int, bool, int, bool]    # nxt, end, prev mask, start-of-input ok
FirstKey = Tuple[int, int, int, bool]  # state, label, prev mask, start ok
LastKey = Tuple[int, int, bool, int]   # state, nxt, end, prev mask (on the state's char)
EdgeKey = Tuple[int, int, int, int]    # p, q, label, prev mask

UNROLL = 8          # bounded repeats up to this many iterations are unrolled exactly
CAP = 2


class BudgetExceeded(Exception):
    pass


#: Analysis steps per millisecond of budget (measured: ~80 steps/ms on a 2-core EPYC).
STEPS_PER_MS = 100
#: The wall clock is only a safety net, far above the step budget: a result must not
#: depend on how busy the machine is (the result cache and the filtered == unfiltered
#: guarantee both need the same answer on every run).
WALL_SAFETY = 10


class Budget:
    """A deterministic step budget (``ms * STEPS_PER_MS`` checks), plus a generous
    wall-clock deadline that only a pathological pattern on a starved machine reaches."""

    def __init__(self, ms: int, max_states: int = 600, max_edges: int = 40000):
        self.max_ticks = max(1, int(ms * STEPS_PER_MS))
        self.deadline = time.perf_counter() + WALL_SAFETY * ms / 1000.0
        self.max_states = max_states
        self.max_edges = max_edges
        self.ticks = 0

    def check(self) -> None:
        self.ticks += 1
        if self.ticks > self.max_ticks:
            raise BudgetExceeded("steps")
        if self.ticks & 255 == 0 and time.perf_counter() > self.deadline:
            raise BudgetExceeded("time")

    def expired(self) -> bool:
        return self.ticks > self.max_ticks or time.perf_counter() > self.deadline


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
    """Final automaton: plain labelled edges (prev-char conditions resolved by
    splitting states), acceptance guards ``(nxt, end)`` per state."""

    def __init__(self, alphabet: cs.Alphabet):
        self.ab = alphabet
        self.inmask: List[int] = []
        self.atomic: List[int] = []
        self.reps: List[Tuple[int, ...]] = []
        self.la: List[Tuple[int, ...]] = []     # enclosing lookahead ids
        self.backref: List[bool] = []           # state copies a group for a backreference
        self.choice: List[Tuple[Tuple[int, int], ...]] = []   # (branch id, alternative) stack
        self.edges: Dict[Tuple[int, int, int], int] = {}
        self.back: Dict[Tuple[int, int, int], bool] = {}   # edge exists only as an outer back-edge
        # derivations that use no approximated zero-width item (proven paths)
        self.exact_edges: Dict[Tuple[int, int, int], int] = {}
        # acceptance guards (nxt, end, context): context 0 is a real match, k > 0 the
        # successful end of lookahead body k (which stops backtracking inside it)
        self.acc: Dict[int, Dict[Tuple[int, bool, int], int]] = {}
        self.initial = 0
        self.s0: Optional[int] = None
        self.s0_states: set = set()
        self.fnl = 0          # guard bit: "a newline that is the last character"
        self.nl = 0

    def new_state(self, mask: int, atomic: int, reps: Tuple[int, ...], la: Tuple[int, ...] = ()) -> int:
        self.inmask.append(mask)
        self.atomic.append(atomic)
        self.reps.append(reps)
        self.la.append(la)
        return len(self.inmask) - 1

    @property
    def approximate(self) -> bool:
        return self.exact_edges != self.edges

    def succ(self, reduced: bool = False, exact: bool = False) -> List[List[Tuple[int, int, int]]]:
        out: List[List[Tuple[int, int, int]]] = [[] for _ in self.inmask]
        for (p, q, label), c in (self.exact_edges if exact else self.edges).items():
            if reduced and self.back.get((p, q, label)):
                continue
            out[p].append((q, label, c))
        return out


class Builder:
    """Builds fragments over a raw graph whose edges still carry prev-char masks."""

    def __init__(self, parsed, alphabet: cs.Alphabet, budget: Budget):
        self.parsed = parsed
        self.ab = alphabet
        self.top = alphabet.top
        self.budget = budget
        self.full = alphabet.full
        self.fnl = 1 << alphabet.n               # guard-only bit, never a label
        # EX rides on labels and next-char guards: it survives only along paths that
        # use no approximated zero-width item, so edges know whether they are proven
        self.EX = 1 << (alphabet.n + 1)
        self.real = self.full | self.fnl
        self.gfull = self.full | self.fnl | self.EX
        self.approx_top: Guard = (self.full | self.fnl, True, self.full, True)
        self.nl = alphabet.mask_of(((cs.NEWLINE, cs.NEWLINE),))
        self.TOP: Guard = (self.gfull, True, self.full, True)
        self.incomplete: List[str] = []
        self.atomic_id = 0
        self.atomic_counter = 0
        self.reps: Tuple[int, ...] = ()
        self.group_bodies: Dict[int, Tuple[list, int]] = {}
        self.open_groups: set = set()
        # raw graph
        self.inmask: List[int] = []
        self.atomic_of: List[int] = []
        self.reps_of: List[Tuple[int, ...]] = []
        self.la_of: List[Tuple[int, ...]] = []
        self.backref_of: List[bool] = []
        self.in_backref = False
        self.choice_of: List[Tuple[Tuple[int, int], ...]] = []
        self.choice: Tuple[Tuple[int, int], ...] = ()
        self.branch_counter = 0
        self.la: Tuple[int, ...] = ()
        self.la_counter = 0
        self.la_acc: List[Tuple[int, int, bool, int, int]] = []
        self.edges: Dict[EdgeKey, int] = {}
        self.back_keys: set = set()
        self.plain_keys: set = set()
        self.outer_reps: set = set()
        self._back_of: Optional[int] = None

    # ---------------------------------------------------------------- helpers
    def _state(self, mask: int) -> int:
        self.budget.check()
        if len(self.inmask) >= self.budget.max_states:
            raise BudgetExceeded("states")
        self.inmask.append(mask)
        self.atomic_of.append(self.atomic_id)
        self.reps_of.append(self.reps)
        self.la_of.append(self.la)
        self.backref_of.append(self.in_backref)
        self.choice_of.append(self.choice)
        for r in self.reps[:-1]:
            self.outer_reps.add(r)
        return len(self.inmask) - 1

    def eff(self, n: int) -> int:
        """Label mask allowed by a next-char guard.  After ``$`` (no MULTILINE) only
        a final newline may follow; consuming it is not modelled (nothing could
        follow it anyway), which keeps ``$\\s`` loops from looking ambiguous."""
        return n & (self.full | self.EX)

    def _edge(self, p: int, q: int, label: int, pm: int, c: int) -> None:
        if not label & self.full or not pm:
            return
        if self.atomic_of[p] and self.atomic_of[p] == self.atomic_of[q]:
            c = 1
        key = (p, q, label, pm)
        _add(self.edges, key, c)
        if self._back_of is not None:
            self.back_keys.add((key, self._back_of))
        else:
            self.plain_keys.add(key)
        if len(self.edges) > self.budget.max_edges:
            raise BudgetExceeded("edges")

    def _connect(self, last: Dict[LastKey, int], first: Dict[FirstKey, int]) -> None:
        for (p, n1, _e1, pm1), c1 in last.items():
            lab_ok = self.eff(n1)
            for (q, lab, pm2, _ps2), c2 in first.items():
                self.budget.check()
                self._edge(p, q, lab & lab_ok, pm1 & pm2, c1 * c2)

    def _join_last(self, last: Dict[LastKey, int], empty: Dict[Guard, int]) -> Dict[LastKey, int]:
        out: Dict[LastKey, int] = {}
        for (p, n1, e1, pm1), c1 in last.items():
            for (n2, e2, pm2, _ps2), c2 in empty.items():
                n = n1 & n2
                e = e1 and e2
                pm = pm1 & pm2
                if (n & self.real or e) and pm:
                    _add(out, (p, n, e, pm), c1 * c2)
        return out

    # ------------------------------------------------------------ combinators
    def seq(self, a: Frag, b: Frag) -> Frag:
        empty: Dict[Guard, int] = {}
        for (n1, e1, pm1, ps1), c1 in a.empty.items():
            for (n2, e2, pm2, ps2), c2 in b.empty.items():
                n, e, pm, ps = n1 & n2, e1 and e2, pm1 & pm2, ps1 and ps2
                if (n & self.real or e) and (pm or ps):
                    _add(empty, (n, e, pm, ps), c1 * c2)
        first = dict(a.first)
        for (n1, _e1, pm1, ps1), c1 in a.empty.items():
            ok = self.eff(n1)
            for (q, lab, pm2, ps2), c2 in b.first.items():
                lab2, pm, ps = lab & ok, pm1 & pm2, ps1 and ps2
                if lab2 & self.full and (pm or ps):
                    _add(first, (q, lab2, pm, ps), c1 * c2)
        last = dict(b.last)
        for k, c in self._join_last(a.last, b.empty).items():
            _add(last, k, c)
        self._connect(a.last, b.first)
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

    def epsilon(self, *guards: Guard) -> Frag:
        return Frag({g: 1 for g in (guards or (self.TOP,))})

    def star(self, f: Frag) -> Frag:
        """CPython's loop: after a non-empty iteration one more *empty* iteration
        may be tried; after an empty one the loop exits."""
        stop: Dict[Guard, int] = {self.TOP: 1}
        for k, c in f.empty.items():
            _add(stop, k, c)
        last = self._join_last(f.last, stop)
        saved = self._back_of
        self._back_of = self.reps[-1] if self.reps else -1
        try:
            self._connect(f.last, f.first)
        finally:
            self._back_of = saved
        return Frag(dict(stop), dict(f.first), last)

    def opt(self, f: Frag) -> Frag:
        return self.alt([self.epsilon(), f])

    # ---------------------------------------------------------------- building
    def build_seq(self, items: list, flags: int) -> Frag:
        frag = self.epsilon()
        for node in items:
            frag = self.seq(frag, self.build(node, flags))
        return frag

    def leaf_mask(self, op: str, av, flags: int) -> int:
        return self.ab.mask_of(cs.leaf(op, av, flags, self.top))

    def leaf(self, op: str, av, flags: int) -> Frag:
        mask = self.leaf_mask(op, av, flags)
        if not mask:
            return Frag()
        q = self._state(mask)
        return Frag({}, {(q, mask | self.EX, self.full, True): 1}, {(q, self.gfull, True, self.full): 1})

    def build(self, node, flags: int) -> Frag:
        op, av = node
        if op in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
            return self.leaf(op, av, flags)
        if op == "BRANCH":
            self.branch_counter += 1
            bid = self.branch_counter
            saved = self.choice
            frags = []
            try:
                for k, b in enumerate(av):
                    self.choice = saved + ((bid, k),)
                    frags.append(self.build_seq(b, flags))
            finally:
                self.choice = saved
            return self.alt(frags)
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
            saved = self.in_backref
            self.in_backref = True
            try:
                return self.atomic(lambda: self.build_seq(body, fl))
            finally:
                self.in_backref = saved
        if op == "GROUPREF_EXISTS":
            self.incomplete.append("conditional group")
            g, yes, no = av
            return self.seq(self.epsilon(self.approx_top), self.alt([
                self.build_seq(yes, flags), self.build_seq(no, flags) if no is not None else self.epsilon()]))
        raise ValueError(op)  # pragma: no cover

    def word_mask(self, flags: int) -> int:
        return self.ab.mask_of(cs.category("CATEGORY_WORD", flags, self.top))

    def anchor(self, kind: str, flags: int) -> Frag:
        full, gfull = self.full, self.gfull
        if kind == "AT_BEGINNING" and not flags & FLAG_MULTILINE or kind == "AT_BEGINNING_STRING":
            return self.epsilon((gfull, True, 0, True))
        if kind in ("AT_BEGINNING", "AT_BEGINNING_LINE"):
            return self.epsilon((gfull, True, self.nl, True))
        if kind == "AT_END" and not flags & FLAG_MULTILINE:
            return self.epsilon((self.fnl | self.EX, True, full, True))
        if kind in ("AT_END", "AT_END_LINE"):
            return self.epsilon((self.nl | self.EX, True, full, True))
        if kind == "AT_END_STRING":
            return self.epsilon((self.EX, True, full, True))
        w = self.word_mask(flags)
        nw = full & ~w
        if kind in ("AT_BOUNDARY", "AT_LOC_BOUNDARY", "AT_UNI_BOUNDARY"):
            return self.epsilon((w | self.EX, False, nw, True), (nw | self.fnl | self.EX, True, w, False))
        return self.epsilon((w | self.EX, False, w, False), (nw | self.fnl | self.EX, True, nw, True))

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

    def _single_leaf(self, body: list):
        while len(body) == 1 and body[0][0] == "SUBPATTERN":
            body = body[0][1][3]
        if len(body) == 1 and body[0][0] in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
            return body[0]
        return None

    def _last_char_mask(self, items: list, flags: int, depth: int = 0) -> Optional[int]:
        """The characters a fixed-width sequence can end with: the last item's leaf,
        through groups, alternatives (the union) and fixed repeats; None when unknown
        (a zero-width item last, a backreference, ...)."""
        if not items or depth > 20:
            return None
        op, av = items[-1]
        if op in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
            return self.leaf_mask(op, av, flags)
        if op == "SUBPATTERN":
            return self._last_char_mask(av[3], (flags | av[1]) & ~av[2], depth + 1)
        if op == "BRANCH":
            masks = [self._last_char_mask(alt, flags, depth + 1) for alt in av]
            if any(m is None for m in masks):
                return None
            out = 0
            for m in masks:
                out |= m  # type: ignore[operator]
            return out
        if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1 and av[0] == av[1]:
            return self._last_char_mask(av[2], flags, depth + 1)
        return None

    def lookaround(self, op: str, av, flags: int) -> Frag:
        direction, body = av
        positive = op == "ASSERT"
        if direction < 0:
            leafnode = self._single_leaf(body)
            if leafnode is None:
                self.incomplete.append("lookbehind")
                last = self._last_char_mask(body, flags) if positive else None
                if last is None:
                    return self.epsilon(self.approx_top)
                # sound over-approximation of a longer positive lookbehind (`(?<=://)`):
                # its last character comes right before this position. Not exact (no EX
                # bit), but a repetition that cannot take that character is no longer
                # retried inside its own run.
                return self.epsilon((self.full | self.fnl, True, last, False))
            m = self.leaf_mask(leafnode[0], leafnode[1], flags)
            if positive:
                return self.epsilon((self.gfull, True, m, False))
            return self.epsilon((self.gfull, True, self.full & ~m, True))
        n_edges = len(self.edges)
        n_inc = len(self.incomplete)
        self.la_counter += 1
        k = self.la_counter
        saved = self.la
        self.la = saved + (k,)
        try:
            f = self.build_seq(body, flags)
        finally:
            self.la = saved
        exact = (len(self.edges) == n_edges and len(self.incomplete) == n_inc
                 and all(n == self.gfull and e and pm == self.full for (_p, n, e, pm) in f.last)
                 and all(pm == self.full and ps for (_q, _l, pm, ps) in f.first)
                 and all(pm == self.full and ps for (_n, _e, pm, ps) in f.empty))
        mask = 0
        end_ok = False
        for (_q, lab, _pm, _ps) in f.first:
            mask |= lab
        for (n, e, _pm, _ps) in f.empty:
            mask |= n
            end_ok = end_ok or e
        if exact:
            if positive:
                return self.epsilon((mask | self.EX, end_ok, self.full, True)) if (mask & self.real or end_ok) else Frag()
            neg = (self.gfull & ~mask) | self.EX
            return self.epsilon((neg, not end_ok, self.full, True)) if (neg & self.real or not end_ok) else Frag()
        # The body is matched (and backtracked) at this position; its work is real,
        # its success only lets the main path go on.  Model it as a dead-end side
        # branch next to an epsilon for the main path.
        self.incomplete.append("lookahead")
        for (p, n, e, pm), _c in f.last.items():
            self.la_acc.append((p, n, e, pm, k))
        side = Frag({}, dict(f.first), {})
        if positive:
            # sound over-approximation: the next character must be able to start the body
            if not (mask & self.real or end_ok):
                return side
            return self.alt([self.epsilon((mask & self.real, end_ok, self.full, True)), side])
        return self.alt([self.epsilon(self.approx_top), side])

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
        mask = self.leaf_mask(node[0], node[1], flags)
        notc = self.gfull & ~mask
        if lo > UNROLL:
            lo = UNROLL
            self.incomplete.append("large repeat count")
        if hi is not None and hi - lo > UNROLL:
            hi = None
        frag = self.epsilon()
        for _ in range(lo):
            frag = self.seq(frag, self.leaf(node[0], node[1], flags))
        if not mask or hi == lo:
            return frag
        full = self.full
        if hi is None:
            q = self._state(mask)
            self._edge(q, q, mask | self.EX, full, 1)
            rest = Frag({(notc, True, full, True): 1}, {(q, mask | self.EX, full, True): 1},
                        {(q, notc, True, full): 1})
        else:
            states = [self._state(mask) for _ in range(hi - lo)]
            for a, b in zip(states, states[1:]):
                self._edge(a, b, mask | self.EX, full, 1)
            last = {(s, notc, True, full): 1 for s in states[:-1]}
            last[(states[-1], self.gfull, True, full)] = 1
            rest = Frag({(notc, True, full, True): 1}, {(states[0], mask | self.EX, full, True): 1}, last)
        return self.seq(frag, rest)


def collect_sets(tree: list, flags: int, top: int) -> List[cs.Intervals]:
    """Every character set the builder may ask for (for the atom partition)."""
    out: List[cs.Intervals] = [((cs.NEWLINE, cs.NEWLINE),)]

    def walk(items, fl):
        for op, av in items:
            if op in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
                out.append(cs.leaf(op, av, fl, top))
            elif op == "AT" and "BOUNDARY" in av:
                out.append(cs.category("CATEGORY_WORD", fl, top))
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


def build_nfa(parsed, mode: str, budget: Budget, exclude: cs.Intervals = ()):
    """The pattern's NFA over subjects that hold none of the characters in ``exclude``."""
    top = cs.BYTES_MAX if parsed.is_bytes else cs.UNICODE_MAX
    ab = cs.Alphabet(collect_sets(parsed.tree, parsed.flags, top), top, exclude)
    b = Builder(parsed, ab, budget)
    I = b._state(0)
    search = mode == "search"
    S0 = b._state(ab.full) if search else None
    root = b.build_seq(parsed.tree, parsed.flags)
    if mode == "fullmatch":
        root = b.seq(root, b.epsilon((b.EX, True, b.full, True)))
    acc_raw: Dict[Tuple[int, int, bool, int, int], int] = {}
    for (q, lab, pm, ps), c in root.first.items():
        if ps:
            b._edge(I, q, lab, b.full, c)
        if search:
            b._edge(S0, q, lab, pm, c)
    for (n, e, pm, ps), c in root.empty.items():
        if ps:
            _add(acc_raw, (I, n, e, b.full, 0), c)
        if search:
            _add(acc_raw, (S0, n, e, pm, 0), c)
    for (p, n, e, pm), c in root.last.items():
        _add(acc_raw, (p, n, e, pm, 0), c)
    for key in b.la_acc:
        _add(acc_raw, key, 1)
    if search:
        b._edge(I, S0, ab.full | b.EX, b.full, 1)
        b._edge(S0, S0, ab.full | b.EX, b.full, 1)
    nfa = _finalize(b, acc_raw, I, S0)
    return nfa, b


def _finalize(b: Builder, acc_raw, I: int, S0: Optional[int]) -> NFA:
    """Split states so that every prev-char mask is decided by the state itself."""
    full = b.full
    preds = {pm for (_p, _q, _l, pm) in b.edges if pm != full}
    preds |= {pm for (_p, _n, _e, pm, _t) in acc_raw if pm != full}
    nfa = NFA(b.ab)
    nfa.fnl = b.fnl
    nfa.nl = b.nl
    copies: List[List[Tuple[int, int]]] = []
    for s, mask in enumerate(b.inmask):
        cells = [mask] if s == I else [mask]
        for pm in preds:
            nxt = []
            for c in cells:
                a, d = c & pm, c & ~pm
                nxt.extend(x for x in (a, d) if x)
            cells = nxt or cells
        ids = []
        for c in cells:
            ids.append((nfa.new_state(c, b.atomic_of[s], b.reps_of[s], b.la_of[s]), c))
            nfa.backref.append(b.backref_of[s])
            nfa.choice.append(b.choice_of[s])
        copies.append(ids)
    nfa.initial = copies[I][0][0]
    if S0 is not None:
        nfa.s0 = copies[S0][0][0]
        nfa.s0_states = {x for x, _c in copies[S0]}
    back_of: Dict[EdgeKey, set] = {}
    for key, r in b.back_keys:
        back_of.setdefault(key, set()).add(r)
    for key, cnt in b.edges.items():
        p, q, label, pm = key
        exact = bool(label & b.EX)
        only_back = key not in b.plain_keys and any(r in b.outer_reps for r in back_of.get(key, ()))
        for p2, cp in copies[p]:
            if p != I and not cp & pm:
                continue
            for q2, cq in copies[q]:
                lab = label & cq
                if lab:
                    k2 = (p2, q2, lab)
                    _add(nfa.edges, k2, cnt)
                    if exact:
                        _add(nfa.exact_edges, k2, cnt)
                    nfa.back[k2] = nfa.back.get(k2, True) and only_back
    for (p, n, e, pm, tag), cnt in acc_raw.items():
        for p2, cp in copies[p]:
            if p != I and not cp & pm:
                continue
            _add(nfa.acc.setdefault(p2, {}), (n, e, tag), cnt)
    return nfa
