"""Performance benchmarks of housing-pathways (not part of the test suite).

Run ``.venv/bin/python -m benchmarks`` from the project folder; see ``docs/performance.md``.
"""
