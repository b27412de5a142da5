"""Fast checks of the Galaxy wrapper (galaxy/tamclass/) that need no Galaxy.

The real tool tests (the XML ``<tests>`` run by a pip-installed Galaxy) are in ``scripts/galaxy_ci.sh``.
Here: XML well-formed, tokens consistent with ``tamclass.__version__``, every CLI option a wrapper uses
exists in ``tamclass <subcommand> --help``, select values are accepted by the CLI / library, test-data
is small, used and reproducible, and ``planemo lint`` passes when planemo is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
WRAPPER = REPO / "galaxy" / "tamclass"
TEST_DATA = WRAPPER / "test-data"
TOOLS = sorted(WRAPPER.glob("tamclass_*.xml"))
TOOL_IDS = [t.stem for t in TOOLS]
MAX_TEST_DATA = 1_000_000  # IUC: test data under 1 MB


def _tokens() -> dict[str, str]:
    root = ET.parse(WRAPPER / "macros.xml").getroot()
    return {t.get("name"): (t.text or "").strip() for t in root.findall("token")}


def _command(tool: Path) -> str:
    return ET.parse(tool).getroot().find("command").text or ""


def _run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run(
        [sys.executable, "-c", "import sys; from tamclass.cli import main; sys.exit(main())", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=cwd,
    )


@cache
def _help(*sub: str) -> str:
    pytest.importorskip("tamclass.cli", reason="the tamclass CLI (src/tamclass/cli.py) is not importable")
    res = _run_cli(*sub, "--help")
    assert res.returncode == 0, f"tamclass {' '.join(sub)} --help failed: {res.stderr}"
    return res.stdout


def _subcommands(tool: Path) -> list[tuple[str, ...]]:
    """The tamclass subcommands a tool's <command> calls, e.g. [('score',)] or [('signatures', 'export'), ...]."""
    cmd = _command(tool)
    subs = []
    for m in re.finditer(r"\btamclass\s+([a-z]+)(?:\s+([a-z]+))?", cmd):
        first, second = m.group(1), m.group(2)
        subs.append((first, second) if first == "signatures" and second else (first,))
    return subs


def _cli_options(tool: Path) -> set[str]:
    """Options the wrapper passes: literal --flags in <command> plus argument= / truevalue / falsevalue of params."""
    cmd = _command(tool)
    # drop shell/env lines (export FOO=..., mkdir ...) and quoted values
    body = "\n".join(
        line for line in cmd.splitlines() if not line.strip().startswith(("export ", "mkdir ", "ln ", "@"))
    )
    body = re.sub(r"'[^']*'", "''", body)
    opts = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])", body))
    root = ET.parse(tool).getroot()
    for p in root.iter("param"):
        for attr in ("argument", "truevalue", "falsevalue"):
            v = p.get(attr) or ""
            if v.startswith("-"):
                opts.add(v)
    return opts


def _choices(help_text: str, option: str) -> set[str] | None:
    m = re.search(re.escape(option) + r"\s+\{([^}]*)\}", help_text)
    return set(m.group(1).split(",")) if m else None


# ----------------------------------------------------------------------------- structure


def test_wrapper_files_present():
    assert (WRAPPER / "macros.xml").is_file()
    assert (WRAPPER / ".shed.yml").is_file()
    assert {"tamclass_score", "tamclass_signatures", "tamclass_meta", "tamclass_train"} <= set(TOOL_IDS)


@pytest.mark.parametrize("path", [WRAPPER / "macros.xml", *TOOLS], ids=lambda p: p.name)
def test_xml_well_formed(path):
    ET.parse(path)  # raises ParseError if not


def test_macros_tokens_match_package_version():
    import tamclass

    tok = _tokens()
    assert tok["@TOOL_VERSION@"] == tamclass.__version__, (
        "galaxy/tamclass/macros.xml @TOOL_VERSION@ must equal tamclass.__version__; "
        "bump it and reset @VERSION_SUFFIX@ to 0"
    )
    assert re.fullmatch(r"\d+", tok["@VERSION_SUFFIX@"])
    assert re.fullmatch(r"\d{2}\.\d", tok["@PROFILE@"])
    # PEP 440 local version as IUC requires: <upstream>+galaxy<suffix>
    from packaging.version import Version

    Version(f"{tok['@TOOL_VERSION@']}+galaxy{tok['@VERSION_SUFFIX@']}")


