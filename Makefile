# The two commands of the README. Both set up .venv first (a Python >= 3.12 is found on its own).
.PHONY: setup browser run test

setup:
	@bash scripts/setup.sh

# Debian's Chromium and the interactive page's front-end files, for the browser test.
browser: setup
	@bash scripts/install_browser.sh </dev/null

run: setup
	.venv/bin/pathways run baseline

# The browser test's Chromium needs root or sudo: without them, every other test runs (and the
# script says so in one line); under CI a browser that cannot be installed is a failure.
test: setup
	@bash scripts/test.sh
