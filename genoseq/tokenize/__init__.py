"""Tokenizers: DNA strings → integer k-mer ids or one-hot arrays (pure NumPy, no torch, no file reads).

* :class:`KmerTokenizer` — overlapping/strided k-mers with a fixed id layout
  (``[PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4``, then the ``4**k`` k-mers).
* :class:`OneHotEncoder` — ``(L, 4)`` A/C/G/T channels, optional fractional IUPAC codes.
* :func:`sequences_to_array`, :func:`reverse_complement`,
  :func:`reverse_complement_array` — byte-level helpers.
* :func:`tokenizer_from_spec` — rebuild either tokenizer from its ``to_dict()``.
"""

from __future__ import annotations

from genoseq.tokenize.kmer import KmerTokenizer
from genoseq.tokenize.onehot import IUPAC_BASES, OneHotEncoder
from genoseq.tokenize.sequence import reverse_complement, reverse_complement_array, sequences_to_array
from genoseq.tokenize.spec import Tokenizer, tokenizer_from_spec

__all__ = [
    "IUPAC_BASES",
    "KmerTokenizer",
    "OneHotEncoder",
    "Tokenizer",
    "reverse_complement",
    "reverse_complement_array",
    "sequences_to_array",
    "tokenizer_from_spec",
]
