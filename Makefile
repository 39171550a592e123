# The two commands of the README. Both set up .venv first (a Python >= 3.12 is found on its own).
.PHONY: setup browser run test

setup:
	@bash scripts/setup.sh

# Debian's Chromium and the interactive page's front-end files, for the browser test.
browser: setup
	@bash scripts/install_browser.sh </dev/null

run: setup
	.venv/bin/pathways run baseline

test: browser
	.venv/bin/python -m pytest -n auto
