"""The text modality plugin: text encoders, the text source pipeline, tokenizers, text data."""

from __future__ import annotations

from multis2s.plugins import hookimpl


@hookimpl
def register_encoders(register):
    from multis2s_text.encoders import RNNEncoder, TransformerTextEncoder

    register("rnn", RNNEncoder, modality="text", help="embedding + (bi)directional RNN/LSTM/GRU, packed")
    register("transformer", TransformerTextEncoder, modality="text", help="embedding + pre-norm Transformer encoder")


@hookimpl
def register_modalities(register):
    from multis2s_text.pipeline import TextPipeline

    register("text", TextPipeline, modality="text", help="string → token ids (any registered tokenizer)")


@hookimpl
def register_tokenizers(register):
    from multis2s_text.tokenizers import CharTokenizer, SentencePieceTokenizer, SharedTokenizer, WordTokenizer

    register("word", WordTokenizer, modality="any", help="white-space separated words")
    register("char", CharTokenizer, modality="any", help="characters, spaces as ▁")
    register("sentencepiece", SentencePieceTokenizer, modality="any",
             help="subword units (unigram or BPE) learned on the training text, saved in the checkpoint")
    register("shared", SharedTokenizer, modality="any",
             help="targets only: a text source stream's tokenizer, learned on sources and targets")


@hookimpl
def register_datasets(register):
    from multis2s_text.datasets import ParallelFiles, en_fr_dataset, scan_dataset, symbols_dataset, text_to_code_dataset

    register("parallel", ParallelFiles, modality="any", help="your files: TSV, JSON lines or src/tgt line files")
    register("symbols", symbols_dataset, modality="text", help="copy / reverse random symbol strings (generated)")
    register("scan", scan_dataset, modality="text", help="SCAN commands → actions, simple/length/addjump (generated)")
    register("en_fr", en_fr_dataset, modality="text", help="English → French from a grammar (generated)")
    register("text_to_code", text_to_code_dataset, modality="text",
             help="English requests over numbers and lists → Python expressions (generated)")

    from multis2s_text.datasets import chatbot_dataset, style_transfer_dataset, summarization_dataset

    register("chatbot", chatbot_dataset, modality="text", help="small dialogues: message → reply (generated)")
    register("summarization", summarization_dataset, modality="text",
             help="reports with distracting sentences → one-line summaries (generated)")
    register("style_transfer", style_transfer_dataset, modality="text",
             help="the same message casual ↔ polite, direction by option (generated)")


@hookimpl
def register_metrics(register):
    from multis2s_text.code_metrics import ExecutionAccuracy

    register("execution_accuracy", ExecutionAccuracy, modality="text",
             help="% of programs whose value (bounded ast evaluator, never eval) equals a reference's")

    from multis2s_text.text_metrics import NamesNumbersKept, rouge_1, rouge_2, rouge_l

    register("rouge1", rouge_1, modality="text", help="ROUGE-1 F-measure % (rouge-score), mean over items")
    register("rouge2", rouge_2, modality="text", help="ROUGE-2 F-measure % (rouge-score), mean over items")
    register("rougeL", rouge_l, modality="text", help="ROUGE-L F-measure % (rouge-score), mean over items")
    register("names_numbers_kept", NamesNumbersKept, modality="text",
             help="% of the reference's names (capitalised words) and numbers found in the output")
