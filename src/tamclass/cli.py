"""The ``tamclass`` command line: a thin shell over the Python API.

Every subcommand calls the public functions (``tc.tl.run`` = score -> gate -> classify -> summarize and its
result's tables, ``tc.tl.train``, ``tc.signatures.*``, ``tc.prognosis.meta_analysis``) and never re-implements
them: this module only parses arguments, checks and reads/writes files, prints and maps errors to exit codes.
Output files are written atomically (temporary file + rename), the input file is never modified, and output
paths are checked before any expensive work starts.

Exit codes: 0 success; 2 a usage or input error (one line on stderr, ``tamclass: error: ...``; add
``-v`` for the traceback); 1 an unexpected internal error; 130 interrupted (Ctrl-C; no partial output).

Examples
--------
.. code-block:: console

    $ tamclass demo                                  # the bundled demo data, prints a summary
    $ tamclass score in.h5ad -o out.h5ad --sample-key patient --table results/ --report report.html
    $ tamclass signatures list
    $ tamclass signatures export --names default -o tam.gmt
    $ tamclass meta studies.tsv --hr HR --lower LCI --upper UCI -o pooled.tsv --plot forest.png
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import warnings

from . import classifier, datasets, pl, prognosis, tl
from ._errors import InputError, TamclassError, TamclassIOError
from ._io import (
    atomic_path,
    check_input_path,
    check_output_dir,
    check_output_path,
    read_h5ad,
    write_h5ad_atomic,
    write_results_backed,
    write_table_atomic,
)

# lazy namespaces and light modules only: `tamclass --help` must not import pandas, torch or lifelines
from ._keys import DEFAULT_KEY
from ._settings import logger
from ._version import __version__
from .classifier._device import resolve_device

PROG = "tamclass"
EXIT_USER = 2
EXIT_INTERNAL = 1
EXIT_INTERRUPT = 130
EXIT_BROKEN_PIPE = 141


class _UsageError(Exception):
    """A command-line usage problem found after argparse (e.g. conflicting options)."""


# ---------------------------------------------------------------------------------------- helpers
def _echo(args, text: str = "") -> None:
    if not getattr(args, "quiet", 0):
        print(text, flush=True)


def _signature_args(values: list[str] | None):
    """``--signatures`` values -> what ``tc.signatures.resolve`` accepts (names, categories, GMT paths)."""
    if not values:
        return "default"
    items: list[str] = []
    for v in values:  # allow comma-separated lists too: --signatures a,b
        items.extend(x.strip() for x in str(v).split(",") if x.strip())
    return items[0] if len(items) == 1 else items


def _resolve_signatures(values, species: str):
    """Resolve names / categories / .gmt files to ``dict[name, Signature]`` (raises SignatureError early)."""
    from .signatures import resolve  # imported here: tamclass.signatures imports pandas (keeps --help fast)

    return resolve(_signature_args(values), species=species)


def _check_obs_key(adata, key: str | None, option: str) -> None:
    if key is not None and key not in adata.obs.columns:
        cols = ", ".join(map(str, list(adata.obs.columns)[:20])) or "none"
        raise InputError(f"{option} {key!r} is not a column of obs; available columns: {cols}")


def _check_device(device: str) -> None:
    """Fail fast on --device cuda without a GPU (before reading data), using the classifier's own check."""
    if device in (None, "auto", "cpu"):
        return
    resolve_device(device)


def _record_cli(adata, key: str, argv: list[str] | None) -> None:
    """Add the command line to the provenance (strings only: h5ad-safe)."""
    entry = adata.uns.get(key)
    if isinstance(entry, dict):
        argv = sys.argv[1:] if argv is None else argv
        entry["cli"] = {"command": " ".join([PROG, *map(str, argv)])[:2000]}


