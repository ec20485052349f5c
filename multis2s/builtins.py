"""The core's own plugin: the decoders and the built-in metrics, registered like any plugin."""

from __future__ import annotations

from multis2s.plugins import hookimpl


@hookimpl
def register_decoders(register):
    from multis2s.model.rnn_decoder import RNNDecoder
    from multis2s.model.transformer_decoder import TransformerDecoder

    register("rnn", RNNDecoder, modality="any", help="RNN/LSTM/GRU + attention (none/dot/general/additive/multihead)")
    register("transformer", TransformerDecoder, modality="any", help="pre-norm Transformer decoder")


@hookimpl
def register_metrics(register):
    from multis2s import metrics

    register("exact_match", metrics.ExactMatch, modality="any", help="% of outputs equal to a reference")
    register("token_accuracy", metrics.TokenAccuracy, modality="any", help="% of reference tokens right in place")
    register("bleu", metrics.Bleu, modality="any", help="corpus BLEU-4 (sacrebleu)")
    register("chrf", metrics.Chrf, modality="any", help="corpus chrF (sacrebleu)")
    register("wer", metrics.WordErrorRate, modality="any", help="word error rate % (jiwer)")
    register("cer", metrics.CharErrorRate, modality="any", help="character error rate % (jiwer)")
