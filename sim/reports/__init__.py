"""Figures, tables and report text for runs, comparisons, sweeps, sensitivity and calibration.

Library code here never picks a matplotlib backend: figures are drawn on ``matplotlib.figure.Figure``
objects, so a notebook's inline backend keeps working.
"""