# ---------------------------------------------------------------------------------------- commands
def cmd_score(args) -> int:
    """``tamclass score``: read an .h5ad, run ``tc.tl.run``, write the .h5ad (+ tables, report)."""
    from .report import write_report  # pandas/matplotlib: not imported for `tamclass --help`

    src = check_input_path(args.input)
    out = check_output_path(args.output, inputs=[src])
    report = check_output_path(args.report, inputs=[src, out], what="report file") if args.report else None
    tabledir = check_output_dir(args.table) if args.table else None
    if report is not None and report.resolve() == out.resolve():
        raise _UsageError("--report and -o must be different files")
    # fail fast on bad signatures / model before reading a possibly large file; the spec itself (not the
    # resolved sets) goes to tc.tl.run so that sets implied by "default"/categories may be skipped there
    _resolve_signatures(args.signatures, args.species)
    model = classifier.Model.load(check_input_path(args.model, what="model file")) if args.model else None
    if model is not None or not args.no_classify:
        _check_device(args.device)

    adata = read_h5ad(src, backed=args.backed)
    try:
        _check_obs_key(adata, args.sample_key, "--sample-key")
        _check_obs_key(adata, args.groupby, "--groupby")
        result = tl.run(
            adata,
            _signature_args(args.signatures),
            method=args.method,
            layer=args.layer,
            use_raw=True if args.use_raw else None,
            gene_symbols=args.gene_symbols,
            species=args.species,
            groupby=args.groupby,
            sample_key=args.sample_key,
            model=model,
            classify=not args.no_classify,
            device=args.device,
            random_state=args.seed,
            key_added=args.key_added,
        )
        _record_cli(adata, args.key_added, getattr(args, "argv", None))
        if args.backed:
            write_results_backed(adata, src, out)
        else:
            write_h5ad_atomic(
                adata, out, inputs=[src], compression=None if args.compression == "none" else args.compression
            )
        written = [out]
        if tabledir is not None:
            written += result.write_tables(tabledir, inputs=[src])
        if report is not None:
            written.append(
                write_report(result, report, input_name=src.name, inputs=[src, out], cancer_type=args.cancer_type)
            )
        for line in result.summary_lines():
            _echo(args, line)
        _echo(args, "wrote: " + ", ".join(str(p) for p in written))
    finally:
        if args.backed and getattr(adata, "file", None) is not None:
            adata.file.close()
    return 0


def cmd_demo(args) -> int:
    """``tamclass demo``: ``tc.tl.run`` on the bundled demo data; prints a summary (+ writes .h5ad, report)."""
    from .report import write_report  # pandas/matplotlib: not imported for `tamclass --help`

    out = check_output_path(args.output) if args.output else None
    report = check_output_path(args.report, inputs=[out] if out else (), what="report file") if args.report else None
    _check_device(args.device)
    adata = datasets.demo()
    _echo(args, "tamclass demo: 559 myeloid-rich human immune cells bundled with tamclass")
    _echo(args, "  (CellTypist sample data, Dominguez Conde et al. 2022 Science, doi:10.1126/science.abl5197;")
    _echo(args, "   obs['sample'] is an illustrative 3-way split of the cells, not real samples)")
    _echo(args)
    # the demo is a first-contact command: collect the pipeline's notes instead of flooding the screen
    verbose = getattr(args, "verbose", 0) or 0
    level = logger.level
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if not verbose:
            logger.setLevel(logging.ERROR)
        try:
            result = tl.run(adata, sample_key="sample", device=args.device, random_state=args.seed)
        finally:
            logger.setLevel(level)
    notes = list(dict.fromkeys(" ".join(str(w.message).split()) for w in caught))
    if verbose:
        for text in notes:
            print(f"{PROG}: warning: {text}", file=sys.stderr)
    _record_cli(adata, result.key_added, getattr(args, "argv", None))
    for line in result.summary_lines():
        _echo(args, line)
    written = []
    if out is not None:
        written.append(write_h5ad_atomic(adata, out))
    if report is not None:
        # the report also summarises the scores per cluster (the run itself gates cell by cell)
        written.append(
            write_report(result, report, groupby="leiden", input_name="tamclass demo", inputs=[out] if out else ())
        )
    if notes and not verbose:  # never hide what limits the result: one line each, the full text with -v
        _echo(args, f"\n{len(notes)} warning(s):")
        for text in notes:
            _echo(args, f"  - {text}")
    if written:
        _echo(args, "wrote: " + ", ".join(str(p) for p in written))
    else:
        _echo(args, "\nnext: tamclass demo -o demo_scored.h5ad --report demo_report.html")
    return 0


