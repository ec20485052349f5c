"""The text modality plugin: text encoders, the text source pipeline, tokenizers, text data."""

from __future__ import annotations

from multis2s.plugins import hookimpl


@hookimpl
def register_encoders(register):
    register("rnn", "multis2s_text.encoders:RNNEncoder", modality="text",
             help="embedding + (bi)directional RNN/LSTM/GRU, packed")
    register("transformer", "multis2s_text.encoders:TransformerTextEncoder", modality="text",
             help="embedding + pre-norm Transformer encoder")


@hookimpl
def register_modalities(register):
    register("text", "multis2s_text.pipeline:TextPipeline", modality="text",
             help="string → token ids (any registered tokenizer)")


@hookimpl
def register_tokenizers(register):
    register("word", "multis2s_text.tokenizers:WordTokenizer", modality="any", help="white-space separated words")
    register("char", "multis2s_text.tokenizers:CharTokenizer", modality="any", help="characters, spaces as ▁")
    register("sentencepiece", "multis2s_text.tokenizers:SentencePieceTokenizer", modality="any",
             help="subword units (unigram or BPE) learned on the training text, saved in the checkpoint")
    register("shared", "multis2s_text.tokenizers:SharedTokenizer", modality="any",
             help="targets only: a text source stream's tokenizer, learned on sources and targets")


@hookimpl
def register_datasets(register):
    register("parallel", "multis2s_text.datasets:ParallelFiles", modality="any",
             help="your files: TSV, JSON lines or src/tgt line files")
    register("symbols", "multis2s_text.datasets:symbols_dataset", modality="text",
             help="copy / reverse random symbol strings (generated)")
    register("scan", "multis2s_text.datasets:scan_dataset", modality="text",
             help="SCAN commands → actions, simple/length/addjump (generated)")
    register("en_fr", "multis2s_text.datasets:en_fr_dataset", modality="text",
             help="English → French from a grammar (generated)")
    register("text_to_code", "multis2s_text.datasets:text_to_code_dataset", modality="text",
             help="English requests over numbers and lists → Python expressions (generated)")


@hookimpl
def register_metrics(register):
    register("execution_accuracy", "multis2s_text.code_metrics:ExecutionAccuracy", modality="text",
             help="% of programs whose value (bounded ast evaluator, never eval) equals a reference's")
    register("name_recall", "multis2s_text.name_metrics:NameRecall", modality="text",
             help="% of the references' capitalised words (proper names) that the hypothesis reproduces")
