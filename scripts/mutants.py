"""Switch each mechanism of the model off, one at a time, and check that a mechanism test fails.

Each mutant is one exact substitution in the model's source (a file, the text there, and the
text that switches the mechanism off). The script copies the repository's ``sim/``, ``tests/``,
``scenarios/`` and ``pyproject.toml`` to a temporary folder, checks that the mechanism tests pass
there unchanged, checks that the copy's ``sim`` is the one imported (a canary that breaks the
copy's ``sim`` must make the tests fail), then applies one mutant at a time and runs

    python -m pytest -q -x -p no:cacheprovider tests/test_mechanisms*.py

in the copy, with ``PYTHONPATH`` set to the copy. A mutant is *caught* when a test fails; the
table names the first failing test. The repository itself is never changed (but for
``docs/mutants.md`` with ``--write``).

Usage (from the repository, with the project's Python)::

    .venv/bin/python scripts/mutants.py                  # every mutant; prints the table
    .venv/bin/python scripts/mutants.py -n 2             # two mutants at a time
    .venv/bin/python scripts/mutants.py --only stable_timer --only review_timer
    .venv/bin/python scripts/mutants.py --list           # the mutants' names
    .venv/bin/python scripts/mutants.py --write          # also rewrite the table in docs/mutants.md

Exit code: 0 when every mutant is caught; 1 when one is not caught, a mutant's text is not found
in its file (the code has moved: fix the mutant), a mutant breaks the test run itself, the tests
fail on the unchanged copy, or the canary shows the copy was not what the tests imported.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "mutants.md"
START, END = "<!-- mutants:start -->", "<!-- mutants:end -->"
#: What is copied (and a root ``conftest.py`` if there is one).
COPIED = ("sim", "tests", "scenarios", "pyproject.toml", "conftest.py")
TEST_GLOB = "test_mechanisms*.py"
#: One run of the mechanism tests may take this long before it counts as hanging.
TIMEOUT_S = 600.0
#: The canary's marker: it must appear in the output of the broken copy's test run.
CANARY = "mutants.py canary: the copy's sim was imported"


@dataclass(frozen=True)
class Mutant:
    """One substitution that switches one mechanism off.

    Attributes:
        name: Short name, for ``--only``.
        mechanism: What is switched off.
        file: The file, relative to the repository.
        original: The exact text in the file (it must occur exactly once).
        replacement: The text it becomes.
    """

    name: str
    mechanism: str
    file: str
    original: str
    replacement: str


P, E, H, C = "sim/model/person.py", "sim/model/events.py", "sim/model/hazards.py", "sim/model/clocks.py"
HM, A, S = "sim/model/housing_model.py", "sim/model/allocation.py", "sim/model/stock.py"
OFFICE, TEMP, FOLLOW = ("sim/model/services/housing_office.py", "sim/model/services/temporary.py",
                        "sim/model/services/followup.py")

MUTANTS: list[Mutant] = [
    # --- housing competence
    Mutant("unit_competence_gain", "competence grows while holding a unit (unit type's competence_gain_per_year)", P,
           "gain += unit.kind.competence_gain_per_year", "gain += 0.0"),
    Mutant("competence_accrual", "competence gained is added over time (Person._update_competence)", P,
           "self.competence = min(1.0, self.competence + gain * elapsed / DAYS_PER_YEAR)",
           "self.competence = min(1.0, self.competence)"),
    Mutant("relapse_competence_loss", "competence falls at a relapse (relapse.competence_loss)", E,
           "person.competence - model.cfg.relapse.competence_loss", "person.competence - 0.0"),
    Mutant("gain_not_using", "competence recovers while not in active use (gain_per_year_not_using)", P,
           "gain += rates.competence_not_using", "gain += 0.0"),
    Mutant("gain_treatment", "competence recovers in treatment (gain_per_year_treatment)", P,
           "gain += rates.competence_treatment", "gain += 0.0"),
    Mutant("gain_followup", "competence recovers with follow-up (gain_per_year_followup)", P,
           "gain += rates.competence_followup", "gain += 0.0"),
    Mutant("competence_update_admission", "competence brought up to date at an admission from the queue", P,
           "self._update_competence()  # an admission from the queue", "pass  # an admission from the queue"),
    Mutant("competence_update_move_in", "competence brought up to date at a move-in at the meeting", P,
           "self._update_competence()  # a move-in with no delay", "pass  # a move-in with no delay"),
    Mutant("review_timer", "competence review redraws the hazards while competence grows (EventKind.REVIEW)", C,
           "race.timer(rates.competence_review, _REVIEW)", "race.timer(INF, _REVIEW)"),
    # --- own housing and competence
    Mutant("own_housing_competence", "own-housing exit depends on competence (own_housing_rates x competence_factor)",
           H, "return own * factor, arranged * factor", "return own, arranged"),
    Mutant("competence_logistic", "the competence factor is a logistic curve (hazards.competence_factor)", H,
           "return 1.0 / (1.0 + math.exp(-z))", "return 1.0"),
    Mutant("own_housing_using", "own housing less likely in active use (own_housing_using_multiplier)", H,
           "(False, True): homeless * own_mult / DAYS_PER_YEAR,", "(False, True): homeless / DAYS_PER_YEAR,"),
    # --- tenancy
    Mutant("renewal_needs_not_using", "tenancy renewal requires no active use (Person.renews_tenancy)", P,
           "return kind.renewable and not (kind.renewal_requires_not_using and self.using)",
           "return kind.renewable"),
    Mutant("renewal_renewable", "only renewable unit types renew (training flats do not)", P,
           "return kind.renewable and not (kind.renewal_requires_not_using and self.using)",
           "return not (kind.renewal_requires_not_using and self.using)"),
    Mutant("move_on_application", "a non-renewable tenancy starts a move-on application", P,
           "if not unit.kind.renewable:", "if False:"),
    # --- housing office
    Mutant("housing_ready", "housing-ready rule: no offer while in active use (require_housing_ready)", OFFICE,
           "and not (ready and person.using)", ""),
    Mutant("institution_priority", "people in treatment or prison first at meetings (institution_priority)", A,
           "(a.penalty, not a.person.in_institution, queue_key(rule, a))", "(a.penalty, True, queue_key(rule, a))"),
    Mutant("need_priority", "need_priority: highest need first", A,
           '-int(application.person.need) if rule == "need_priority" else 0', "0"),
    Mutant("best_fit", "best_fit: the unit closest to the need", A, 'if rule == "best_fit":', "if False:"),
    Mutant("decline_limit", "declines past max_declines have a consequence", A,
           'if cfg.max_declines == "unlimited" or declines_so_far < cfg.max_declines:', "if True:"),
    Mutant("meetings", "allocation meetings every meeting_interval_days", HM,
           "Recurring(self, interval, start=interval, action=self.office.meeting)", "pass"),
    Mutant("processing_delay", "no offer before the office has the papers (processing_days)", OFFICE,
           "if a.active_from <= now and a.answer_due <= now and person.offer is None",
           "if a.answer_due <= now and person.offer is None"),
    Mutant("answer_pending", "no other offer while an offer's answer is due", OFFICE,
           "if a.active_from <= now and a.answer_due <= now and person.offer is None",
           "if a.active_from <= now and person.offer is None"),
    Mutant("offer_response_hold", "a declined unit is held for the response time (offer_response_days)", OFFICE,
           "            if response > 0.0:\n                # The unit waits", "            if False:\n                # The unit waits"),
    Mutant("response_before_move_in", "an accepted unit's keys come after the response time", OFFICE,
           "delay = response + gamma_duration(", "delay = gamma_duration("),
    Mutant("declined_unit_next_applicant", "declined_unit_to = next_applicant: the unit is offered when the answer comes", OFFICE,
           "            self.meeting(only=unit)\n", "            pass\n"),
    Mutant("declined_not_reoffered", "a unit is not offered again to someone who declined it", OFFICE,
           "            app.declined = {unit.uid} if app.declined is None else app.declined | {unit.uid}\n", ""),
    Mutant("chosen_home", "a home taken in the preferred zone or after a decline counts as chosen", OFFICE,
           "chosen = in_preferred_zone or app.declines > 0", "chosen = False"),
    Mutant("chosen_eviction", "a chosen home lowers the eviction hazard (choice.chosen_eviction_multiplier)", H,
           "rate *= rates.eviction_chosen", "rate *= 1.0"),
    Mutant("lettings_recorded", "lettings are recorded with their empty days and offers", P,
           "model.calendar.now - unit.empty_since, unit.offers, self.offer_chosen,", "0.0, unit.offers, self.offer_chosen,"),
    Mutant("relapse_ends_tenancy", "a relapse ends the tenancy in a unit type that says so (recovery house)", E,
           "if unit is not None and person.state is State.HOUSED and unit.kind.relapse_ends_tenancy:", "if False:"),
    Mutant("followup_through_eviction", "follow-up continues through an eviction (continues_after_eviction)", P,
           "        if not self.model.cfg.followup.continues_after_eviction:\n            self.end_followup()",
           "        self.end_followup()"),
    Mutant("best_fit_network", "best_fit weighs the distance from the using network", A,
           "+ w_network * (u.zone == network)", "+ 0.0"),
    Mutant("move_in_delay", "the paperwork delay before moving in (move_in_delay_days)", OFFICE,
           "gamma_duration(person.luck, self.move_in_delay_mean, self.move_in_delay_cv)",
           "0.0"),
    Mutant("back_of_queue", "a decline past the limit: back of the queue", OFFICE,
           "self.requeue(app, queue_day=now + response)", "pass"),
    Mutant("lower_priority", "a decline past the limit: lower priority", OFFICE,
           "self.requeue(app, penalty=app.penalty + 1)", "pass"),
    Mutant("temporary_only", "a decline past the limit: off the list for a while", OFFICE,
           "person.refused_offers_limit()", "pass"),
    Mutant("decline_zone", "offers outside the preferred zone declined more often", A,
           "p = cfg.decline_prob_preferred_zone if in_preferred_zone else cfg.decline_prob_other_zone",
           "p = cfg.decline_prob_other_zone"),
    Mutant("decline_in_temporary", "people in temporary housing decline more often", A,
           "odds = p * cfg.decline_odds_ratio_in_temporary", "odds = p"),
    # --- private housing
    Mutant("own_housing_to_private", "own housing is a move to private housing (not an exit)", E,
           'person.move_to_private("own_housing")', 'person.leave_system("own_housing")'),
    Mutant("private_gives_back_unit", "moving to private housing gives back the municipal unit", P,
           "            model.stock.release(unit, now)\n        if self.offer is not None:",
           "            pass\n        if self.offer is not None:"),
    Mutant("private_loss", "private housing can be lost (events.on_private_loss)", E,
           "person.lose_private()", "pass"),
    Mutant("private_loss_using_rate", "private housing lost faster in active use (Rates.private_loss_using)", H,
           "cfg.private.loss_rate_per_year * cfg.private.loss_using_multiplier / DAYS_PER_YEAR",
           "cfg.private.loss_rate_per_year / DAYS_PER_YEAR"),
    Mutant("private_loss_using_clock", "the private-loss clock uses the in-use rate in active use", C,
           "rates.private_loss_using if using else rates.private_loss", "rates.private_loss"),
    Mutant("discharge_to_private", "back to private housing after treatment or prison (has_private)", P,
           'elif self.has_private:\n            destination = "private"',
           'elif False:\n            destination = "private"'),
    Mutant("arranged_private", "office-arranged private rental (private.arranged_rate_per_year)", H,
           "arranged = rates.arranged_private", "arranged = 0.0"),
    Mutant("arranged_private_who", "arranged private rental only for homeless applicants not in use", H,
           "if housed or using_bars or not arranged or person not in person.model.office.applications:",
           "if not arranged:"),
    Mutant("arranged_private_using", "arranged private rental for people in active use without arranged_requires_not_using", H,
           "using_bars = using and not rates.arranged_private_using", "using_bars = using"),
    # --- stable exits
    Mutant("stable_timer", "leaving the population as stable (EventKind.STABLE timer)", C,
           "race.timer(person.stable_since + rates.stable_after - now, _STABLE)",
           "race.timer(INF, _STABLE)"),
    Mutant("stable_conditions", "stable only when not using and without follow-up", C,
           "if at_home and not using and not person.in_followup and rates.stable_after < INF:",
           "if at_home and rates.stable_after < INF:"),
    Mutant("stable_reset_remission", "the time stable starts again at remission", E,
           "    person.stable_since = model.calendar.now\n", "    pass\n"),
    Mutant("stable_reset_followup", "the time stable starts again at the end of follow-up", P,
           "            self.followup_until = INF\n            self.stable_since = self.model.calendar.now",
           "            self.followup_until = INF"),
    # --- stock
    Mutant("stock_loss", "a unit may be lost after an eviction (loss_prob_after_eviction)", E,
           "lose = model.stock_rng.random() < model.cfg.stock.loss_prob_after_eviction", "lose = False"),
    Mutant("stock_additions", "units added on the day of a [[stock.additions]] entry", HM,
           "self.calendar.schedule(addition.day, add)", "pass"),
    Mutant("stock_replacement", "a lost unit is replaced (stock.replacement_delay_days)", HM,
           "self.stock.on_loss = partial(self._replace_later, delay)", "pass"),
    Mutant("stock_replacement_delay", "the replacement comes after the delay, not at once", HM,
           "when = self.calendar.now + delay", "when = self.calendar.now"),
    # --- temporary housing
    Mutant("temporary_capacity", "temporary places have a capacity (TemporaryHousing.is_free)", TEMP,
           "return limit is None or self.by_kind[kind] < limit", "return True"),
    Mutant("refusals_recorded", "refusals are recorded (records.refusals)", P,
           "model.records.refusal(self.unique_id, model.calendar.now, reason)", "pass"),
    Mutant("staffed_temporary", "staffed temporary places for need >= staffed_min_need", P,
           "staffed=self.need >= model.staffed_min_need", "staffed=False"),
    Mutant("staffed_temporary_relapse", "a staffed or crisis temporary place has the staffed relapse multiplier", H,
           "staffed = person.temp_place is not _ORDINARY", "staffed = False"),
    Mutant("women_crisis", "women's crisis places for women in active use", P,
           "crisis = self.female and self.using", "crisis = False"),
    Mutant("women_refuse_ordinary", "women in active use may refuse an ordinary place (women_using_accept_prob)", P,
           "elif crisis and place is TempPlace.ORDINARY and self.luck.random() >= cfg.women_using_accept_prob:",
           "elif False:"),
    # --- coordination and discharge
    Mutant("admission_cancels", "an admission cancels a standing application (admission_cancels_application)", P,
           "elif cfg.coordination.admission_cancels_application:", "elif False:"),
    Mutant("admission_keeps", "an admission keeps the application when admission_cancels_application is off", P,
           "elif cfg.coordination.admission_cancels_application:", "elif True:"),
    Mutant("apply_at_admission", "application at admission (application_timing)", P,
           'if cfg.coordination.application_timing == "admission":\n                # Housing planned',
           "if False:\n                # Housing planned"),
    Mutant("discharge_to_unit", "discharge to the unit held (mechanism 1)", P,
           'if self.unit is not None:\n            destination = "housing"',
           'if False:\n            destination = "housing"'),
    Mutant("discharge_to_temporary", "discharge without housing to NAV with its probability", P,
           'self._become_homeless("discharged", p_temp)', 'self._become_homeless("discharged", 0.0)'),
    Mutant("discharge_hold", "discharge held until the keys are ready (hold_discharge_share)", P,
           "and self.move_in_day - now <= coordination.hold_max_days", "and False"),
    Mutant("discharge_hold_limit", "a discharge is held only up to hold_max_days", P,
           "and self.move_in_day - now <= coordination.hold_max_days", "and True"),
    Mutant("tenancy_end_inside", "a tenancy that ran out inside is renewed or given back before discharge", P,
           "self._tenancy_ended_inside()", "pass"),
    Mutant("eviction_to_temporary", "an evicted person goes to NAV with eviction.to_temporary_prob", E,
           'person.lose_home("evicted", lose_unit=lose, to_temporary_prob=model.cfg.eviction.to_temporary_prob)',
           'person.lose_home("evicted", lose_unit=lose, to_temporary_prob=0.0)'),
    Mutant("private_loss_to_temporary", "who loses private housing goes to NAV with loss_to_temporary_prob", P,
           "self.model.cfg.private.loss_to_temporary_prob", "0.0"),
    # --- the simple clocks
    Mutant("leave_temporary", "leaving temporary housing for the street", C,
           "race.risk(rates.leave_temporary, _LEAVE_TEMPORARY)", "race.risk(0.0, _LEAVE_TEMPORARY)"),
    Mutant("street_to_nav", "coming to NAV from the street", C,
           "race.risk(rates.street_to_nav, _TO_NAV)", "race.risk(0.0, _TO_NAV)"),
    Mutant("prison", "prison while in active use", C,
           "race.risk(rates.prison_using, _PRISON)", "race.risk(0.0, _PRISON)"),
    Mutant("move_away", "moving away", C,
           "race.risk(rates.move_away, _MOVE_AWAY)", "race.risk(0.0, _MOVE_AWAY)"),
    Mutant("remission", "remission (stopping active use)", C,
           "race.risk(rates.remission, _REMISSION)", "race.risk(0.0, _REMISSION)"),
    Mutant("death_using", "mortality higher in active use", H,
           "death_using=death * exits.mortality_using_multiplier,", "death_using=death,"),
    Mutant("followup_end", "a follow-up case runs its planned length (FOLLOWUP_END)", C,
           "race.timer(person.followup_until - now, _FOLLOWUP_END)", "race.timer(INF, _FOLLOWUP_END)"),
    Mutant("treatment_beds", "treatment has a number of beds (a queue when full)", "sim/model/services/treatment.py",
           "return len(self.patients) < self.beds", "return True"),
    # --- relapse, death and place
    Mutant("relapse_early_window", "relapse hazard raised in the early window after discharge", C,
           "race.after_discharge(rng, hazards.relapse_rate(person), rates.relapse_early_multiplier,",
           "race.after_discharge(rng, hazards.relapse_rate(person), 1.0,"),
    Mutant("death_early_window", "death hazard raised in the early window after discharge", C,
           "race.after_discharge(rng, death, rates.death_early_multiplier,", "race.after_discharge(rng, death, 1.0,"),
    Mutant("relapse_street", "relapse multiplier on the street", H,
           "rate *= rates.relapse_street", "rate *= 1.0"),
    Mutant("relapse_temporary", "relapse multiplier in temporary housing", H,
           "rate *= rates.relapse_temporary_staffed if staffed else rates.relapse_temporary", "rate *= 1.0"),
    Mutant("relapse_private", "relapse multiplier in private housing", H,
           "rate *= rates.relapse_private", "rate *= 1.0"),
    Mutant("relapse_unit_type", "relapse multiplier of the unit type", H,
           "rate *= unit.kind.relapse_multiplier", "rate *= 1.0"),
    Mutant("relapse_network_zone", "relapse multiplier in the zone of the using network", H,
           "rate *= rates.relapse_network_zone", "rate *= 1.0"),
    Mutant("relapse_followup", "follow-up lowers the relapse hazard", H,
           "rate *= rates.followup_relapse", "rate *= 1.0"),
    # --- eviction
    Mutant("eviction_unit_type", "eviction multiplier of the unit type", H,
           "rate = rates.eviction * kind.eviction_multiplier", "rate = rates.eviction"),
    Mutant("eviction_using", "eviction raised by active use (tolerant or not)", H,
           "rate *= rates.eviction_using_tolerant if kind.tolerates_use else rates.eviction_using_intolerant",
           "rate *= 1.0"),
    Mutant("eviction_mismatch", "eviction raised per level of unmet support need", H,
           "rate *= rates.eviction_mismatch_per_level**shortfall", "rate *= 1.0"),
    Mutant("eviction_competence", "eviction raised by low housing competence", H,
           "rate *= 1.0 + rates.eviction_low_competence * (1.0 - person.competence)", "rate *= 1.0"),
    Mutant("eviction_followup", "follow-up lowers the eviction hazard", H,
           "rate *= rates.followup_eviction", "rate *= 1.0"),
    # --- follow-up
    Mutant("followup_capacity", "follow-up capacity", FOLLOW,
           "if len(self.clients) >= self.capacity:", "if False:"),
    Mutant("followup_min_need", "follow-up only from followup.min_need", P,
           "if not self.in_followup and self.need >= followup.min_need and followup.try_enrol(self):",
           "if not self.in_followup and followup.try_enrol(self):"),
    Mutant("followup_no_contact", "follow-up ends when a person in use is not reached (end_on_no_contact)", H,
           "no_contact_using=cfg.followup.no_contact_rate_per_day_using if cfg.followup.end_on_no_contact else 0.0",
           "no_contact_using=0.0"),
    # --- revolving door
    Mutant("referral_homeless", "the homeless are referred to treatment more often", H,
           "cfg.treatment.referral_rate_per_day_using * cfg.treatment.homeless_referral_multiplier",
           "cfg.treatment.referral_rate_per_day_using"),
    Mutant("referral_lapses", "a referral lapses at remission (treatment.referral_lapses_on_remission)", E,
           "if model.cfg.treatment.referral_lapses_on_remission:", "if False:"),
    Mutant("referral", "people in active use are referred to treatment", C,
           "race.risk(rates.referral_housed if at_home else rates.referral_homeless, _REFERRAL)", "race.risk(0.0, _REFERRAL)"),
]


# ----------------------------------------------------------------------------- checking the anchors


def anchor_problems(mutants: list[Mutant], root: Path) -> list[str]:
    """Every mutant whose text is not found exactly once in its file under ``root``."""
    problems = []
    for m in mutants:
        path = root / m.file
        if not path.is_file():
            problems.append(f"{m.name}: {m.file} does not exist")
            continue
        n = path.read_text(encoding="utf-8").count(m.original)
        if n == 0:
            problems.append(f"{m.name}: text not found in {m.file} (the code may have moved): {m.original!r}")
        elif n > 1:
            problems.append(f"{m.name}: text found {n} times in {m.file} (make it unique): {m.original!r}")
    return problems


# ----------------------------------------------------------------------------- the copies


def make_copy(dest: Path) -> None:
    """Copy what the mechanism tests need into ``dest`` (no caches, no compiled files: the
    mutants are made in the sources, so the plain modules must run, ``sim.model.native``)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis", "_native*")
    for name in COPIED:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.is_file():
            shutil.copy2(src, dest / name)


