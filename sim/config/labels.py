"""Names for people: a scenario parameter's dotted key and its values.

Sweep figures, sensitivity tables and their text name parameters by their dotted keys
(``stock.types.ordinary.units.sentrum``), which only the model's authors read at a glance.
:func:`parameter_label` turns a key into words (``ordinary flats in the centre (units)``), from
the scenario schema itself: the key is walked through :class:`sim.config.Scenario`, a field's
``Field(description=...)`` is used where the schema gives one, and otherwise the field's name,
whose unit suffix (``_days``, ``_per_year``, ``_prob``, ``_share``, the schema's convention)
becomes the unit in brackets. Only the pieces a name cannot say are in the small tables below:
sections, unit types, zones and need levels. A key the schema does not know is returned as it is.

:func:`value_label` writes a parameter's value (``unlimited``, ``yes``, ``first come, first
served``). The labels are here, next to the schema, so every stage can name a parameter the same
way (the sensitivity analysis's warnings, the figures and reports); figures and reports take them,
with the metrics' labels, from :mod:`sim.reports.labels`.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from sim.config.schema import Scenario, StockAddition

#: Sections whose name alone does not say what they are.
SECTIONS: dict[str, str] = {
    "housing_office": "housing office",
    "followup": "follow-up",
    "temporary": "temporary housing",
    "private": "private housing",
    "choice": "user choice",
    "initial": "day 0",
    "exits": "exits",
}
#: Unit types of the stock (``stock.types.<type>``), as a planner says them.
UNIT_TYPES: dict[str, str] = {
    "ordinary": "ordinary flats",
    "rop": "ROP units",
    "staffed": "staffed units",
    "training": "training flats",
    "recovery": "recovery-house places",
}
#: Zones of the shipped scenarios (``zones.names``).
ZONES: dict[str, str] = {"sentrum": "the centre", "nord": "the north", "sor": "the south", "ost": "the east"}
#: Need levels (``population.need_shares.<level>`` and the like).
NEED_LEVELS: dict[str, str] = {"low": "low need", "medium": "medium need", "high": "high need", "rop": "ROP need"}
#: Words of a name that are written otherwise (abbreviations, compounds).
WORDS: dict[str, str] = {
    "nav": "NAV",
    "rop": "ROP",
    "tsb": "TSB",
    "nok": "NOK",
    "prob": "probability",
    "cv": "coefficient of variation",
    "followup": "follow-up",
    "fcfs": "first come, first served",
    "max": "maximum",
    "min": "minimum",
}
#: Unit suffixes of field names (the schema's convention), longest first: suffix -> unit.
UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_per_100_person_years", "per 100 person-years"),
    ("_days_mean", "days, mean"),
    ("_days_cv", "coefficient of variation"),
    ("_per_year", "per year"),
    ("_per_day", "per day"),
    ("_days", "days"),
    ("_prob", "probability"),
    ("_share", "share"),
)
#: Rates qualified by who they apply to (``referral_rate_per_day_using``): the qualifier's words.
QUALIFIERS: dict[str, str] = {
    "using": "in active use",
    "housed": "housed",
    "homeless": "homeless",
    "not_using": "not in active use",
    "treatment": "in treatment",
    "followup": "in follow-up",
}


def words(name: str) -> str:
    """A name's words: underscores become spaces, abbreviations are written out (:data:`WORDS`)."""
    return " ".join(WORDS.get(w, w) for w in name.split("_") if w)


def _field_words(name: str, description: str | None) -> tuple[str, str | None]:
    """What a field is and its unit: ``notice_delay_days`` -> (``notice delay``, ``days``)."""
    unit = None
    stem = name
    for suffix, suffix_unit in UNIT_SUFFIXES:
        if stem.endswith(suffix):
            stem, unit = stem[: -len(suffix)], suffix_unit
            break
    else:
        # A rate followed by who it applies to: referral_rate_per_day_using.
        for per, per_unit in (("_per_day_", "per day"), ("_per_year_", "per year")):
            if per in stem:
                head, tail = stem.split(per, 1)
                stem, unit = f"{head}_{tail}", per_unit
                qualifier = QUALIFIERS.get(tail, words(tail))
                return f"{words(head)}, {qualifier}", unit
        if "_nok_" in stem:  # costs: temporary_nok_per_night
            head, tail = stem.split("_nok_", 1)
            stem, unit = head, f"NOK {words(tail)}"
    if stem.endswith("_nok") and unit is not None:  # costs: unit_nok_per_year
        stem, unit = stem[: -len("_nok")], f"NOK {unit}"
    return (description or words(stem)), unit


