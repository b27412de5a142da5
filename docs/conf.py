"""Sphinx configuration of the tamclass documentation.

Build (warnings are errors, broken cross-references fail):
    python -m pip install -c constraints.txt -e ".[docs]"
    python -m sphinx -W --keep-going -n -b html docs docs/_build/html

Nothing is downloaded: no intersphinx (a CI machine may have no network); references to other
packages' objects are listed in ``nitpick_ignore_regex`` below, references to tamclass's must resolve.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import tamclass  # noqa: E402

project = "tamclass"
author = "The tamclass developers"
copyright = "The tamclass developers (MIT licence)"
release = tamclass.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_nb",  # Markdown pages and the tutorial notebook (with its stored outputs)
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",  # numpydoc-style docstrings
    "sphinx.ext.viewcode",
    "sphinxarg.ext",  # the CLI reference, generated from tamclass.cli.build_parser
    "tamclass_docs",  # writes the signature-library table and copies the tutorial (docs/_ext)
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
master_doc = "index"
exclude_patterns = ["_build", "_generated", "**.ipynb_checkpoints"]
templates_path = ["_templates"]

# the tutorial is rendered with the outputs stored in notebooks/tutorial.ipynb (CI executes it separately)
nb_execution_mode = "off"
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autosummary_generate = True
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"show-inheritance": False}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_param = True
napoleon_use_ivar = True  # Attributes as fields, not directives that clash with autodoc's members
napoleon_custom_sections = [("Writes", "params_style")]

nitpicky = True
# Objects of other packages: without intersphinx these cannot resolve; tamclass's own must.
nitpick_ignore_regex = [
    (
        r"py:.*",
        r"(anndata|AnnData|mudata|MuData|pandas|pd|numpy|np|scipy|sp|matplotlib|torch|lifelines|scanpy|sc|dask"
        r"|decoupler|dc|logging|os|pathlib|collections|typing|numba)(\..*)?",
    ),
    (
        r"py:.*",
        r"(DataFrame|Series|Axes|Figure|ndarray|Path|PathLike|Sequence|Mapping|Iterable|Callable|Literal"
        r"|ArrayLike|spmatrix|csr_matrix|Generator|dtype)",
    ),
    # private modules named in docstrings as pointers for developers (not part of the public API)
    (r"py:mod", r"tamclass(\.\w+)*\._\w+"),
    # internal matrix wrapper named in tc.pp.detect_normalization's docstring (not a user-facing object)
    (r"py:class", r"(tamclass\._data\.)?MatrixSource"),
    # the type alias of everything `signatures=` accepts; tamclass.signatures.resolve documents the forms
    (r"py:class", r"SignaturesLike"),
]

html_theme = "sphinx_book_theme"
html_title = f"tamclass {release}"
html_theme_options = {
    "repository_url": "https://github.com/tamclass/tamclass",
    "use_repository_button": True,
    "navigation_with_keys": False,
}
html_show_sourcelink = False
