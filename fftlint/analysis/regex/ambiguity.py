"""Degree of ambiguity of the backtracking NFA.

* EDA (exponential): some state q has two different paths q -> q on the same word.
  Checked per strongly connected component C: a multi-edge inside C, or a product
  SCC of C x C that holds both a diagonal pair (q, q) and an off-diagonal pair.
* IDA (polynomial): loops C1 != C2 with p in C1, q in C2 and a word w such that
  p -w-> p, p -w-> q and q -w-> q (a walk in the triple product from (p, p, q) to
  (p, q, q)).  The degree is the number of loops in the longest chain of such pairs.
  Under search semantics the implicit "retry at every start" is the loop S0.

A finding only counts when the attack can be made to fail: from the loop state,
pumping w never lets the match succeed, and some suffix z is rejected (CodeQL's
"rejecting suffix").
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from .automaton import NFA, Budget, BudgetExceeded

MAX_SUFFIX_SETS = 3000


def sccs(n: int, succ) -> List[List[int]]:
    """Tarjan, iterative.  Returns components in reverse topological order."""
    index = [0] * n
    low = [0] * n
    onstack = [False] * n
    seen = [False] * n
    stack: List[int] = []
    out: List[List[int]] = []
    counter = 1
    for root in range(n):
        if seen[root]:
            continue
        work = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                seen[v] = True
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                onstack[v] = True
            recurse = False
            edges = succ[v]
            while i < len(edges):
                w = edges[i][0]
                i += 1
                if not seen[w]:
                    work.append((v, i))
                    work.append((w, 0))
                    recurse = True
                    break
                if onstack[w]:
                    low[v] = min(low[v], index[w])
            if recurse:
                continue
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    onstack[w] = False
                    comp.append(w)
                    if w == v:
                        break
                out.append(comp)
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
    return out


@dataclass
class Witness:
    kind: str                 # "eda" | "ida"
    loops: Tuple[int, ...]    # component ids (indices into Analysis.comps)
    start: int                # state where the pump starts (prefix leads here)
    end: int                  # state whose continuation must reject
    masks: List[int]          # label mask of each pump step
    pump: List[int] = None    # atoms, chosen when validated
    suffix: List[int] = None  # atoms, filled once validated
    check_from: int = -1      # state whose continuation must reject (default: end)
    ctx: int = 0              # acceptance context (0 = real match, k = lookahead k)


class Analysis:
    _ctx = 0
    prefers_empty = False
    accept_attack = None     # optional callback(witness, pump, suffix) -> bool
    def __init__(self, nfa: NFA, budget: Budget, reduced: bool = False, exact: bool = False):
        self.nfa = nfa
        self.ab = nfa.ab
        self.budget = budget
        self.n = len(nfa.inmask)
        self.succ = nfa.succ(reduced, exact)
        self.comps = sccs(self.n, self.succ)
        self.comp_of = [0] * self.n
        for i, c in enumerate(self.comps):
            for s in c:
                self.comp_of[s] = i
        reach = {nfa.initial}
        dq = deque(reach)
        while dq:
            v = dq.popleft()
            for q, _l, _c in self.succ[v]:
                if q not in reach:
                    reach.add(q)
                    dq.append(q)
        self.reachable = reach
        self.loops = [i for i, c in enumerate(self.comps)
                      if c[0] in reach and self._is_loop(c)]

    def _is_loop(self, comp: List[int]) -> bool:
        if len(comp) > 1:
            return True
        s = comp[0]
        return any(q == s for q, _l, _c in self.succ[s])

    def from_backref(self, ci: int) -> bool:
        """Loops in a backreference copy only approximate what it matches."""
        return any(self.nfa.backref[s] for s in self.comps[ci])

    def atomic_only(self, ci: int) -> bool:
        ids = {self.nfa.atomic[s] for s in self.comps[ci]}
        return len(ids) == 1 and 0 not in ids

    def pick(self, mask: int) -> int:
        ch = self.ab.char(mask)
        return self.ab.atom_of(ord(ch))

    # --------------------------------------------------------------- EDA
    def eda(self, ci: int):
        comp = self.comps[ci]
        inc = set(comp)
        local = {p: [(q, lab, c) for q, lab, c in self.succ[p] if q in inc] for p in comp}
        for p in comp:
            es = local[p]
            for i, (q, lab, c) in enumerate(es):
                if c >= 2:
                    back = self._path(q, p, local)
                    if back is not None:
                        yield Witness("eda", (ci,), p, p, [lab] + back)
                for q2, lab2, _c2 in es[i + 1:]:
                    if q2 == q and lab & lab2:
                        back = self._path(q, p, local)
                        if back is not None:
                            yield Witness("eda", (ci,), p, p, [lab & lab2] + back)
        # product C x C
        nodes: Dict[Tuple[int, int], List[Tuple[Tuple[int, int], int]]] = {}
        todo = [(q, q) for q in comp]
        for d in todo:
            nodes[d] = []
        while todo:
            self.budget.check()
            a, b = node = todo.pop()
            out = nodes[node]
            for a2, la, _ca in local[a]:
                for b2, lb, _cb in local[b]:
                    m = la & lb
                    if m:
                        nxt = (a2, b2)
                        out.append((nxt, m))
                        if nxt not in nodes:
                            nodes[nxt] = []
                            todo.append(nxt)
                            if len(nodes) > 40000:
                                raise BudgetExceeded("product")
        keys = list(nodes)
        idx = {k: i for i, k in enumerate(keys)}
        succ = [[(idx[t], m, 1) for t, m in nodes[k]] for k in keys]
        for comp2 in sccs(len(keys), succ):
            if len(comp2) < 2:
                continue
            diag = [keys[i] for i in comp2 if keys[i][0] == keys[i][1]]
            off = [keys[i] for i in comp2 if keys[i][0] != keys[i][1]]
            if diag and off:
                members = {keys[i] for i in comp2}
                found = []
                for d in diag[:16]:
                    # shortest detour: nearest off-diagonal pair, then back
                    for o in self._nearest_off(d, nodes, members)[:3]:
                        w1 = self._ppath(d, o, nodes)
                        w2 = self._ppath(o, d, nodes)
                        if w1 is not None and w2 is not None:
                            found.append(Witness("eda", (ci,), d[0], d[0], w1 + w2))
                found.sort(key=lambda w: len(w.masks))
                for w in found:
                    yield w

    def _path(self, src: int, dst: int, local) -> Optional[List[int]]:
        if src == dst:
            return []
        prev: Dict[int, Tuple[int, int]] = {src: (-1, 0)}
        dq = deque([src])
        while dq:
            v = dq.popleft()
            for q, lab, _c in local.get(v, ()):
                if q not in prev:
                    prev[q] = (v, lab)
                    if q == dst:
                        word = []
                        x = q
                        while x != src:
                            px, lab2 = prev[x]
                            word.append(lab2)
                            x = px
                        return word[::-1]
                    dq.append(q)
        return None

    def _nearest_off(self, src, nodes, members):
        seen = {src}
        dq = deque([src])
        out = []
        while dq and len(out) < 3:
            v = dq.popleft()
            for t, _m in nodes[v]:
                if t in seen or t not in members:
                    continue
                seen.add(t)
                if t[0] != t[1]:
                    out.append(t)
                dq.append(t)
        return out

    def _ppath(self, src, dst, nodes) -> Optional[List[int]]:
        prev = {src: None}
        dq = deque([src])
        while dq:
            v = dq.popleft()
            if v == dst:
                word = []
                x = v
                while prev[x] is not None:
                    px, m = prev[x]
                    word.append(m)
                    x = px
                return word[::-1]
            for t, m in nodes[v]:
                if t not in prev:
                    prev[t] = (v, m)
                    dq.append(t)
        return None

    # --------------------------------------------------------------- IDA
    def reach_between(self, c1: int, c2: int) -> Optional[set]:
        fwd = set(self.comps[c1])
        dq = deque(fwd)
        while dq:
            v = dq.popleft()
            for q, _l, _c in self.succ[v]:
                if q not in fwd:
                    fwd.add(q)
                    dq.append(q)
        if self.comps[c2][0] not in fwd:
            return None
        if not hasattr(self, "_pred"):
            self._pred = [[] for _ in range(self.n)]
            for p in range(self.n):
                for q, lab, _c in self.succ[p]:
                    self._pred[q].append(p)
        bwd = set(self.comps[c2])
        dq = deque(bwd)
        while dq:
            v = dq.popleft()
            for p in self._pred[v]:
                if p not in bwd:
                    bwd.add(p)
                    dq.append(p)
        return fwd & bwd

    def ida(self, c1: int, c2: int) -> Optional[Witness]:
        mid = self.reach_between(c1, c2)
        if mid is None:
            return None
        C1 = set(self.comps[c1])
        C2 = set(self.comps[c2])
        succ = self.succ
        for p in self.comps[c1]:
            for q in self.comps[c2]:
                start = (p, p, q)
                goal = (p, q, q)
                prev = {start: None}
                dq = deque([start])
                found = None
                while dq and found is None:
                    self.budget.check()
                    a, b, c = node = dq.popleft()
                    for a2, la, _ in succ[a]:
                        if a2 not in C1:
                            continue
                        for b2, lb, _ in succ[b]:
                            mab = la & lb
                            if not mab or b2 not in mid:
                                continue
                            for c2_, lc, _ in succ[c]:
                                m = mab & lc
                                if not m or c2_ not in C2:
                                    continue
                                nxt = (a2, b2, c2_)
                                if nxt in prev:
                                    continue
                                prev[nxt] = (node, m)
                                if nxt == goal:
                                    found = nxt
                                    break
                                dq.append(nxt)
                                if len(prev) > 60000:
                                    raise BudgetExceeded("triple")
                            if found:
                                break
                        if found:
                            break
                if found is not None:
                    word = []
                    x = found
                    while prev[x] is not None:
                        px, m = prev[x]
                        word.append(m)
                        x = px
                    return Witness("ida", (c1, c2), p, q, word[::-1])
        return None

    # ------------------------------------------------------ rejecting suffix
    def _step(self, states: FrozenSet[int], atom: int) -> FrozenSet[int]:
        bit = 1 << atom
        out = set()
        for s in states:
            for q, lab, _c in self.succ[s]:
                if lab & bit:
                    out.add(q)
        return frozenset(out)

    def _accepts(self, states, atom: Optional[int]) -> bool:
        acc = self.nfa.acc
        ctx = self._ctx
        for s in states:
            for (n, e, tag) in acc.get(s, ()):
                if tag != ctx:
                    continue
                if atom is None:
                    if e:
                        return True
                elif n >> atom & 1:
                    return True
        return False

    def _variants(self, masks: List[int]):
        seen = set()
        orders = [self.ab.ordered(m) for m in masks]
        for j in range(5):
            v = tuple(o[min(j, len(o) - 1)] for o in orders)
            if v not in seen:
                seen.add(v)
                yield list(v)
        # one more: the least preferred atom everywhere
        v = tuple(o[-1] for o in orders)
        if v not in seen:
            yield list(v)

    def rejecting_suffix(self, w: Witness) -> Optional[List[int]]:
        """Choose pump atoms and a suffix so that the match must fail; sets w.pump."""
        if not w.masks:
            return None
        self._ctx = w.ctx
        start = w.end if w.check_from < 0 else w.check_from
        for pump in self._variants(w.masks):
            z = self._reject(start, pump)
            if z is not None and (self.accept_attack is None or self.accept_attack(w, pump, z)):
                w.pump = pump
                return getattr(w, "suffix_override", None) or z
        return None

    def suffix_for_attempt(self, atoms: Sequence[int]) -> Optional[List[int]]:
        """A suffix that makes the whole attempt at position 0 fail after ``atoms``."""
        saved = self._ctx
        self._ctx = 0
        try:
            S = frozenset([self.nfa.initial])
            for a in atoms:
                S = self._step(S, a) - self.nfa.s0_states
            return self._reject(S, [])
        finally:
            self._ctx = saved

    def _reject(self, end, pump: List[int]) -> Optional[List[int]]:
        S = frozenset([end]) if isinstance(end, int) else end
        for _ in range(self.n + 2):
            before = S
            for atom in pump:
                if self._accepts(S, atom):
                    return None
                S = self._step(S, atom)
            if S == before:
                break
        seen = {S: []}
        dq = deque([S])
        atoms = range(self.ab.n)
        nl_atom = self.ab.atom_of(10) if self.ab.top >= 10 else -1
        while dq:
            T = dq.popleft()
            word = seen[T]
            if not self._accepts(T, None) and not (word and word[-1] == nl_atom and self._accepts_fnl(seen, word)):
                return word
            for a in atoms:
                self.budget.check()
                if self._accepts(T, a):
                    continue
                T2 = self._step(T, a)
                if not T2 and not (a == nl_atom and self._fnl(T)):
                    return word + [a]
                if T2 not in seen:
                    seen[T2] = word + [a]
                    dq.append(T2)
                    if len(seen) > MAX_SUFFIX_SETS:
                        return None
        return None

    def _fnl(self, states) -> bool:
        """Would ``$`` (no MULTILINE) accept here if the next char were a final newline?"""
        fnl = self.nfa.fnl
        acc = self.nfa.acc
        return any(n & fnl for s in states for (n, _e, tag) in acc.get(s, ()) if tag == self._ctx)

    def _accepts_fnl(self, seen, word) -> bool:
        for T, wd in seen.items():
            if wd == word[:-1]:
                return self._fnl(T)
        return True

    def _acc_states(self, states, atom: Optional[int]):
        acc = self.nfa.acc
        for s in states:
            for (n, e, tag) in acc.get(s, ()):
                if tag == 0 and ((atom is None and e) or (atom is not None and n >> atom & 1)):
                    yield s
                    break

    def _earlier(self, s: int, loop: set) -> bool:
        """Would backtracking find the match accepted at ``s`` before exploring the
        ambiguous ``loop``?  Not for the empty match at the start (greedy constructs
        try to consume first) nor for a later alternative of a branch holding the
        loop; yes otherwise."""
        if s == self.nfa.initial:
            return False
        mine = dict(self.nfa.choice[s])
        for q in loop:
            for bid, k in self.nfa.choice[q]:
                if bid in mine and mine[bid] > k:
                    return False
        return True

    def fails_before(self, atoms: Sequence[int], loop: set) -> bool:
        """Priority-aware variant of :meth:`fails`: only matches that backtracking
        would find before entering ``loop`` count."""
        s0 = self.nfa.s0_states
        S = frozenset([self.nfa.initial])
        for a in atoms:
            if any(self._earlier(x, loop) for x in self._acc_states(S, a)):
                return False
            S = self._step(S, a) - s0
            if not S:
                return True
        return not any(self._earlier(x, loop) for x in self._acc_states(S, None))

    def fails(self, atoms: Sequence[int], starts_until: int = 0) -> bool:
        """True when no match attempt starting at a position < ``starts_until``
        (at least position 0) succeeds on ``atoms``."""
        saved = self._ctx
        self._ctx = 0
        s0 = self.nfa.s0_states
        try:
            S = frozenset([self.nfa.initial])
            for i, a in enumerate(atoms):
                if self._accepts(S, a):
                    return False
                S = self._step(S, a)
                if i + 1 >= starts_until:
                    S = S - s0
                if not S:
                    return True
            if self._accepts(S, None):
                return False
            nl_atom = self.ab.atom_of(10) if self.ab.top >= 10 else -1
            if atoms and atoms[-1] == nl_atom:
                # `$` before a final newline
                T = frozenset([self.nfa.initial])
                for a in atoms[:-1]:
                    T = self._step(T, a) - s0
                if self._fnl(T):
                    return False
            return True
        finally:
            self._ctx = saved

    def prefix_masks(self, target: int) -> Optional[List[int]]:
        if target == self.nfa.initial or target in self.nfa.s0_states:
            return []
        prev = {self.nfa.initial: None}
        dq = deque([self.nfa.initial])
        while dq:
            v = dq.popleft()
            for q, lab, _c in self.succ[v]:
                if q in self.nfa.s0_states:
                    continue
                if q not in prev:
                    prev[q] = (v, lab)
                    if q == target:
                        word = []
                        x = q
                        while prev[x] is not None:
                            px, m = prev[x]
                            word.append(m)
                            x = px
                        return word[::-1]
                    dq.append(q)
        return None

    def prefix_to(self, target: int) -> Optional[List[int]]:
        """A shortest word (one character per step) from the start to ``target``."""
        masks = self.prefix_masks(target)
        return None if masks is None else [self.pick(m) for m in masks]

    def word(self, atoms: Sequence[int]) -> str:
        return "".join(self.ab.rep[a] for a in atoms)
