"""Prognosis benchmark: gene-level breast cohorts -> tc.tl.score -> Cox per SD; pooling; timings vs peers.

Run from the repository root (needs ../shared/data, never copied into the repo)::

    MPLBACKEND=Agg python benchmarks/cohorts_prognosis.py [--out benchmarks/results_prognosis_raw.md]

Data (all real, public):
* SCAN-B GSE96058 subset (400 tumours x 10,000 genes, log2(FPKM+0.1); OS) -- Brueffer C et al. 2018
  JCO Precis Oncol (GSE96058), carried by the R package cosinet (LGPL-3).
* GSE4335 (Sorlie et al., Stanford cDNA arrays; 115 tumours, OS in months), carried by SurvSet 0.2.11.
* Ali HR et al. 2016 PLoS Med 13:e1002194 CIBERSORT fractions + survival (10,988 tumours, 56 datasets).

Scoring choice for bulk log-expression: ``method="mean"`` (per-gene z-score across tumours, averaged
over the signature's genes, down-genes subtracted). It needs no non-negative values (log2(FPKM+0.1)
and centred array log-ratios are negative), and it is a within-cohort relative score, which is
what a per-SD hazard ratio needs. ``"rank"`` (UCell) ranks genes *within* one sample; in bulk data
that ranking is dominated by gene abundance and it refuses negative values.

Timings are ratios measured in this one process (noisy shared machine): tamclass vs the peer
doing the same computation (lifelines directly; statsmodels ``combine_effects``).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
from _shared import SHARED_DATA

import tamclass as tc

ROOT = SHARED_DATA
FEATURES = [
    "IHC_CD163",
    "IHC_CD68",
    "IHC_CD206_MRC1",
    "IHC_CD204_MSR1",
    "IHC_CD169_SIGLEC1",
    "Macrophage_identity",
    "Cheng2021_M2",
    "Cheng2021_M1",
    "Bagaev2021_TAM",
    "LM22_M2",
    "Ma2022_LA_TAM",
    "Ma2022_IFN_TAM",
    "Ma2022_Angio_TAM",
    "TAM4_mean_z",
]
# Allison 2023 (Oncol Ther 11:27, doi:10.1007/s40487-022-00214-3): TAM-high OS HR 1.69 (1.37-2.07),
# CD163+ OS 2.24 (1.71-2.92), CD68+ OS 1.5 (1.12-2): all > 1 (worse survival with more TAMs).
EXPECTED_DIRECTION = {"IHC_CD163": ">1", "IHC_CD68": ">1", "Macrophage_identity": ">1", "TAM4_mean_z": ">1"}


def scanb() -> ad.AnnData:
    x = pd.read_csv(ROOT / "survival/scanb_gse96058_400_log2fpkm.csv.gz", index_col=0)
    clin = pd.read_csv(ROOT / "survival/scanb_gse96058_400_clinical.csv", index_col=0).set_index("title")
    obs = clin.loc[x.index].rename(columns={"overall_survival_days": "time", "overall_survival_event": "event"})
    obs["time"] = obs["time"] / 365.25  # years
    return ad.AnnData(x.to_numpy(np.float32), obs=obs, var=pd.DataFrame(index=x.columns.astype(str)))


def gse4335() -> ad.AnnData:
    g = pd.read_csv(ROOT / "survival/survset_gse4335_breast_os.csv.gz", low_memory=False)
    genes = [c for c in g.columns if c.startswith("num_HS_")]
    obs = g[[c for c in g.columns if c not in genes]].set_index("pid")
    obs.index = obs.index.astype(str)
    obs["time"] = obs["time"] / 12.0  # months -> years
    var = pd.DataFrame(index=pd.Index([c[len("num_HS_") :] for c in genes]))
    var = var[~var.index.duplicated()]
    keep = [f"num_HS_{s}" for s in var.index]
    obs = obs.astype({c: str for c in obs.columns if obs[c].dtype == object})
    return ad.AnnData(g[keep].to_numpy(np.float32), obs=obs, var=var)


def cohort_cox(adata: ad.AnnData, name: str) -> pd.DataFrame:
    """Score the library (method='mean'), summarise per tumour, Cox per SD for each TAM feature."""
    sigs = [f for f in FEATURES if f != "TAM4_mean_z"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc.tl.score(adata, sigs, method="mean")
        tc.tl.score(adata, {"TAM4_mean_z": ["CD68", "CD163", "MRC1", "MSR1"]}, method="mean", key_added="tam4")
        adata.obsm["tamclass_scores"]["TAM4_mean_z"] = adata.obsm["tam4_scores"]["TAM4_mean_z"]
        table = tc.tl.summarize(adata, None)
    feats = [f"score_{f}" for f in FEATURES if f"score_{f}" in table.columns]
    res = tc.prognosis.cox(table, "time", "event", feats).summary
    res.index = [i[len("score_") :] for i in res.index]
    used = adata.uns["tamclass"]["score"]["signatures"]
    res.insert(0, "cohort", name)
    res["genes_used"] = [(_n_used(used, f) if f != "TAM4_mean_z" else 4) for f in res.index]
    res["allison2023_direction"] = [EXPECTED_DIRECTION.get(f, "") for f in res.index]
    res["agrees"] = [
        ("yes" if (r.hr > 1) == (EXPECTED_DIRECTION[f] == ">1") else "no") if f in EXPECTED_DIRECTION else ""
        for f, r in res.iterrows()
    ]
    return res


def _n_used(used, f):
    try:
        entry = used[f]
        for k in ("n_used", "n_genes_used", "genes_used"):
            if k in entry:
                v = entry[k]
                return int(v) if np.isscalar(v) else len(v)
    except (KeyError, TypeError):
        pass
    return -1


def md(df: pd.DataFrame, index: bool = True) -> str:
    """Markdown table without the optional `tabulate` dependency."""
    d = df.reset_index() if index else df
    head = "| " + " | ".join(map(str, d.columns)) + " |"
    sep = "|" + "|".join("---" for _ in d.columns) + "|"
    body = ["| " + " | ".join(map(str, r)) + " |" for r in d.itertuples(index=False)]
    return "\n".join([head, sep, *body])


def timing_ratio(fn_ours, fn_peer, repeat=5):
    t = []
    for fn in (fn_ours, fn_peer):
        best = np.inf
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        t.append(best)
    return t[0], t[1], t[0] / t[1]


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=None, help="write the markdown tables here")
    args = ap.parse_args(argv)
    lines = ["# Prognosis benchmark (generated by benchmarks/cohorts_prognosis.py)", ""]

    # 1. gene-level cohorts ---------------------------------------------------------------------
    tabs = []
    for name, loader in (("SCAN-B GSE96058 (n=400)", scanb), ("GSE4335 Sorlie (n=115)", gse4335)):
        a = loader()
        r = cohort_cox(a, name)
        tabs.append(r)
        print(f"\n{name}: {a.n_obs} tumours, {int(a.obs['event'].sum())} OS events")
    res = pd.concat(tabs)
    cols = [
        "cohort",
        "genes_used",
        "n",
        "events",
        "hr",
        "ci_lower",
        "ci_upper",
        "p",
        "ph_p",
        "allison2023_direction",
        "agrees",
    ]
    fmt = res[cols].copy()
    for c in ("hr", "ci_lower", "ci_upper"):
        fmt[c] = fmt[c].map(lambda v: f"{v:.2f}")
    fmt["p"] = fmt["p"].map(lambda v: f"{v:.2g}")
    fmt["ph_p"] = fmt["ph_p"].map(lambda v: f"{v:.2g}")
    lines += ["## Cox per SD of the signature score (univariable, OS)", "", md(fmt.rename_axis("feature")), ""]
    print(fmt.to_string())

    # 2. Ali 2016 pooling and timing vs peers ----------------------------------------------------
    ali = pd.read_csv(ROOT / "survival/ali2016_cibersort_survival_10988.tsv", sep="\t")
    ali = ali[ali["surv"].notna() & ali["events"].notna() & (ali["surv"] > 0)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pooled = {}
        for feat in ("macrophagesm2", "macrophagesm0", "macrophagesm1"):
            for method in ("DL", "REML"):
                pr = tc.prognosis.pool_cohorts(ali, "surv", "events", feat, cohort_key="dataset", method=method)
                pooled[(feat, method)] = pr
    prow = [
        {
            "feature": f,
            "method": m,
            "k": p.k,
            "HR": f"{p.hr:.3f}",
            "95% CI": f"{p.hr_ci[0]:.3f}-{p.hr_ci[1]:.3f}",
            "tau2": f"{p.tau2:.5f}",
            "I2 %": f"{p.I2:.1f}",
            "Q_p": f"{p.Q_p:.3g}",
        }
        for (f, m), p in pooled.items()
    ]
    lines += [
        "## Ali 2016 CIBERSORT fractions, per-SD HR per dataset (>= 20 events) pooled",
        "",
        md(pd.DataFrame(prow), index=False),
        "",
    ]
    print(pd.DataFrame(prow).to_string(index=False))

    from lifelines import CoxPHFitter
    from statsmodels.stats.meta_analysis import combine_effects

    fx = pd.read_csv(ROOT / "meta_analysis/tam_m2_ali2016_29cohorts.tsv", sep="\t")
    y, s = fx.log_hr.to_numpy(), fx.se.to_numpy()

    def peer_meta():
        combine_effects(y, s**2, method_re="dl")

    def ours_meta():
        tc.prognosis.meta_analysis(effect=y, se=s, method="DL")

    tab = pd.DataFrame({"m2": ali.macrophagesm2.to_numpy(), "t": ali.surv.to_numpy(), "e": ali.events.to_numpy()})

    def peer_cox():
        d = tab.copy()
        d["m2"] = (d.m2 - d.m2.mean()) / d.m2.std(ddof=1)
        CoxPHFitter().fit(d, "t", "e")

    def ours_cox():
        tc.prognosis.cox(tab, "t", "e", "m2")

    def peer_pool():
        out = []
        for _, g in ali.groupby("dataset"):
            if g.events.sum() < 20:
                continue
            d = g[["macrophagesm2", "surv", "events"]].copy()
            d["macrophagesm2"] = (d.macrophagesm2 - d.macrophagesm2.mean()) / d.macrophagesm2.std(ddof=1)
            c = CoxPHFitter().fit(d, "surv", "events")
            out.append((c.params_.iloc[0], c.standard_errors_.iloc[0]))
        o = np.array(out)
        combine_effects(o[:, 0], o[:, 1] ** 2, method_re="dl")

    def ours_pool():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tc.prognosis.pool_cohorts(ali, "surv", "events", "macrophagesm2", cohort_key="dataset")

    trows = []
    for label, a_, b_, rep in (
        ("meta_analysis DL, k=29 vs statsmodels combine_effects", ours_meta, peer_meta, 50),
        ("cox, n=7,598 (incl. PH test) vs lifelines CoxPHFitter alone", ours_cox, peer_cox, 3),
        ("pool_cohorts Ali M2 (32 datasets) vs lifelines loop + statsmodels", ours_pool, peer_pool, 2),
    ):
        to, tp, ratio = timing_ratio(a_, b_, repeat=rep)
        trows.append({"task": label, "tamclass s": f"{to:.4f}", "peer s": f"{tp:.4f}", "ratio": f"{ratio:.2f}"})
    lines += ["## Timing (best of repeats, one process)", "", md(pd.DataFrame(trows), index=False), ""]
    print(pd.DataFrame(trows).to_string(index=False))
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")
    return res


if __name__ == "__main__":
    main()
