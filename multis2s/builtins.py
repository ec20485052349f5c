"""The core's own plugin: decoders, attention kinds, search methods and metrics, registered like any plugin."""

from __future__ import annotations

from multis2s.plugins import hookimpl


@hookimpl
def register_decoders(register):
    register("rnn", "multis2s.model.rnn_decoder:RNNDecoder", modality="any",
             help="RNN/LSTM/GRU + one attention per stream (see attentions)")
    register("transformer", "multis2s.model.transformer_decoder:TransformerDecoder", modality="any",
             help="pre-norm Transformer decoder")


@hookimpl
def register_attentions(register):
    register("none", "multis2s.model.attention:NoAttention", modality="any",
             help="no alignment: the mean of the memory every step")
    register("dot", "multis2s.model.attention:DotAttention", modality="any",
             help="Luong dot score (decoder hidden size = memory size)")
    register("general", "multis2s.model.attention:GeneralAttention", modality="any", help="Luong general score q·W m")
    register("additive", "multis2s.model.attention:AdditiveAttention", modality="any",
             help="Bahdanau score v·tanh(W q + U m)")
    register("location", "multis2s.model.attention:LocationAttention", modality="any",
             help="additive + a convolution over the previous weights (Chorowski et al., 2015)")
    register("multihead", "multis2s.model.attention:MultiheadAttention", modality="any",
             help="scaled dot-product, several heads")


@hookimpl
def register_searches(register):
    register("greedy", "multis2s.search.greedy:GreedySearch", modality="any",
             help="the most probable token at every step")
    register("beam", "multis2s.search.beam:BeamSearch", modality="any",
             help="batched beam search with GNMT length penalty, n-best, optional joint CTC scores")
    register("ctc_greedy", "multis2s.search.ctc_greedy:CTCGreedySearch", modality="any",
             help="best path of the CTC head (model.ctc_weight)")


@hookimpl
def register_metrics(register):
    register("exact_match", "multis2s.metrics:ExactMatch", modality="any", help="% of outputs equal to a reference")
    register("token_accuracy", "multis2s.metrics:TokenAccuracy", modality="any",
             help="% of reference tokens right in place")
    register("bleu", "multis2s.metrics:Bleu", modality="any", help="corpus BLEU-4 (sacrebleu)")
    register("chrf", "multis2s.metrics:Chrf", modality="any", help="corpus chrF (sacrebleu)")
    register("wer", "multis2s.metrics:WordErrorRate", modality="any", help="word error rate % (jiwer)")
    register("cer", "multis2s.metrics:CharErrorRate", modality="any", help="character error rate % (jiwer)")
