#!/usr/bin/env bash
# Sets up .venv with everything the tests need and runs the whole suite (lint, types, tests).
# torch is installed first with an exact pin: on our machines that takes the local CPU wheel,
# while any other torch spec would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system_packages.sh
scripts/system_packages.sh tmux  # the terminal `rag chat` is tested in
[ -x .venv/bin/python ] || python3 -m venv .venv
. .venv/bin/activate
pip install -q torch==2.13.0
pip install -q -e '.[st,test]'
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
ruff check .
mypy
python -m pytest "$@"
