"""Tools: compute on an AnnData and write results into it (scanpy's ``tl`` convention).

=============  ==========================================================  =====================
function       what it writes                                              module
=============  ==========================================================  =====================
``score``      ``obsm['{key}_scores']``, ``uns[key]['score']``             ``_score.py``
``gate``       ``obs['{key}_celltype']``, ``obs['{key}_is_macrophage']``   ``_gate.py``
``classify``   ``obs['{key}_state' | '_subset' | '_polarization' ...]``     ``_classify.py``
``train``      returns a :class:`tamclass.Model`                           ``_train.py``
``summarize``  ``uns[key]['samples']`` (and returns it)                    ``_summarize.py``
=============  ==========================================================  =====================

Each front door resolves its inputs, computes through named helpers and writes. Shared by all of them:
``_common.py`` (AnnData resolution, the copy/backed refusal, no-clobber and value checks, warnings kept for
``uns``, provenance storage), ``_panel_scores.py`` (rank scores that leave the caller's AnnData untouched),
``_training.py`` (capping, fitting and assembling a :class:`tamclass.Model`); key names and the label
vocabulary are in :mod:`tamclass._keys`, the classifier's training defaults in
:mod:`tamclass.classifier._config`.
"""

from .._lazy import lazy_namespace

_EXPORTS = {
    "score": "._score",
    "gate": "._gate",
    "classify": "._classify",
    "train": "._train",
    "summarize": "._summarize",
    "run": "._run",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS)
