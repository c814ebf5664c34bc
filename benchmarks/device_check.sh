#!/usr/bin/env bash
# One-shot GPU check of the project, sized for a single call on a lent CUDA machine (one H200; ~6 minutes wall).
#
# What it checks, each step with its own timeout and all of them inside one overall budget (DEVICE_CHECK_BUDGET_S,
# default 330 s); a failing step does not stop the later ones; a summary table with each exit status comes last:
#   build          the optional PrRoIPool CUDA kernel prroi_pooling._C, for Hopper only (TORCH_CUDA_ARCH_LIST=9.0),
#                  with `python3 setup.py build_ext --inplace` (no network needed);
#   kernel-load    that the built module imports and kernel_available() is True (+ cuobjdump's list of its sm_ ELFs);
#   build-fallback only when the two above failed: the same sources through torch.utils.cpp_extension.load
#                  (no setuptools/pyproject involved), copied to prroi_pooling/_C.so, then kernel-load again;
#   pytest-cuda    `pytest -m cuda` over tests/ (the kernel, pytracking.libs on CUDA, debug tracking on CUDA);
#   pytest-prroi   the whole tests/prroi_pooling folder with the kernel built;
#   prroi-speed    benchmarks/prroi_pool_speed.py --device cuda (kernel vs pure-PyTorch path, ratios to ResNet-18);
#   train-atom     bbreg/atom_synthetic, 2 tiny epochs, torchrun with one process through DDP and NCCL
#                  (benchmarks/ddp_one_rank.py: run_training enables DDP only for WORLD_SIZE > 1);
#   train-ostrack  ostrack/ostrack_synthetic the same way, with mixed precision (settings.amp = True);
#   track-atom     benchmarks/track_speed.py --device cuda on OTB Crossing (tracker / backbone-forward ratio);
#   track-ostrack  benchmarks/ostrack_speed.py --device cuda on Crossing (PyTorch backend; no onnxruntime there).
#
# Data: the tests and benchmarks read <repo>/../shared/data/otb/Crossing. That folder does not travel to the device
# machine, so the caller copies it into the git-ignored .devdata/ of the checkout and names it in `carry`; when
# ../shared/data is absent this script links it to .devdata. No extra Python packages are needed (the image has
# everything these steps import); wheels in .whl/, if any, are installed to /tmp/site first.
#
# On the device machine (from the repo root; the device tool sets OUT, where the logs go, at most 8 files):
#     bash benchmarks/device_check.sh            with carry [".devdata"] and timeout_s ~420
# Dry run on a CPU machine (no build; steps on CPU, gloo instead of NCCL, fewer frames, one thread):
#     DEVICE_CHECK_DRY=1 DEVICE_CHECK_PYTHON=.venv/bin/python OUT=/tmp/dc bash benchmarks/device_check.sh
# Rerun selected steps only: DEVICE_CHECK_STEPS=train-atom,train-ostrack bash benchmarks/device_check.sh
# Logs: $OUT/{build,pytest,prroi_speed,train_atom,train_ostrack,track_atom,track_ostrack}.log and summary.txt.

set -u -o pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
DRY=${DEVICE_CHECK_DRY:-0}
PY=${DEVICE_CHECK_PYTHON:-python3}
BUDGET=${DEVICE_CHECK_BUDGET_S:-330}
ONLY=${DEVICE_CHECK_STEPS:-}  # comma-separated step names to run (default: all), e.g. for a rerun of failed steps
OUT=${OUT:-/tmp/device_check_out}
mkdir -p "$OUT"
SUMMARY=$OUT/summary.txt
: >"$SUMMARY"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
START=$(date +%s)

say() { echo "$*" | tee -a "$SUMMARY"; }

if [ "$DRY" = 1 ]; then
    DEV=cpu; TRACK_ARGS=(--frames 6 --threads 1); OST_ARGS=(--frames 3 --threads 1 --no-onnx)
    SPEED_ARGS=(--repeats 1 --threads 1); AMP=(); WORKERS=0; SAMPLES=16
    export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
else
    DEV=cuda; TRACK_ARGS=(--repeats 2); OST_ARGS=(--frames 41); SPEED_ARGS=(--repeats 10); AMP=(--amp); WORKERS=2
    SAMPLES=64
fi

