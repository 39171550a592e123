"""Follow-up windows: whether the same person has an event within a window after a day.

The one definition behind every "within N days" measure: ``relapse_within_90d_share`` and
``readmission_within_365d_share`` (``sim.measures.metrics``), and the calibration's relapse
after discharge and after a placement (``sim.measures.patterns``). A start on day ``d`` is
followed when the same person has an event on a day in ``(d, d + window]``: an event on the
start's own day does not count, one exactly ``window`` days later does.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def followed_within(events: pd.DataFrame, starts: pd.DataFrame, window: float) -> np.ndarray:
    """For each row of ``starts``, whether the same person has an event in (day, day + window].

    Args:
        events: The events, with ``person`` and ``day`` columns (any order).
        starts: The starts, with ``person`` and ``day`` columns.
        window: Length of the follow-up in days.

    Returns:
        One boolean per row of ``starts``, in their order.
    """
    if starts.empty or events.empty:
        return np.zeros(len(starts), dtype=bool)
    e_person, s_person = events["person"].to_numpy(), starts["person"].to_numpy()
    e_day = events["day"].to_numpy(dtype=float)
    s_day = starts["day"].to_numpy(dtype=float)
    # Events sorted by (person, day); for each start, the first event of anyone after (person, day)
    # in that order is the same person's next event, if there is one.
    order = np.lexsort((e_day, e_person))
    e_person, e_day = e_person[order], e_day[order]
    nxt = _lex_searchsorted(e_person, e_day, s_person, s_day)
    found = nxt < len(e_day)
    nxt = np.minimum(nxt, len(e_day) - 1)
    return found & (e_person[nxt] == s_person) & (e_day[nxt] <= s_day + window)


def share_followed_within(events: pd.DataFrame, starts: pd.DataFrame, window: float) -> float:
    """The share of ``starts`` followed by an event within ``window`` days (see :func:`followed_within`).

    Returns:
        The share, or ``nan`` when there are no starts.
    """
    if starts.empty:
        return math.nan
    return int(followed_within(events, starts, window).sum()) / len(starts)


def _lex_searchsorted(keys: np.ndarray, days: np.ndarray, q_keys: np.ndarray, q_days: np.ndarray) -> np.ndarray:
    """For each query (key, day), the index of the first row of the (key, day)-sorted arrays that
    comes after it (``searchsorted(..., side="right")`` on the pair). Exact: days are compared as
    given, through their ranks, never combined into one float."""
    _, codes = np.unique(np.concatenate([keys, q_keys]), return_inverse=True)
    uniq_days, ranks = np.unique(np.concatenate([days, q_days]), return_inverse=True)
    combined = codes.astype(np.int64) * (len(uniq_days) + 1) + ranks
    n = len(keys)
    return np.searchsorted(combined[:n], combined[n:], side="right")
