"""Issue #13: ``tamclass.errors`` is the public home of every error and warning class tamclass raises."""

from __future__ import annotations

import inspect

import anndata as ad
import numpy as np
import pandas as pd
import pytest


def test_errors_module_reexports_every_class():
    import tamclass
    import tamclass._errors as private
    import tamclass.errors as errors

    classes = {n for n, o in vars(private).items() if inspect.isclass(o) and o.__module__ == private.__name__}
    assert set(errors.__all__) == classes
    for name in classes:
        assert getattr(errors, name) is getattr(private, name)
    assert tamclass.errors is errors and "errors" in dir(tamclass)
    assert tamclass.TamclassError is errors.TamclassError
    assert errors.__doc__


def test_tl_functions_warn_with_the_public_warning_class():
    import tamclass as tc
    from tamclass.errors import NotMacrophageWarning, TamclassWarning

    adata = ad.AnnData(
        X=np.ones((3, 2), dtype=np.float32),
        obs=pd.DataFrame({"sample": ["a", "a", "b"]}, index=["c1", "c2", "c3"]),
        var=pd.DataFrame(index=["G1", "G2"]),
    )
    with pytest.warns(TamclassWarning, match="summarize: skipped"):
        tc.tl.summarize(adata, "sample")
    adata.obs["tamclass_is_macrophage"] = False
    with pytest.warns(NotMacrophageWarning, match="no macrophages"):
        tc.tl.classify(adata, device="cpu")


def test_errors_are_catchable_from_the_public_module():
    import tamclass as tc
    from tamclass.errors import InputError

    with pytest.raises(InputError, match="expected an AnnData"):
        tc.tl.gate(np.zeros((2, 2)))