def test_single_requirement_named_tamclass():
    root = ET.parse(WRAPPER / "macros.xml").getroot()
    reqs = root.findall(".//requirement")
    assert len(reqs) == 1, "one <requirement> only, so that BioContainers builds a container automatically"
    assert reqs[0].get("type") == "package" and reqs[0].text == "tamclass"
    assert reqs[0].get("version") == "@TOOL_VERSION@"


@pytest.mark.parametrize("tool", TOOLS, ids=TOOL_IDS)
def test_tool_header_and_tests(tool):
    root = ET.parse(tool).getroot()
    assert root.get("id") == tool.stem and re.fullmatch(r"tamclass_[a-z0-9_]+", root.get("id"))
    assert root.get("version") == "@TOOL_VERSION@+galaxy@VERSION_SUFFIX@"
    assert root.get("profile") == "@PROFILE@"
    macros = [e.get("macro") for e in root.findall("expand")]
    for needed in ("requirements", "version_command", "stdio", "citations"):
        assert needed in macros, f"{tool.name} does not expand the {needed!r} macro"
    tests = root.find("tests").findall("test")
    assert len(tests) >= 2
    assert any(t.get("expect_failure") == "true" for t in tests) or tool.stem == "tamclass_signatures"
    for t in tests:
        if t.get("expect_failure") != "true":
            assert t.get("expect_num_outputs"), f"{tool.name}: set expect_num_outputs on every test"
    # every data/text value single-quoted in the command (IUC rule), CDATA body present
    assert "'$adata'" in _command(tool) or "adata" not in _command(tool)


# ----------------------------------------------------------------------------- test-data


def _referenced_test_data() -> set[str]:
    used = set()
    for tool in TOOLS:
        for p in ET.parse(tool).getroot().iter("param"):
            v = p.get("value") or ""
            if p.get("ftype") or (TEST_DATA / v).is_file():
                used.add(v)
    return used


def test_test_data_small_and_used():
    files = {p.name for p in TEST_DATA.iterdir() if p.is_file()}
    for name in files:
        size = (TEST_DATA / name).stat().st_size
        assert size < MAX_TEST_DATA, f"test-data/{name} is {size} bytes (IUC limit: 1 MB)"
    used = _referenced_test_data()
    assert used <= files, f"tests reference missing test-data: {sorted(used - files)}"
    assert files <= used, f"unused test-data files: {sorted(files - used)}"


def test_test_h5ad_sniffs_as_anndata():
    """Galaxy's Anndata sniffer needs top-level X, obs and var; obs columns are what the tests select."""
    h5py = pytest.importorskip("h5py")
    with h5py.File(TEST_DATA / "tam_small.h5ad", "r") as f:
        assert {"X", "obs", "var"} <= set(f.keys())
        assert "sample" in f["obs"]
    import anndata as ad

    a = ad.read_h5ad(TEST_DATA / "tam_small.h5ad")
    assert 50 <= a.n_obs <= 600 and a.n_vars >= 500
    assert a.obs["sample"].nunique() >= 2
    x = a.X.toarray() if hasattr(a.X, "toarray") else a.X
    assert (x >= 0).all() and x.max() < 15, "X should be log1p(CP10k)"


def test_test_data_reproducible(tmp_path):
    """scripts/make_galaxy_test_data.py rebuilds the committed files: text files byte-identical; the h5ad has
    the same cells and values, and holds every library gene the rebuilt one holds (otherwise the library
    gained genes: re-run the script, or the score tool's Galaxy tests miss them)."""
    import anndata as ad
    import numpy as np

    res = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_galaxy_test_data.py"), "--out-dir", str(tmp_path), "--no-model"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    for name in ("studies.tsv",):
        assert (tmp_path / name).read_bytes() == (TEST_DATA / name).read_bytes(), name
    new, old = ad.read_h5ad(tmp_path / "tam_small.h5ad"), ad.read_h5ad(TEST_DATA / "tam_small.h5ad")
    assert list(new.obs_names) == list(old.obs_names)
    assert new.obs.equals(old.obs)
    missing = sorted(set(new.var_names) - set(old.var_names))
    assert not missing, f"re-run scripts/make_galaxy_test_data.py: the committed tam_small.h5ad lacks {missing}"
    common = [g for g in new.var_names if g in set(old.var_names)]
    np.testing.assert_array_equal(new[:, common].X.toarray(), old[:, common].X.toarray())


