#!/usr/bin/env bash
# Check a torch release against the spec in one command, in the environment the matrix gives it (tox.ini:
# its Python, its pins such as numpy<2 for torch <= 2.2, its extras, the sources' data passed through),
# and compare it with the newest stored report.
#   scripts/check_release.sh 2.15.0            a release from the package index (CUDA build, several GB)
#   scripts/check_release.sh 2.16.0 3.12       ... with a given Python instead of the matrix's
# Writes reports/torch-<version>.json. Needs tox and its plugin tox-uv (which brings uv): the dev extra,
# pip install -e '.[dev]'; says so, exit 2, when either is missing.
# Data: $RNN_SPEC_DATA if set; else the cache, fetched (and verified) now if missing; without it the data
# claims skip, and the comparison says so.
# Exit codes: 0 no claim regressed; 1 a claim that held on the newest stored release fails;
#             2 usage, or the environment could not be built or run (no tox, a release that does not install).
set -uo pipefail
cd "$(dirname "$0")/.."
fail() { echo "check_release: $*" >&2; exit 2; }
usage="usage: scripts/check_release.sh TORCH_VERSION [PYTHON_VERSION]"
[ $# -ge 1 ] && [ $# -le 2 ] || fail "$usage"
version=$1
python=${2:-}
[[ $version =~ ^[0-9]+\.[0-9]+(\.[0-9]+)?([a-z0-9.+-]*)$ ]] || fail "'$version' is not a torch version ($usage)"
[ -z "$python" ] || [[ $python =~ ^3\.[0-9]+$ ]] || fail "'$python' is not a Python version such as 3.11 ($usage)"
command -v tox >/dev/null || fail "needs tox and tox-uv, the dev extra (pip install -e '.[dev]'): no tox on PATH"
tox --version 2>/dev/null | grep -q 'tox-uv' \
  || fail "needs tox and tox-uv, the dev extra (pip install -e '.[dev]'): tox $(tox --version 2>/dev/null | head -n 1 | cut -d' ' -f1) has no tox-uv plugin"

# the matrix environment of this minor release (torch22 for 2.2.x), else the newest one (a newer release)
minor=$(echo "$version" | cut -d. -f1,2)
env="torch${minor/./}"
envs=$(tox -l 2>/dev/null) || fail "tox cannot read tox.ini"
deps="testenv:$env.deps+=torch==$version"  # the matrix's deps (pins included) with the exact release
if ! grep -qx "$env" <<<"$envs"; then
  [ "$(printf '%s\n%s\n' "$minor" "1.8" | sort -V | head -n 1)" = "1.8" ] || fail "torch $version is older than the matrix (1.8)"
  env=$(grep '^torch' <<<"$envs" | tail -n 1)  # newer than the matrix: its newest environment, unpinned
  deps="testenv:$env.deps=torch==$version"
fi
report="reports/torch-$version.json"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
overrides=(-x "$deps" -x "testenv:$env.commands=python -m spec verify --device cpu --target all --report $report -q")
if [ -n "$python" ]; then overrides+=(-x "testenv:$env.base_python=python$python"); fi

if [ -z "${RNN_SPEC_DATA:-}" ]; then  # fetch the sources' data into the cache, as a user would
  python3 -c 'from reference.programs import datasets
for name in ("timemachine", "lyrics"):
    datasets.locate(name, download=True)' 2>/dev/null \
    || echo "check_release: the sources' data is not available (set RNN_SPEC_DATA, see README): data claims will skip" >&2
fi

rm -f "$report"
echo "verifying torch $version in the matrix environment $env"
tox run -q -e "$env" --workdir "$work" "${overrides[@]}"
verified=$?
[ -f "$report" ] || fail "torch $version: no report (tox exit $verified): the environment could not be built or the spec could not run"
newest_report=$(ls reports/matrix/*.json | xargs -n1 "$work/$env/bin/python" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["environment"]["torch"].split("+")[0], sys.argv[1])' | sort -V | tail -n 1 | cut -d" " -f2)
[ -n "$newest_report" ] || fail "no stored report in reports/matrix/ to compare with"
echo "comparing with $newest_report"
"$work/$env/bin/python" -m spec compare "$newest_report" "$report"
