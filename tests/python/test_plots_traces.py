"""Every plot of every kind of trace the simulator writes is readable (test_plots_support.
readability: no tiny, overlapping or cut text, no legend or note over data, no pale series) and
says what it shows: training (one and three iterations), a full DiLoCo run across two
datacenters, a collective benchmark."""
import pytest

from test_plots_support import REPO, readability, run, trainsim, tutorial_trace
from trainsim_plots.links import plot_links
from trainsim_plots.memory import plot_memory
from trainsim_plots.timeline import plot_timeline
from trainsim_plots.trace import Trace, TraceError


def small_diloco(folder):
    """scenarios/diloco/two-dc-full-10b.yaml cut down to run in under a second: dp 2, one
    method of 2 inner steps, 3 rounds."""
    text = (REPO / "scenarios/diloco/two-dc-full-10b.yaml").read_text()
    text = text.replace("../../platforms", str(REPO / "platforms")).replace("dp: 16", "dp: 2")
    text = text.replace("global_batch: 512", "global_batch: 16")
    methods = text.index("  methods:")
    text = text[:methods] + "  methods:\n    - {name: DiLoCo H=2, algorithm: diloco, inner_steps: 2}\n"
    (folder / "diloco.yaml").write_text(text)
    run([trainsim(), "run", folder / "diloco.yaml", "--trace", folder / "diloco.h5", "--quiet"])
    return folder / "diloco.h5"


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    d = tmp_path_factory.mktemp("kinds")
    run([trainsim(), "run", REPO / "scenarios/nccl/dgx-a100-allreduce-1node.yaml", "--trace", d / "nccl.h5",
         "--quiet"])
    return {"training": Trace(tutorial_trace(d)), "three iterations": Trace(tutorial_trace(d, iterations=3)),
            "diloco": Trace(small_diloco(d)), "collective benchmark": Trace(d / "nccl.h5")}


PLOTS = {
    "timeline": lambda t: plot_timeline(t),
    "timeline per GPU": lambda t: plot_timeline(t, rows="gpu"),
    "timeline zoomed": lambda t: plot_timeline(t, end=t.makespan / 10),
    "links": lambda t: plot_links(t),
    "memory": lambda t: plot_memory(t),
}
NOT_APPLICABLE = {("diloco", "memory"), ("collective benchmark", "memory")}  # no `stages` table


@pytest.mark.parametrize("kind", ["training", "three iterations", "diloco", "collective benchmark"])
@pytest.mark.parametrize("plot", sorted(PLOTS))
def test_every_plot_of_every_trace_is_readable(traces, kind, plot):
    if (kind, plot) in NOT_APPLICABLE:
        with pytest.raises(TraceError, match="stages"):
            PLOTS[plot](traces[kind])
        return
    assert readability(PLOTS[plot](traces[kind])) == []


def test_a_trace_without_pipeline_is_not_called_a_pipeline_schedule(traces):
    ax = plot_timeline(traces["collective benchmark"]).axes[0]
    assert "activities per GPU" in ax.get_title() and ax.get_ylabel() == "GPU"
    assert "pipeline" not in ax.get_title() + ax.get_ylabel()
    ax = plot_timeline(traces["diloco"]).axes[0]
    assert "pipeline schedule" in ax.get_title()  # pp 2


def test_a_wan_link_is_not_lost_among_hundreds_of_nics(traces):
    """The DiLoCo run has 1 WAN link next to hundreds of NIC rows: its tier band still takes at
    least a tenth of the map, and its label does not overlap the others."""
    fig = plot_links(traces["diloco"])
    heat = fig.axes[0]
    labels = [t.get_text() for t in heat.get_yticklabels()]
    assert labels[-1] == "wan (1)"
    last = heat.get_images()[-1]  # the image holding the last row, the WAN link
    top, bottom = last.get_extent()[3], last.get_extent()[2]
    wan_row = (bottom - top) / last.get_array().shape[0]
    assert wan_row >= 0.1 * abs(heat.get_ylim()[0] - heat.get_ylim()[1]) - 1e-9
