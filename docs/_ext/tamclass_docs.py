"""Local Sphinx extension: pages generated at build time from the repository's own files.

* ``_generated/signature_library.md``: the signature library as tables (one per category), built from
  ``signatures/manifest.tsv`` (the file ``tc.signatures.available()`` reads), with each set's citation,
  DOI and PubMed links. Included by ``signatures.md``.
* ``tutorial.ipynb``: a copy of ``notebooks/tutorial.ipynb`` (Sphinx reads sources only below
  ``docs/``); rendered with its stored outputs (``nb_execution_mode = "off"``).

Both are written only when their content changed, so incremental builds stay incremental.
"""

from __future__ import annotations

import csv
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
MANIFEST = ROOT / "signatures" / "manifest.tsv"
NOTEBOOK = ROOT / "notebooks" / "tutorial.ipynb"

#: category -> (heading, one-line meaning); order of the page. From signatures/README.md.
CATEGORIES = {
    "identity": ("Identity", "macrophage, monocyte and dendritic-cell identity (used by the gate)"),
    "negative_lineage": ("Negative lineages", "genes of other lineages, to rule cells out in the gate"),
    "polarization": ("Polarization", "M1/M2-type activation programmes"),
    "tam_subset": ("TAM subsets", "the seven TAM subsets of Ma et al. 2022"),
    "tam_axis": ("TAM axes", "C1QC vs SPP1 TAMs, lipid-associated macrophages, CXCL9:SPP1 polarity"),
    "ihc": ("IHC markers", "genes of the immunohistochemistry markers used in prognosis studies"),
    "other": ("Other", "further published macrophage programmes"),
}


def _write_if_changed(path: Path, data: bytes) -> None:
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _cell(text: str) -> str:
    """A Markdown table cell: no pipes or newlines."""
    return " ".join(str(text).replace("|", "\\|").split())


def _links(row: dict) -> str:
    parts = []
    if row.get("doi"):
        parts.append(f"[doi:{row['doi']}](https://doi.org/{row['doi']})")
    if row.get("pmid"):
        parts.append(f"[PMID {row['pmid']}](https://pubmed.ncbi.nlm.nih.gov/{row['pmid']}/)")
    return " ".join(parts)


def signature_tables(manifest: Path = MANIFEST) -> str:
    """The library page body: per category, one table of the human sets (mouse counts alongside)."""
    with open(manifest, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    mouse = {r["name"]: r for r in rows if r["species"] == "mouse"}
    human = [r for r in rows if r["species"] == "human"]
    mouse_only = sorted(set(mouse) - {r["name"] for r in human})
    if mouse_only:  # the tables list human rows; a mouse-only set would silently be left out
        raise ValueError(f"manifest.tsv has mouse-only sets the docs table does not show: {mouse_only}")
    unknown = sorted({r["category"] for r in human} - set(CATEGORIES))
    if unknown:
        raise ValueError(f"manifest.tsv has categories the docs do not know: {unknown}; add them to CATEGORIES")
    out = [
        f"{len(human)} sets (human; {len(mouse)} with a mouse version), generated from "
        "`signatures/manifest.tsv` when these pages were built. Genes: "
        "`tc.signatures.show(NAME)`; grades: A = the authors' own files, B = a third-party transcription, "
        "D = derived (see `signatures/library.json`).",
        "",
    ]
    for cat, (title, meaning) in CATEGORIES.items():
        sets = [r for r in human if r["category"] == cat]
        if not sets:
            continue
        out += [
            f"## {title}",
            "",
            f"`{cat}`: {meaning}.",
            "",
            "| set | genes (up / down) | mouse | grade | default | description | citation |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in sets:
            m = mouse.get(r["name"])
            genes = r["n_up"] if r["n_down"] in ("", "0") else f"{r['n_up']} / {r['n_down']}"
            out.append(
                "| "
                + " | ".join(
                    [
                        f"`{r['name']}`",
                        genes,
                        m["n_genes"] if m else "-",
                        r["grade"] or "-",
                        "yes" if r["in_default"] == "yes" else "",
                        _cell(r["description"]),
                        _cell(r["citation"]) + (" " + _links(r) if _links(r) else ""),
                    ]
                )
                + " |"
            )
        out.append("")
    return "\n".join(out)


def _generate(app) -> None:
    _write_if_changed(DOCS / "_generated" / "signature_library.md", signature_tables().encode("utf-8"))
    _write_if_changed(DOCS / "tutorial.ipynb", NOTEBOOK.read_bytes())


def _public_namespace_ref(app, env, node, contnode):
    """Resolve a short reference written inside a private module to the public namespace that re-exports it.

    E.g. ``:func:`cox``` in ``tamclass.prognosis._survival`` resolves to ``tamclass.prognosis.cox``, where the API
    pages document it. Anything else stays unresolved, and the nitpicky build fails.
    """
    module = node.get("py:module") or ""
    parts = module.split(".")
    if node.get("refdomain") != "py" or not module.startswith("tamclass.") or not parts[-1].startswith("_"):
        return None
    public = ".".join(p for p in parts if not p.startswith("_"))
    target = node["reftarget"].lstrip("~.")
    if "." in target:
        return None
    domain = env.get_domain("py")
    retry = node.deepcopy()
    retry["py:module"] = public
    retry["reftarget"] = f"{public}.{target}"
    return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], f"{public}.{target}", retry, contnode)


def setup(app):
    """Register the extension: generate the library table and tutorial copy, resolve public-namespace references."""
    app.connect("builder-inited", _generate)
    app.connect("missing-reference", _public_namespace_ref)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
