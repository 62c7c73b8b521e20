"""The plots of analysis/plot.py (docs/plots.md) as functions of a result or a trace file:
`trainsim.plots.timeline(result)` returns a matplotlib Figure. Imported on demand (matplotlib)."""
from trainsim_plots.compare import plot_compare as compare
from trainsim_plots.links import plot_links as links
from trainsim_plots.memory import plot_memory as memory
from trainsim_plots.timeline import plot_timeline as timeline
from trainsim_plots.utilization import plot_utilization as utilization

__all__ = ["timeline", "links", "memory", "utilization", "compare"]
