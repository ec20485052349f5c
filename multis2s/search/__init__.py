"""Search methods over any decoder's ``step``: registered components chosen by ``eval.search``.

The core registers ``greedy`` and ``beam`` (:mod:`multis2s.builtins`); a plugin adds a method
through the ``register_searches`` hook. A search is called as
``search(model, sources, lengths, max_length=MaxLength(...))`` and returns, for every batch item,
its hypotheses best first (:class:`~multis2s.search.hypothesis.Hypothesis`).
"""
