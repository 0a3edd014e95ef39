#!/usr/bin/env bash
# Verify the spec on every release in tox.ini (or the environments named), one at a time:
# each environment is removed after its run, so only one torch is on disk at once, while
# uv's shared cache (tox-uv) keeps re-installs fast.
#   scripts/matrix.sh                  all 22 releases
#   scripts/matrix.sh torch110 torch111
# Reports: reports/matrix/<env>.json; timings: reports/matrix/timings.tsv (environment, exit status, seconds,
# date, the suite's revision).
set -u
cd "$(dirname "$0")/.."
# old torch needs old Python: put pyenv's 3.9, 3.10 and 3.11 on PATH when present
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for v in 3.11 3.10 3.9; do
  p=$(ls -d "$root"/versions/"$v".* 2>/dev/null | sort -V | tail -n 1)
  [ -n "$p" ] && PATH="$p/bin:$PATH"
done
export PATH
command -v tox >/dev/null || { echo "matrix: tox is not installed (pip install tox tox-uv)" >&2; exit 2; }
# the sources' data (verified by hash): $RNN_SPEC_DATA, else a ../shared/data beside the checkout, else the
# data claims skip, saying so (see the README for how to get the data)
if [ -z "${RNN_SPEC_DATA:-}" ] && [ -d ../shared/data ]; then
  RNN_SPEC_DATA=$(cd ../shared/data && pwd)
  export RNN_SPEC_DATA
fi
[ -n "${RNN_SPEC_DATA:-}" ] || echo "matrix: RNN_SPEC_DATA is not set: the claims that read the sources' data will skip" >&2
envs=${*:-$(tox -l)}
mkdir -p reports/matrix
for env in $envs; do
  # the suite's revision that runs it, as every stored result records it (spec/version.py read by path: no torch)
  revision=$(python3 -c "import importlib.util as u; s = u.spec_from_file_location('v', 'spec/version.py'); \
m = u.module_from_spec(s); s.loader.exec_module(m); print(m.revision())" 2>/dev/null || echo unknown)
  start=$(date +%s)
  tox -e "$env" > "reports/matrix/$env.log" 2>&1
  rc=$?
  seconds=$(( $(date +%s) - start ))
  printf '%s\t%s\t%s\t%s\t%s\n' "$env" "$rc" "$seconds" "$(date -u +%F)" "$revision" | tee -a reports/matrix/timings.tsv
  rm -rf ".tox/$env"
done
