"""Screenshots of the tamclass Galaxy tool for the README (docs/images/galaxy_*.png).

Starts a throw-away Galaxy exactly as ``scripts/galaxy_ci.sh`` does (same galaxy.yml, tool_conf.xml,
``galaxy_packages`` dependency resolver pointing at a venv with tamclass, uvicorn on 127.0.0.1, bootstrap admin
API key), creates a user with a password, uploads ``galaxy/tamclass/test-data/tam_small.h5ad`` into a history,
runs ``tamclass_score`` on it once through the API (sample column, clusters, tables + HTML report), logs in with
headless Chromium (Selenium + the Debian ``chromium-driver``) and saves:

* ``docs/images/galaxy_score_tool.png``  the tool form, with the uploaded h5ad in the history panel;
* ``docs/images/galaxy_history.png``     after one run: the five outputs in the history panel, the tool's HTML
  report rendered in the centre panel (``tamclass_score`` is put on Galaxy's HTML sanitize allowlist through the
  admin API, as an admin would with "Review Allowlist"; otherwise Galaxy shows the report as plain text).

Each PNG is kept under 400 KB (palette-quantised if needed). Everything Galaxy writes goes to a temporary work
directory (removed at the end unless ``--keep-work``); nothing is written to the repository except the PNGs.
Galaxy and Chromium are stopped on exit (also on errors and Ctrl-C).

Prerequisites (nothing is downloaded by this script):

* a Galaxy 26.1.2 venv, e.g. made by ``scripts/galaxy_ci.sh`` (``$REPO/.venv-galaxy``; ``--galaxy-venv``);
* a venv whose ``bin/`` has the ``tamclass`` CLI at the version of ``macros.xml`` @TOOL_VERSION@
  (``.venv-galaxy-tool`` or ``.venv-ci``; ``--tool-venv``);
* ``apt-get install chromium chromium-driver`` (Debian 12) and ``pip install selenium requests pillow`` in the
  Python that runs this script.

Usage::

    python scripts/galaxy_screenshot.py --galaxy-venv .venv-galaxy --tool-venv .venv-ci
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
WRAPPER_DIR = REPO / "galaxy" / "tamclass"
MAX_BYTES = 400_000
EMAIL, USERNAME, PASSWORD = "admin@example.org", "admin", "adminpass123"


def log(msg: str) -> None:
    print(
        f"[galaxy_screenshot {time.strftime('%H:%M:%S')}] {msg}",
        file=sys.stderr,
        flush=True,
    )


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def write_config(work: Path, tool_venv: Path, tools: list[Path], boot_key: str) -> tuple[Path, str]:
    """The same Galaxy configuration as scripts/galaxy_ci.sh (section 3c)."""
    version = re.search(
        r'<token name="@TOOL_VERSION@">(.*?)</token>',
        (WRAPPER_DIR / "macros.xml").read_text(),
    ).group(1)
    (work / "data").mkdir(parents=True)
    dep = work / "deps" / "tamclass" / version
    dep.mkdir(parents=True)
    (dep / "env.sh").write_text(f"PATH={tool_venv}/bin:$PATH\nexport PATH\n")
    lines = [
        '<?xml version="1.0"?>',
        '<toolbox monitor="false">',
        '    <section id="tamclass" name="tamclass">',
    ]
    lines += [f'        <tool file="{t.resolve()}"/>' for t in tools]
    lines += ["    </section>", "</toolbox>"]
    (work / "tool_conf.xml").write_text("\n".join(lines) + "\n")
    (work / "dependency_resolvers_conf.xml").write_text(
        "<dependency_resolvers>\n    <galaxy_packages />\n</dependency_resolvers>\n"
    )
    (work / "empty_tool_data_table_conf.xml").write_text("<tables/>\n")
    cfg = work / "galaxy.yml"
    cfg.write_text(f"""galaxy:
  data_dir: {work}/data
  database_connection: sqlite:///{work}/data/universe.sqlite?isolation_level=IMMEDIATE
  database_auto_migrate: true
  tool_config_file: {work}/tool_conf.xml
  shed_tool_config_file: {work}/data/shed_tool_conf.xml
  tool_dependency_dir: {work}/deps
  dependency_resolvers_config_file: {work}/dependency_resolvers_conf.xml
  tool_data_table_config_path: {work}/empty_tool_data_table_conf.xml
  conda_auto_init: false
  conda_auto_install: false
  enable_mulled_containers: false
  involucro_auto_init: false
  admin_users: {EMAIL}
  bootstrap_admin_api_key: {boot_key}
  allow_path_paste: true
  enable_celery_tasks: false
  watch_tools: 'false'
  interactivetools_enable: false
  cleanup_job: never
