"""Colours and names shared by the plots, so that a kind looks the same everywhere."""

# Colours follow the schedule figures of the Megatron-LM and zero-bubble papers where they have
# one (forward blue, backward green, weight gradient teal/cyan); communication is in warm or
# grey tones so that it reads as "not compute" at a glance.
KIND_COLOURS = {
    "forward": "#4C72B0",
    "backward": "#55A868",
    "backward_input": "#8FD18F",
    "backward_weight": "#2CA9A1",
    "recompute": "#A6C8E8",
    "optimizer": "#8172B2",
    "compute": "#937860",
    "tp_comm": "#8C8C8C",
    "pp_send": "#DD8452",
    "pp_recv": "#8C510A",
    "dp_comm": "#C44E52",
    "collective": "#DA8BC3",
    "transfer": "#CCB974",
    "outer_sync": "#64B5CD",
    "wait": "#EEEEEE",
    "memcpy": "#BBBBBB",
}

# Kinds drawn in the compute band of a timeline row; every other kind goes in the
# communication band below it.
COMPUTE_KINDS = ("forward", "backward", "backward_input", "backward_weight", "recompute",
                 "optimizer", "compute")
COMMUNICATION_KINDS = ("tp_comm", "pp_send", "pp_recv", "dp_comm", "collective", "transfer",
                       "outer_sync", "memcpy")

# Colours of series told apart by colour (stages, methods): matplotlib's tab10 without its grey
# and olive, which are too pale for thin lines on white (contrast ratio under 2, the
# readability test's bar). More series than colours repeat them with another line style.
SERIES_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                  "#17becf")
SERIES_LINESTYLES = ("-", "--", ":", "-.")


def series_style(i):
    """(colour, line style) of the i-th series."""
    n = len(SERIES_COLOURS)
    return SERIES_COLOURS[i % n], SERIES_LINESTYLES[(i // n) % len(SERIES_LINESTYLES)]


# Smallest text in any figure (points): micro-batch numbers, bar labels, legends.
MIN_FONT_PT = 8

# Link tiers from the GPU outwards; unknown tiers come after these, alphabetically.
TIER_ORDER = ("nvlink", "pcie", "nic", "leaf", "spine", "wan")


def tier_rank(tier):
    return (TIER_ORDER.index(tier), "") if tier in TIER_ORDER else (len(TIER_ORDER), tier)


def kind_colour(name):
    return KIND_COLOURS.get(name, "#333333")
