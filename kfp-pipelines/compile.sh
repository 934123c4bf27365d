#!/usr/bin/env bash
# Recompile the KFP pipelines in this directory to their IR YAML
# (fraud_training.yaml, batch_scoring.yaml) with the real KFP SDK.
#
# kfp is deliberately NOT part of the project's .venv (kfp 2.16.x pins an
# older `kubernetes` client than the project uses), so this script builds a
# throwaway virtualenv in a temp dir, compiles, and deletes it again.
#
# Usage: ./compile.sh            (PYTHON=python3.11 ./compile.sh to pick an interpreter)
set -euo pipefail

KFP_SPEC='kfp==2.16.*'
PYTHON="${PYTHON:-python3}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

VENV_PARENT="$(mktemp -d "${TMPDIR:-/tmp}/kfp-venv.XXXXXX")"
trap 'rm -rf "$VENV_PARENT"' EXIT
VENV="$VENV_PARENT/venv"

"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "$KFP_SPEC"
echo "compiling with kfp $("$VENV/bin/python" -c 'import kfp; print(kfp.__version__)')"

cd "$HERE"
for pipeline in fraud_training batch_scoring; do
    "$VENV/bin/python" "$pipeline.py" "$HERE/$pipeline.yaml"
    echo "wrote $HERE/$pipeline.yaml"
done
