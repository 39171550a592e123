#!/usr/bin/env bash
# The README's test command (`make test`, also what .ci/run calls), after scripts/setup.sh.
#
# Tries to install what the browser test needs (scripts/install_browser.sh: Debian's Chromium,
# which needs root or sudo, and the page's front-end files, which need npm). When that is not
# possible on this machine:
#   - outside CI it says so in one line and runs every other test (-m "not browser");
#   - in CI (CI set to anything but "", 0, false or no) it is a failure: CI must test the page.
#
# Two passes when the compiled model modules are in use (sim/model/native.py): the suite on them,
# then the tests marked plain_modules (they patch model functions) on the plain modules.
set -uo pipefail
cd "$(dirname "$0")/.."

ci=false
case "$(printf '%s' "${CI:-}" | tr '[:upper:]' '[:lower:]')" in
    ""|0|false|no) ;;
    *) ci=true ;;
esac

# Both passes run; the exit code is the first pass's failure, else the second's.
run_tests() {  # run_tests MARKERS ARGS...: "" for every test
    local markers=$1 status=0 second=0
    shift
    .venv/bin/python -m pytest -n auto ${markers:+-m "$markers"} "$@" || status=$?
    [ "$status" -ne 2 ] || return 2  # interrupted, or a usage error: no second pass
    if .venv/bin/python -c 'from sim.model import native; raise SystemExit(not native.ACTIVE)' 2>/dev/null; then
        echo "make test: the tests that need the plain model modules (marked plain_modules), on them"
        PATHWAYS_PURE_PYTHON=1 .venv/bin/python -m pytest -n auto -m "plain_modules${markers:+ and ($markers)}" "$@" \
            || second=$?
        [ "$second" -ne 5 ] || second=0  # 5: none of them among the tests asked for
        [ "$status" -ne 0 ] || status=$second
    fi
    return "$status"
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if bash scripts/install_browser.sh </dev/null >"$log" 2>&1; then
    cat "$log"
    run_tests "" "$@"
    exit
fi
if [ "$ci" = true ]; then
    cat "$log" >&2
    echo "error: the browser test cannot be set up, and CI must run it (see the lines above)" >&2
    exit 1
fi
reason=$(grep -m1 '^error:' "$log" | sed 's/^error: //')
echo "make test: browser test skipped (${reason:-scripts/install_browser.sh failed}); running every other test"
run_tests "not browser" "$@"
