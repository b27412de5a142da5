"""Write any resolvable signatures to a GMT file (resolve, then :func:`~tamclass.signatures._gmt.gmt_text`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .._errors import SignatureError, TamclassIOError
from .._files import write_text_atomic
from ._gmt import _SIGNED, gmt_text
from ._resolve import resolve

if TYPE_CHECKING:
    import os

    from ._resolve import SignaturesLike

__all__ = ["write_gmt"]


def write_gmt(
    signatures: SignaturesLike, path: str | os.PathLike, *, species: str = "human", signed: str = "split"
) -> Path:
    """Write signatures to a GMT file that decoupler, GSEApy and MSigDB tools read back exactly.

    One line per set: ``name <TAB> description <TAB> gene <TAB> gene ...``. The description is a
    single token without whitespace (the signature's DOI or PubMed URL, else ``NA``), as in MSigDB's
    own files, because ``decoupler.pp.read_gmt`` splits lines on any whitespace and skips exactly one
    field before the genes. Set names and genes with whitespace are refused.

    Parameters
    ----------
    signatures
        Anything :func:`~tamclass.signatures.resolve` accepts (library names, dicts, Signature objects,
        a decoupler net).
    path
        Output file (replaced atomically if it exists).
    species
        Species used to resolve library names.
    signed
        How to write a set with down genes. ``"split"`` (default, MSigDB's convention, read by every
        GMT tool): two sets ``NAME_UP`` and ``NAME_DN``; :func:`read_gmt` with ``pair_up_dn=True`` joins
        them again. ``"suffix"``: one set with UCell's ``GENE+`` / ``GENE-`` (read back by tamclass and
        UCell; other tools would take ``GENE-`` for a gene name). Sets without down genes are the same
        either way.

    Returns
    -------
    The path written.

    Examples
    --------
    >>> import tamclass as tc
    >>> tc.signatures.write_gmt("default", "tamclass_default.gmt")  # doctest: +SKIP
    >>> net = decoupler.pp.read_gmt("tamclass_default.gmt")  # doctest: +SKIP
    """
    if signed not in _SIGNED:
        raise SignatureError(f"signed={signed!r}: use 'split' (NAME_UP / NAME_DN sets) or 'suffix' (GENE+ / GENE-)")
    text = gmt_text(resolve(signatures, species=species), signed)
    try:
        return write_text_atomic(text, os.fspath(path))
    except OSError as err:
        raise TamclassIOError(f"cannot write GMT file {os.fspath(path)!r}: {err}") from err