def _annotation_parts(annotation: Any) -> tuple[type[BaseModel] | None, str | None]:
    """The model a field holds (directly, as dict values or as list items) and how: ``None``, ``"dict"``, ``"list"``."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            model, how = _annotation_parts(arg)
            if model is not None or how is not None:
                return model, how
        return None, None
    if origin is typing.Annotated:
        return _annotation_parts(typing.get_args(annotation)[0])
    if origin is dict:
        value = typing.get_args(annotation)[1]
        return (value if _is_model(value) else None), "dict"
    if origin is list:
        item = typing.get_args(annotation)[0]
        return (item if _is_model(item) else None), "list"
    return (annotation, None) if _is_model(annotation) else (None, None)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _dict_key_words(key: str) -> str:
    """A key of a dict field in words: a zone, a unit type, a need level, or the key's words."""
    if key in ZONES:
        return f"in {ZONES[key]}"
    if key in UNIT_TYPES:
        return UNIT_TYPES[key]
    if key in NEED_LEVELS:
        return NEED_LEVELS[key]
    return words(key)


def _scenario_data(base: Scenario | Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """A scenario as plain data (``None`` stays ``None``)."""
    if base is None or isinstance(base, Mapping):
        return base
    return base.to_dict()


def _addition_words(index: int, data: Mapping[str, Any] | None) -> str:
    """``stock.additions.<index>`` in words, with its type, zone and day when the scenario is known."""
    try:
        addition = data["stock"]["additions"][index]  # type: ignore[index]
    except (TypeError, KeyError, IndexError):
        return f"stock addition {index + 1}"
    kind = UNIT_TYPES.get(addition["type"], f"{words(addition['type'])} units")
    zone = ZONES.get(addition["zone"], f"zone {addition['zone']}")
    return f"{kind} bought in {zone} on day {addition['day']:g}"


def parameter_label(
    key: str, base: Scenario | Mapping[str, Any] | None = None, *, schema: type[BaseModel] = Scenario
) -> str:
    """A parameter's dotted key in words, with its unit in brackets.

    ``stock.types.ordinary.units.sentrum`` -> ``ordinary flats in the centre (units)``;
    ``coordination.notice_delay_days`` -> ``coordination: notice delay (days)``;
    ``stock.additions.0.count`` -> ``ordinary flats bought in the centre on day 730 (units)``
    (with the base scenario, which says what addition 0 is; ``stock addition 1: count`` without).

    Args:
        key: A dotted scenario key, as ``--set`` and sweep files write it.
        base: The scenario the key belongs to (a :class:`~sim.config.Scenario` or its data), for
            the entries of lists such as ``stock.additions``; optional.
        schema: The model the key is walked through (the scenario's, unless another is given).

    Returns:
        The words, or ``key`` itself where the schema does not know it.
    """
    parts = key.split(".")
    model = schema
    subject = ""
    index = 0
    data = _scenario_data(base)
    while index < len(parts):
        part = parts[index]
        field = model.model_fields.get(part)
        if field is None:
            return key
        inner, how = _annotation_parts(field.annotation)
        rest = parts[index + 1 :]
        if inner is not None and how is None:  # a section: descend
            subject = SECTIONS.get(part, words(part)) if not subject else f"{subject}, {words(part)}"
            model, index = inner, index + 1
            continue
        if inner is not None and how == "dict" and rest:  # stock.types.<type>: the type is the subject
            subject = UNIT_TYPES.get(rest[0], f"{words(part)} {words(rest[0])}")
            model, index = inner, index + 2
            continue
        if inner is not None and how == "list" and rest and rest[0].isdigit():  # stock.additions.<i>
            subject = _addition_words(int(rest[0]), data) if part == "additions" else f"{words(part)} {int(rest[0]) + 1}"
            model, index = inner, index + 2
            continue
        if model is StockAddition and part == "count" and not subject.startswith("stock addition"):
            return f"{subject} (units)"  # the addition is known: "ordinary flats bought in the centre on day 730"
        what, unit = _field_words(part, field.description)
        if part == "units" and how == "dict" and len(rest) == 1:  # units by zone: "ordinary flats in the centre"
            return f"{subject} {_dict_key_words(rest[0])} (units)"
        if how == "dict" and len(rest) == 1:
            what = f"{what}, {_dict_key_words(rest[0])}"
        elif rest:
            return key
        label = f"{subject}: {what}" if subject else what
        return f"{label} ({unit})" if unit else label
    return key


#: Values that are written otherwise.
VALUE_WORDS: dict[str, str] = {"fcfs": "first come, first served", "true": "yes", "false": "no"}


def value_label(value: Any) -> str:
    """A parameter's value in words: ``True`` -> ``yes``, ``need_priority`` -> ``need priority``, ``30.0`` -> ``30``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    return VALUE_WORDS.get(text.lower(), text.replace("_", " "))