@dataclass
class Outcome:
    """What one run of the mechanism tests in a copy gave."""

    returncode: int | None  # None: timed out
    first_failure: str
    output: str
    seconds: float


def run_tests(copy: Path) -> Outcome:
    """Run the mechanism tests in ``copy``, importing the copy's ``sim``."""
    tests = sorted(str(p.relative_to(copy)) for p in (copy / "tests").glob(TEST_GLOB))
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
           "--tb=short", "-rfE", *tests]
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1",
           "PATHWAYS_PURE_PYTHON": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, check=False, cwd=copy, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return Outcome(None, "", out, time.perf_counter() - start)
    output = done.stdout + done.stderr
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", output, flags=re.MULTILINE)
    return Outcome(done.returncode, failed[0] if failed else "", output, time.perf_counter() - start)


class Copies:
    """A pool of identical copies of the repository, one per worker; a mutant is applied to one
    copy and undone before the copy goes back to the pool."""

    def __init__(self, base: Path, n: int) -> None:
        self.free: queue.Queue[Path] = queue.Queue()
        for i in range(n):
            dest = base / f"copy{i}"
            dest.mkdir()
            make_copy(dest)
            self.free.put(dest)

    def run(self, mutant: Mutant | None, *, canary: bool = False) -> Outcome:
        """Run the tests in a free copy with ``mutant`` applied (none: the unchanged copy)."""
        copy = self.free.get()
        try:
            if canary:
                path = copy / "sim" / "__init__.py"
                text = path.read_text(encoding="utf-8")
                path.write_text(text + f"\nraise RuntimeError({CANARY!r})\n", encoding="utf-8")
            elif mutant is not None:
                path = copy / mutant.file
                text = path.read_text(encoding="utf-8")
                assert text.count(mutant.original) == 1, mutant.name
                path.write_text(text.replace(mutant.original, mutant.replacement), encoding="utf-8")
            try:
                return run_tests(copy)
            finally:
                if canary or mutant is not None:
                    path.write_text(text, encoding="utf-8")
        finally:
            self.free.put(copy)


