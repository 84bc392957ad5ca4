"""Numbers as text files write them: ASCII digits, an optional sign, a decimal point, an exponent,
``inf``/``nan`` -- what htslib's and polars' number parsers read whole. Python's ``int()`` and
``float()`` also take ``1_000``, surrounding spaces and other scripts' digits, and htslib's
``strtol``/``strtod`` keep a value's leading number (``1e3`` read as the integer 1), so genoseq's
readers check a value's text against these first."""

from __future__ import annotations

import re

#: an integer: sign and ASCII digits
INTEGER_TEXT = r"[+-]?[0-9]+"
#: a floating-point number, ``inf``/``infinity``/``nan`` in any case included
FLOAT_TEXT = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?i:inf|infinity|nan)"

INTEGER = re.compile(INTEGER_TEXT)
FLOAT = re.compile(FLOAT_TEXT)
