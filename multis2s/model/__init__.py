"""Model parts: the encoder contract, attention, the RNN and Transformer decoders, Seq2Seq.

Dimension legend used in every model module:
B batch, S source steps (after subsampling), T target steps, D model size, V vocabulary,
H heads, E embedding size, L layers, K beam size.
"""
