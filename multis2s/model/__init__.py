"""Model parts: the encoder contract, streams and fusion, attention kinds, the decoders, Seq2Seq.

Dimension legend used in every model module:
B batch, S source steps (after subsampling; S_i for stream i), T target steps, D model size,
V vocabulary, H hidden size or heads, E embedding size, L layers, K beam size.
"""
