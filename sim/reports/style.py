"""One look for every figure: a colour per place, the same in the CLI's figures, the notebooks
and the interactive page.
"""

from __future__ import annotations

from sim.model.states import State

#: One colour per place (matplotlib's tab10 names).
PLACE_COLOURS: dict[State, str] = {
    State.TREATMENT: "tab:purple",
    State.PRISON: "tab:brown",
    State.TEMPORARY: "tab:orange",
    State.STREET: "tab:red",
    State.HOUSED: "tab:green",
    State.PRIVATE: "tab:cyan",
}
#: The waiting list and other lines that are not a place.
WAITLIST_COLOUR = "tab:blue"
#: The shading of the warm-up (not counted).
WARMUP_SHADE = "0.9"
#: Better and worse in tables and forest plots.
BETTER_COLOUR = "tab:green"
WORSE_COLOUR = "tab:red"
NEUTRAL_COLOUR = "0.45"


def place_colour(state: State | str) -> str:
    """The colour of a place, given as a :class:`State` or its value (``"temporary"``)."""
    return PLACE_COLOURS[state if isinstance(state, State) else State(state)]
