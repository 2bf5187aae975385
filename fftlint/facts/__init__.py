"""The project-facts layer: what a name holds and what a function does, for every rule family.

* :mod:`fftlint.facts.imports` -- the one implementation of import resolution;
* :mod:`fftlint.facts.bindings` -- :class:`~fftlint.facts.bindings.ModuleFacts`, a module's
  binding map on the stdlib ``ast``: what each name may hold before each statement
  (assignments, annotations with unions, unpacking, ``with``, loops, ``self.x``, closures);
* :mod:`fftlint.facts.values` -- the value domain (canonical names, instances, collections,
  awaitables, providers' own values; unknown stays unknown);
* :mod:`fftlint.facts.summary` -- per-module summaries: returns, calls, effects, classes;
* :mod:`fftlint.facts.project` -- :class:`~fftlint.facts.project.ProjectFacts`: summaries on
  demand, values resolved across modules, call chains to an effect;
* :mod:`fftlint.facts.provider` -- :class:`~fftlint.facts.provider.Provider`, how a rule
  family (built in or a plugin) says what its calls do and builds its project-wide facts;
* :mod:`fftlint.facts.cst` -- ``ctx.names``: the same facts for LibCST rules.

Nothing here names a rule family; providers live beside the rules that declare them.
"""