""")
    return cfg, version


def galaxy_env(galaxy_venv: Path, cfg: Path) -> dict:
    """Environment for uvicorn. Galaxy's jobs (upload, set-metadata) run ``python`` from the venv named by the
    server's VIRTUAL_ENV: it must be the Galaxy venv, not whatever venv the caller has activated (else
    ``No module named 'bdbag'`` / ``'galaxy_ext'`` in the upload job)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(
        GALAXY_CONFIG_FILE=str(cfg),
        VIRTUAL_ENV=str(galaxy_venv),
        PATH=f"{galaxy_venv}/bin:{os.environ.get('PATH', '/usr/bin:/bin')}",
    )
    return env


class Api:
    def __init__(self, url: str, key: str):
        self.url, self.s = url, requests.Session()
        self.s.headers["x-api-key"] = key

    def get(self, path, **kw):
        r = self.s.get(f"{self.url}/api/{path}", timeout=120, **kw)
        r.raise_for_status()
        return r.json()

    def post(self, path, json=None, **kw):
        r = self.s.post(f"{self.url}/api/{path}", json=json, timeout=300, **kw)
        if r.status_code >= 400:
            raise RuntimeError(f"POST {path}: {r.status_code} {r.text[:500]}")
        return r.json()

    def wait_datasets(self, history_id: str, timeout: float = 900) -> list[dict]:
        t0 = time.time()
        while time.time() - t0 < timeout:
            items = self.get(
                f"histories/{history_id}/contents",
                params={"v": "dev", "keys": "id,name,state,hid"},
            )
            states = {i["state"] for i in items}
            if states and states <= {
                "ok",
                "error",
                "failed_metadata",
                "deferred",
                "discarded",
            }:
                return items
            time.sleep(3)
        raise TimeoutError(f"history {history_id} not done after {timeout} s: {states}")