def cmd_signatures(args) -> int:
    """``tamclass signatures list|show|export``: the curated signature library."""
    import pandas as pd

    from . import signatures  # imported here: tamclass.signatures imports pandas (keeps --help fast)

    action = args.action
    if action == "list":
        df = signatures.available(species=args.species, category=args.category)
        if args.category is not None and "category" in df.columns:
            df = df.loc[df["category"] == args.category]
        cols = [c for c in ("n_genes", "category", "species", "in_default", "grade", "citation") if c in df.columns]
        if args.tsv:
            sys.stdout.write(df.to_csv(sep="\t"))
        else:
            view = df[cols].copy()
            if "citation" in view.columns:
                view["citation"] = view["citation"].astype(str).str.slice(0, 60)
            with pd.option_context(
                "display.width", 200, "display.max_rows", None, "display.max_columns", None, "display.max_colwidth", 60
            ):
                print(view.to_string())
        return 0
    if action == "show":
        print(signatures.show(args.name, species=args.species))
        return 0
    if action == "export":
        sigs = _resolve_signatures(args.names, args.species)
        with atomic_path(args.output) as tmp:
            signatures.write_gmt(sigs, tmp, signed=args.signed)
        _echo(args, f"wrote {len(sigs)} signatures to {args.output}")
        return 0
    raise _UsageError(f"unknown signatures action {action!r}")  # pragma: no cover - argparse prevents it


def cmd_train(args) -> int:
    """``tamclass train``: ``tc.tl.train`` on labelled cells; writes the model file."""
    src = check_input_path(args.input)
    out = check_output_path(args.output, inputs=[src], what="model file")
    _check_device(args.device)
    adata = read_h5ad(src, backed=args.backed)
    try:
        _check_obs_key(adata, args.label_key, "--label-key")
        kwargs = {
            "layer": args.layer,
            "use_raw": True if args.use_raw else None,
            "gene_symbols": args.gene_symbols,
            "species": args.species,
            "device": args.device,
            "random_state": args.seed,
        }
        if args.genes:
            kwargs["genes"] = _read_gene_list(args.genes)
        if args.epochs is not None:
            kwargs["epochs"] = args.epochs
        if args.hidden is not None:
            kwargs["hidden"] = args.hidden
        model = tl.train(adata, args.label_key, **kwargs)
    finally:
        if args.backed and getattr(adata, "file", None) is not None:
            adata.file.close()
    model.save(out)  # Model.save writes atomically itself (temp file + rename)
    _echo(args, repr(model))
    _echo(args, f"wrote: {out}")
    return 0


def _read_gene_list(path) -> list[str]:
    p = check_input_path(path, what="gene list file")
    genes = [g.strip() for line in p.read_text().splitlines() for g in line.replace(",", "\t").split("\t")]
    genes = [g for g in genes if g and not g.startswith("#")]
    if not genes:
        raise InputError(f"gene list file {str(p)!r} is empty; give one gene symbol per line")
    return genes


def cmd_meta(args) -> int:
    """``tamclass meta``: ``tc.prognosis.meta_analysis`` of a study table; writes a TSV (+ forest plot)."""
    import pandas as pd

    src = check_input_path(args.input)
    out = check_output_path(args.output, inputs=[src])
    plot = check_output_path(args.plot, inputs=[src, out], what="plot file") if args.plot else None
    if args.hr is not None:
        if args.lower is None or args.upper is None or args.se is not None or args.effect is not None:
            raise _UsageError("--hr needs --lower and --upper (and cannot be combined with --effect/--se)")
    elif args.se is None:
        raise _UsageError("give either --effect COL --se COL (log hazard ratios) or --hr COL --lower COL --upper COL")
    sep = "," if src.suffix.lower() == ".csv" else "\t"
    try:
        data = pd.read_csv(src, sep=sep)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise TamclassIOError(
            f"cannot read {str(src)!r} as a {'CSV' if sep == ',' else 'TSV'} table: {' '.join(str(exc).split())[:200]}"
        ) from exc
    kwargs = {"method": args.method, "knapp_hartung": args.knapp_hartung}
    if args.study is not None:
        kwargs["study"] = args.study
    if args.subgroup is not None:
        kwargs["subgroup"] = args.subgroup
    kwargs["exp"] = True  # `tamclass meta` pools hazard ratios: report and plot them on the HR scale
    if args.hr is not None:
        result = prognosis.meta_analysis(data, effect=args.hr, ci=(args.lower, args.upper), **kwargs)
    else:
        result = prognosis.meta_analysis(data, effect=args.effect or "log_hr", se=args.se, **kwargs)
    table = result.to_table()
    write_table_atomic(table, out, inputs=[src], index=False)
    written = [out]
    if plot is not None:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt

        ax = pl.forest(result, show=False)
        fig = ax.figure if hasattr(ax, "figure") else plt.gcf()
        with atomic_path(plot, inputs=[src, out], what="plot file") as tmp:
            fig.savefig(tmp, format=(plot.suffix.lstrip(".").lower() or "png"), dpi=150, bbox_inches="tight")
        plt.close(fig)
        written.append(plot)
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.precision", 4):
        _echo(args, result.summary.to_string())
    _echo(args, "wrote: " + ", ".join(map(str, written)))
    return 0


