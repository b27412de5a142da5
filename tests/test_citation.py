"""CITATION.cff must be valid against the CFF 1.2.0 schema (checked with cffconvert, as GitHub does)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tamclass

ROOT = Path(__file__).resolve().parents[1]


def test_citation_cff_is_valid():
    pytest.importorskip("cffconvert", reason="cffconvert is in the [test] extra")
    exe = shutil.which("cffconvert") or str(Path(sys.executable).with_name("cffconvert"))
    result = subprocess.run([exe, "--validate", "-i", str(ROOT / "CITATION.cff")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_citation_version_matches_package():
    text = (ROOT / "CITATION.cff").read_text()
    assert f"\nversion: {tamclass.__version__}\n" in text
