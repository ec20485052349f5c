"""``multis2s serve``: a trained run behind an HTTP JSON API and a small web page.

:mod:`~multis2s.serve.predictor` asks the :class:`~multis2s.run.Run`, :mod:`~multis2s.serve.batching`
groups requests that arrive together, :mod:`~multis2s.serve.inputs` and :mod:`~multis2s.serve.uploads`
read requests, :mod:`~multis2s.serve.app` is the Starlette app, :mod:`~multis2s.serve.server` runs it
under uvicorn, and ``page/`` is the page at ``/``. Nothing here is imported until ``serve`` runs.
"""