# ------------------------------------------------------------------------------------------ parser
def _add_verbosity(p: argparse.ArgumentParser, *, top: bool) -> None:
    default = 0 if top else argparse.SUPPRESS
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default,
        help="more log output (-vv for debug); also shows tracebacks on errors",
    )
    g.add_argument("-q", "--quiet", action="count", default=default, help="only print errors")


def _add_device_seed(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--device",
        choices=["auto", "cpu", "cuda"],
        default="auto",
        help="compute device for the classifier (default: auto = CUDA when available)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0); same input + seed = same output")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand (also renders docs/cli.md)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Score, gate and classify tumour-associated macrophages in single-cell RNA-seq (.h5ad). "
        "Research use only.",
        epilog="Run 'tamclass demo' to try it on the bundled data. 'tamclass COMMAND -h' for help on a command.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _add_verbosity(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    # score
    p = sub.add_parser(
        "score",
        help="score signatures, gate macrophages, classify states (h5ad -> h5ad)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Score signatures, gate macrophages and classify their states; writes a new .h5ad (the input is\n"
        "never modified). Results: obsm['tamclass_scores'], obs['tamclass_celltype' | '_is_macrophage' |\n"
        "'_state' | '_state_confidence' | '_subset' | '_polarization'], obsm['tamclass_state_proba' |\n"
        "'_subset_proba'], uns['tamclass'] (provenance; 'samples' with --sample-key).",
        epilog="examples:\n"
        "  tamclass score tumour.h5ad -o tumour_tam.h5ad\n"
        "  tamclass score tumour.h5ad -o out.h5ad --sample-key patient --table results/ --report report.html\n"
        "  tamclass score tumour.h5ad -o out.h5ad --layer counts --signatures default my_sets.gmt\n"
        "  tamclass score atlas.h5ad -o atlas_tam.h5ad --backed        # X stays on disk\n"
        "  tamclass score query.h5ad -o out.h5ad --model my.tcmodel  # apply a model from 'tamclass train'",
    )
    _add_verbosity(p, top=False)
    p.add_argument("input", metavar="IN.h5ad", help="input AnnData file")
    p.add_argument("-o", "--output", metavar="OUT.h5ad", required=True, help="output .h5ad (written atomically)")
    p.add_argument(
        "--signatures",
        nargs="+",
        action="extend",
        metavar="NAME|FILE.gmt",
        default=None,
        help="library set names, categories (e.g. tam_subset), 'default', 'all', or .gmt files; "
        "several values, repeated options or comma-separated lists (default: default). "
        "Put IN.h5ad before this option",
    )
    p.add_argument(
        "--method",
        choices=["rank", "module", "aucell", "mean"],
        default="rank",
        help="scoring method: rank (UCell, default), module (scanpy score_genes), aucell, mean (z-score)",
    )
    p.add_argument("--layer", default=None, help="use this layer instead of X")
    p.add_argument("--use-raw", action="store_true", help="use adata.raw")
    p.add_argument("--gene-symbols", metavar="COL", default=None, help="var column holding gene symbols")
    p.add_argument(
        "--species",
        choices=["human", "mouse"],
        default="human",
        help="species of the data's gene symbols (default: human); mouse scores the library's mouse "
        "sets (human genes mapped by the shipped human-mouse ortholog table)",
    )
    p.add_argument(
        "--sample-key",
        metavar="COL",
        default=None,
        help="obs column with sample/patient IDs: adds the per-sample summary",
    )
    p.add_argument(
        "--groupby",
        metavar="COL",
        default=None,
        help="obs column of clusters (e.g. leiden): the gate gives every cell of a cluster the cluster's "
        "majority cell type when that call holds at least half of its cells (CellTypist-style "
        "majority voting, see tc.tl.gate); the report also summarises scores per cluster",
    )
    p.add_argument(
        "--model",
        metavar="MODEL",
        default=None,
        help="apply a saved tamclass model (from 'tamclass train', e.g. my.tcmodel)",
    )
    p.add_argument("--no-classify", action="store_true", help="stop after scoring and gating")
    p.add_argument(
        "--table",
        metavar="DIR",
        default=None,
        help="also write TSV tables to DIR: cells.tsv, samples.tsv (with --sample-key), signatures.tsv",
    )
    p.add_argument("--report", metavar="OUT.html", default=None, help="also write a self-contained HTML report")
    p.add_argument(
        "--cancer-type",
        metavar="TYPE",
        default=None,
        help="link only the literature evidence of this cancer type in the report (e.g. breast, "
        "'hepatocellular carcinoma', liver, ovarian, kidney); the report says when none exists. "
        "Default: every cancer type, grouped and labelled",
    )
    p.add_argument(
        "--backed",
        action="store_true",
        help="open the input backed (X stays on disk; for files larger than memory). The output is a "
        "copy of the input file with the results added, so it needs as much free disk as the input",
    )
    p.add_argument(
        "--key-added", default=DEFAULT_KEY, help=f"prefix of the obs/obsm/uns keys written (default: {DEFAULT_KEY})"
    )
    p.add_argument(
        "--compression",
        choices=["gzip", "lzf", "none"],
        default="gzip",
        help="compression of the output .h5ad (default: gzip; 'none' writes large files fastest). "
        "With --backed the input file's own storage is kept",
    )
    _add_device_seed(p)
    p.set_defaults(func=cmd_score)

    # signatures
    p = sub.add_parser(
        "signatures",
        help="list, show or export the curated signature library",
        description="The curated, cited signature library.",
    )
    _add_verbosity(p, top=False)
    ssub = p.add_subparsers(dest="action", metavar="ACTION")
    ssub.required = True
    q = ssub.add_parser("list", help="list the signature sets")
    _add_verbosity(q, top=False)
    q.add_argument(
        "--species",
        choices=["human", "mouse"],
        default=None,
        help="only the sets available for this species (default: every set; the species column lists both)",
    )
    q.add_argument("--category", default=None, help="only this category (identity, polarization, tam_subset, ...)")
    q.add_argument("--tsv", action="store_true", help="print all columns as TSV")
    q = ssub.add_parser("show", help="show one signature (genes, citation)")
    _add_verbosity(q, top=False)
    q.add_argument("name")
    q.add_argument(
        "--species",
        choices=["human", "mouse"],
        default="human",
        help="show the human (default) or the mouse version of the set",
    )
    q = ssub.add_parser("export", help="export signatures as a GMT file")
    _add_verbosity(q, top=False)
    q.add_argument(
        "--names",
        nargs="+",
        default=None,
        metavar="NAME",
        help="set names / categories / 'default' / 'all' (default: default)",
    )
    q.add_argument(
        "--species",
        choices=["human", "mouse"],
        default="human",
        help="export the human (default) or the mouse versions of the sets",
    )
    q.add_argument(
        "--signed",
        choices=["split", "suffix"],
        default="split",
        help="sets with down genes: 'split' (default; NAME_UP / NAME_DN sets, MSigDB's convention, read by every GMT "
        "tool) or 'suffix' (one set with UCell's GENE+ / GENE-, read back by tamclass and UCell)",
    )
    q.add_argument("-o", "--output", metavar="FILE.gmt", required=True)
    p.set_defaults(func=cmd_signatures)

    # train
    p = sub.add_parser(
        "train",
        help="train a classifier on labelled reference cells",
        description="Train a tamclass model on labelled cells and save it (no pickle).",
    )
    _add_verbosity(p, top=False)
    p.add_argument("input", metavar="IN.h5ad")
    p.add_argument("--label-key", required=True, metavar="COL", help="obs column with the labels")
    p.add_argument(
        "-o",
        "--output",
        metavar="MODEL",
        required=True,
        help="model file to write (a zip of JSON + safetensors, no pickle; e.g. my.tcmodel)",
    )
    p.add_argument("--genes", metavar="FILE", default=None, help="gene panel, one symbol per line (default: automatic)")
    p.add_argument("--layer", default=None)
    p.add_argument("--use-raw", action="store_true")
    p.add_argument("--gene-symbols", metavar="COL", default=None)
    p.add_argument(
        "--species",
        choices=["human", "mouse"],
        default="human",
        help="species of the data's gene symbols (default: human); picks the library's gene panel",
    )
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--hidden", type=int, default=None)
    p.add_argument("--backed", action="store_true", help="open the input backed")
    _add_device_seed(p)
    p.set_defaults(func=cmd_train)

    # meta
    p = sub.add_parser(
        "meta",
        help="random-effects meta-analysis of per-study hazard ratios (TSV -> TSV)",
        description="Pool per-study effects (log HR + SE, or HR + 95% CI). Research use only.",
    )
    _add_verbosity(p, top=False)
    p.add_argument("input", metavar="IN.tsv", help="one row per study (TSV; .csv read as CSV)")
    p.add_argument("--effect", metavar="COL", default=None, help="column of log hazard ratios (with --se)")
    p.add_argument("--se", metavar="COL", default=None, help="column of standard errors of the log HR")
    p.add_argument("--hr", metavar="COL", default=None, help="column of hazard ratios (with --lower/--upper)")
    p.add_argument("--lower", metavar="COL", default=None, help="column of lower 95%% CI of the HR")
    p.add_argument("--upper", metavar="COL", default=None, help="column of upper 95%% CI of the HR")
    p.add_argument("--study", metavar="COL", default=None, help="column of study labels")
    p.add_argument("--subgroup", metavar="COL", default=None, help="pool within subgroups and test differences")
    p.add_argument(
        "--method",
        choices=["FE", "DL", "REML", "PM"],
        default="DL",
        type=str.upper,
        help="pooling method (default: DL)",
    )
    p.add_argument("--knapp-hartung", action="store_true", help="Knapp-Hartung adjustment (t with k-1 df)")
    p.add_argument("-o", "--output", metavar="OUT.tsv", required=True)
    p.add_argument("--plot", metavar="OUT.png", default=None, help="forest plot")
    p.set_defaults(func=cmd_meta)

    # demo
    p = sub.add_parser(
        "demo",
        help="run the whole pipeline on the bundled demo data",
        description="Score, gate, classify and summarise the bundled demo data (559 real cells) and "
        "print a summary. A quick check that the installation works.",
    )
    _add_verbosity(p, top=False)
    p.add_argument("-o", "--output", metavar="OUT.h5ad", default=None, help="also write the scored AnnData")
    p.add_argument("--report", metavar="OUT.html", default=None, help="also write the HTML report")
    _add_device_seed(p)
    p.set_defaults(func=cmd_demo)
    return parser


