"""Data-only package: the curated tamclass signature library (installed as ``tamclass.library``)."""