# --- environment -----------------------------------------------------------------------------------------------
say "device_check: mode $([ "$DRY" = 1 ] && echo "DRY (cpu, gloo)" || echo cuda), repo $ROOT, budget ${BUDGET}s"
if [ "$DRY" != 1 ]; then
    nvidia-smi -L 2>&1 | tee -a "$SUMMARY"
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>&1 | tee -a "$SUMMARY"
    (nvcc --version 2>&1 | tail -n 1) | tee -a "$SUMMARY"
fi
"$PY" - <<'EOF' 2>&1 | tee -a "$SUMMARY"
import platform, setuptools, torch
cuda = torch.cuda.is_available()
print(f"python {platform.python_version()} | torch {torch.__version__} (cuda {torch.version.cuda}, cudnn "
      f"{torch.backends.cudnn.version()}) | setuptools {setuptools.__version__} | cuda available {cuda}"
      + (f" | {torch.cuda.get_device_name(0)} cc {torch.cuda.get_device_capability(0)}" if cuda else ""))
EOF
if compgen -G ".whl/*.whl" >/dev/null; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        && export PYTHONPATH="$PYTHONPATH:/tmp/site" && say "installed $(ls .whl/*.whl | wc -l) wheels from .whl to /tmp/site"
fi
if [ ! -e ../shared/data ] && [ -d .devdata ]; then
    mkdir -p ../shared && ln -s "$ROOT/.devdata" ../shared/data && say "linked ../shared/data -> $ROOT/.devdata"
fi
DATA=$(cd ../shared/data 2>/dev/null && pwd)
SEQ=${DATA:-../shared/data}/otb/Crossing
if [ -f "$SEQ/groundtruth_rect.txt" ]; then say "sequence: $SEQ ($(ls "$SEQ/img" | wc -l) frames)"
else say "WARNING: no $SEQ (copy otb/Crossing into .devdata/ and carry it): data-dependent steps will fail or skip"; fi
WS=$(mktemp -d /tmp/device_check_ws.XXXXXX)

# --- steps -----------------------------------------------------------------------------------------------------
NAMES=(); RCS=(); SECS=()
# step NAME LOG LIMIT_S SHOW_REGEX COMMAND...: run COMMAND under `timeout` (capped by the budget left), append its
# output to $OUT/LOG, print the lines matching SHOW_REGEX (and the last lines on failure), record the exit status.
step() {
    local name=$1 log=$OUT/$2 limit=$3 show=$4
    shift 4
    if [ -n "$ONLY" ] && [[ ",$ONLY," != *",$name,"* ]]; then
        NAMES+=("$name"); RCS+=("skip"); SECS+=(0); echo "== $name: not selected (DEVICE_CHECK_STEPS)"; return 0
    fi
    local left=$((BUDGET - ($(date +%s) - START)))
    if ((left < 20)); then
        NAMES+=("$name"); RCS+=("skip"); SECS+=(0); say "== $name: skipped, overall budget spent"; return 0
    fi
    ((limit > left)) && limit=$left
    echo "== $name (limit ${limit}s, log $(basename "$log"))"
    echo "### $name: $*" >>"$log"
    local t0 rc first
    first=$(($(wc -l <"$log") + 1))
    t0=$(date +%s)
    timeout -k 10 "$limit" "$@" >>"$log" 2>&1
    rc=$?
    NAMES+=("$name"); RCS+=("$rc"); SECS+=($(($(date +%s) - t0)))
    ((rc == 124 || rc == 137)) && echo "   TIMED OUT after ${limit}s" | tee -a "$log"
    if [ -n "$show" ]; then tail -n "+$first" "$log" | grep -E -- "$show" | tail -n 25 | cut -c1-260 | sed 's/^/   | /'; fi
    if ((rc != 0)); then tail -n "+$first" "$log" | tail -n 6 | cut -c1-260 | sed 's/^/   ! /'; fi
    echo "   -> rc $rc in $(($(date +%s) - t0))s"
    return "$rc"
}

KERNEL_CHECK='
import glob, subprocess
import prroi_pooling._C as C
from prroi_pooling import kernel_available
print("kernel module:", C.__file__, "| kernel_available:", kernel_available())
try:
    elfs = subprocess.run(["cuobjdump", "--list-elf", C.__file__], capture_output=True, text=True).stdout.split()
    print("kernel ELF targets:", sorted({e.split(".")[-2] for e in elfs if ".sm_" in e}) or "none listed")
