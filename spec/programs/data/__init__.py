"""The sources' data pipeline: corpora, tokenizing, vocabularies, samplers and the verified cache."""
