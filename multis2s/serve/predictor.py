"""What the server asks of a :class:`~multis2s.run.Run`: decode a batch of requests, describe the run.

Everything here is plain Python over ``Run``; no web framework is imported. A request's source is a
mapping stream → item (the text itself, or the path of an uploaded file); its reply is JSON-ready:
the n-best outputs with their scores and, for the best one, each stream's attention (steps, S_i)
with the labels that draw it.
"""

from __future__ import annotations

from typing import Any

from multis2s.errors import Multis2sError
from multis2s.evaluation import Decoded
from multis2s.run import Run

WEIGHT_DECIMALS = 4
"""Attention weights are rounded to this many decimals in replies (they are for drawing)."""


class Predictor:
    """A trained run behind the server: :meth:`predict` decodes, :meth:`info` describes.

    Its methods block (they run the model); the server calls them from one worker thread."""

    def __init__(self, run: Run) -> None:
        self.run = run
        _stop_source_caches(run)

    @property
    def streams(self) -> dict[str, dict[str, Any]]:
        """stream → ``{"modality", "reads_files"}``, in config order."""
        return {name: {"modality": getattr(pipeline, "modality", "unknown"),
                       "reads_files": bool(getattr(pipeline, "reads_files", True))}
                for name, pipeline in self.run.streams.pipelines.items()}

    def info(self) -> dict[str, Any]:
        """The run folder, a config summary, the target vocabulary size and the streams."""
        config = self.run.config
        return {"run": str(self.run.folder.path),
                "config": {"encoders": {name: spec.type for name, spec in config.model.encoders.items()},
                           "decoder": config.model.decoder.type,
                           "attention": _attention_type(config.model.decoder.options),
                           "search": {"type": config.eval.search.type, **config.eval.search.options},
                           "metrics": list(config.eval.metrics)},
                "target_vocab_size": len(self.run.target.vocabulary),
                "streams": [{"name": name, **about} for name, about in self.streams.items()]}

    def predict(self, sources: list[dict[str, str]], *, beam: int | None, n_best: int
                ) -> list[dict[str, Any] | Multis2sError]:
        """One reply per source, in order; a source the run refuses gets its error instead, so one
        bad upload does not fail the others decoded with it. ``beam``/``n_best`` as in ``predict``."""
        search = self.run.search(beam=beam, n_best=n_best)
        try:
            return [self._reply(item, n_best) for item in self.run.predict(sources, search=search)]
        except Multis2sError:
            if len(sources) == 1:
                raise
        replies: list[dict[str, Any] | Multis2sError] = []
        for source in sources:  # decode one by one to find which inputs were bad
            try:
                replies.append(self._reply(self.run.predict([source], search=search)[0], n_best))
            except Multis2sError as exc:
                replies.append(exc)
        return replies

    def _reply(self, item: Decoded, n_best: int) -> dict[str, Any]:
        hypotheses = item.hypotheses[:n_best]
        best = item.hypotheses[0]
        target_labels = self.run.target.tokens(best.tokens, item.oovs) + ["<eos>"]
        attention = {}
        for name, view in self.run.streams.views(item.example).items():
            if view is None or name not in best.attention:
                continue
            weights = best.attention[name].float()  # (steps, S_i)
            pipeline = self.run.streams.pipelines[name]
            attention[name] = {"weights": [[round(w, WEIGHT_DECIMALS) for w in row] for row in weights.tolist()],
                               "target_labels": target_labels[: weights.size(0)],
                               "source_labels": pipeline.labels(view),
                               "modality": getattr(pipeline, "modality", "unknown")}
        return {"text": item.text,
                "outputs": [self.run.target.decode(h.tokens, item.oovs) for h in hypotheses],
                "scores": [round(float(h.score), 6) for h in hypotheses],
                "attention": attention}


def _attention_type(options: dict[str, Any]) -> str | None:
    attention = options.get("attention")
    return attention.get("type") if isinstance(attention, dict) else attention


def _stop_source_caches(run: Run) -> None:
    """Pipelines that cache loaded sources by path (audio, images, video) stop caching: uploads are
    temporary files whose paths the system reuses, so a cache would grow without bound and could
    answer a new upload with an old one's features."""
    for pipeline in run.streams.pipelines.values():
        if getattr(pipeline, "cache", None) is not None:
            pipeline.cache = None
