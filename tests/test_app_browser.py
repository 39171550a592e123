"""The interactive page (``sim/app.py``): its model, and the real page driven in a headless browser.

The browser test starts ``solara run sim/app.py`` on a free localhost port, opens it in Debian's
Chromium through Playwright (browser downloads are not possible here, so Playwright is pointed at
``/usr/bin/chromium``), checks that the page opens after the warm-up with help under the levers,
steps the model, moves a lever, starts a new run with it (the run before stays as a faint trace,
named in the summary), and plays the rest of the run at the fastest speed. It leaves a screenshot
in ``results/screenshots/app.png``. The page's other behaviour is tested without a browser in
``test_app.py``.

Run it alone with ``pytest -m browser``. Chromium comes from ``scripts/install_browser.sh`` (which
``.ci/run`` calls). Outside CI the test is skipped when Chromium or the viz extra is missing; in CI
(``CI`` set) it fails instead.
"""

from __future__ import annotations

import ast
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim import config as sc

REPO = Path(__file__).resolve().parent.parent
SCREENSHOT = REPO / "results" / "screenshots" / "app.png"
SERVER_START_TIMEOUT = 60.0  # seconds for `solara run` to answer on its port
UI_TIMEOUT_MS = 20_000  # for any one thing to appear on the page
PLAY_TIMEOUT_MS = 180_000  # for the fastest speed to play the counted years (about 10 s on a quiet machine)
VIZ_ONLY = ("solara", "ipywidgets", "ipyvuetify", "ipyvue", "reacton", "altair", "playwright")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",  # the page is on localhost; never go through a proxy from the environment
]


def in_ci() -> bool:
    """Running in CI, where nothing may be skipped for want of a tool."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(reason: str) -> None:
    """Skip outside CI; fail in CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def need(module: str):
    """Import a module of the viz/dev extras, or skip (outside CI) / fail (in CI)."""
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as exc:
        missing(f"{module} is not installed ({exc}); install the dev extra: pip install -e '.[dev]'")


