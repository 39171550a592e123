"""Many runs: executors, replications, comparisons, sweep files, sweeps, sensitivity and calibration.

Nothing here draws a figure or writes a report: that is :mod:`sim.reports`.
"""