# ----------------------------------------------------------------------------- the table


def code(text: str) -> str:
    """Text as one inline code span of a Markdown table cell (a line break shown as ⏎)."""
    text = " ⏎ ".join(line.strip() for line in text.strip("\n").splitlines())
    return "`" + text.replace("|", "\\|") + "`"


def verdict(outcome: Outcome) -> str:
    """caught, NOT caught, or why the run says nothing."""
    if outcome.returncode is None:
        return "caught (timeout)"
    if outcome.returncode == 0:
        return "NOT caught"
    if outcome.returncode == 1 and outcome.first_failure:
        return "caught"
    return f"ERROR (pytest exit code {outcome.returncode})"


def table(rows: list[tuple[Mutant, Outcome]]) -> str:
    """The Markdown table: mechanism, file, mutant, result, first failing test."""
    lines = ["| mechanism | file | mutant | result | first failing test |", "|---|---|---|---|---|"]
    for m, o in rows:
        first = o.first_failure.removeprefix("tests/")
        lines.append(f"| {m.mechanism} (`{m.name}`) | `{m.file.removeprefix('sim/model/')}` | "
                     f"{code(m.original)} → {code(m.replacement)} | {verdict(o)} | {code(first) if first else ''} |")
    return "\n".join(lines)


def write_doc(text: str) -> None:
    """Put ``text`` between the markers of ``docs/mutants.md``."""
    doc = DOC.read_text(encoding="utf-8")
    if START not in doc or END not in doc:
        raise SystemExit(f"{DOC}: the markers {START} and {END} are missing")
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


