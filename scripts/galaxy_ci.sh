#!/usr/bin/env bash
# Offline validation of the tamclass Galaxy wrapper (galaxy/tamclass/).
#
#   scripts/galaxy_ci.sh            # lint + test-case validation + real tool tests on a pip-installed Galaxy
#   GALAXY_CI_MODE=lint scripts/galaxy_ci.sh     # static checks only (~2 min cold, seconds warm)
#
# Steps (see ../shared/research/galaxy.md, sections 5 and "Offline validation CI can run"):
#   1. planemo (+ galaxy-tool-util, uv) into $LINT_VENV
#   2. planemo lint --fail_level warn (skip BioToolsValid: needs bio.tools over the network; skip EDAMTermsValid:
#      planemo's bundled EDAM release predates topic_4028 'Single-cell sequencing', which the tools declare)
#      planemo shed_lint (skip version_bumped: needs the Tool Shed), galaxy-tool-test-case-validation per tool
#   3. Galaxy $GALAXY_VERSION from PyPI into $GALAXY_VENV (uv, with a certifi override: galaxy pins a certifi
#      version that is not on PyPI), tamclass from this checkout into $TOOL_VENV (pip, -c constraints.txt so the
#      CPU torch wheel is used), resolved by Galaxy's galaxy_packages resolver (deps/tamclass/<version>/env.sh),
#      Galaxy started with uvicorn on 127.0.0.1:<free port>, then galaxy-tool-test for every tool.
# Closing line (always printed, also on failure):  galaxy: N passed, N failed
#   where the counted checks are: lint, shed_lint, one test-case validation per tool, and every tool test.
# Exit status: 0 when nothing failed, 1 otherwise.
#
# Environment (all optional):
#   GALAXY_CI_MODE   all (default) | lint
#   LINT_VENV        default $REPO/.venv-galaxy-lint         PLANEMO_VERSION  default 0.75.47
#   GALAXY_VENV      default $REPO/.venv-galaxy              GALAXY_VERSION   default 26.1.2
#   TOOL_VENV        default $REPO/.venv-galaxy-tool; a venv that already has tamclass (e.g. .venv-ci) is reused
#                    as is unless TAMCLASS_REINSTALL=1
#   GALAXY_CI_WORK   work dir for Galaxy's database, jobs and outputs (default: mktemp -d; kept on failure)
#   GALAXY_PORT      default: a free port
#   GALAXY_TOOLS     tool XML files to test (default: galaxy/tamclass/tamclass_*.xml)
#   GALAXY_START_TIMEOUT  seconds to wait for Galaxy to answer (default 600)
#   TAMCLASS_REPO    the checkout (default: the parent of this script's directory)
# Everything Galaxy writes goes to the venvs above (git-ignored: .venv*/) and to the work dir; nothing in the repo.
set -uo pipefail

