#!/usr/bin/env bash
# Check a torch release against the spec in one command, and compare it with the newest stored report.
#   scripts/check_release.sh 2.15.0            a release from the package index (CUDA build, several GB)
#   scripts/check_release.sh 2.16.0 3.12       ... with a given Python
# Writes reports/torch-<version>.json; exits 1 if a claim that held on the newest stored release fails.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: scripts/check_release.sh TORCH_VERSION [PYTHON_VERSION]}
python=${2:-3.11}
command -v uv >/dev/null || { echo "check_release: needs uv (pip install uv)" >&2; exit 2; }
env_dir=$(mktemp -d)/venv
trap 'rm -rf "$(dirname "$env_dir")"' EXIT
uv venv -q --python "$python" "$env_dir"
uv pip install -q --python "$env_dir/bin/python" "torch==$version" -e .
report="reports/torch-$version.json"
set +e
"$env_dir/bin/python" -m spec verify --device cpu --report "$report" -q
verified=$?
set -e
[ "$verified" -le 1 ] || exit "$verified"
newest=$(ls reports/matrix/*.json | xargs -n1 python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["environment"]["torch"].split("+")[0], sys.argv[1])' | sort -V | tail -n 1 | cut -d" " -f2)
echo "comparing with $newest"
"$env_dir/bin/python" -m spec compare "$newest" "$report"
