"""Homelessness episodes: the one rule for when a person becomes homeless.

An episode is a run of a person's consecutive temporary-housing and street spells. It starts when
the person enters temporary housing or the street from anywhere else (a municipal unit,
treatment, prison), or arrives homeless. The face-validity measures (``sim.measures.patterns``)
follow each episode from its start. Counted the Norwegian way (``institution_without_housing``),
a stay in treatment or prison that ends with nowhere to live belongs to the episode:
``repeat_homeless_persons`` and ``homeless_episodes_per_year`` count episodes so.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.model.states import INSTITUTION, State

#: The states in which a person is homeless, as the spells record them: NAV temporary housing,
#: or the street (a friend's sofa).
HOMELESS: tuple[str, ...] = (State.TEMPORARY.value, State.STREET.value)
#: Treatment and prison, as the spells record them.
INSTITUTIONS: tuple[str, ...] = tuple(state.value for state in INSTITUTION)


def homelessness_episodes(
    spells: pd.DataFrame, since: float, until: float = math.inf, *, institution_without_housing: bool = False
) -> tuple[pd.DataFrame, np.ndarray]:
    """The spells in person order and which of them start a homelessness episode in [since, until].

    Args:
        spells: A run's spells (``Records.frame("spells")``), not empty.
        since: Earliest start of an episode counted (days).
        until: Latest start of an episode counted (days; default: no limit).
        institution_without_housing: Count a stay in treatment or prison that ends in temporary
            housing or on the street as homeless too (the Norwegian definition: no housing to go
            to), so it continues an episode instead of breaking it.

    Returns:
        The spells sorted by person, start and end (a stable sort), and one boolean per sorted
        row: the row starts an episode, on a day in [since, until].
    """
    s = spells.sort_values(["person", "start", "end"], kind="stable")
    person = s["person"].to_numpy()
    start = s["start"].to_numpy()
    state = s["state"]
    homeless = state.isin(HOMELESS).to_numpy()
    if institution_without_housing:
        same_next = np.r_[person[1:] == person[:-1], False]
        next_homeless = np.r_[homeless[1:], False] & same_next
        homeless = homeless | (state.isin(INSTITUTIONS).to_numpy() & next_homeless)
    prev_homeless = np.r_[False, homeless[:-1]] & np.r_[False, person[1:] == person[:-1]]
    return s, homeless & ~prev_homeless & (start >= since) & (start <= until)
