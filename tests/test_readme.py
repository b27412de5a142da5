"""The README's set-up commands and links stay true (CI runs exactly the README's test command)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _setup_commands():
    block = README.split("## Set-up: two commands", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_two_setup_commands_and_ci_runs_the_test_one():
    commands = _setup_commands()
    assert len(commands) == 2
    assert commands[0].endswith("tamclass demo")
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    # a newcomer types command 1 then command 2 in one venv; CI types both verbatim, in that order
    for command in commands:
        assert command in ci, f"'.ci/run' must run the README's command verbatim: {command}"
    assert ci.index(commands[0]) < ci.index(commands[1])


def test_setup_never_installs_unpinned_torch():
    for command in _setup_commands():
        assert "-c constraints.txt" in command
    assert (ROOT / "constraints.txt").read_text().split() == ["torch==2.13.0"]


def test_local_links_exist():
    for target in re.findall(r"\]\(([^)#]+)\)", README):
        if "://" not in target:
            assert (ROOT / target).exists(), f"README links to missing {target}"
