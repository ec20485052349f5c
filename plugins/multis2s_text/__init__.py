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
    register("chatbot", "multis2s_text.datasets:chatbot_dataset", modality="text",
             help="small dialogues: message → reply (generated)")
    register("summarization", "multis2s_text.datasets:summarization_dataset", modality="text",
             help="reports with distracting sentences → one-line summaries (generated)")
    register("style_transfer", "multis2s_text.datasets:style_transfer_dataset", modality="text",
             help="the same message casual ↔ polite, direction by option (generated)")


@hookimpl
def register_metrics(register):
    register("execution_accuracy", "multis2s_text.code_metrics:ExecutionAccuracy", modality="text",
             help="% of programs whose value (bounded ast evaluator, never eval) equals a reference's")
    register("name_recall", "multis2s_text.name_metrics:NameRecall", modality="text",
             help="% of the references' capitalised words (proper names) that the hypothesis reproduces")
    register("rouge1", "multis2s_text.text_metrics:rouge_1", modality="text",
             help="ROUGE-1 F-measure % (rouge-score), mean over items")
    register("rouge2", "multis2s_text.text_metrics:rouge_2", modality="text",
             help="ROUGE-2 F-measure % (rouge-score), mean over items")
    register("rougeL", "multis2s_text.text_metrics:rouge_l", modality="text",
             help="ROUGE-L F-measure % (rouge-score), mean over items")
    register("names_numbers_kept", "multis2s_text.text_metrics:NamesNumbersKept", modality="text",
             help="% of the reference's names (capitalised words) and numbers found in the output")