except OSError as exc:
    print("cuobjdump not run:", exc)
assert kernel_available(), "prroi_pooling._C imported but kernel_available() is False"
'
FALLBACK_BUILD='
import shutil
from torch.utils.cpp_extension import load
mod = load(name="_C", sources=["prroi_pooling/csrc/prroi_pool.cpp", "prroi_pooling/csrc/prroi_pool_cuda.cu"],
           build_directory="/tmp/prroi_fallback_build", extra_cflags=["-O3"],
           extra_cuda_cflags=["-O3", "--expt-relaxed-constexpr"], verbose=True)
shutil.copy(mod.__file__, "prroi_pooling/_C.so")
print("fallback build copied", mod.__file__, "to prroi_pooling/_C.so")
'
if [ "$DRY" = 1 ]; then
    NAMES+=("build"); RCS+=("skip"); SECS+=(0); say "== build: skipped (dry run, no CUDA)"
else
    mkdir -p /tmp/prroi_fallback_build
    step build build.log 200 "prroi_pooling setup|error|Error|copying|\.so" \
        env TORCH_CUDA_ARCH_LIST=9.0 MAX_JOBS=16 "$PY" setup.py build_ext --inplace
    if ! step kernel-load build.log 60 "^kernel |Error" "$PY" -c "$KERNEL_CHECK"; then
        step build-fallback build.log 200 "fallback build|error:" \
            env TORCH_CUDA_ARCH_LIST=9.0 MAX_JOBS=16 "$PY" -c "$FALLBACK_BUILD"
        step kernel-load-2 build.log 60 "^kernel |Error" "$PY" -c "$KERNEL_CHECK"
    fi
fi

PYTEST=("$PY" -m pytest -p no:cacheprovider -q -rfEs)
PYSHOW="^(FAILED|ERROR|SKIPPED)|[0-9]+ (passed|failed|skipped|errors?|deselected)"
step pytest-cuda pytest.log 150 "$PYSHOW" "${PYTEST[@]}" -m cuda tests
step pytest-prroi pytest.log 90 "$PYSHOW" "${PYTEST[@]}" tests/prroi_pooling
step prroi-speed prroi_speed.log 90 "." "$PY" benchmarks/prroi_pool_speed.py --device "$DEV" "${SPEED_ARGS[@]}"

TRAIN=("$PY" -m torch.distributed.run --nproc_per_node=1 --master_port=29517 benchmarks/ddp_one_rank.py)
TSIZE=(--device "$DEV" --epochs 2 --samples-per-epoch "$SAMPLES" --batch-size 16 --workers "$WORKERS")
TSHOW="ddp_one_rank|Loss/total|Error|error"
step train-atom train_atom.log 120 "$TSHOW" "${TRAIN[@]}" bbreg atom_synthetic "${TSIZE[@]}" --workspace "$WS/atom"
step train-ostrack train_ostrack.log 120 "$TSHOW" \
    "${TRAIN[@]}" "${AMP[@]}" ostrack ostrack_synthetic "${TSIZE[@]}" --workspace "$WS/ostrack"

step track-atom track_atom.log 120 "^sequence|^\[|Error" \
    "$PY" benchmarks/track_speed.py --device "$DEV" --sequence "$SEQ" "${TRACK_ARGS[@]}"
step track-ostrack track_ostrack.log 90 "^sequence|^\||onnxruntime|Error" \
    "$PY" benchmarks/ostrack_speed.py --device "$DEV" --sequence "$SEQ" "${OST_ARGS[@]}"
rm -rf "$WS"

# --- summary ---------------------------------------------------------------------------------------------------
say ""
say "| step | exit status | seconds |"
say "| --- | --- | --- |"
FAILED=0
for i in "${!NAMES[@]}"; do
    say "| ${NAMES[$i]} | ${RCS[$i]} | ${SECS[$i]} |"
    [ "${RCS[$i]}" != 0 ] && [ "${RCS[$i]}" != skip ] && FAILED=$((FAILED + 1))
done
say "device_check: $FAILED step(s) failed, total $(($(date +%s) - START))s; logs in $OUT"
exit $((FAILED > 0))
