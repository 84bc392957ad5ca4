"""``genoseq prepare``, ``split-vcf``, ``gather-scores`` and ``report``: the workflow's helper steps.

Thin shells over :mod:`genoseq.workflow_tools`; the Snakemake rules call them, and they work on their
own as well.
"""

from __future__ import annotations

from pathlib import Path

import click

from genoseq.cli._paths import InputFile, OutputDir, OutputFile
from genoseq.errors import ConfigError

_file = InputFile()
_out_file = OutputFile()
_table_out = OutputFile(allow_dash=True)  # a table: `-` streams TSV to standard output


@click.command()
@click.option(
    "--reference", required=True, type=_file, help="Reference FASTA (its .fai is built if missing)."
)
@click.option(
    "--vcf",
    "vcfs",
    multiple=True,
    type=_file,
    help="A VCF/BCF to validate against the reference (repeat for several).",
)
@click.option(
    "--label-field",
    default=None,
    help="INFO field every VCF must declare as the variant label (as `genoseq train --label-field`).",
)
@click.option(
    "--info-features",
    default="",
    help="Comma-separated numeric INFO fields every VCF must declare (as `genoseq train --info-features`).",
)
@click.option(
    "--annotation",
    type=_file,
    default=None,
    help="Annotation BED that must have loci on the VCFs' contigs (as `genoseq train --annotation`).",
)
@click.option(
    "--require-sorted",
    is_flag=True,
    help="Refuse a VCF whose records are not sorted (an annotated, indexed VCF will be written from it).",
)
@click.option("-o", "--out", required=True, type=_out_file, help="Summary JSON to write.")
def prepare(
    reference: str,
    vcfs: tuple[str, ...],
    label_field: str | None,
    info_features: str,
    annotation: str | None,
    require_sorted: bool,
    out: str,
) -> None:
    """Index the reference and validate each VCF against it; write counts and contigs as JSON.

    Fails, naming the file and record, on an unknown contig, a position past a contig's end or a
    malformed record, so that a workflow stops before training or scoring anything; REF alleles
    that disagree with the reference are counted (scoring has --on-ref-mismatch for them). With
    --label-field / --info-features / --annotation it also checks what training (or scoring with a
    variant-risk model) will need: the INFO fields declared (the features numeric), the BED's loci
    on the VCFs' contigs.
    """
    from genoseq.workflow_tools import prepare_inputs, write_json

    fields = [f.strip() for f in info_features.split(",") if f.strip()]
    summary = prepare_inputs(
        reference,
        list(vcfs),
        label_field=label_field,
        info_fields=fields,
        annotation=annotation,
        require_sorted=require_sorted,
    )
    write_json(summary, out)
    counts = ", ".join(f"{v['path']}: {v['variants']}" for v in summary["vcfs"]) or "no VCFs"
    click.echo(f"reference {reference}: {len(summary['reference']['contigs'])} contig(s); {counts}", err=True)


@click.command("split-vcf")
@click.argument("vcf", type=_file)
@click.option(
    "--shards",
    required=True,
    type=click.IntRange(1, 100_000),
    help="Number of shards to write (at most 100,000).",
)
@click.option(
    "--out-dir",
    required=True,
    type=OutputDir(),
    help="Directory for shard_000.vcf, shard_001.vcf, …",
)
def split_vcf(vcf: str, shards: int, out_dir: str) -> None:
    """Split VCF into N plain-text VCF shards of contiguous records, each with the full header.

    Shard sizes differ by at most one record; a shard with no records is still a valid VCF.
    """
    from genoseq.io.vcf import count_vcf_records
    from genoseq.workflow_tools import shard_name
    from genoseq.workflow_tools import split_vcf as run

    count_vcf_records(vcf)  # genoseq's checked reader: a malformed record fails here, naming its line
    source = Path(vcf).resolve()
    for i in range(shards):
        if (Path(out_dir) / shard_name(i)).resolve() == source:
            raise ConfigError(
                f"{shard_name(i)} would overwrite the VCF being split; choose another --out-dir", path=vcf
            )
    paths = run(vcf, shards, out_dir)
    click.echo(f"{vcf} -> {len(paths)} shard(s) in {out_dir}", err=True)


@click.command("gather-scores")
@click.argument("tables", nargs=-1, required=True, type=_file)
@click.option(
    "-o",
    "--out",
    required=True,
    type=_table_out,
    help="Gathered table (.parquet/.tsv/.csv; `-`: TSV to standard output).",
)
@click.option(
    "--vcfs",
    "--vcf",
    "vcfs",
    multiple=True,
    type=_file,
    help="A scored VCF shard, in order (repeat for each shard); needs --vcf-out.",
)
@click.option("--vcf-out", type=_out_file, help="Gathered VCF (.vcf.gz), bgzipped and tabix-indexed.")
def gather_scores(tables: tuple[str, ...], out: str, vcfs: tuple[str, ...], vcf_out: str | None) -> None:
    """Concatenate score-table shards TABLES (in order) into one table, and VCF shards into one VCF."""
    from genoseq.workflow_tools import gather_scores as gather

    if bool(vcfs) != bool(vcf_out):
        raise click.UsageError("--vcfs and --vcf-out go together")
    if vcfs and len(vcfs) != len(tables):
        raise click.UsageError(
            f"{len(tables)} table shard(s) but {len(vcfs)} VCF shard(s): give each shard's table and "
            "VCF, in the same order"
        )
    # the table, the VCF and its index appear together or not at all
    rows, records = gather(list(tables), out, list(vcfs), vcf_out)
    msg = f"{len(tables)} table(s), {rows} row(s) -> {'standard output' if out == '-' else out}"
    if vcf_out:
        msg += f"; {len(vcfs)} VCF(s), {records} record(s) -> {vcf_out}"
    click.echo(msg, err=True)


@click.command()
@click.option("--metrics", multiple=True, type=_file, help="A metrics JSON to tabulate (repeatable).")
@click.option(
    "--plots",
    multiple=True,
    type=click.Path(exists=True),
    help="A PNG, or a directory of PNGs, to embed (repeatable).",
)
@click.option("--table", type=_file, help="Score table (.parquet/.tsv/.csv) whose top rows are listed.")
@click.option("--top", type=click.IntRange(0), default=20, show_default=True, help="Rows of --table to list.")
@click.option("--sort-by", default="risk", show_default=True, help="Column of --table to rank by.")
@click.option("--title", default="genoseq report", show_default=True)
@click.option("-o", "--out", required=True, type=_out_file, help="HTML file to write.")
def report(
    metrics: tuple[str, ...],
    plots: tuple[str, ...],
    table: str | None,
    top: int,
    sort_by: str,
    title: str,
    out: str,
) -> None:
    """Write a self-contained HTML report: metrics tables, plots and the top-risk variants.

    Images are embedded (base64), so the HTML file can be shared on its own.
    """
    from genoseq.workflow_tools import write_report

    write_report(out, metrics=metrics, plots=plots, table=table, top=top, sort_by=sort_by, title=title)
    click.echo(f"report -> {out}", err=True)
