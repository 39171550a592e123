"""Scenario files: schema, ``extends``, ``--set`` overrides, validation messages and the baseline's comments."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from sim import config as sc
from sim.config import ScenarioError
from tests.conftest import REPO

BASELINE_TOML = REPO / "scenarios" / "baseline.toml"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(exc_info) -> str:
    return "\n".join(exc_info.value.problems)


# ----------------------------------------------------------------------------- shipped scenarios


@pytest.mark.parametrize("name", sc.scenario_names())
def test_every_shipped_scenario_loads(name):
    """Every file in scenarios/ validates, and its name matches the file name."""
    s = sc.load(name)
    assert s.name == name
    assert s.description


def test_shipped_scenarios_are_all_there():
    """The policy scenarios the README promises are shipped."""
    expected = {"baseline", "housing_ready", "more_staffed", "differentiated", "strict_choice",
                "free_choice", "dispersed", "housing_first", "best_fit", "weekly_meetings", "temporary_capacity",
                "recovery_house", "attrition", "buy_flats"}
    assert expected <= set(sc.scenario_names())


def test_policy_scenarios_change_what_they_say(baseline):
    """Each policy scenario differs from the baseline in its lever (and extends it otherwise)."""
    assert sc.load("housing_ready").coordination.application_timing == "admission"
    assert baseline.coordination.application_timing == "discharge"
    assert sc.load("strict_choice").choice.max_declines == 0
    assert sc.load("strict_choice").choice.after_limit == "must_accept"
    assert sc.load("free_choice").choice.max_declines == "unlimited"
    more_staffed = sc.load("more_staffed")
    assert more_staffed.stock.types == baseline.stock.types, "vacant units added, not day-0 tenants"
    assert {a.type for a in more_staffed.stock.additions} == {"staffed"}
    assert sum(a.count for a in more_staffed.stock.additions) == 22
    assert sc.load("differentiated").housing_office.rule == baseline.housing_office.rule, "the stock mix only"
    assert sc.load("best_fit").housing_office.rule == "best_fit"
    assert sc.load("weekly_meetings").housing_office.meeting_interval_days == 7.0
    assert sc.load("temporary_capacity").temporary.capacity == 40
    recovery = sc.load("recovery_house")
    assert recovery.stock.types["recovery"].relapse_ends_tenancy
    assert sum(a.count for a in recovery.stock.additions if a.type == "recovery") == 12
    assert not sc.load("housing_first").housing_office.require_housing_ready
    dispersed = sc.load("dispersed")
    for t in baseline.stock.types:
        assert sum(dispersed.stock.types[t].units.values()) == sum(baseline.stock.types[t].units.values())
    assert sc.load("free_choice").relapse == baseline.relapse, "a child inherits every key it does not set"


ASSIGNMENT = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_.\-]*\s*=")
UNIT_AND_SOURCE = re.compile(r"#\s*\S[^|]*\|\s*\S")


def test_every_baseline_value_has_unit_and_source():
    """Project rule: every value in baseline.toml carries a trailing ``# <unit> | <source>`` comment.

    ``name`` and ``description`` are labels, not parameters, and are exempt.
    """
    missing = []
    for number, line in enumerate(BASELINE_TOML.read_text(encoding="utf-8").splitlines(), start=1):
        if line.lstrip().startswith("#") or not ASSIGNMENT.match(line):
            continue
        key = line.split("=", 1)[0].strip()
        if key in ("name", "description"):
            continue
        if not UNIT_AND_SOURCE.search(line):
            missing.append(f"{number}: {line.strip()}")
    assert not missing, "lines without '# unit | source':\n" + "\n".join(missing)


def test_baseline_file_sets_every_key_of_the_schema(baseline):
    """baseline.toml is the reference: every key of the schema appears in it (no hidden defaults)."""
    raw = tomllib.loads(BASELINE_TOML.read_text(encoding="utf-8"))

    def keys(d, prefix=""):
        out = set()
        for k, v in d.items():
            if isinstance(v, dict) and k not in ("units", "need_shares", "competence_mean",
                                                 "preferred_zone_weights", "network_zone_weights"):
                out |= keys(v, f"{prefix}{k}.")
            else:
                out.add(f"{prefix}{k}")
        return out

    schema = keys(baseline.to_dict()) - {"stock.additions"}
    assert schema <= keys(raw)


# ----------------------------------------------------------------------------- extends and overrides


def test_extends_merges_child_over_parent(tmp_path):
    """A child file changes only what it sets; tables merge key by key."""
    path = write(tmp_path, "child.toml", 'extends = "baseline.toml"\nname = "child"\ndescription = "d"\n'
                 "[choice]\nmax_declines = 5\n")
    s = sc.load(path)
    base = sc.load("baseline")
    assert s.name == "child" and s.choice.max_declines == 5
    assert s.choice.after_limit == base.choice.after_limit
    assert s.treatment == base.treatment


def test_extends_a_relative_file_and_a_chain(tmp_path):
    """extends finds a file next to the child first; chains of extends work."""
    write(tmp_path, "mid.toml", 'extends = "baseline"\nname = "mid"\n[treatment]\nbeds = 3\n')
    path = write(tmp_path, "leaf.toml", 'extends = "mid.toml"\nname = "leaf"\n[prison]\nsentence_days_mean = 7.0\n')
    s = sc.load(path)
    assert (s.name, s.treatment.beds, s.prison.sentence_days_mean) == ("leaf", 3, 7.0)


def test_with_overrides_revalidates(baseline):
    """with_overrides merges a nested table and checks it like a file."""
    s = sc.with_overrides(baseline, {"housing_office": {"rule": "best_fit"}})
    assert s.housing_office.rule == "best_fit" and baseline.housing_office.rule == "fcfs"
    with pytest.raises(ScenarioError) as err:
        sc.with_overrides(baseline, {"housing_office": {"rule": "lottery"}})
    assert "housing_office.rule" in problems_of(err) and "lottery" in problems_of(err)


def test_stock_additions_override(baseline):
    """stock.additions is a list of tables; an override replaces the list."""
    s = sc.with_overrides(baseline, {"stock": {"additions": [{"day": 100.0, "type": "rop", "zone": "ost", "count": 4}]}})
    assert [(a.day, a.type, a.zone, a.count) for a in s.stock.additions] == [(100.0, "rop", "ost", 4)]
    with pytest.raises(ScenarioError) as err:
        sc.with_overrides(baseline, {"stock": {"additions": [{"day": 1.0, "type": "castle", "zone": "ost", "count": 1}]}})
    assert "castle" in problems_of(err)


def test_parse_set_reads_toml_values_and_bare_words():
    """--set KEY=VALUE: dotted keys become nested tables; values are TOML, bare words are text."""
    out = sc.parse_set([
        "choice.max_declines=1", "relapse.rate_per_day=0.5", "temporary.staffed=true",
        "housing_office.rule=best_fit", 'name="x y"', "zones.names=[\"a\", \"b\"]", "choice.after_limit = must_accept",
    ])
    assert out == {
        "choice": {"max_declines": 1, "after_limit": "must_accept"},
        "relapse": {"rate_per_day": 0.5},
        "temporary": {"staffed": True},
        "housing_office": {"rule": "best_fit"},
        "name": "x y",
        "zones": {"names": ["a", "b"]},
    }


@pytest.mark.parametrize("bad", ["noequals", "=1", "a..b=1", ".a=1"])
def test_parse_set_rejects_malformed_assignments(bad):
    """--set without KEY=VALUE shape is refused with a message naming it."""
    with pytest.raises(ScenarioError) as err:
        sc.parse_set([bad])
    assert bad in problems_of(err)


def test_load_with_set_args_and_overrides():
    """load() applies overrides, then --set, and says so in the source it reports."""
    s = sc.load("baseline", overrides={"run": {"years": 3.0}}, set_args=["housing_office.rule=need_priority"])
    assert s.run.years == 3.0 and s.housing_office.rule == "need_priority"


def test_resolved_toml_round_trips(tmp_path):
    """to_toml() writes every effective parameter; loading it gives the same scenario."""
    s = sc.load("housing_ready", set_args=["stock.additions=[{day=5.0, type=\"rop\", zone=\"nord\", count=2}]"])
    path = write(tmp_path, "resolved.toml", s.to_toml())
    again = sc.load(path)
    assert again == s


# ----------------------------------------------------------------------------- bad input


def check_message(exc: ScenarioError, *fragments: str) -> None:
    """One clear message: names the file (source), and every fragment (key, value, what is allowed)."""
    text = str(exc)
    for fragment in fragments:
        assert fragment in text, (fragment, text)


def test_malformed_toml(tmp_path):
    """Malformed TOML: refused naming the file and where the syntax broke."""
    path = write(tmp_path, "broken.toml", 'extends = "baseline.toml"\n[run\nyears = 1\n')
    with pytest.raises(ScenarioError) as err:
        sc.load(path)
    check_message(err.value, "broken.toml", "TOML", "line 2")


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ("[choice]\nmax_declinez = 1\n", ["choice.max_declinez", "1", "unknown key"]),
        ("[treatment]\nbeds = -1\n", ["treatment.beds", "-1", ">= 0"]),
        ("[discharge]\ntreatment_to_temporary_prob = 1.5\n", ["discharge.treatment_to_temporary_prob", "1.5", "<= 1"]),
        ('[treatment]\nbeds = "twelve"\n', ["treatment.beds", "twelve", "integer"]),
        ("[treatment]\nbeds = 12.5\n", ["treatment.beds", "12.5", "integer"]),
        ('[temporary]\ncapacity = "lots"\n', ["temporary.capacity", "lots", "unlimited"]),
        ("[temporary]\ncapacity = -3\n", ["temporary.capacity", "-3", "unlimited"]),
        ("[choice]\nmax_declines = -1\n", ["choice.max_declines", "-1"]),
        ('[housing_office]\nrule = "lottery"\n', ["housing_office.rule", "lottery", "fcfs"]),
        ('[coordination]\nadmission_cancels_application = "yes"\n',
         ["coordination.admission_cancels_application", "yes", "bool"]),
        ("[run]\nwarmup_days = 5000.0\n", ["run.warmup_days", "5000", "shorter"]),
        ("[population]\nneed_shares = { low = 0.5, medium = 0.5, high = 0.5, rop = 0.5 }\n",
         ["population.need_shares", "sum to 1"]),
        ("[stock.types.ordinary]\nunits = { atlantis = 3 }\n", ["stock.types.ordinary.units.atlantis", "unknown zone"]),
        ("seed = -5\n", ["seed", "-5", ">= 0"]),
        ("[population]\nfemale_share = 1.5\n", ["population.female_share", "1.5", "<= 1"]),
        ("[choice]\ndecline_prob_other_zone = -0.1\n", ["choice.decline_prob_other_zone", "-0.1", ">= 0"]),
        ("[eviction]\nto_temporary_prob = 2\n", ["eviction.to_temporary_prob", "2", "<= 1"]),
        ("[relapse]\nrate_per_day = nan\n", ["relapse.rate_per_day", "nan"]),
    ],
)
def test_bad_values_are_named_with_key_value_and_what_is_allowed(tmp_path, body, fragments):
    """A bad value: one line naming the file, the dotted key, the value and what is allowed."""
    path = write(tmp_path, "bad.toml", 'extends = "baseline.toml"\n' + body)
    with pytest.raises(ScenarioError) as err:
        sc.load(path)
    check_message(err.value, "bad.toml", *fragments)
    assert len(err.value.problems) == 1


def test_every_problem_is_reported_at_once(tmp_path):
    """Several mistakes give several lines, one per problem, in one error."""
    path = write(tmp_path, "bad.toml", 'extends = "baseline.toml"\n[treatment]\nbeds = -1\n'
                 "[choice]\nmax_declinez = 1\n[discharge]\nprison_to_temporary_prob = 2.0\n")
    with pytest.raises(ScenarioError) as err:
        sc.load(path)
    assert len(err.value.problems) == 3


def test_missing_key_is_named(tmp_path):
    """A file that leaves out a required key (no extends) names the missing key."""
    raw, n = re.subn(r"(?m)^beds\s*=.*$", "", BASELINE_TOML.read_text(encoding="utf-8"))
    assert n == 1
    path = write(tmp_path, "nobeds.toml", raw)
    with pytest.raises(ScenarioError) as err:
        sc.load(path)
    check_message(err.value, "treatment.beds", "missing")


def test_unknown_scenario_name_lists_the_shipped_ones():
    """An unknown name is refused and the message lists the shipped scenarios."""
    with pytest.raises(ScenarioError) as err:
        sc.load("no_such_scenario")
    check_message(err.value, "no_such_scenario", "baseline", "housing_ready")


def test_extends_a_missing_file(tmp_path):
    """extends pointing at a missing file: the message names the child file and the missing name."""
    path = write(tmp_path, "orphan.toml", 'extends = "nowhere.toml"\nname = "orphan"\n')
    with pytest.raises(ScenarioError) as err:
        sc.load(path)
    check_message(err.value, "orphan.toml", "extends", "nowhere.toml")


def test_circular_extends(tmp_path):
    """A circular chain of extends is refused, naming the files of the cycle."""
    write(tmp_path, "a.toml", 'extends = "b.toml"\nname = "a"\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\nname = "b"\n')
    with pytest.raises(ScenarioError) as err:
        sc.load(tmp_path / "a.toml")
    check_message(err.value, "circular", "a.toml", "b.toml")


def test_self_extends(tmp_path):
    """A file that extends itself is a (short) circle."""
    path = write(tmp_path, "me.toml", 'extends = "me.toml"\nname = "me"\n')
    with pytest.raises(ScenarioError) as err:
        sc.load(path)
    check_message(err.value, "circular", "me.toml")


@pytest.mark.parametrize(
    ("assignment", "fragments"),
    [
        ("choice.max_declines=-1", ["choice.max_declines", "-1"]),
        ("nosuch.key=1", ["nosuch", "unknown key"]),
        ("housing_office.rule=lottery", ["housing_office.rule", "lottery"]),
        ("treatment.beds=-1", ["treatment.beds", "-1", ">= 0"]),
    ],
)
def test_bad_set_values(assignment, fragments):
    """--set values are checked like the file."""
    with pytest.raises(ScenarioError) as err:
        sc.load("baseline", set_args=[assignment])
    check_message(err.value, *fragments)


def test_file_that_is_not_utf8_is_a_scenario_error(tmp_path):
    """A scenario file with bytes that are not UTF-8 is refused with a ScenarioError, like malformed TOML."""
    path = tmp_path / "latin1.toml"
    path.write_bytes('extends = "baseline.toml"\nname = "Troms\xf8"\n'.encode("latin-1"))
    with pytest.raises(ScenarioError) as err:
        sc.load(path)
    check_message(err.value, "latin1.toml")


@pytest.mark.parametrize("assignment", ["inflow.nav_homeless_per_year=inf", "treatment.stay_days_mean=inf"])
def test_infinite_values_are_refused(assignment):
    """A rate or a duration must be a finite number: ``inf`` (valid TOML) is refused like a negative value."""
    with pytest.raises(ScenarioError) as err:
        sc.load("baseline", set_args=[assignment])
    check_message(err.value, assignment.split("=")[0], "inf")
