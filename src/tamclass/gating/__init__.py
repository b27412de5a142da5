"""The lineage gate's model and rules: which cells are macrophages, monocytes, dendritic cells or other.

Pure numpy / pandas / scikit-learn, no AnnData: :mod:`tamclass.tl._gate` reads the data, scores the
panels and writes the results; everything that decides lives here.

* :mod:`._panels` -- the gating model, a data file of marker panels (``data/human_tme.tsv``), after
  scGate's hierarchical positive / negative models (Andreatta et al. 2022, Bioinformatics 38:2642;
  carmonalab/scGate_models master tables: generic @09515d4, HiTME @1f650e5, TME_HiRes @12b3299; the
  generic CAF.SMC.pericyte model @2f3fe70).
* :mod:`._smooth` -- the PCA embedding and UCell-style kNN smoothing.
* :mod:`._rules` -- the decision rule and the cluster majority vote.
"""
