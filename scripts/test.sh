#!/usr/bin/env bash
# The README's test command (`make test`, also what .ci/run calls), after scripts/setup.sh.
#
# Tries to install what the browser test needs (scripts/install_browser.sh: Debian's Chromium,
# which needs root or sudo, and the page's front-end files, which need npm). When that is not
# possible on this machine:
#   - outside CI it says so in one line and runs every other test (-m "not browser");
#   - in CI (CI set to anything but "", 0, false or no) it is a failure: CI must test the page.
set -uo pipefail
cd "$(dirname "$0")/.."

ci=false
case "$(printf '%s' "${CI:-}" | tr '[:upper:]' '[:lower:]')" in
    ""|0|false|no) ;;
    *) ci=true ;;
esac

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if bash scripts/install_browser.sh </dev/null >"$log" 2>&1; then
    cat "$log"
    exec .venv/bin/python -m pytest -n auto "$@"
fi
if [ "$ci" = true ]; then
    cat "$log" >&2
    echo "error: the browser test cannot be set up, and CI must run it (see the lines above)" >&2
    exit 1
fi
reason=$(grep -m1 '^error:' "$log" | sed 's/^error: //')
echo "make test: browser test skipped (${reason:-scripts/install_browser.sh failed}); running every other test"
exec .venv/bin/python -m pytest -n auto -m "not browser" "$@"