def save_png(png: bytes, path: Path, crop: tuple[int, int, int, int] | None = None) -> None:
    img = Image.open(io.BytesIO(png)).convert("RGB")
    if crop:
        img = img.crop(crop)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    img.save(tmp, optimize=True)
    if tmp.stat().st_size > MAX_BYTES:  # UI screenshots have few colours: a 256-colour palette is lossless-looking
        img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(tmp, optimize=True)
    if tmp.stat().st_size > MAX_BYTES:
        img = img.resize((img.width * 3 // 4, img.height * 3 // 4), Image.LANCZOS)
        img.quantize(colors=256).save(tmp, optimize=True)
    os.replace(tmp, path)
    log(f"wrote {path} ({img.width}x{img.height}, {path.stat().st_size // 1024} KB)")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--galaxy-venv", type=Path, default=REPO / ".venv-galaxy")
    p.add_argument("--tool-venv", type=Path, default=REPO / ".venv-galaxy-tool")
    p.add_argument("--out-dir", type=Path, default=REPO / "docs" / "images")
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=900)
    p.add_argument(
        "--chromedriver",
        default=shutil.which("chromedriver") or "/usr/bin/chromedriver",
    )
    p.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    p.add_argument(
        "--keep-work",
        action="store_true",
        help="keep Galaxy's work dir (galaxy.log, database)",
    )
    p.add_argument("--start-timeout", type=int, default=900)
    args = p.parse_args(argv)

    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    for exe in (
        args.galaxy_venv / "bin" / "uvicorn",
        args.tool_venv / "bin" / "tamclass",
        Path(args.chromedriver),
    ):
        if not exe.exists():
            sys.exit(f"galaxy_screenshot: {exe} not found (see the prerequisites at the top of this script)")

    work = Path(tempfile.mkdtemp(prefix="tamclass-galaxy-shot."))
    boot = f"bootstrap-{os.getpid()}-{time.time_ns()}"
    tools = sorted(WRAPPER_DIR.glob("tamclass_*.xml"))
    cfg, _ = write_config(work, args.tool_venv.resolve(), tools, boot)
    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}"
    galaxy = driver = None
    glog = open(work / "galaxy.log", "w")
    try:
        log(f"starting Galaxy on {url} (work dir {work})")
        galaxy = subprocess.Popen(
            [
                str(args.galaxy_venv / "bin" / "uvicorn"),
                "--factory",
                "galaxy.webapps.galaxy.fast_factory:factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=galaxy_env(args.galaxy_venv.resolve(), cfg),
            stdout=glog,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        t0 = time.time()
        while True:
            try:
                v = requests.get(f"{url}/api/version", timeout=5).json()
                break
            except (requests.RequestException, ValueError) as err:
                if galaxy.poll() is not None or time.time() - t0 > args.start_timeout:
                    sys.stderr.write((work / "galaxy.log").read_text()[-4000:])
                    raise RuntimeError("Galaxy did not come up") from err
                time.sleep(5)
        log(f"Galaxy {v.get('version_major')}.{v.get('version_minor')} up after {time.time() - t0:.0f} s")

        boot_api = Api(url, boot)
        user = boot_api.post("users", {"username": USERNAME, "email": EMAIL, "password": PASSWORD})
        key = boot_api.post(f"users/{user['id']}/api_key")
        api = Api(url, key)
        # let Galaxy render the tool's HTML report (what an admin does with "Review Allowlist"); without this
        # Galaxy shows HTML from tools it does not know as plain text
        r = boot_api.s.put(
            f"{url}/api/sanitize_allow",
            params={"tool_id": "tamclass_score"},
            timeout=60,
        )
        r.raise_for_status()

        # --- browser, logged in through the login form
        opts = webdriver.ChromeOptions()
        opts.binary_location = args.chromium
        for a in (
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size={args.width},{args.height}",
            "--force-device-scale-factor=1",
            "--disable-extensions",
            "--no-first-run",
            "--lang=en-US",
        ):
            opts.add_argument(a)
        driver = webdriver.Chrome(service=Service(args.chromedriver), options=opts)
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",  # viewport = the PNG size, exactly
            {
                "width": args.width,
                "height": args.height,
                "deviceScaleFactor": 1,
                "mobile": False,
            },
        )
        wait = WebDriverWait(driver, 180)
        driver.get(f"{url}/login/start")
        form = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "form#login")))
        form.find_element(By.NAME, "login").send_keys(EMAIL)
        form.find_element(By.NAME, "password").send_keys(PASSWORD)
        form.find_element(By.XPATH, "//button[@name='login']").click()
        t0 = time.time()
        while True:
            cookies = {c["name"]: c["value"] for c in driver.get_cookies()}
            if requests.get(f"{url}/api/users/current", cookies=cookies, timeout=30).json().get("email"):
                break
            if time.time() - t0 > 60:
                raise RuntimeError("login through the form did not succeed")
            time.sleep(1)
        log("logged in")

        def page_has(text: str) -> None:
            wait.until(lambda d: text in d.execute_script("return document.body.innerText"))

        def settle(
            seconds: float = 4.0,
        ) -> None:  # let the Vue client finish its requests and transitions
            time.sleep(seconds)
            WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")

        # --- the browser session's current history gets the test h5ad
        driver.get(f"{url}/")
        page_has("History")
        hist = requests.get(f"{url}/history/current_history_json", cookies=cookies, timeout=30).json()
        api.s.put(
            f"{url}/api/histories/{hist['id']}",
            json={"name": "tamclass demo"},
            timeout=60,
        ).raise_for_status()
        api.post(
            "tools/fetch",
            {
                "history_id": hist["id"],
                "targets": [
                    {
                        "destination": {"type": "hdas"},
                        "elements": [
                            {
                                "src": "path",
                                "path": str(WRAPPER_DIR / "test-data" / "tam_small.h5ad"),
                                "name": "tam_small.h5ad",
                                "ext": "h5ad",
                                "to_posix_lines": False,
                            }
                        ],
                    }
                ],
            },
        )
        items = api.wait_datasets(hist["id"])
        h5ad = next(i for i in items if i["name"] == "tam_small.h5ad")
        if h5ad["state"] != "ok":
            raise RuntimeError(f"upload of tam_small.h5ad ended in state {h5ad['state']} (see {work}/galaxy.log)")
        log(f"uploaded tam_small.h5ad (hid {h5ad['hid']})")

        # (1) the tool form, the four tamclass tools listed in the tool panel
        driver.get(f"{url}/?tool_id=tamclass_score&version=latest")
        page_has("Tool Parameters")
        page_has("1: tam_small.h5ad")
        search = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "input[placeholder='search tools']")))
        search.send_keys("tamclass")
        page_has("train a classifier")
        settle(5)
        save_png(driver.get_screenshot_as_png(), args.out_dir / "galaxy_score_tool.png")

        # (2) run the tool once (as the tool test 1: sample column, clusters, tables and report), then the
        #     rendered report in the centre panel beside the history with the five outputs
        run = api.post(
            "tools",
            {
                "tool_id": "tamclass_score",
                "history_id": hist["id"],
                "inputs": {
                    "adata": {"src": "hda", "id": h5ad["id"]},
                    "sample_key": "sample",
                    "groupby": "leiden",
                    "outputs_sel": ["tables", "report"],
                },
            },
        )
        log(f"tamclass_score submitted: {len(run['outputs'])} outputs")
        items = api.wait_datasets(hist["id"])
        bad = [i for i in items if i["state"] != "ok"]
        if bad:
            raise RuntimeError(f"datasets not ok: {bad} (see {work}/galaxy.log)")
        report = next(o for o in run["outputs"] if o["name"].endswith(": report"))
        driver.get(f"{url}/datasets/{report['id']}/preview")
        page_has("per-sample table")
        shown = (  # the report's own text, in the page or in the iframe Galaxy shows HTML datasets in
            "const t = arguments[0]; if (document.body.innerText.includes(t)) return true;"
            "for (const f of document.querySelectorAll('iframe')) { try {"
            " if (f.contentDocument.body.innerText.includes(t)) return true; } catch (e) {} }"
            "return false;"
        )
        try:
            WebDriverWait(driver, 90).until(lambda d: d.execute_script(shown, "Research use only"))
        except TimeoutException:
            log("WARNING: the report text was not found in the page; check galaxy_history.png by eye")
        settle(6)
        save_png(driver.get_screenshot_as_png(), args.out_dir / "galaxy_history.png")
        return 0
    except BaseException:
        if driver is not None:
            try:
                driver.save_screenshot(str(work / "failure.png"))
            except Exception as exc:  # noqa: BLE001 - best effort while failing
                log(f"no failure screenshot: {exc}")
        args.keep_work = True  # galaxy.log and failure.png for inspection
        raise
    finally:
        if driver is not None:
            try:
                driver.quit()
            except Exception as exc:  # noqa: BLE001 - best effort on the way out
                log(f"chromedriver quit: {exc}")
        if galaxy is not None and galaxy.poll() is None:
            os.killpg(galaxy.pid, signal.SIGTERM)
            try:
                galaxy.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(galaxy.pid, signal.SIGKILL)
                galaxy.wait()
        glog.close()
        if args.keep_work:
            log(f"work dir kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
