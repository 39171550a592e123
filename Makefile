# The two commands of the README. Both set up .venv first (a Python >= 3.12 is found on its own).
.PHONY: setup run test

setup:
	@bash scripts/setup.sh

run: setup
	.venv/bin/pathways run baseline

test: setup
	.venv/bin/python -m pytest -n auto