REPO=${TAMCLASS_REPO:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$REPO"
MODE=${GALAXY_CI_MODE:-all}
LINT_VENV=${LINT_VENV:-$REPO/.venv-galaxy-lint}
GALAXY_VENV=${GALAXY_VENV:-$REPO/.venv-galaxy}
TOOL_VENV=${TOOL_VENV:-$REPO/.venv-galaxy-tool}
PLANEMO_VERSION=${PLANEMO_VERSION:-0.75.47}
GALAXY_VERSION=${GALAXY_VERSION:-26.1.2}
START_TIMEOUT=${GALAXY_START_TIMEOUT:-600}
WRAPPER_DIR=$REPO/galaxy/tamclass
PY=${PYTHON:-python3}
T0=$(date +%s)

PASSED=0
FAILED=0
FAILED_NAMES=()
GPID=""
WORK=""
KEEP_WORK=0

log() { printf '[galaxy_ci %4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*" >&2; }
pass() { PASSED=$((PASSED + 1)); log "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); FAILED_NAMES+=("$1"); log "FAIL $1"; }

finish() {
    local rc=$?
    if [ -n "$GPID" ]; then
        kill "$GPID" 2>/dev/null || true
        wait "$GPID" 2>/dev/null || true
    fi
    if [ -n "$WORK" ] && [ -d "$WORK" ]; then
        if [ "$KEEP_WORK" = 1 ] || [ "$FAILED" -gt 0 ]; then
            log "work dir kept for inspection: $WORK (galaxy.log, outputs/, tool_test_results.json)"
        elif [ -z "${GALAXY_CI_WORK:-}" ]; then
            rm -rf "$WORK"
        fi
    fi
    [ "${#FAILED_NAMES[@]}" -gt 0 ] && log "failed: ${FAILED_NAMES[*]}"
    log "total time $(( $(date +%s) - T0 )) s"
    echo "galaxy: $PASSED passed, $FAILED failed"
    if [ "$FAILED" -gt 0 ] || [ "$rc" -ne 0 ]; then exit 1; fi
    exit 0
}
trap finish EXIT
trap 'log "interrupted"; FAILED=$((FAILED + 1)); exit 130' INT TERM

if [ -n "${GALAXY_TOOLS:-}" ]; then
    read -r -a TOOLS <<< "$GALAXY_TOOLS"
else
    TOOLS=("$WRAPPER_DIR"/tamclass_*.xml)
fi

# ---------------------------------------------------------------- 1. planemo
if ! "$LINT_VENV/bin/planemo" --version >/dev/null 2>&1 || [ ! -x "$LINT_VENV/bin/uv" ]; then
    log "installing planemo==$PLANEMO_VERSION galaxy-tool-util uv into $LINT_VENV"
    "$PY" -m venv "$LINT_VENV" &&
        "$LINT_VENV/bin/pip" install -q "planemo==$PLANEMO_VERSION" galaxy-tool-util uv 2>&1 |
        grep -v "^WARNING: Location" >&2
    "$LINT_VENV/bin/planemo" --version >/dev/null 2>&1 || { fail "install-planemo"; exit 1; }
fi
quiet() { grep --line-buffered -v "^WARNING: Location" >&2; }

# ---------------------------------------------------------------- 2. static checks
log "planemo lint"
if "$LINT_VENV/bin/planemo" lint --fail_level warn --skip BioToolsValid,EDAMTermsValid "$WRAPPER_DIR" 2>&1 | quiet; then
    pass lint; else fail lint; fi
log "planemo shed_lint"
if "$LINT_VENV/bin/planemo" shed_lint --tools --ensure_metadata --report_level warn --fail_level error \
        --recursive --skip version_bumped,BioToolsValid,EDAMTermsValid "$WRAPPER_DIR" 2>&1 | quiet; then
    pass shed_lint; else fail shed_lint; fi
for t in "${TOOLS[@]}"; do
    if "$LINT_VENV/bin/galaxy-tool-test-case-validation" "$t" 2>&1 | quiet; then
        pass "test-case-validation $(basename "$t")"; else fail "test-case-validation $(basename "$t")"; fi
done

if [ "$MODE" = lint ]; then
    log "GALAXY_CI_MODE=lint: not running the tool tests on Galaxy"
    exit 0
fi

# ---------------------------------------------------------------- 3a. Galaxy from PyPI
galaxy_ok() {  # cheap check (importing the web app takes ~30 s on 2 cores)
    [ -x "$GALAXY_VENV/bin/uvicorn" ] && [ -x "$GALAXY_VENV/bin/galaxy-tool-test" ] &&
        "$GALAXY_VENV/bin/python" -c "import galaxy.version as v, sys; sys.exit(v.VERSION != '$GALAXY_VERSION')" 2>/dev/null
}
if ! galaxy_ok; then
    log "installing galaxy==$GALAXY_VERSION into $GALAXY_VENV (uv)"
    OVR=$(mktemp)
    echo certifi > "$OVR"
    { [ -x "$GALAXY_VENV/bin/python" ] || "$PY" -m venv "$GALAXY_VENV"; } &&
        "$LINT_VENV/bin/uv" pip install -q --python "$GALAXY_VENV/bin/python" --override "$OVR" \
            "galaxy==$GALAXY_VERSION" 2>&1 | quiet
    rm -f "$OVR"
    galaxy_ok || { fail "install-galaxy"; exit 1; }
fi

# ---------------------------------------------------------------- 3b. tamclass into the tool venv
if [ "${TAMCLASS_REINSTALL:-0}" = 1 ] || ! "$TOOL_VENV/bin/tamclass" --version >/dev/null 2>&1; then
    log "installing tamclass from $REPO into $TOOL_VENV (pip, -c constraints.txt)"
    { [ -x "$TOOL_VENV/bin/python" ] || "$PY" -m venv "$TOOL_VENV"; } &&
        "$TOOL_VENV/bin/python" -m pip install -q -c "$REPO/constraints.txt" "$REPO" 2>&1 | quiet
    "$TOOL_VENV/bin/tamclass" --version >/dev/null 2>&1 || { fail "install-tamclass"; exit 1; }
fi
TC_VERSION=$("$TOOL_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("tamclass"))')
REQ_VERSION=$(sed -n 's:.*<token name="@TOOL_VERSION@">\(.*\)</token>.*:\1:p' "$WRAPPER_DIR/macros.xml")
if [ "$TC_VERSION" != "$REQ_VERSION" ]; then
    log "tamclass $TC_VERSION in $TOOL_VENV but macros.xml @TOOL_VERSION@ is $REQ_VERSION"
    fail "version-match"; exit 1
fi

# ---------------------------------------------------------------- 3c. configure and start Galaxy
WORK=${GALAXY_CI_WORK:-$(mktemp -d -t tamclass-galaxy.XXXXXX)}
mkdir -p "$WORK/data" "$WORK/deps/tamclass/$REQ_VERSION"
printf 'PATH=%s/bin:$PATH\nexport PATH\n' "$TOOL_VENV" > "$WORK/deps/tamclass/$REQ_VERSION/env.sh"
{
    echo '<?xml version="1.0"?>'
    echo '<toolbox monitor="false">'
    echo '    <section id="tamclass" name="tamclass">'
    for t in "${TOOLS[@]}"; do echo "        <tool file=\"$(readlink -f "$t")\"/>"; done
    echo '    </section>'
    echo '</toolbox>'
} > "$WORK/tool_conf.xml"
printf '<dependency_resolvers>\n    <galaxy_packages />\n</dependency_resolvers>\n' > "$WORK/dependency_resolvers_conf.xml"
echo '<tables/>' > "$WORK/empty_tool_data_table_conf.xml"
PORT=${GALAXY_PORT:-$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
BOOT=bootstrap-$(date +%s)-$$-$RANDOM
cat > "$WORK/galaxy.yml" <<EOF
galaxy:
  data_dir: $WORK/data
  database_connection: sqlite:///$WORK/data/universe.sqlite?isolation_level=IMMEDIATE
  database_auto_migrate: true
  tool_config_file: $WORK/tool_conf.xml
  shed_tool_config_file: $WORK/data/shed_tool_conf.xml
  tool_dependency_dir: $WORK/deps
  dependency_resolvers_config_file: $WORK/dependency_resolvers_conf.xml
  tool_data_table_config_path: $WORK/empty_tool_data_table_conf.xml
  conda_auto_init: false
  conda_auto_install: false
  enable_mulled_containers: false
  involucro_auto_init: false
  admin_users: admin@example.org
  bootstrap_admin_api_key: $BOOT
  allow_path_paste: true
  enable_celery_tasks: false
  watch_tools: 'false'
  interactivetools_enable: false
  cleanup_job: never
EOF
log "starting Galaxy $GALAXY_VERSION on 127.0.0.1:$PORT (log: $WORK/galaxy.log)"
# Galaxy runs its own jobs (e.g. the upload tool, __DATA_FETCH__) in the virtualenv named by VIRTUAL_ENV:
# when this script is called from an activated venv (as .ci/run does), point that at Galaxy's venv and
# drop the caller's venv from PATH, or uploads fail with "No module named 'galaxy_ext'".
CLEAN_PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "${VIRTUAL_ENV:-/nonexistent}/bin" | paste -sd: -)
VIRTUAL_ENV="$GALAXY_VENV" PATH="$GALAXY_VENV/bin:$CLEAN_PATH" PYTHONPATH= \
GALAXY_CONFIG_FILE="$WORK/galaxy.yml" "$GALAXY_VENV/bin/uvicorn" --factory \
    galaxy.webapps.galaxy.fast_factory:factory --host 127.0.0.1 --port "$PORT" \
    > "$WORK/galaxy.log" 2>&1 &
GPID=$!
URL=http://127.0.0.1:$PORT
up=0
for _ in $(seq 1 $((START_TIMEOUT / 5))); do
    if curl -sf "$URL/api/version" >/dev/null 2>&1; then up=1; break; fi
    kill -0 "$GPID" 2>/dev/null || break
    sleep 5
done
if [ "$up" != 1 ]; then
    log "Galaxy did not come up; last lines of its log:"; tail -40 "$WORK/galaxy.log" >&2
    fail "galaxy-start"; exit 1
fi
log "Galaxy up: $(curl -sf "$URL/api/version")"
USER_ID=$(curl -sf -X POST -H "x-api-key: $BOOT" -H 'Content-Type: application/json' \
    -d '{"username":"admin","email":"admin@example.org","password":"adminpass123"}' \
    "$URL/api/users" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])') || { fail "galaxy-user"; exit 1; }
KEY=$(curl -sf -X POST -H "x-api-key: $BOOT" "$URL/api/users/$USER_ID/api_key" | tr -d '"') || { fail "galaxy-key"; exit 1; }

# ---------------------------------------------------------------- 3d. tool tests
RESULTS=$WORK/tool_test_results.json
for t in "${TOOLS[@]}"; do
    TOOL_ID=$("$PY" -c 'import sys,xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).getroot().get("id"))' "$t")
    log "galaxy-tool-test $TOOL_ID"
    APPEND=()
    [ -f "$RESULTS" ] && APPEND=(--append)
    "$GALAXY_VENV/bin/galaxy-tool-test" -u "$URL" -k "$KEY" -a "$KEY" -t "$TOOL_ID" "${APPEND[@]}" \
        --test-data "$(dirname "$t")/test-data" -j "$RESULTS" -o "$WORK/outputs" 2>&1 | quiet
done
if [ ! -f "$RESULTS" ]; then fail "tool-tests (no results file)"; exit 1; fi
# count per test from galaxy-tool-test's JSON
eval "$("$PY" - "$RESULTS" <<'PYEOF'
import json, sys
tests = json.load(open(sys.argv[1])).get("tests", [])
ok = bad = 0
names = []
for t in tests:
    status = (t.get("data") or {}).get("status")
    if status == "success":
        ok += 1
    else:
        bad += 1
        names.append(f"{t.get('id')}:{status}")
print(f"TT_OK={ok}; TT_BAD={bad}; TT_NAMES='{' '.join(names)}'")
PYEOF
)"
PASSED=$((PASSED + TT_OK))
FAILED=$((FAILED + TT_BAD))
[ -n "$TT_NAMES" ] && FAILED_NAMES+=($TT_NAMES)
log "tool tests: $TT_OK passed, $TT_BAD failed"
exit 0
