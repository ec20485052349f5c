"""Tokenizers for targets of any modality and for text sources: words, characters, subword units.

``word`` and ``char`` have nothing to learn. ``sentencepiece`` learns its subword units on the
training text when a run starts (the optional ``fit`` / ``state`` / ``load_state`` step of the
tokenizer contract, :class:`multis2s.data.target.Tokenizer`); its trained model is plain bytes in
the checkpoint. ``shared`` gives the targets the tokenizer of a text source stream, trained on the
sources and the targets together.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Annotated, Any, Iterable, Literal

from multis2s.data.target import Tokenizer
from multis2s.ranges import Range

if TYPE_CHECKING:
    from multis2s.data.streams import SourceStreams

SPACE = "▁"
SOURCE_STREAM = "source"
"""The one stream of ``model.encoder`` (:data:`multis2s.config.SHORTHAND_STREAM`)."""


class WordTokenizer:
    """Splits on white space."""

    def tokenize(self, text: str) -> list[str]:
        return text.split()

    def detokenize(self, tokens: list[str]) -> str:
        return " ".join(tokens)


class CharTokenizer:
    """One token per character; runs of white space become one ``▁`` token."""

    def tokenize(self, text: str) -> list[str]:
        tokens: list[str] = []
        for index, word in enumerate(text.split()):
            if index:
                tokens.append(SPACE)
            tokens.extend(word)
        return tokens

    def detokenize(self, tokens: list[str]) -> str:
        return "".join(" " if t == SPACE else t for t in tokens)


_TOO_HIGH = re.compile(r"Vocabulary size too high \((\d+)\)\. Please set it to a value <= (\d+)")
_TOO_LOW = re.compile(r"Vocabulary size is smaller than required_chars\. (\d+) vs (\d+)")


class SentencePieceTokenizer:
    """Subword units (SentencePiece) learned on the training text when a run starts.

    Words are split into pieces from a learned inventory of ``vocab_size`` pieces; a piece that
    starts a word carries ``▁``. The text is taken as it is (no Unicode normalisation of its own:
    ``data.target.normalise`` does that), runs of spaces count as one. Training is in memory, on
    one thread, and gives the same pieces for the same text; the trained model is saved in the
    checkpoint, so ``predict`` needs no other file.

    Args:
        model_type: ``unigram`` (a unigram language model over pieces, Kudo 2018) or ``bpe``
            (byte-pair merges, Sennrich et al. 2016).
        vocab_size: the number of pieces learned, ``<unk>`` included. At most what the training
            text allows (a one-line error says how many), at least its distinct characters
            (with ``character_coverage`` 1.0).
        character_coverage: the share of the training characters the pieces must cover; rarer
            characters become ``<unk>`` (1.0 keeps every character; 0.9995 suits large alphabets).
        seed: the seed of SentencePiece's random generator while training.
    """

    def __init__(
        self,
        *,
        model_type: Literal["unigram", "bpe"] = "unigram",
        vocab_size: Annotated[int, Range(ge=2)] = 1000,
        character_coverage: Annotated[float, Range(gt=0, le=1)] = 1.0,
        seed: int = 1,
    ) -> None:
        if model_type not in ("unigram", "bpe"):
            raise ValueError(f"model_type must be 'unigram' or 'bpe', got {model_type!r}")
        self.model_type, self.vocab_size = model_type, vocab_size
        self.character_coverage, self.seed = character_coverage, seed
        self._model: bytes | None = None
        self._processor: Any = None

    def fit(self, texts: Iterable[str]) -> None:
        """Learn the pieces from ``texts``; ValueError (naming ``vocab_size``) when the text cannot give them."""
        import sentencepiece

        sentences = [t for t in texts if t.strip()]
        if not sentences:
            raise ValueError("no training text to learn sentencepiece pieces from")
        writer = io.BytesIO()
        sentencepiece.set_random_generator_seed(self.seed)
        try:
            sentencepiece.SentencePieceTrainer.train(
                sentence_iterator=iter(sentences), model_writer=writer, model_type=self.model_type,
                vocab_size=self.vocab_size, character_coverage=self.character_coverage,
                normalization_rule_name="identity", num_threads=1, shuffle_input_sentence=False,
                input_sentence_size=0, unk_id=0, bos_id=-1, eos_id=-1, pad_id=-1, minloglevel=2)
        except RuntimeError as exc:
            raise ValueError(_training_error(str(exc), self.vocab_size)) from None
        self.load_state({"model": writer.getvalue()})

    def state(self) -> dict[str, Any]:
        """``{"model": the trained SentencePiece model as bytes}`` (loads with ``weights_only=True``)."""
        if self._model is None:
            raise RuntimeError("sentencepiece: state() before fit() or load_state()")
        return {"model": self._model}

    def load_state(self, state: dict[str, Any]) -> None:
        import sentencepiece

        model = state["model"]
        if not isinstance(model, bytes):
            raise ValueError(f"sentencepiece: the saved model is {type(model).__name__}, not bytes")
        self._processor = sentencepiece.SentencePieceProcessor(model_proto=model)
        self._model = model

    def pieces(self) -> list[str]:
        """The learned pieces, ``<unk>`` first."""
        return [self._ready().id_to_piece(i) for i in range(self._ready().get_piece_size())]

    def tokenize(self, text: str) -> list[str]:
        return self._ready().encode(text, out_type=str)

    def detokenize(self, tokens: list[str]) -> str:
        return "".join(tokens).replace(SPACE, " ").strip()

    def _ready(self) -> Any:
        if self._processor is None:
            raise RuntimeError("sentencepiece: tokenize() before fit() or load_state()")
        return self._processor


def _training_error(message: str, vocab_size: int) -> str:
    """SentencePiece's training error as one line about ``vocab_size`` where it is about it."""
    if match := _TOO_HIGH.search(message):
        return f"vocab_size: {vocab_size} is more pieces than the training text allows (at most {match.group(2)})"
    if match := _TOO_LOW.search(message):
        return (f"vocab_size: {vocab_size} is fewer pieces than the training text's characters need (at least "
                f"{match.group(2)}; raise it, or lower character_coverage)")
    first = message.strip().splitlines()[0] if message.strip() else "no reason given"
    return f"sentencepiece training failed ({first[:200]})"