def test_studies_tsv_consistent():
    """The generated meta-analysis input: HR = exp(log_hr) and the CI is exp(log_hr -/+ 1.96 se) (hand check)."""
    import numpy as np
    import pandas as pd

    df = pd.read_csv(TEST_DATA / "studies.tsv", sep="\t")
    assert list(df.columns) == ["study", "hr", "lower", "upper", "log_hr", "se"]
    np.testing.assert_allclose(df["hr"], np.exp(df["log_hr"]), atol=1e-4)
    np.testing.assert_allclose(df["lower"], np.exp(df["log_hr"] - 1.959964 * df["se"]), atol=2e-4)
    np.testing.assert_allclose(df["upper"], np.exp(df["log_hr"] + 1.959964 * df["se"]), atol=2e-4)


def test_meta_expected_value_hand_computed():
    """The pooled HR the meta tool's Galaxy test asserts (has_text "1.4511"), computed by hand with numpy:
    SE from the 95% CI, Cochran's Q < k - 1 so DerSimonian-Laird's tau^2 truncates to 0 and the pooled
    log HR is the inverse-variance weighted mean."""
    import numpy as np
    import pandas as pd

    df = pd.read_csv(TEST_DATA / "studies.tsv", sep="\t")
    y = np.log(df["hr"].to_numpy())
    se = (np.log(df["upper"]) - np.log(df["lower"])).to_numpy() / (2 * 1.959963984540054)
    w = 1 / se**2
    mu = (w * y).sum() / w.sum()
    q = (w * (y - mu) ** 2).sum()
    assert q < len(y) - 1  # tau^2_DL = max(0, (Q - df) / c) = 0
    expected = f"{np.exp(mu):.4f}"
    root = ET.parse(WRAPPER / "tamclass_meta.xml").getroot()
    first = root.find("tests").findall("test")[0]
    asserted = [a.get("text") for a in first.iter("has_text")]
    assert expected in asserted, (expected, asserted)


# ----------------------------------------------------------------------------- wrapper <-> CLI


@pytest.mark.parametrize("tool", TOOLS, ids=TOOL_IDS)
def test_command_uses_only_existing_cli_options(tool):
    subs = _subcommands(tool)
    assert subs, f"{tool.name} does not call the tamclass CLI"
    helps = "\n".join(_help(*s) for s in subs)
    known = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])", helps))
    missing = sorted(_cli_options(tool) - known)
    assert not missing, (
        f"{tool.name} passes options that `tamclass {' / '.join(map(' '.join, subs))} --help` lacks: {missing}"
    )


@pytest.mark.parametrize("tool", TOOLS, ids=TOOL_IDS)
def test_select_values_are_cli_choices(tool):
    """A select bound to an option with argparse choices only offers values the CLI accepts."""
    subs = _subcommands(tool)
    helps = "\n".join(_help(*s) for s in subs)
    checked = 0
    for p in ET.parse(tool).getroot().iter("param"):
        if p.get("type") != "select" or not p.get("argument") or not p.findall("option"):
            continue
        choices = _choices(helps, p.get("argument"))
        if choices is None:
            continue
        values = {o.get("value") for o in p.findall("option")}
        assert values <= choices, (
            f"{tool.name} {p.get('argument')}: {sorted(values - choices)} not in CLI choices {sorted(choices)}"
        )
        checked += 1
    if tool.stem == "tamclass_score":
        assert checked >= 2  # --method and --species


@pytest.mark.parametrize("tool", ["tamclass_score", "tamclass_signatures"])
def test_library_select_values_resolve(tool):
    """Every set / category name offered in the wrapper is known to the signature library."""
    import tamclass as tc

    if not hasattr(tc.signatures, "load"):
        pytest.skip("tc.signatures.load is not available yet")
    root = ET.parse(WRAPPER / f"{tool}.xml").getroot()
    selects = [p for p in root.iter("param") if p.get("name") == "names" or p.get("argument") == "--names"]
    assert selects
    for value in {o.get("value") for p in selects for o in p.findall("option")}:
        sigs = tc.signatures.load(value)
        assert sigs, f"{value!r} resolves to no signature"


def test_version_command_matches_tokens():
    res = _run_cli("--version")
    if res.returncode != 0 and "tamclass.cli" in res.stderr:
        pytest.skip("the tamclass CLI is not importable")
    assert res.returncode == 0
    assert _tokens()["@TOOL_VERSION@"] in res.stdout + res.stderr