def chromium_path() -> str:
    """Debian's Chromium, or the browser named by $CHROMIUM."""
    for candidate in (
        os.environ.get("CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    missing("Chromium not found (/usr/bin/chromium); install it with: bash scripts/install_browser.sh")
    raise AssertionError("unreachable")


# ----------------------------------------------------------------------------- the model behind the page


def test_default_levers_give_the_baseline_scenario():
    app = need("sim.app")
    model = app.InteractiveModel(skip_warmup=False)
    assert model.cfg.to_dict() == app.BASELINE.to_dict()
    assert model.time == 0


def test_one_step_is_one_week_and_records_a_row():
    app = need("sim.app")
    model = app.InteractiveModel(skip_warmup=False)
    model.step()
    model.step()
    assert model.time == 2 * app.DAYS_PER_STEP
    df = model.datacollector.get_model_vars_dataframe()
    assert list(df["day"]) == [0.0, 7.0, 14.0]
    row = df.iloc[-1]
    assert row["temporary_over_90d"] <= row["n_temporary"]
    assert row["n_temporary"] == model.counts[app.State.TEMPORARY]


def test_levers_reach_the_scenario():
    app = need("sim.app")
    model = app.InteractiveModel(
        staffed_units=30,
        training_units=0,
        notice_delay_days=3,
        application_timing="admission",
        max_declines="unlimited",
        followup_capacity=60,
        seed="7",
        skip_warmup=False,
    )
    cfg = model.cfg
    assert sum(cfg.stock.types["staffed"].units.values()) == 30
    assert sum(cfg.stock.types["training"].units.values()) == 0
    assert cfg.coordination.notice_delay_days == 3.0
    assert cfg.coordination.application_timing == "admission"
    assert cfg.choice.max_declines == "unlimited"
    assert cfg.followup.capacity == 60
    assert model.seed == 7
    assert len(model.stock.units) == sum(sum(t.units.values()) for t in cfg.stock.types.values())


def test_spread_units():
    app = need("sim.app")
    zones = ["sentrum", "nord", "sor", "ost"]
    assert app.spread_units({"sentrum": 8}, 8, zones) == {"sentrum": 8}
    assert app.spread_units({"sentrum": 8}, 30, zones) == {"sentrum": 14, "nord": 6, "sor": 5, "ost": 5}
    fewer = app.spread_units({"sentrum": 60, "nord": 25, "sor": 25, "ost": 20}, 13, zones)
    assert sum(fewer.values()) == 13 and fewer["sentrum"] == 6


def test_bad_seed_is_refused_with_a_clear_message():
    app = need("sim.app")
    with pytest.raises(ValueError, match="seed must be a whole number"):
        app.InteractiveModel(seed="abc")


def test_run_stops_at_the_end_of_the_scenario():
    app = need("sim.app")
    model = app.InteractiveModel(skip_warmup=False)
    model.run_until(model.cfg.total_days - 3)
    model.step()
    assert model.time == model.cfg.total_days
    assert not model.running
    model.step()  # no further time passes
    assert model.time == model.cfg.total_days


def test_only_the_app_imports_the_viz_packages():
    """The core install stays free of the viz extra: only sim/app.py imports solara or mesa.visualization."""
    offenders = []
    for path in sorted((REPO / "sim").rglob("*.py")):
        if path == REPO / "sim" / "app.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            if any(n.split(".")[0] in VIZ_ONLY or n.startswith("mesa.visualization") for n in names):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not offenders, f"viz-only packages imported outside sim/app.py: {offenders}"
    # ... and the model and the command line do not pull them in indirectly.
    code = (
        "import sys, sim.model, sim.cli\n"
        f"bad = sorted(n for n in sys.modules\n"
        f"             if n.split('.')[0] in {VIZ_ONLY!r} or n.startswith('mesa.visualization'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=120)


def test_notebook_view_has_the_levers_and_steps():
    """In Jupyter, ``Page()`` shows the levers and controls inline (rendered here without a browser)."""
    app = need("sim.app")
    solara = need("solara")
    widgets = need("ipywidgets")
    box, rc = solara.render(app.Page(), handle_error=False)
    try:

        def walk(node, out):
            out.append(node)
            for child in getattr(node, "children", None) or []:
                if isinstance(child, widgets.Widget | str):
                    walk(child, out)
            return out

        def summary():
            return " ".join(
                str(x.template) for x in walk(box, []) if "solara-markdown" in str(getattr(x, "template", ""))
            )

        found = walk(box, [])
        labels = {getattr(x, "label", None) for x in found}
        assert {"Staffed units", "Notice delay (days)", "Follow-up capacity (clients)"} <= labels
        assert sum(type(x).__name__ == "Image" for x in found) == 4  # three plots and the pathways
        start = app.BASELINE.run.warmup_days
        assert f"Day {start:g}</strong>" in summary()
        step = next(x for x in found if type(x).__name__ == "Btn" and x.children == ["Step"])
        step.fire_event("click", {})
        assert f"Day {start + app.DAYS_PER_STEP:g}</strong>" in summary()
    finally:
        rc.close()


# ----------------------------------------------------------------------------- the page in a browser


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """End the server and everything it started (its process group), for sure."""
    if proc.poll() is None:
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
    else:
        try:  # the server is gone; end anything it left in its group
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def chromium() -> str:
    """The browser's executable (checked before a server is started for it)."""
    return chromium_path()


@pytest.fixture(scope="module")
def app_server(chromium, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """``solara run sim/app.py`` on a free localhost port: (its URL, its log file).

    The server runs in a process group of its own, which is ended (SIGTERM, then SIGKILL) at the
    end, however the tests went.
    """
    need("solara")
    solara_cmd = Path(sys.executable).with_name("solara")
    if not solara_cmd.exists():
        missing(f"{solara_cmd} not found; install the viz extra: pip install -e '.[viz]'")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("solara") / "server.log"
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "NO_PROXY": "127.0.0.1,localhost"}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                str(solara_cmd),
                "run",
                "sim/app.py",
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
                "--production",
                "--no-open",
            ],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so teardown can end all of it
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"solara run exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with opener.open(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"solara run did not answer on {url} within {SERVER_START_TIMEOUT:.0f} s:\n"
                    f"{log_path.read_text()[-3000:]}"
                )
            time.sleep(0.2)
        yield url, log_path
    finally:
        _stop(proc)


# The SHA-256 of the picture an <img> shows (the page's plots are PNGs behind blob: URLs). The
# URL is read and fetched in one go; a URL replaced (and revoked) meanwhile is read again.
IMAGE_DIGEST_JS = """async img => {
    for (let attempt = 0; attempt < 50; attempt++) {
        try {
            const bytes = await (await fetch(img.src)).arrayBuffer();
            const digest = await crypto.subtle.digest("SHA-256", bytes);
            return Array.from(new Uint8Array(digest), b => b.toString(16).padStart(2, "0")).join("");
        } catch (e) {
            await new Promise(resolve => setTimeout(resolve, 100));
        }
    }
    throw new Error("could not read the image at " + img.src);
}"""


def image_digest(img) -> str:
    """A fingerprint of the picture a Playwright locator's <img> shows now."""
    return img.evaluate(IMAGE_DIGEST_JS)


@pytest.mark.browser
def test_page_loads_lever_changes_model_steps_plot_updates(chromium, app_server):
    app_url, server_log = app_server
    sync_api = need("playwright.sync_api")
    expect = sync_api.expect
    # The page starts each run after the baseline's warm-up; one step is a week.
    start = sc.load("baseline").run.warmup_days
    week = 7

    with sync_api.sync_playwright() as pw:
        # launch() gives the browser a fresh temporary profile (--user-data-dir) of its own.
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1050})
            page.set_default_timeout(UI_TIMEOUT_MS)
            expect.set_options(timeout=UI_TIMEOUT_MS)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(app_url)

            # The page has loaded after the warm-up: the summary, the three plots and the pathways.
            summary = page.locator(".hp-summary")
            expect(summary).to_contain_text(f"Day {start:g}")
            expect(summary).to_contain_text("staffed 8")
            expect(summary).to_contain_text("The run started after the warm-up")
            plot = page.locator(".hp-plot-temporary img")
            for css in (
                ".hp-plot-temporary img",
                ".hp-plot-states img",
                ".hp-plot-waitlist img",
                ".hp-plot-people img",
            ):
                expect(page.locator(css)).to_be_visible()
            # Every lever has its help text under it.
            expect(page.locator(".hp-lever-rop_units")).to_contain_text("ROP-bolig")
            expect(page.locator(".hp-lever-followup_capacity")).to_contain_text("clients at once, 0 to 150")
            step = page.get_by_role("button", name="Step")

            def step_and_check_plot(day: float) -> None:
                """Press Step: the summary shows ``day`` and the plot is redrawn with a new picture."""
                before_src, before = plot.get_attribute("src"), image_digest(plot)
                step.click()
                expect(summary).to_contain_text(f"Day {day:g}")
                expect(plot).not_to_have_attribute("src", before_src or "")
                expect(plot).to_be_visible()
                assert image_digest(plot) != before, f"the temporary-housing plot is the same picture on day {day:g}"

            # The model steps and the plot follows.
            step_and_check_plot(start + week)

            # Move a lever, found by its label, with the keyboard (one key press, one change).
            slider = page.locator(".v-slider", has=page.get_by_text("Staffed units", exact=True)).get_by_role("slider")
            expect(slider).to_have_attribute("aria-valuenow", "8")
            slider.focus()
            slider.press("ArrowRight")
            expect(slider).to_have_attribute("aria-valuenow", "9")

            # Reset starts a new run with the lever's value; the run before stays as a faint trace.
            before_reset = image_digest(plot)
            page.get_by_role("button", name="Reset").click()
            expect(summary).to_contain_text("staffed 9")
            expect(summary).to_contain_text(f"Day {start:g}")
            expect(summary).to_contain_text("Faint lines: the previous run (Staffed units 8 → 9)")
            expect(plot).to_be_visible()
            assert image_digest(plot) != before_reset
            step_and_check_plot(start + week)

            # The fastest speed plays the rest of the run, drawing every frame.
            page.get_by_role("button", name="1 year").click()
            page.get_by_role("button", name="▶").click()
            played = time.monotonic()
            expect(summary).to_contain_text("end of the run", timeout=PLAY_TIMEOUT_MS)
            print(f"played the rest of the run at 1 year a frame in {time.monotonic() - played:.1f} s")

            assert not errors, f"JavaScript errors on the page: {errors}"
            page.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth > 0)")
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        except BaseException:
            # For the post-mortem: what the page showed, and what the server said (printed output
            # is shown with the failure).
            failure = SCREENSHOT.with_name("app-failure.png")
            failure.parent.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(failure), full_page=True)
                print(f"screenshot of the failure: {failure}")
            except Exception as exc:  # noqa: BLE001 - the page may be gone; the failure itself is raised below
                print(f"no screenshot of the failure: {exc}")
            print(f"solara server log (last lines):\n{server_log.read_text(errors='replace')[-4000:]}")
            raise
        finally:
            browser.close()
