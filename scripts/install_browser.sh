#!/usr/bin/env bash
# Install what the interactive page (sim/app.py) needs in a browser, and its browser test
# (tests/test_app_browser.py) needs on this machine. Idempotent: does nothing when all is there.
#
#   1. Debian's Chromium (/usr/bin/chromium), for the headless browser test. Browser downloads
#      (`playwright install`) are not possible here; the test drives this one.
#   2. The page's front-end files. Solara's server normally fetches them from a public CDN the
#      first time a page asks for them and keeps them in .venv/share/solara/cdn/. On a machine
#      without that access, this step fetches the same npm packages from the npm registry
#      (with npm) into that folder. The package versions are read from the installed solara,
#      so they follow a solara upgrade. Skipped when .venv has no solara (viz extra missing).
#
# Usage: bash scripts/install_browser.sh        (after scripts/setup.sh; as root, or with sudo)
set -euo pipefail
cd "$(dirname "$0")/.."

# ------------------------------------------------------------------------------ 1. Chromium
if command -v chromium >/dev/null 2>&1; then
    echo "install_browser: chromium present ($(command -v chromium))"
else
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "error: chromium not found and no apt-get to install it; install Chromium and put" >&2
        echo "'chromium' on PATH (or set CHROMIUM=/path/to/chrome for the browser test)." >&2
        exit 1
    fi
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "error: installing chromium needs root or sudo" >&2; exit 1; }
        sudo="sudo"
    fi
    echo "install_browser: installing Debian's chromium with apt-get"
    log=$(mktemp)
    if ! { $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q \
           && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; } \
           </dev/null >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        echo "error: apt-get could not install chromium (log above)" >&2
        rm -f "$log"
        exit 1
    fi
    rm -f "$log"
    echo "install_browser: $(chromium --version 2>/dev/null | tail -n 1)"
fi

# ------------------------------------------------------------------------------ 2. front-end files
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import solara.server" >/dev/null 2>&1; then
    echo "install_browser: no solara in .venv (run scripts/setup.sh first); front-end files skipped"
    exit 0
fi

# The npm packages (NAME@VERSION) that the page and its widgets load from the CDN, each with the
# files asked for in it, and the folder the server serves them from (first line).
mapfile -t wanted < <(.venv/bin/python - <<'PY'
import re
from pathlib import Path

import solara
import solara.server.settings as settings

root = Path(solara.__file__).parent
ref = re.compile(r"(?:\{\{ ?cdn ?\}\}|\$\{this\.getCdn\(\)\})/((?:@[\w.-]+/)?[\w.-]+@[\w.+-]+)/([\w./-]*)")
found: dict[str, set[str]] = {}
for path in root.rglob("*"):
    if path.suffix in {".j2", ".html", ".vue", ".py", ".js"} and "test" not in path.parts:
        try:
            text = path.read_text(encoding="utf-8", errors="ignore")
        except OSError:
            continue
        for package, file in ref.findall(text):
            found.setdefault(package, set()).add(file)
package, _, file = settings.assets.fontawesome_path.strip("/").partition("/")
if "@" in package:
    found.setdefault(package, set()).add(file)
print(settings.assets.proxy_cache_dir)
for package in sorted(found):
    files = sorted(f for f in found[package] if f.endswith((".js", ".css")))
    print(" ".join([package, *files]))
PY
)
cache_dir=${wanted[0]}
specs=("${wanted[@]:1}")
missing=()
for line in "${specs[@]}"; do
    read -r spec _ <<<"$line"
    [ -f "$cache_dir/$spec/package.json" ] || missing+=("$spec")
done
if [ "${#missing[@]}" -gt 0 ]; then
    command -v npm >/dev/null 2>&1 || { echo "error: npm is needed to fetch solara's front-end files (${missing[*]})" >&2; exit 1; }
    echo "install_browser: fetching ${#missing[@]} front-end packages for solara from the npm registry"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    for spec in "${missing[@]}"; do
        mkdir -p "$work/$spec"
        tarball=$(cd "$work/$spec" && npm pack --silent "$spec" </dev/null 2>"$work/npm.log" | tail -n 1) || {
            cat "$work/npm.log" >&2; echo "error: npm pack $spec failed" >&2; exit 1; }
        tar -xzf "$work/$spec/$tarball" -C "$work/$spec"
        mkdir -p "$(dirname "$cache_dir/$spec")"
        rm -rf "${cache_dir:?}/$spec"
        mv "$work/$spec/package" "$cache_dir/$spec"   # the same paths as the CDN's /npm/NAME@VERSION/
        echo "install_browser:   $spec"
    done
fi
# The CDN makes a minified copy of any .js or .css file on request, and solara asks for one that
# its package does not ship (requirejs's require.min.js): the unminified file does the same job.
for line in "${specs[@]}"; do
    read -r spec files <<<"$line"
    for file in $files; do
        target="$cache_dir/$spec/$file"
        source="${target/.min./.}"
        if [ ! -f "$target" ] && [ "$source" != "$target" ] && [ -f "$source" ]; then
            cp "$source" "$target"
            echo "install_browser:   $spec/$file (copy of the unminified file)"
        fi
    done
done
echo "install_browser: solara's front-end files present (${#specs[@]} packages in $cache_dir)"