# ----------------------------------------------------------------------------- main


def tail(output: str, n: int = 25) -> str:
    return "\n".join(output.rstrip().splitlines()[-n:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", metavar="NAME", default=[],
                        help="run only this mutant (repeat, or separate names with commas)")
    parser.add_argument("-n", "--workers", type=int, default=1, help="mutants run at a time (default 1)")
    parser.add_argument("--write", action="store_true", help="rewrite the table in docs/mutants.md")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args(argv)

    if args.list:
        for m in MUTANTS:
            print(f"{m.name:28} {m.file:40} {m.mechanism}")
        return 0
    names = [n for item in args.only for n in item.split(",") if n]
    unknown = sorted(set(names) - {m.name for m in MUTANTS})
    if unknown:
        print(f"unknown mutant(s): {', '.join(unknown)} (see --list)", file=sys.stderr)
        return 2
    if args.write and names:
        print("--write needs every mutant (no --only)", file=sys.stderr)
        return 2
    mutants = [m for m in MUTANTS if not names or m.name in names]
    problems = anchor_problems(mutants, REPO)
    if problems:
        print("The mutants no longer match the code:", *problems, sep="\n  ", file=sys.stderr)
        return 1

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mutants-") as tmp:
        copies = Copies(Path(tmp), max(1, args.workers))
        problems = anchor_problems(mutants, Path(tmp) / "copy0")  # the code may change while copying
        if problems:
            print("The mutants no longer match the copied code:", *problems, sep="\n  ", file=sys.stderr)
            return 1

        # The unchanged copy first and alone, so that its time is the time of the mechanism tests.
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        clean = copies.run(None)
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        clean_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
        print(f"no mutant: {'passed' if clean.returncode == 0 else 'FAILED'} in {clean.seconds:.1f} s "
              f"({clean_cpu:.1f} s of CPU)", file=sys.stderr)
        with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
            canary_job = pool.submit(copies.run, None, canary=True)
            jobs = [(m, pool.submit(copies.run, m)) for m in mutants]
            canary = canary_job.result()
            print(f"canary: {'the copy is imported' if CANARY in canary.output else 'NOT SEEN'}", file=sys.stderr)
            rows = []
            for m, job in jobs:
                outcome = job.result()
                rows.append((m, outcome))
                print(f"{m.name}: {verdict(outcome)} {outcome.first_failure} ({outcome.seconds:.1f} s)",
                      file=sys.stderr)

    failed = False
    if clean.returncode != 0:
        print("The mechanism tests fail on the unchanged copy:\n" + tail(clean.output), file=sys.stderr)
        failed = True
    if canary.returncode == 0 or CANARY not in canary.output:
        print("The canary did not break the tests: the copy's sim is not what they import.\n" + tail(canary.output),
              file=sys.stderr)
        failed = True
    for m, o in rows:
        if verdict(o).startswith("ERROR"):
            print(f"{m.name}: the test run itself broke:\n{tail(o.output)}", file=sys.stderr)
            failed = True

    caught = sum(verdict(o).startswith("caught") for _, o in rows)
    elapsed = time.perf_counter() - started
    summary = (f"{caught} of {len(rows)} mutants caught. Without a mutant the mechanism tests "
               f"{'pass' if clean.returncode == 0 else 'FAIL'} (one run: {clean.seconds:.0f} s, "
               f"{clean_cpu:.0f} s of CPU, pytest's start included).")
    text = table(rows) + "\n\n" + summary
    print(text)
    print(f"(the script took {elapsed:.0f} s with {max(1, args.workers)} worker(s))", file=sys.stderr)
    if args.write and not failed:
        write_doc(text)
        print(f"wrote the table to {DOC.relative_to(REPO)}", file=sys.stderr)
    elif args.write:
        print(f"{DOC.relative_to(REPO)} not written: see the problems above", file=sys.stderr)
    return 1 if failed or caught < len(rows) else 0


if __name__ == "__main__":
    sys.exit(main())
