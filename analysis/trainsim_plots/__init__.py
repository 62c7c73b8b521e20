"""Plots of trainsim HDF5 traces (docs/plots.md). Each plot module has one function that takes a
Trace and returns a matplotlib Figure; `analysis/plot.py` is the command line over them."""