def _check_text_assertions(path: Path, assert_contents: ET.Element, where: str) -> int:
    """Evaluate the text assertions Galaxy would run (has_text, not_has_text, has_text_matching, has_n_lines)."""
    text = path.read_text()
    n = 0
    for a in assert_contents:
        if a.tag == "has_text":
            assert a.get("text") in text, f"{where}: has_text {a.get('text')!r}"
        elif a.tag == "not_has_text":
            assert a.get("text") not in text, f"{where}: not_has_text {a.get('text')!r}"
        elif a.tag == "has_text_matching":
            assert re.search(a.get("expression"), text), f"{where}: has_text_matching {a.get('expression')!r}"
        elif a.tag == "has_n_lines":
            assert len(text.splitlines()) == int(a.get("n")), f"{where}: has_n_lines {a.get('n')}"
        else:
            continue
        n += 1
    return n


@pytest.mark.slow
def test_score_test_case_holds_for_cli_output(tmp_path):
    """Run the CLI as the first score test does; every assertion of that Galaxy test holds on its outputs."""
    h5py = pytest.importorskip("h5py")
    pytest.importorskip("tamclass.cli", reason="the tamclass CLI is not importable")
    root = ET.parse(WRAPPER / "tamclass_score.xml").getroot()
    test = root.find("tests").findall("test")[0]
    params = {p.get("name"): p.get("value") for p in test.findall("param")}
    assert params == {
        "adata": "tam_small.h5ad",
        "sample_key": "sample",
        "groupby": "leiden",
        "outputs_sel": "tables,report",
    }
    res = _run_cli(
        "score",
        str(TEST_DATA / "tam_small.h5ad"),
        "-o",
        "output.h5ad",
        "--sample-key",
        "sample",
        "--groupby",
        "leiden",
        "--table",
        "tables",
        "--report",
        "report.html",
        "--device",
        "cpu",
        "--seed",
        "0",
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    work_dir_files = {d.get("name"): d.get("from_work_dir") for d in root.find("outputs").iter("data")}
    checked = 0
    for out in test.findall("output"):
        path = tmp_path / work_dir_files[out.get("name")]
        assert path.is_file(), f"the CLI did not write {work_dir_files[out.get('name')]}"
        contents = out.find("assert_contents")
        if out.get("name") == "anndata_out":
            keys: set[str] = set()
            with h5py.File(path, "r") as f:
                f.visit(keys.add)
            wanted = {k for a in contents.iter("has_h5_keys") for k in a.get("keys").split(",")}
            assert wanted <= keys, f"keys the Galaxy test asserts but the CLI did not write: {sorted(wanted - keys)}"
            checked += len(wanted)
        else:
            checked += _check_text_assertions(path, contents, out.get("name"))
    assert int(test.get("expect_num_outputs")) == len(test.findall("output"))
    assert checked >= 20


def test_signatures_test_case_holds_for_cli_output(tmp_path):
    """Run the CLI as the first signatures test does; the text assertions of that Galaxy test hold."""
    pytest.importorskip("tamclass.cli", reason="the tamclass CLI is not importable")
    root = ET.parse(WRAPPER / "tamclass_signatures.xml").getroot()
    test = root.find("tests").findall("test")[0]
    params = {p.get("name"): p.get("value") for p in test.findall("param")}
    assert params == {"names": "polarization,IHC_CD163", "write_table": "true"}
    cmd = _command(WRAPPER / "tamclass_signatures.xml")
    assert "signatures list --tsv --species '$species' > signatures_table.tsv" in cmd
    res = _run_cli(
        "signatures",
        "export",
        "--species",
        "human",
        "--names",
        "polarization",
        "IHC_CD163",
        "-o",
        "signatures.gmt",
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    res = _run_cli("signatures", "list", "--tsv", "--species", "human", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    (tmp_path / "signatures_table.tsv").write_text(res.stdout)
    work_dir_files = {d.get("name"): d.get("from_work_dir") for d in root.find("outputs").iter("data")}
    checked = 0
    for out in test.findall("output"):
        checked += _check_text_assertions(
            tmp_path / work_dir_files[out.get("name")], out.find("assert_contents"), out.get("name")
        )
    assert checked >= 8


# ----------------------------------------------------------------------------- planemo


def _planemo() -> str | None:
    for cand in (
        os.environ.get("PLANEMO"),
        str(REPO / ".venv-galaxy-lint" / "bin" / "planemo"),
        shutil.which("planemo"),
    ):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return None


@pytest.mark.skipif(
    _planemo() is None, reason="planemo not installed (scripts/galaxy_ci.sh installs it into .venv-galaxy-lint)"
)
def test_planemo_lint():
    res = subprocess.run(
        [_planemo(), "lint", "--fail_level", "warn", "--skip", "BioToolsValid,EDAMTermsValid", str(WRAPPER)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]


# ----------------------------------------------------------------------------- wrapper command lines == Python API
# The score tool's <command>, rendered by Cheetah (Galaxy's template engine) with Galaxy-like parameter values and
# run in a job folder, must give the same .h5ad as the Python API with the same options: every wrapper parameter
# reaches the CLI, and (test_cli.py checks) every CLI option reaches the API.
class _Bool:
    """A Galaxy boolean parameter in a template: truevalue/falsevalue as text, the value in #if."""

    def __init__(self, value: bool, true: str, false: str):
        self.value, self.true, self.false = value, true, false

    def __str__(self) -> str:
        return self.true if self.value else self.false

    def __bool__(self) -> bool:
        return self.value


def _param_name(p: ET.Element) -> str:
    return p.get("name") or p.get("argument").lstrip("-").replace("-", "_")


def _param_default(p: ET.Element):
    kind = p.get("type")
    if kind == "boolean":
        return _Bool(p.get("checked") == "true", p.get("truevalue", "true"), p.get("falsevalue", "false"))
    if kind == "select":
        chosen = [o.get("value") for o in p.findall("option") if o.get("selected") == "true"]
        return ",".join(chosen) if chosen else None
    if kind == "data":
        return None
    return p.get("value") or ""


def _galaxy_params(tool: Path, overrides: dict) -> dict:
    """Default values of the tool's inputs (conditionals as dicts), then ``overrides`` (Galaxy's value types)."""
    params: dict = {}
    for child in ET.parse(tool).getroot().find("inputs"):
        if child.tag == "param":
            params[_param_name(child)] = _param_default(child)
        elif child.tag == "conditional":
            test = child.find("param")
            value = _param_default(test)
            cond = {_param_name(test): value}
            for when in child.findall("when"):
                if when.get("value") == value:
                    cond.update({_param_name(p): _param_default(p) for p in when.findall("param")})
            params[child.get("name")] = cond
    for key, value in overrides.items():
        if isinstance(value, dict):
            params[key] = {**params.get(key, {}), **value}
        elif isinstance(params.get(key), _Bool):
            params[key] = _Bool(bool(value), params[key].true, params[key].false)
        else:
            params[key] = value
    return params


def _render_command(tool: Path, params: dict) -> str:
    cheetah = pytest.importorskip("Cheetah.Template", reason="Cheetah (ct3, a test extra) renders Galaxy commands")
    text = _command(tool)
    for name, value in _tokens().items():
        text = text.replace(name, value)
    # Galaxy runs the rendered <command> as one line (newlines become spaces; tools/evaluation.py)
    return str(cheetah.Template(text, searchList=[params])).replace("\n", " ").replace("\r", " ").strip()


def _run_galaxy_command(command: str, job_dir: Path) -> subprocess.CompletedProcess:
    """Run a rendered command as a Galaxy job script would: bash, in the job folder, `tamclass` on PATH (this
    interpreter's tamclass), GALAXY_SLOTS=1, no GPU."""
    bin_dir = job_dir.parent / f"{job_dir.name}_bin"
    bin_dir.mkdir()
    shim = bin_dir / "tamclass"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m tamclass "$@"\n')
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GALAXY_", "NUMBA_"))}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", GALAXY_SLOTS="1", HOME=str(job_dir))
    return subprocess.run(["bash", "-c", command], cwd=job_dir, env=env, capture_output=True, text=True, timeout=600)


GALAXY_PARITY_CASES = {
    # case: (input, Galaxy parameter values, API keywords)
    "defaults": ("human", {}, {}),
    "signatures_library": (
        "human",
        {"signatures": {"source": "library", "names": "default,IHC_CD163"}},
        {"signatures": ["default", "IHC_CD163"]},
    ),
    "signatures_gmt": (
        "human",
        {"signatures": {"source": "gmt", "gmt_file": "GMT"}, "classify": False},
        {"signatures": "GMT", "classify": False},
    ),
    "method": ("human", {"method": "module"}, {"method": "module"}),
    "species": ("mouse", {"species": "mouse"}, {"species": "mouse"}),
    "layer": ("scaled", {"layer": "counts"}, {"layer": "counts"}),
    "use_raw": ("scaled", {"use_raw": True}, {"use_raw": True}),
    "gene_symbols": ("ensembl", {"gene_symbols": "symbol"}, {"gene_symbols": "symbol"}),
    "sample_key": ("human", {"sample_key": "sample"}, {"sample_key": "sample"}),
    "groupby": ("human", {"groupby": "leiden"}, {"groupby": "leiden"}),
    "classify": ("human", {"classify": False}, {"classify": False}),
    "model": ("human", {"model": "MODEL"}, {"model": "MODEL"}),
    "key_added": ("human", {"key_added": "tc"}, {"key_added": "tc"}),
    "seed": ("human", {"seed": "7"}, {"seed": 7}),
    "backed": ("human", {"backed": True}, {"backed": True}),
    "outputs_sel": ("human", {"outputs_sel": "tables,report"}, {}),
}
GALAXY_NOT_RESULT_PARAMS = {"adata"}  # the input itself


@pytest.fixture(scope="module")
def parity_inputs(tmp_path_factory):
    import _cli_parity

    return _cli_parity.make_all_inputs(tmp_path_factory.mktemp("galaxy_parity"))


def test_galaxy_parity_cases_cover_every_score_parameter():
    root = ET.parse(WRAPPER / "tamclass_score.xml").getroot()
    names = {_param_name(p) for p in root.find("inputs").iter("param")} | {
        c.get("name") for c in root.iter("conditional")
    }
    covered = set(GALAXY_PARITY_CASES) | {k for _, over, _ in GALAXY_PARITY_CASES.values() for k in over}
    covered |= {
        k for _, over, _ in GALAXY_PARITY_CASES.values() for v in over.values() if isinstance(v, dict) for k in v
    }
    missing = sorted(names - covered - GALAXY_NOT_RESULT_PARAMS)
    assert not missing, f"add a Galaxy-vs-API case to GALAXY_PARITY_CASES for {missing}"


@pytest.mark.slow
@pytest.mark.parametrize("case", list(GALAXY_PARITY_CASES))
def test_galaxy_command_matches_python_api(case, parity_inputs, tmp_path):
    import _cli_parity
    import anndata as ad

    import tamclass as tc

    name, overrides, api_kwargs = GALAXY_PARITY_CASES[case]
    files = {"MODEL": parity_inputs["MODEL"], "GMT": TEST_DATA / "custom_signatures.gmt"}

    def resolve(value):
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return str(files[value]) if isinstance(value, str) and value in files else value

    params = _galaxy_params(WRAPPER / "tamclass_score.xml", {"adata": str(parity_inputs[name]), **resolve(overrides)})
    command = _render_command(WRAPPER / "tamclass_score.xml", params)
    job = tmp_path / "job"
    job.mkdir()
    res = _run_galaxy_command(command, job)
    assert res.returncode == 0, f"{command}\n{res.stderr[-3000:]}"
    api_kwargs = {
        k: (tc.Model.load(files[v]) if v == "MODEL" else str(files[v]) if v == "GMT" else v)
        for k, v in api_kwargs.items()
    }
    api = _cli_parity.api_run(parity_inputs[name], device="cpu", **api_kwargs)
    api = _cli_parity.roundtrip(api, tmp_path / "api.h5ad")
    _cli_parity.assert_same_result(
        ad.read_h5ad(job / "output.h5ad"), api, key_added=api_kwargs.get("key_added", "tamclass")
    )
    if case == "outputs_sel":
        assert (job / "tables" / "cells.tsv").is_file() and (job / "report.html").is_file()


@pytest.mark.parametrize("tool", TOOLS, ids=TOOL_IDS)
def test_edam_metadata(tool):
    """Single-cell sequencing (EDAM topic_4028) on every tool, at least one EDAM operation each, a creator."""
    root = ET.parse(WRAPPER / "macros.xml").getroot()
    topics = [t.text for t in root.iter("edam_topic")]
    assert "topic_4028" in topics
    tool_root = ET.parse(tool).getroot()
    ops = [o.text for o in tool_root.iter("edam_operation")]
    assert ops and all(re.fullmatch(r"operation_\d{4}", o) for o in ops)
    assert "creator" in [e.get("macro") for e in tool_root.findall("expand")]
    assert root.find(".//xml[@name='creator']/creator") is not None