class SharedTokenizer:
    """The targets use a text source stream's tokenizer, which then learns on the sources and the targets.

    With ``data.source.tokenizer: {type: sentencepiece, …}`` this is one SentencePiece model for
    both sides (a piece means the same in a source and in a target); each side keeps its own id
    table of the pieces it uses. Its state is saved once, with the source stream's.

    Args:
        stream: the source stream whose tokenizer the targets use (``source`` for ``model.encoder``).
    """

    def __init__(self, *, stream: str = SOURCE_STREAM) -> None:
        self.stream = stream
        self._tokenizer: Tokenizer | None = None

    def bind(self, streams: SourceStreams) -> None:
        """Take the stream's tokenizer (before anything is fitted); ValueError when it has none."""
        pipeline = streams.pipelines.get(self.stream)
        if pipeline is None:
            raise ValueError(f"stream: no source stream {self.stream!r}; the streams are {', '.join(streams.names)}")
        share = getattr(pipeline, "share_tokenizer", None)
        if share is None:
            raise ValueError(f"stream: the {pipeline.modality} stream {self.stream!r} has no tokenizer to share")
        self._tokenizer = share()

    def tokenize(self, text: str) -> list[str]:
        return self._bound().tokenize(text)

    def detokenize(self, tokens: list[str]) -> str:
        return self._bound().detokenize(tokens)

    def _bound(self) -> Tokenizer:
        if self._tokenizer is None:
            raise RuntimeError("shared tokenizer used before bind()")
        return self._tokenizer
