"""Contig-name harmonisation (``chr1`` ↔ ``1``, ``chrM``/``chrMT`` ↔ ``MT``/``M``) and region strings.

Files from different sources name the same contig differently (UCSC ``chr1``,
Ensembl/NCBI ``1``; ``chrM`` vs ``MT``).  :func:`contig_key` maps a name to a
canonical key (``chr``/``Chr``/``CHR`` prefix dropped, mitochondrion spelled
``MT``), and :class:`ContigResolver` finds the one name in a file's own list
that has the same key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from genoseq.errors import InputFormatError, UnknownContigError

_MITO = {"M", "MT"}
# commas are skipped anywhere in a position, as htslib does ("1,,000", "1000,"; "5-," is "5-"), but a
# start needs a digit (",-5" was int("")'s ValueError); an end alone needs one too, and stands for 1 as the
# start ("chr:-END", as htslib reads it: from the contig's first base to END)
_RANGE = re.compile(
    r"^(?P<contig>.+):(?:(?P<start>,*\d[\d,]*)(?:-(?P<end>[\d,]*))?|-(?P<upto>,*\d[\d,]*))$"
)


def contig_key(name: str) -> str:
    """Canonical key of a contig name: without a ``chr`` prefix (any case), mitochondrion as ``MT``.

    Examples
    --------
    >>> [contig_key(n) for n in ("chr1", "1", "Chr1", "chrM", "chrMT", "M", "MT", "chrX")]
    ['1', '1', '1', 'MT', 'MT', 'MT', 'MT', 'X']
    """
    bare = name[3:] if name[:3].lower() == "chr" and len(name) > 3 else name
    return "MT" if bare.upper() in _MITO else bare


def harmonise_contig(name: str, contigs: Iterable[str]) -> str | None:
    """The name in ``contigs`` that ``name`` refers to (exact match first), or ``None``.

    Returns ``None`` also when the match is ambiguous (two contigs with the same key).
    """
    names = list(contigs)
    if name in names:
        return name
    key = contig_key(name)
    matches = [c for c in names if contig_key(c) == key]
    return matches[0] if len(matches) == 1 else None


class ContigResolver:
    """Resolve contig names against one file's contig list.

    Parameters
    ----------
    contigs
        The file's own contig names, in file order.
    path
        The file, named in errors.
    """

    def __init__(self, contigs: Iterable[str], path: str | None = None) -> None:
        self.contigs = list(contigs)
        self.path = path
        self._exact = set(self.contigs)
        self._by_key: dict[str, list[str]] = {}
        for c in self.contigs:
            self._by_key.setdefault(contig_key(c), []).append(c)

    def resolve(self, name: str) -> str:
        """The file's name for contig ``name`` (``chr1`` ↔ ``1``, ``chrM`` ↔ ``MT`` …).

        Raises
        ------
        UnknownContigError
            No contig, or more than one, has the same canonical name; the message
            names the file and the contig.
        """
        if not isinstance(name, str):
            raise UnknownContigError(f"a contig is named by text, got {type(name).__name__}", path=self.path)
        if name in self._exact:
            return name
        matches = self._by_key.get(contig_key(name), [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise UnknownContigError(
                f"contig {name!r} is ambiguous: it matches {', '.join(map(repr, matches))}",
                path=self.path,
            )
        shown = ", ".join(self.contigs[:8]) + (
            f", … ({len(self.contigs)} in all)" if len(self.contigs) > 8 else ""
        )
        raise UnknownContigError(
            f"unknown contig {name!r} (not found even after chr-prefix/MT harmonisation);"
            f" contigs here: {shown or 'none'}",
            path=self.path,
        )

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        return name in self._exact or len(self._by_key.get(contig_key(name), [])) == 1


def parse_region(
    region: str, contigs: Iterable[str] | None = None, *, path: str | None = None
) -> tuple[str, int | None, int | None]:
    """Parse a samtools-style region into a 0-based half-open interval.

    ``chr`` (whole contig), ``chr:beg-end`` (1-based, inclusive, commas allowed),
    ``chr:beg-`` or ``chr:beg`` (from ``beg`` to the end of the contig), ``chr:-end`` (from the
    contig's first base to ``end``, as htslib reads it).  A
    contig name that itself contains ``:`` can be written in braces
    (``{HLA-A*01:01}:1-100``) or is recognised when ``contigs`` lists it.

    ``path``, if given, is the file the region is meant for, named in errors.

    Returns
    -------
    tuple[str, int | None, int | None]
        ``(contig, start, end)``; ``start``/``end`` are ``None`` where open.

    Raises
    ------
    InputFormatError
        Malformed region, ``beg`` < 1 or ``end`` < ``beg``.

    Examples
    --------
    >>> parse_region("chr1:1,001-2,000")
    ('chr1', 1000, 2000)
    >>> parse_region("chrM")
    ('chrM', None, None)
    """
    if not isinstance(region, str):
        raise InputFormatError(f"a region is text like 'chr1:1000-2000', got {type(region).__name__}", path=path)
    text = region.strip()
    known = set(contigs) if contigs is not None else set()
    malformed = InputFormatError(
        f"malformed region {region!r}: expected 'chr', 'chr:beg-end' or 'chr:beg-'", path=path
    )
    if not text:
        raise malformed
    if text.startswith("{") and "}" in text:
        contig, _, rest = text[1:].partition("}")
        if not rest:
            return contig, None, None
        m = _RANGE.match("x" + rest)
    elif text in known:
        return text, None, None
    else:
        m = _RANGE.match(text)
        # a known contig, then something that is not a range (chrM:abc, chrM:1-10:3, a comma list)
        known_head = ":" in text and text.partition(":")[0] in known
        if m is None:
            if known_head or (":" in text and text.rpartition(":")[0] in known):
                raise malformed
            return text, None, None
        contig = m.group("contig")
        if known_head and contig not in known:
            raise malformed
    if m is None:
        raise malformed
    beg = int(m.group("start").replace(",", "")) if m.group("start") is not None else 1
    end_text = (m.group("end") or m.group("upto") or "").replace(",", "")
    end = int(end_text) if end_text else None
    if beg < 1:
        raise InputFormatError(f"malformed region {region!r}: positions are 1-based (beg >= 1)", path=path)
    if end is not None and end < beg:
        raise InputFormatError(f"malformed region {region!r}: end {end} is before beg {beg}", path=path)
    return contig, beg - 1, end