# --------------------------------------------------------------------------------------------- main
def _configure_logging(verbose: int, quiet: int) -> None:
    if quiet:
        logger.setLevel(logging.ERROR)
    elif verbose >= 2:
        logger.setLevel(logging.DEBUG)
    elif verbose == 1:
        logger.setLevel(logging.INFO)
    else:
        logger.setLevel(logging.WARNING)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, KeyError) and text.startswith("'") and text.endswith("'"):
        text = text[1:-1]
    return text or type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``tamclass`` console script. Returns (and exits with) the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    verbose = getattr(args, "verbose", 0) or 0
    quiet = getattr(args, "quiet", 0) or 0
    _configure_logging(verbose, quiet)

    def _showwarning(message, category, filename, lineno, file=None, line=None):
        if quiet:
            return
        where = f" ({category.__name__})" if verbose else ""
        print(f"{PROG}: warning: {' '.join(str(message).split())}{where}", file=sys.stderr)

    old_showwarning = warnings.showwarning
    warnings.showwarning = _showwarning
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; no output was written (or it was left as it was)", file=sys.stderr)
        return EXIT_INTERRUPT
    except BrokenPipeError:  # e.g. `tamclass signatures list | head`
        import os

        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (TamclassError, _UsageError) as exc:
        if verbose:
            import traceback

            traceback.print_exc()
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USER
    except MemoryError:
        if verbose:
            import traceback

            traceback.print_exc()
        print(f"{PROG}: error: out of memory; try --backed (score) or a machine with more memory", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
        if verbose:
            import traceback

            traceback.print_exc()
        print(
            f"{PROG}: internal error: {type(exc).__name__}: {_one_line(exc)[:300]} "
            f"(re-run with -v for the traceback, and please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        warnings.showwarning = old_showwarning


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
