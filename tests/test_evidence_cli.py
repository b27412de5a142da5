"""`tamclass score --cancer-type`: the report links only that cancer type's evidence, or says none exists."""

from __future__ import annotations

import shutil

import pytest

from tamclass.cli import main
from tamclass.datasets._demo import DEMO_PATH

pytestmark = pytest.mark.xdist_group("prognosis_evidence")


def test_score_cancer_type_reaches_the_report(tmp_path):
    src = tmp_path / "in.h5ad"
    shutil.copyfile(DEMO_PATH, src)
    rc = main(
        [
            "-q",
            "score",
            str(src),
            "-o",
            str(tmp_path / "out.h5ad"),
            "--sample-key",
            "sample",
            "--no-classify",
            "--report",
            str(tmp_path / "r.html"),
            "--cancer-type",
            "glioma",
        ]
    )
    assert rc == 0
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    sec = text[text.index('<section id="evidence">') :]
    sec = sec[: sec.index("</section>")]
    assert "no row for cancer type &#x27;glioma&#x27;" in sec
    assert "Cancer type: " not in sec  # nothing linked
