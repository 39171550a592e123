"""``python -m sim``: the same as the ``pathways`` command."""

from sim.cli import main

main()
