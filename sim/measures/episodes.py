"""Homelessness episodes: the one rule for when a person becomes homeless.

An episode is a run of a person's consecutive temporary-housing and street spells. It starts when
the person enters temporary housing or the street from anywhere else (a municipal unit,
treatment, prison), or arrives homeless. ``repeat_homeless_persons`` (``sim.measures.metrics``)
counts episodes per person; the face-validity measures (``sim.measures.patterns``) follow each
episode from its start.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.model.states import State

#: The states in which a person is homeless, as the spells record them: NAV temporary housing,
#: or the street (a friend's sofa).
HOMELESS: tuple[str, ...] = (State.TEMPORARY.value, State.STREET.value)


def homelessness_episodes(
    spells: pd.DataFrame, since: float, until: float = math.inf
) -> tuple[pd.DataFrame, np.ndarray]:
    """The spells in person order and which of them start a homelessness episode in [since, until].

    Args:
        spells: A run's spells (``Records.frame("spells")``), not empty.
        since: Earliest start of an episode counted (days).
        until: Latest start of an episode counted (days; default: no limit).

    Returns:
        The spells sorted by person, start and end (a stable sort), and one boolean per sorted
        row: the row starts an episode, on a day in [since, until].
    """
    s = spells.sort_values(["person", "start", "end"], kind="stable")
    person = s["person"].to_numpy()
    start = s["start"].to_numpy()
    homeless = s["state"].isin(HOMELESS).to_numpy()
    prev_homeless = np.r_[False, homeless[:-1]] & np.r_[False, person[1:] == person[:-1]]
    return s, homeless & ~prev_homeless & (start >= since) & (start <= until)
