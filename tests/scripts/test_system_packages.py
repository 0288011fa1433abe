"""scripts/system_packages.sh with fake dpkg/apt-get/id on PATH: each package is checked on its own."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "system_packages.sh"


def fake_tools(bin_dir: Path, installed: list[str], uid: int = 0) -> Path:
    """dpkg knows only `installed`; apt-get appends its arguments to a log; id prints `uid`."""
    log = bin_dir / "apt.log"
    known = " ".join(installed)
    scripts = {
        "dpkg": f'for p in {known}; do [ "$2" = "$p" ] && echo "Status: install ok installed" && exit 0; done\n'
        'echo "dpkg-query: package $2 is not installed" >&2; exit 1',
        "apt-get": f'echo "$@" >> "{log}"',
        "id": f"echo {uid}",
    }
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text(f"#!/usr/bin/env bash\n{body}\n")
        path.chmod(0o755)
    return log


def run(bin_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, check=True)


def test_the_font_is_installed_when_chromium_already_is(tmp_path: Path) -> None:
    log = fake_tools(tmp_path, installed=["chromium", "chromium-driver"])
    run(tmp_path)
    assert log.read_text().splitlines() == ["update -qq", "install -y -qq fonts-wqy-microhei"]


def test_nothing_is_installed_when_everything_is_there(tmp_path: Path) -> None:
    log = fake_tools(tmp_path, installed=["chromium", "chromium-driver", "fonts-wqy-microhei"])
    run(tmp_path)
    assert not log.exists()


def test_without_root_it_names_the_missing_packages(tmp_path: Path) -> None:
    log = fake_tools(tmp_path, installed=["chromium"], uid=1000)
    result = run(tmp_path)
    assert not log.exists()
    assert "chromium-driver fonts-wqy-microhei" in result.stderr and "chromium " not in result.stderr
