"""Words and numbers in the reader's language: English (``en``) or Norwegian bokmål (``nb``).

One owner for what the outputs call things: the names of the places a person can be in
(:data:`PLACES`), the planners' terms (:data:`TERMS`), and numbers written the way the language
writes them (:func:`fmt`: ``1,234.5`` in English, ``1 234,5`` in Norwegian, from Babel's locale
tables). Reports, the run's summary in words and the interactive page take a ``lang`` argument
and ask here.
"""

from __future__ import annotations

from typing import Literal

from babel.numbers import format_decimal

from sim.model.states import State

#: The languages the outputs can be written in.
Lang = Literal["en", "nb"]
LANGS: tuple[str, ...] = ("en", "nb")
#: Babel's locale for each language.
LOCALES: dict[str, str] = {"en": "en_GB", "nb": "nb_NO"}


def check_lang(lang: str) -> Lang:
    """``lang`` if it is one of :data:`LANGS`.

    Raises:
        ValueError: naming the value and what is allowed.
    """
    if lang not in LANGS:
        raise ValueError(f"language {lang!r} is not known; allowed: {', '.join(LANGS)}")
    return lang  # type: ignore[return-value]


def fmt(value: float, decimals: int = 0, lang: str = "en", grouping: bool = True) -> str:
    """A number with exactly ``decimals`` decimals, in the language's way; no ``-0``.

    Args:
        value: The number.
        decimals: Digits after the decimal sign.
        lang: ``"en"`` (``1,234.5``) or ``"nb"`` (``1 234,5``, with a no-break space).
        grouping: Group thousands.
    """
    rounded = round(float(value), decimals)
    if rounded == 0:
        rounded = 0.0
    pattern = ("#,##0" if grouping else "0") + ("." + "0" * decimals if decimals > 0 else "")
    text = format_decimal(rounded, format=pattern, locale=LOCALES[check_lang(lang)])
    # Babel writes the minus as U+2212 in some locales; a plain hyphen reads everywhere.
    return text.replace("\u2212", "-")


#: The places a person can be in, as each language's readers call them (one name per place).
PLACES: dict[State, dict[str, str]] = {
    State.TREATMENT: {"en": "treatment (TSB)", "nb": "behandling (TSB)"},
    State.PRISON: {"en": "prison", "nb": "fengsel"},
    State.TEMPORARY: {"en": "NAV temporary housing", "nb": "NAV midlertidig botilbud"},
    State.STREET: {"en": "street or a friend's sofa", "nb": "gate eller sofa hos venner"},
    State.HOUSED: {"en": "municipal housing", "nb": "kommunal bolig"},
    State.PRIVATE: {"en": "private housing", "nb": "privat bolig"},
}

#: The terms planners use, in each language (the places are in :data:`PLACES`: :func:`place`).
TERMS: dict[str, dict[str, str]] = {
    "meeting": {"en": "allocation meeting", "nb": "tildelingsmøte"},
    "followup": {"en": "follow-up after treatment", "nb": "ettervern"},
    "waiting_list": {"en": "waiting list", "nb": "venteliste"},
    "warmup": {"en": "warm-up (not counted)", "nb": "innsvingning (telles ikke)"},
}


#: The municipal unit types by their names in the scenarios, in each language (short: they
#: follow "municipal housing", as in "municipal housing (training flat, sor)").
UNIT_TYPES: dict[str, dict[str, str]] = {
    "ordinary": {"en": "ordinary flat", "nb": "ordinær leilighet"},
    "rop": {"en": "ROP unit", "nb": "ROP-bolig"},
    "staffed": {"en": "staffed", "nb": "bemannet"},
    "training": {"en": "training flat", "nb": "treningsleilighet"},
    "recovery": {"en": "recovery house", "nb": "tilfriskningshus"},
}


def unit_type(name: str, lang: str = "en") -> str:
    """A unit type's name in the language; a type not in :data:`UNIT_TYPES` is written as its
    name in the scenario (``my_type`` -> ``my type``)."""
    return UNIT_TYPES.get(name, {}).get(check_lang(lang), name.replace("_", " "))


def place(state: State, lang: str = "en") -> str:
    """The name of a place in the language."""
    return PLACES[state][check_lang(lang)]


def term(key: str, lang: str = "en") -> str:
    """A planner's term (a key of :data:`TERMS`) in the language."""
    return TERMS[key][check_lang(lang)]
