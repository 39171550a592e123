"""housing-pathways: an agent-based simulation of housing pathways in substance-use recovery."""

__version__ = "0.1.0"
