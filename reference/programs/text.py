"""Tokenizing and the vocabulary of the sources' language models (003, 004).

- :func:`tokenize` splits lines into characters or words.
- :class:`Vocab` numbers tokens by descending frequency (ties keep first appearance), with ``<unk>``
  at index 0, optional reserved tokens after it, and tokens rarer than ``min_freq`` mapped to ``<unk>``;
  ``max_size`` keeps only the most frequent (000 builds its IMDB vocabulary with at most 10,000 words).
"""

from __future__ import annotations

import collections
from typing import Iterable, Sequence, Union

Tokens = Union[Sequence[str], Sequence[Sequence[str]]]


def tokenize(lines: Sequence[str], token: str = "char") -> list:
    if token == "char":
        return [list(line) for line in lines]
    if token == "word":
        return [line.split(" ") for line in lines]
    raise ValueError(f"unknown token type {token!r} (char or word)")


def count_corpus(tokens: Tokens) -> collections.Counter:
    """Token frequencies over a flat list or a list of lines."""
    if tokens and isinstance(tokens[0], (list, tuple)):
        tokens = [t for line in tokens for t in line]
    return collections.Counter(tokens)


class Vocab:
    UNK = 0

    def __init__(self, tokens: Tokens = (), min_freq: int = 0, reserved_tokens: Iterable[str] = (), max_size: int = 0):
        counter = count_corpus(list(tokens))
        # sorted() is stable: equal counts keep the order in which tokens first appeared
        self.token_freqs = sorted(counter.items(), key=lambda kv: kv[1], reverse=True)
        self.idx_to_token = ["<unk>"] + [t for t in reserved_tokens if t != "<unk>"]
        self.token_to_idx = {t: i for i, t in enumerate(self.idx_to_token)}
        for token, freq in self.token_freqs:
            if freq < min_freq or (max_size and len(self.idx_to_token) >= max_size):
                break
            if token not in self.token_to_idx:
                self.token_to_idx[token] = len(self.idx_to_token)
                self.idx_to_token.append(token)

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if isinstance(tokens, (list, tuple)):
            return self.encode(tokens)
        return self.token_to_idx.get(tokens, self.UNK)

    def encode(self, tokens: Sequence[str]) -> list:
        """Indices of a sequence of tokens in one pass (a million-token corpus should not pay a Python
        method call per token: on IMDB that was 11 s of a 57 s epoch)."""
        get, unk = self.token_to_idx.get, self.UNK
        return [get(t, unk) for t in tokens]

    def to_tokens(self, indices):
        if isinstance(indices, (list, tuple)):
            return [self.idx_to_token[i] for i in indices]
        return self.idx_to_token[indices]
