"""The full English→French grammar (``en_fr`` dataset, ``level: full``): a harder translation yardstick.

Longer sentences with relative clauses (``qui``/``que``), negation (``ne … pas``), yes/no questions
(``est-ce que`` or inversion), three tenses (présent, passé composé with avoir/être agreement,
futur), number words, possessives and genitives, about 260 real nouns, 80 adjectives and 80 verbs
drawn with Zipf weights, and generated person and town names, a quarter of which appear only in the
dev and test splits.  Modules, one concept each:

* :mod:`.word_tables` — the real words, as compact tables; :mod:`.words` — the word objects;
* :mod:`.morphology` — conjugation, agreement, number words, elision and contraction;
* :mod:`.names` — generated names and the held-out split;
* :mod:`.clauses` — sentence structures rendered in English and French;
* :mod:`.sampling` — drawing sentences and the train/dev/test splits.
"""

from multis2s_text.en_fr_full.sampling import generate_splits, held_out_names

__all__ = ["generate_splits", "held_out_names"]
