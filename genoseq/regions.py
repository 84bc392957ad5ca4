"""BED regions of a reference FASTA: predictions (``genoseq predict MODEL --regions BED --reference FA``)
and sequence tables to train on (``genoseq extract BED --reference FA``).

Each region's bases are read from the indexed reference (:class:`genoseq.io.Reference`, so plain,
bgzipped and ``.fai``-indexed FASTA alike) and scored as a record of its own by
:meth:`genoseq.predict.Predictor.predict`, in one of two ways:

* **as given** (default) -- the region's own bases, ``[start, end)``: a region shorter than the
  model's input is padded centrally with ``N``, a longer one is scored in sliding windows and
  their probabilities averaged, exactly as a FASTA record of those bases would be;
* **centered** -- the model's input length ``L`` of reference sequence centred on the region:
  ``window_start = start + (end - start) // 2 - L // 2`` (so a 1-bp site at ``p`` sits at index
  ``L // 2`` of its window), and short regions (peak summits, 1-bp sites, even empty BED
  intervals) are scored with their real flanks instead of ``N``; only the part of a window that
  runs off a contig's end is ``N``. A ``-`` strand region's window is the mirror image,
  ``window_end = end - (end - start) // 2 + L // 2``, so that its reverse complement puts the
  region where a ``+`` region's window does.

A region on the ``-`` strand (BED column 6) is scored on its reverse complement -- what a
strand-specific model (``genoseq train`` recorded ``forward``) needs; a strand-symmetric one, which
averages both strands by default, gives the same either way. Coordinates stay BED's: 0-based,
half-open; every region must lie on its contig (centred or not), which is checked for all of them
before anything is scored, and errors name a region by its line of the BED file. The BED file is
read whole into columns (tens of bytes a region); its regions' bases are read and scored a chunk at
a time.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

import polars as pl

from genoseq.data.writers import TableWriter
from genoseq.errors import ConfigError, InputFormatError, UnknownContigError
from genoseq.io import Reference
from genoseq.io._open import display_name
from genoseq.io.bed import read_bed_lines
from genoseq.predict import Predictor, check_letters, output_columns, probability_columns, require_no_features
from genoseq.tokenize._spec import require_int

__all__ = [
    "check_regions",
    "extract_regions",
    "extract_regions_file",
    "iter_region_sequences",
    "predict_regions",
    "predict_regions_file",
    "region_columns",
    "window_starts_for",
]

log = logging.getLogger(__name__)

#: regions per chunk and bases per chunk: a chunk ends at whichever limit comes first
_CHUNK_REGIONS = 65_536
_CHUNK_BASES = 16_000_000
#: a region's name from its BED coordinates, ``chrom:start-end`` (0-based start, as bedtools names them)
_COORDINATES = pl.format("{}:{}-{}", "chrom", "start", "end")


def region_columns(predictor: Predictor, *, centered: bool) -> dict[str, Any]:
    """The output schema: column name -> polars dtype (region columns, then ``p_<class>``)."""
    schema: dict[str, Any] = {
        "chrom": pl.Utf8,
        "start": pl.Int64,
        "end": pl.Int64,
        "name": pl.Utf8,
        "strand": pl.Utf8,
    }
    schema |= {"window_start": pl.Int64, "window_end": pl.Int64} if centered else {"length": pl.Int64}
    return schema | {col: pl.Float32 for col in output_columns(predictor)}


def _open_reference(reference: Any) -> contextlib.AbstractContextManager[Reference]:
    """An open :class:`Reference` as it is (left open for its owner, as score_variants uses one),
    else the FASTA path opened (and closed after)."""
    return contextlib.nullcontext(reference) if isinstance(reference, Reference) else Reference(reference)


def _regions_frame(
    regions: str | os.PathLike[str] | pl.DataFrame, keep: str | None = None, split: bool = False
) -> tuple[pl.DataFrame, str, pl.Series | None]:
    """The regions as a frame with chrom, start, end, name, strand (and column ``keep``, as
    ``label``, when given; and with ``split``, each region's BED12 blocks); how to name their
    source; and each region's line of the BED file (``None`` for a frame)."""
    lines: pl.Series | None = None
    if type(regions).__module__.startswith("pandas") and hasattr(regions, "columns"):
        regions = pl.from_pandas(regions)  # a pandas DataFrame: the same columns
    if isinstance(regions, pl.DataFrame):
        frame, source = regions, "regions"
        missing = [c for c in ("chrom", "start", "end") if c not in frame.columns]
        if missing:
            raise InputFormatError(f"the regions frame lacks column(s) {', '.join(missing)}")
    else:
        (frame, lines), source = read_bed_lines(regions), display_name(regions)
    names = frame.get_column("name") if "name" in frame.columns else pl.Series([None] * frame.height)
    strands = frame.get_column("strand") if "strand" in frame.columns else pl.Series([None] * frame.height)
    if keep is not None and keep not in frame.columns:
        advice = (
            " (a BED file's columns beyond the sixth are col7, col8 ... unless a '#chrom start end ...'"
            " header line names them)"
            if source != "regions"
            else ""
        )
        raise InputFormatError(
            f"no column {keep!r} to take labels from; columns are: {', '.join(frame.columns)}{advice}",
            path=source,
        )
    for col in ("start", "end"):
        if not frame.schema[col].is_integer():
            raise InputFormatError(f"the regions' {col!r} column must hold integers, not {frame.schema[col]}")
    out = pl.DataFrame(
        {
            "chrom": frame.get_column("chrom").cast(pl.Utf8),
            "start": frame.get_column("start").cast(pl.Int64),
            "end": frame.get_column("end").cast(pl.Int64),
            "name": names.cast(pl.Utf8),
            "strand": strands.cast(pl.Utf8).fill_null("."),
        }
    )
    if keep is not None:
        out = out.with_columns(_labels(frame.get_column(keep), keep, out, source, lines).alias("label"))
    bad = out.select(
        pl.col("chrom").is_null() | pl.col("start").is_null() | pl.col("end").is_null()
        | (pl.col("start") < 0) | (pl.col("end") < pl.col("start"))
        | ~pl.col("strand").is_in(["+", "-", "."])
    ).to_series().fill_null(True).arg_true()  # fmt: skip
    if bad.len():  # a BED file was checked line by line already; a frame from Python may not be
        i = int(bad[0])
        row = out.row(i, named=True)
        raise InputFormatError(
            f"invalid region (strand {row['strand']!r}): need a contig, 0 <= start <= end and a strand"
            " of +, - or .",
            path=source,
            record=_where(i, row, lines),
        )
    if split:
        out = _blocks(frame, out, source, lines)
    else:
        _warn_blocks(frame, source)
    # a region without a name is called by its BED coordinates (0-based start, as in the file)
    name = pl.when(pl.col("name").is_null() | pl.col("name").is_in([".", ""])).then(_COORDINATES)
    return out.with_columns(name.otherwise(pl.col("name")).alias("name")), source, lines


def _warn_blocks(frame: pl.DataFrame, source: str) -> None:
    """Warn when BED12 regions of several blocks are taken whole (introns and all)."""
    columns = _block_columns(frame, source)
    if columns is None:
        return
    counts = frame.get_column(columns[0]).cast(pl.Utf8).str.strip_chars().cast(pl.Int64, strict=False)
    commas = frame.get_column(columns[1]).cast(pl.Utf8).str.contains(",", literal=True)
    several = int(((counts > 1) & commas).sum())
    if several:
        log.warning(
            "%s: %d BED12 region(s) have several blocks (exons, say); each is taken whole, from start"
            " to end, gaps between blocks included (--split joins the blocks' bases instead)",
            source,
            several,
        )


def _where(i: int, row: dict[str, Any], lines: pl.Series | None = None) -> str:
    """How errors name region ``i`` (0-based row): its line of the BED file (else its 1-based number
    among the regions), and where it is."""
    at = f"line {lines[i]}" if lines is not None else f"region {i + 1}"
    return f"{at} ({row['chrom']}:{row['start']}-{row['end']})"


#: BED12's block columns (10-12), by the names the BED format gives them
BLOCK_COLUMNS = ("blockCount", "blockSizes", "blockStarts")
#: the same columns as :func:`genoseq.io.read_bed` names them in a BED12 without a header line
_READ_BED_BLOCK_COLUMNS = ("col10", "col11", "col12")
#: internal columns: each region's blocks as absolute 0-based starts and their sizes (``split``)
_BLOCK_STARTS, _BLOCK_SIZES = "\0block_starts", "\0block_sizes"


def _block_columns(frame: pl.DataFrame, source: str) -> tuple[str, str, str] | None:
    """The names of ``frame``'s blockCount, blockSizes and blockStarts columns: so named (a header
    line, a DataFrame), or ``col10``-``col12`` (a frame from :func:`genoseq.io.read_bed`), else a BED
    file's 10th to 12th columns; ``None`` when it has none."""
    if all(c in frame.columns for c in BLOCK_COLUMNS):
        return BLOCK_COLUMNS
    if all(c in frame.columns for c in _READ_BED_BLOCK_COLUMNS):  # genoseq.io.read_bed of a BED12
        return _READ_BED_BLOCK_COLUMNS
    if source != "regions" and frame.width >= 12:  # a BED file: columns 10-12 by position
        count, sizes, starts = frame.columns[9:12]
        return count, sizes, starts
    return None


def _int_lists(column: str) -> pl.Expr:
    """A BED12 comma list (``"10,20,"``, UCSC's trailing comma allowed) as list[int64], null items
    where a field is not an integer."""
    items = pl.col(column).cast(pl.Utf8).str.strip_chars().str.strip_chars_end(",").str.split(",")
    return items.list.eval(pl.element().str.strip_chars().cast(pl.Int64, strict=False))


def _blocks(frame: pl.DataFrame, out: pl.DataFrame, source: str, lines: pl.Series | None) -> pl.DataFrame:
    """``out`` with each region's BED12 blocks as absolute starts and sizes (list[int64] columns
    ``_BLOCK_STARTS``, ``_BLOCK_SIZES``), each region's blocks checked as the BED format asks:
    blockCount sizes and starts, the first at 0, in order without overlap, the last ending at end."""
    columns = _block_columns(frame, source)
    if columns is None:
        raise InputFormatError(
            "split needs BED12 blocks (columns 10-12: blockCount, blockSizes, blockStarts); "
            f"the regions have {frame.width} column(s): {', '.join(frame.columns)}",
            path=source,
        )
    count_col, sizes_col, starts_col = columns
    parsed = pl.DataFrame(
        {
            "count": frame.get_column(count_col).cast(pl.Utf8).str.strip_chars().cast(pl.Int64, strict=False),
            "sizes": frame.select(_int_lists(sizes_col)).to_series(),
            "starts": frame.select(_int_lists(starts_col)).to_series(),
            "length": out.get_column("end") - out.get_column("start"),
            "start": out.get_column("start"),
        }
    )
    sizes, starts = pl.col("sizes"), pl.col("starts")

    def refuse(mask: pl.Expr, problem: str) -> None:
        bad = parsed.select(mask.fill_null(True)).to_series().arg_true()
        if bad.len():
            i = int(bad[0])
            row = frame.row(i, named=True)
            values = (
                f"blockCount {row[count_col]}, blockSizes {row[sizes_col]}, blockStarts {row[starts_col]}"
            )
            raise InputFormatError(
                f"{problem} ({values})", path=source, record=_where(i, out.row(i, named=True), lines)
            )

    refuse(pl.col("count").is_null() | (pl.col("count") < 1), "blockCount must be a positive integer")

    def below(items: pl.Expr, low: int) -> pl.Expr:  # any item not an integer, or under low
        return items.list.eval(pl.element().is_null() | (pl.element() < low)).list.any()

    refuse(below(sizes, 1), "blockSizes must be positive integers")
    refuse(below(starts, 0), "blockStarts must be integers >= 0")
    refuse(
        (sizes.list.len() != pl.col("count")) | (starts.list.len() != pl.col("count")),
        "blockCount must equal the number of blockSizes and of blockStarts",
    )
    refuse(starts.list.first() != 0, "the first block must start at the region's start (blockStarts 0,...)")
    ends = starts + sizes  # region-relative: each block's end
    gaps = starts.list.slice(1) - ends.list.slice(0, pl.col("count") - 1)
    refuse(gaps.list.min().fill_null(0) < 0, "blocks must be in order and must not overlap")
    refuse(ends.list.last() != pl.col("length"), "the last block must end at the region's end")
    absolute = parsed.select((starts + pl.col("start")).alias(_BLOCK_STARTS), sizes.alias(_BLOCK_SIZES))
    return out.with_columns(absolute)


def check_regions(
    reference: Reference, regions: pl.DataFrame, *, source: str = "regions", lines: pl.Series | None = None
) -> None:
    """Refuse, before anything is scored, a region whose contig the reference lacks or that leaves it.

    Parameters
    ----------
    reference
        The open reference.
    regions
        chrom, start, end (0-based, half-open).
    source
        How to name the regions (the BED file).
    lines
        Int64 ``(n,)``: each region's line of ``source``, for the errors (``None``: they name the
        region's number among the regions).

    Raises
    ------
    UnknownContigError
        A contig the reference does not have (under any of its harmonised names), naming the
        reference, the region and its number.
    InputFormatError
        A region that ends past its contig's end (wrong assembly?).
    """
    if regions.height == 0:
        return
    lengths: dict[str, int] = {}
    chroms = regions.get_column("chrom")
    for contig in chroms.unique(maintain_order=True).to_list():  # one lookup a contig, not a region
        try:
            lengths[contig] = reference.length(contig)
        except UnknownContigError:
            i = int((chroms == contig).arg_true()[0])
            names = reference.contigs
            shown = ", ".join(names[:10]) + (f", ... ({len(names)} in all)" if len(names) > 10 else "")
            raise UnknownContigError(
                f"contig {contig!r} is not in the reference {reference.path}, not even as chr-prefixed or"
                f" MT/chrM alias (its contigs: {shown})",
                path=source,
                record=_where(i, regions.row(i, named=True), lines),
            ) from None
    length = chroms.replace_strict(lengths, return_dtype=pl.Int64)
    past = (regions.get_column("end") > length).arg_true()
    if past.len():
        i = int(past[0])
        row = regions.row(i, named=True)
        raise InputFormatError(
            f"the region ends past its contig, {row['chrom']} of {reference.path}, which has"
            f" {lengths[row['chrom']]} bases (0-based half-open BED coordinates; another assembly?)",
            path=source,
            record=_where(i, row, lines),
        )


def window_starts_for(regions: pl.DataFrame, input_length: int) -> pl.Series:
    """int64 ``(n,)``: the start of each region's centred window of ``input_length`` (module docstring)."""
    half = (pl.col("end") - pl.col("start")) // 2
    plus = pl.col("start") + half - input_length // 2
    minus = pl.col("end") - half + input_length // 2 - input_length
    return regions.select(pl.when(pl.col("strand") == "-").then(minus).otherwise(plus)).to_series()


#: more distinct numbers than this in a label column is a score to threshold, not classes
MAX_NUMERIC_CLASSES = 20


def _labels(
    column: pl.Series, name: str, regions: pl.DataFrame, source: str, lines: pl.Series | None
) -> pl.Series:
    """``column`` as text labels: whole numbers written as integers; a missing label (null, ``.``,
    empty) or a many-valued numeric column (a score, not classes) refused, naming the region."""
    text = column.cast(pl.Utf8)
    missing = (text.is_null() | text.str.strip_chars().is_in([".", ""])).arg_true()
    if missing.len():
        i = int(missing[0])
        raise InputFormatError(
            f"no label in column {name!r} ({missing.len()} region(s) lack one): every region to train on"
            " needs a label",
            path=source,
            record=_where(i, regions.row(i, named=True), lines),
        )
    numbers = text.cast(pl.Float64, strict=False)
    if numbers.is_not_null().all():
        distinct = numbers.n_unique()
        if distinct > MAX_NUMERIC_CLASSES:
            raise InputFormatError(
                f"column {name!r} holds {distinct} distinct numbers: a score, not class labels; threshold"
                " it into classes first (with awk, say)",
                path=source,
            )
        if (numbers == numbers.round()).all():  # 1.0 from a BED score column -> 1, as tables write it
            return numbers.cast(pl.Int64).cast(pl.Utf8)
    return text


def iter_region_sequences(
    reference: Reference,
    regions: pl.DataFrame,
    *,
    input_length: int,
    centered: bool,
    source: str = "regions",
    lines: pl.Series | None = None,
    chunk_regions: int = _CHUNK_REGIONS,
    chunk_bases: int = _CHUNK_BASES,
    split: bool = False,
) -> Iterator[tuple[pl.DataFrame, list[str]]]:
    """The bases to score for each region, in chunks of rows (see the module docstring).

    Parameters
    ----------
    reference
        The open reference.
    regions
        chrom, start, end, name, strand (as :func:`_regions_frame` makes them).
    input_length
        The model's input length (the window of ``centered``).
    centered
        Score ``input_length`` bases centred on each region's midpoint instead of the region.
    source
        How to name the regions in errors (the BED file).
    lines
        Int64 ``(n,)``: each region's line of ``source``, for the errors (``None``: the region's
        number among the regions).
    split
        Join the bases of each region's BED12 blocks (``regions`` made by :func:`_regions_frame`
        with ``split``), as ``bedtools getfasta -split`` does: ``length`` is the blocks' total.
        Not with ``centered``.

    Yields
    ------
    rows, sequences : polars.DataFrame, list[str]
        A chunk of ``regions`` (with ``window_start``, ``window_end`` when ``centered``, else
        ``length``) and the sequence of each row, reverse-complemented for ``-`` strand rows.

    Raises
    ------
    InputFormatError
        A contig the reference lacks, or a region that leaves its contig (:func:`check_regions`,
        for every region before the first is read), or a letter that is not a DNA/IUPAC code;
        named by the region's line (or number) and coordinates in ``source``.
    """
    if split and centered:
        raise ConfigError("split and centered do not go together: a centred window has no blocks")
    check_regions(reference, regions, source=source, lines=lines)
    start = 0
    while start < regions.height:
        chunk = regions.slice(start, chunk_regions)
        if centered:
            w_start = window_starts_for(chunk, input_length)
            chunk = chunk.with_columns(
                w_start.alias("window_start"), (w_start + input_length).alias("window_end")
            )
            spans = chunk.select("window_start", "window_end").rows()
        elif split:
            blocks = list(zip(chunk.get_column(_BLOCK_STARTS), chunk.get_column(_BLOCK_SIZES), strict=True))
            chunk = chunk.with_columns(pl.col(_BLOCK_SIZES).list.sum().alias("length"))
            spans = chunk.select("start", "end").rows()
        else:
            chunk = chunk.with_columns((pl.col("end") - pl.col("start")).alias("length"))
            spans = chunk.select("start", "end").rows()
        seqs: list[str] = []
        bases = 0
        for i, (contig, strand, (lo, hi)) in enumerate(
            zip(chunk.get_column("chrom"), chunk.get_column("strand"), spans, strict=True)
        ):
            if split:  # each block as the strand reads it: a - strand region's last block comes first
                parts = [
                    reference.fetch(contig, b, b + z, strand=strand) for b, z in zip(*blocks[i], strict=True)
                ]
                seqs.append("".join(reversed(parts) if strand == "-" else parts))
            else:
                seqs.append(reference.fetch(contig, lo, hi, pad=centered, strand=strand))
            bases += hi - lo
            if bases >= chunk_bases and i + 1 < chunk.height:  # a chunk's bases bound memory too
                chunk = chunk.slice(0, i + 1)
                break
        try:
            check_letters(seqs, names=[str(i) for i in range(len(seqs))])
        except InputFormatError as exc:  # named by the region, its strand and the bases read
            i = int(exc.record or 0)
            row = chunk.row(i, named=True)
            lo, hi = spans[i]
            what = "joined blocks of the bases" if split else "bases"
            how = "reverse-complemented" if row["strand"] == "-" else "as written"
            read = f"{what} {lo}-{hi} of {reference.path}, {how}"
            raise InputFormatError(
                f"{exc.problem} (counted in the {read})", path=source, record=_where(start + i, row, lines)
            ) from None
        start += chunk.height
        yield chunk.drop(_BLOCK_STARTS, _BLOCK_SIZES, strict=False), seqs


def predict_regions(
    predictor: Predictor,
    regions: str | os.PathLike[str] | pl.DataFrame,
    reference: str | os.PathLike[str],
    *,
    centered: bool = False,
    strand: str | None = None,
    batch_size: int | None = None,
    split: bool = False,
) -> pl.DataFrame:
    """Class probabilities of BED regions of a reference FASTA, one row per region.

    Parameters
    ----------
    predictor
        A sequence model's predictor.
    regions
        A BED file (plain or gzip, 3 or more columns; ``-``: standard input), or a polars DataFrame with ``chrom``,
        ``start``, ``end`` (0-based, half-open) and optionally ``name`` and ``strand``.
    reference
        Reference FASTA (plain or bgzip; indexed on first use, as :class:`genoseq.io.Reference` does).
    centered
        Score the model's input length centred on each region's midpoint instead of the region
        itself (see the module docstring).
    strand
        ``"both"``, ``"forward"`` or ``None`` (the model's default), as :meth:`Predictor.predict`;
        relative to each region's own strand.
    batch_size
        Windows per forward pass.
    split
        Score the joined bases of each region's BED12 blocks (exons, say; columns 10-12, or
        columns named ``blockCount``, ``blockSizes``, ``blockStarts``), as ``bedtools getfasta
        -split`` reads them, instead of everything from start to end. Not with ``centered``.

    Returns
    -------
    polars.DataFrame
        Columns ``chrom``, ``start``, ``end``, ``name`` (the BED name; ``chrom:start-end`` where
        there is none), ``strand`` (``.`` where none), then ``length`` (bases scored) or, when
        ``centered``, ``window_start`` and ``window_end``; then one float32 ``p_<class>`` column
        per output. An empty region, not centered, has null probabilities.

    Raises
    ------
    InputFormatError
        A bad BED line, a contig the reference lacks (:class:`~genoseq.errors.UnknownContigError`),
        a region past its contig's end or a letter that is not a DNA/IUPAC code.
    ConfigError
        A variant-risk model (it scores variants, not sequences).
    """
    frames = list(_iter_scored(predictor, regions, reference, centered, strand, batch_size, split=split))
    if not frames:
        return pl.DataFrame(schema=region_columns(predictor, centered=centered))
    return pl.concat(frames)


def _iter_scored(
    predictor: Predictor,
    regions: str | os.PathLike[str] | pl.DataFrame,
    reference: str | os.PathLike[str],
    centered: bool,
    strand: str | None,
    batch_size: int | None,
    empty: list[Any] | None = None,
    split: bool = False,
) -> Iterator[pl.DataFrame]:
    """Scored chunks of :func:`predict_regions`; ``empty``: [count, first name] of empty regions."""
    predictor.require_sequence_model()
    require_no_features(predictor, "BED regions")
    _refuse_split_window(split, centered, "centered")
    frame, source, lines = _regions_frame(regions, split=split)
    strand = predictor.resolve_strand(strand)  # a bad value fails before the reference is read
    with _open_reference(reference) as ref:
        for rows, seqs in iter_region_sequences(
            ref,
            frame,
            input_length=predictor.input_length,
            centered=centered,
            source=source,
            lines=lines,
            split=split,
        ):
            if empty is not None:
                blank = [name for name, seq in zip(rows.get_column("name"), seqs, strict=True) if not seq]
                if blank:
                    empty[0] += len(blank)
                    empty[1] = empty[1] or blank[0]
            yield rows.with_columns(
                probability_columns(predictor, seqs, strand=strand, batch_size=batch_size)
            )


def predict_regions_file(
    predictor: Predictor,
    regions: str | os.PathLike[str],
    reference: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    centered: bool = False,
    strand: str | None = None,
    batch_size: int | None = None,
    split: bool = False,
) -> int:
    """:func:`predict_regions` of a BED file, written to ``output_path`` (.parquet, .tsv, .csv; ``-``: TSV out).

    The BED file is read and checked whole; then chunks of regions are read from the reference,
    scored and appended one at a time (memory grows with the number of regions, tens of bytes
    each, not with their bases); nothing appears at ``output_path`` until the last region is
    scored.

    Returns
    -------
    int
        Number of regions written.
    """
    empty: list[Any] = [0, None]
    n = 0
    chunks = _iter_scored(predictor, regions, reference, centered, strand, batch_size, empty, split)
    with contextlib.closing(chunks), TableWriter(output_path) as writer:
        for scored in chunks:
            writer.write(scored)
            n += scored.height
        if n == 0:  # an empty BED file still gives a table with the columns
            writer.write(pl.DataFrame(schema=region_columns(predictor, centered=centered)))
    if empty[0]:
        log.warning(
            "%s: %d empty region(s) (first: %s) have no bases to score: their probabilities are null"
            " (--centered scores the window around them)",
            regions,
            empty[0],
            empty[1],
        )
    log.info("scored %d regions from %s", n - empty[0], regions)
    return n


def _refuse_split_window(split: bool, windowed: bool, option: str) -> None:
    """ConfigError for ``split`` with a centred window, which takes reference bases, not blocks."""
    if split and windowed:
        raise ConfigError(
            f"split and {option} do not go together: a centred window takes the reference around a"
            " region, not its blocks"
        )


def _extracted(
    regions: str | os.PathLike[str] | pl.DataFrame,
    reference: str | os.PathLike[str],
    window: int | None,
    label_column: str | None,
    split: bool = False,
) -> Iterator[pl.DataFrame]:
    """Chunks of :func:`extract_regions`."""
    if window is not None:
        window = require_int("window", window, 1)
    _refuse_split_window(split, window is not None, "window")
    frame, source, lines = _regions_frame(regions, keep=label_column, split=split)
    if label_column == "name":  # the names are the labels now: each row keeps its coordinates as its name
        frame = frame.with_columns(_COORDINATES.alias("name"))
    if window is None:
        empty = (frame.get_column("end") == frame.get_column("start")).sum()
        if empty:
            log.warning(
                "%s: %d empty region(s) give empty sequences (training refuses them): --window N takes"
                " N bases around each region",
                source,
                empty,
            )
    padded, first = 0, ""
    longer: set[str] = set()  # contigs shorter than the window
    with _open_reference(reference) as ref:
        for rows, seqs in iter_region_sequences(
            ref,
            frame,
            input_length=window or 1,
            centered=window is not None,
            source=source,
            lines=lines,
            split=split,
        ):
            if window is not None:  # windows that run off a contig's end: N there, said once at the end
                length = rows.get_column("chrom").replace_strict(
                    {c: ref.length(c) for c in rows.get_column("chrom").unique().to_list()},
                    return_dtype=pl.Int64,
                )
                off = (rows.get_column("window_start") < 0) | (rows.get_column("window_end") > length)
                if off.any():
                    padded += int(off.sum())
                    first = first or rows.filter(off).get_column("name")[0]
                    longer.update(rows.filter(length < window).get_column("chrom").unique().to_list())
            yield rows.with_columns(pl.Series("sequence", seqs, dtype=pl.Utf8)).select(
                [c for c in rows.columns if c != "label"] + ["sequence"] + (["label"] if label_column else [])
            )
    if padded:
        short = sorted(longer)
        log.warning(
            "%s: %d window(s) of %d bases run off a contig's end (first: %s) and are padded there with N%s",
            source,
            padded,
            window,
            first,
            f"; --window {window} is longer than contig(s) {', '.join(short[:5])}" if short else "",
        )


def extract_regions(
    regions: str | os.PathLike[str] | pl.DataFrame,
    reference: str | os.PathLike[str],
    *,
    window: int | None = None,
    label_column: str | None = None,
    split: bool = False,
) -> pl.DataFrame:
    """The bases of BED regions of a reference as a sequence table (``genoseq extract``).

    The table ``genoseq train`` / ``evaluate`` / ``predict`` read (a ``sequence`` column, a
    ``label`` column, a ``name`` column; the coordinates ride along and are ignored there).

    Parameters
    ----------
    regions
        A BED file (plain or gzip; ``-``: standard input), or a polars DataFrame with ``chrom``,
        ``start``, ``end`` and optionally ``name``, ``strand`` and the label column.
    reference
        Reference FASTA (plain or bgzip).
    window
        Take ``window`` bases centred on each region (as ``genoseq predict --centered`` does with
        the model's input length; ``N`` off a contig's end), so that regions of any length give
        sequences of one length; ``None``: each region's own bases.
    label_column
        The BED column holding each region's label (``name``, ``score``, a column a header line
        names, or ``col7``, ``col8`` ...), written as ``label`` (whole numbers as integers); ``None``:
        no labels. A region without one (``.``, empty) is an error, and so is a numeric column of
        more than :data:`MAX_NUMERIC_CLASSES` distinct values (a score to threshold, not classes).
        With ``"name"``, each row's ``name`` becomes its ``chrom:start-end`` (BED coordinates).
    split
        Join the bases of each region's BED12 blocks, as :func:`predict_regions` with ``split``
        (``length`` is then the blocks' total). Not with ``window``.

    Returns
    -------
    polars.DataFrame
        ``chrom``, ``start``, ``end``, ``name``, ``strand``, then ``length`` or (``window``)
        ``window_start``, ``window_end``, then ``sequence`` (reverse-complemented for ``-``
        regions, case as in the reference) and ``label`` (text; a 0/1 ``score`` column as integers).

    Raises
    ------
    InputFormatError
        As :func:`predict_regions`, and a ``label_column`` the regions lack.
    ConfigError
        A ``window`` that is not a positive integer.
    """
    frames = list(_extracted(regions, reference, window, label_column, split))
    return pl.concat(frames) if frames else pl.DataFrame(schema=_extract_schema(window, label_column))


def _extract_schema(window: int | None, label_column: str | None) -> dict[str, Any]:
    """The columns of :func:`extract_regions` (for an empty BED file)."""
    schema = {"chrom": pl.Utf8, "start": pl.Int64, "end": pl.Int64, "name": pl.Utf8, "strand": pl.Utf8}
    schema |= {"window_start": pl.Int64, "window_end": pl.Int64} if window else {"length": pl.Int64}
    return schema | {"sequence": pl.Utf8} | ({"label": pl.Utf8} if label_column else {})


def extract_regions_file(
    regions: str | os.PathLike[str],
    reference: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    window: int | None = None,
    label_column: str | None = None,
    split: bool = False,
) -> int:
    """:func:`extract_regions` written to ``output_path`` (.parquet/.tsv/.csv; ``-``: TSV out), atomically.

    Returns
    -------
    int
        Number of regions written.
    """
    n = 0
    chunks = _extracted(regions, reference, window, label_column, split)
    with contextlib.closing(chunks), TableWriter(output_path) as writer:
        for chunk in chunks:
            writer.write(chunk)
            n += chunk.height
        if n == 0:  # an empty BED file still gives a table with the columns
            writer.write(pl.DataFrame(schema=_extract_schema(window, label_column)))
    log.info("extracted %d regions from %s", n, regions)
    return n
