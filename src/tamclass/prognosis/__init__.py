"""Prognostic summaries: literature evidence, Cox / Kaplan-Meier, random-effects meta-analysis.

Research use only: nothing here predicts an individual patient's risk.
"""

from .._lazy import lazy_namespace

_EXPORTS = {
    "evidence": "._evidence",
    "cox": "._survival",
    "km": "._survival",
    "meta_analysis": "._meta",
    "pool_cohorts": "._pool",
    "link": "._evidence",
    "reviews": "._evidence",
    "cancer_types": "._evidence",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS)
