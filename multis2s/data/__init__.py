"""Data: examples, vocabularies, source pipelines, batching and the generator cache."""
