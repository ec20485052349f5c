"""The core's own plugin: decoders, attention kinds, search methods and metrics, registered like any plugin."""

from __future__ import annotations

from multis2s.plugins import hookimpl


@hookimpl
def register_decoders(register):
    from multis2s.model.rnn_decoder import RNNDecoder
    from multis2s.model.transformer_decoder import TransformerDecoder

    register("rnn", RNNDecoder, modality="any", help="RNN/LSTM/GRU + one attention per stream (see attentions)")
    register("transformer", TransformerDecoder, modality="any", help="pre-norm Transformer decoder")


@hookimpl
def register_attentions(register):
    from multis2s.model import attention

    register("none", attention.NoAttention, modality="any", help="no alignment: the mean of the memory every step")
    register("dot", attention.DotAttention, modality="any", help="Luong dot score (decoder hidden size = memory size)")
    register("general", attention.GeneralAttention, modality="any", help="Luong general score q·W m")
    register("additive", attention.AdditiveAttention, modality="any", help="Bahdanau score v·tanh(W q + U m)")
    register("location", attention.LocationAttention, modality="any",
             help="additive + a convolution over the previous weights (Chorowski et al., 2015)")
    register("multihead", attention.MultiheadAttention, modality="any", help="scaled dot-product, several heads")


@hookimpl
def register_searches(register):
    from multis2s.search.beam import BeamSearch
    from multis2s.search.ctc_greedy import CTCGreedySearch
    from multis2s.search.greedy import GreedySearch

    register("greedy", GreedySearch, modality="any", help="the most probable token at every step")
    register("beam", BeamSearch, modality="any",
             help="batched beam search with GNMT length penalty, n-best, optional joint CTC scores")
    register("ctc_greedy", CTCGreedySearch, modality="any", help="best path of the CTC head (model.ctc_weight)")


@hookimpl
def register_metrics(register):
    from multis2s import metrics

    register("exact_match", metrics.ExactMatch, modality="any", help="% of outputs equal to a reference")
    register("token_accuracy", metrics.TokenAccuracy, modality="any", help="% of reference tokens right in place")
    register("bleu", metrics.Bleu, modality="any", help="corpus BLEU-4 (sacrebleu)")
    register("chrf", metrics.Chrf, modality="any", help="corpus chrF (sacrebleu)")
    register("wer", metrics.WordErrorRate, modality="any", help="word error rate % (jiwer)")
    register("cer", metrics.CharErrorRate, modality="any", help="character error rate % (jiwer)")
