#!/usr/bin/env bash
# Create .venv with a Python >= 3.12 and install the project into it (idempotent).
# Usage: bash scripts/setup.sh   (PYTHON=/path/to/python3.12 to choose the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."

ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
    local c
    for c in "${PYTHON:-}" python3.13 python3.12 python3 \
             "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3 \
             /usr/local/bin/python3.13 /usr/local/bin/python3.12 /usr/bin/python3.13 /usr/bin/python3.12; do
        [ -n "$c" ] || continue
        if command -v "$c" >/dev/null 2>&1 && ok "$c"; then command -v "$c"; return 0; fi
    done
    return 1
}

if [ ! -x .venv/bin/python ] || ! ok .venv/bin/python; then
    py=$(find_python) || {
        echo "error: no Python >= 3.12 found (tried python3.13, python3.12, python3 and ~/.pyenv/versions)." >&2
        echo "Install one (e.g. 'pyenv install 3.12') or set PYTHON=/path/to/python3.12." >&2
        exit 1
    }
    echo "setup: creating .venv with $py ($("$py" --version))"
    rm -rf .venv
    "$py" -m venv .venv
fi

# Reinstall only when pyproject.toml changed since the last install.
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
    echo "setup: installing housing-pathways and its dependencies into .venv"
    log=.venv/pip-install.log
    if ! { .venv/bin/python -m pip install --upgrade pip && .venv/bin/python -m pip install -e ".[dev]"; } >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "error: installing into .venv failed; full log in $log" >&2
        exit 1
    fi
    rm -f .venv/.installed-*
    touch "$stamp"
fi

# Compile the model's hot modules (sim/model/native.py; quiet and instant when they are current).
# If that fails, the plain Python modules run: the same results, about twice the time.
if ! .venv/bin/python scripts/build_native.py; then
    case "$(printf '%s' "${CI:-}" | tr '[:upper:]' '[:lower:]')" in  # CI as scripts/test.sh reads it
        ""|0|false|no) echo "setup: going on with the plain Python modules" >&2 ;;
        *) echo "error: under CI the compiled modules must build" >&2; exit 1 ;;
    esac
fi
