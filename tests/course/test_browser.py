"""JupyterLab in a real browser: Lab 01's answer key run cell by cell in headless Chromium, no cell
shows an error, no widget is blank, and moving a slider of the next-token explorer redraws its plot.

Screenshots go to runs/browser/ for a person to look at. Needs Debian's `chromium` and the Python
`playwright` package (driven with the system executable; nothing is downloaded at run time):
`.ci/run` installs them; elsewhere this test says plainly that it did not run and how to enable it.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from llmlab.config import repo_root

REPO = repo_root()
LAB = "01_prompting_and_sampling.ipynb"
TOKEN = "llmlab-browser-test"
CHROMIUM = os.environ.get("LLMLAB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = REPO / "runs" / "browser"
# a closed network refuses Chromium's background connections by the dozen: switch them off
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage"]

try:
    from playwright.sync_api import sync_playwright
except ImportError:   # pragma: no cover - depends on the machine
    sync_playwright = None

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or sync_playwright is None,
    reason="the JupyterLab browser test did NOT run: it needs Chromium and playwright. Enable it with "
           "`apt-get install chromium` and `.venv/bin/pip install playwright` (.ci/run does both), "
           "or point LLMLAB_CHROMIUM at a Chromium binary.")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"jupyter lab did not answer {url} within {timeout:.0f} s")


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A JupyterLab server on a free loopback port over a copy of Lab 01's answer key; always stopped."""
    root = tmp_path_factory.mktemp("jupyterlab")
    shutil.copy(REPO / "solutions" / LAB, root / LAB)
    port = _free_port()
    env = {**os.environ, "LLMLAB_THREADS": "2", "JUPYTER_CONFIG_DIR": str(root / ".jupyter"),
           "JUPYTER_RUNTIME_DIR": str(root / ".runtime")}
    env.pop("MPLBACKEND", None)   # CI exports Agg for headless runs; a student's JupyterLab draws inline
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
           f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={TOKEN}",
           "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    log = open(root / "jupyterlab.log", "w")
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_server(f"http://127.0.0.1:{port}/api/status?token={TOKEN}", proc)
        yield f"http://127.0.0.1:{port}", root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


NOTEBOOK_DONE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  if (!w || !w.content || !w.sessionContext || !w.sessionContext.session) return false;
  const kernel = w.sessionContext.session.kernel;
  const code = w.content.widgets.filter(c => c.model.type === 'code');
  return kernel && kernel.status === 'idle' && code.length > 0
         && code.every(c => c.model.executionCount !== null);
}"""


def test_lab_runs_in_jupyterlab_and_the_explorer_slider_redraws(jupyterlab):
    url, _ = jupyterlab
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/lab/tree/{LAB}?token={TOKEN}&reset", timeout=90_000)
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                                   "&& window.jupyterapp.shell.currentWidget.sessionContext "
                                   "&& window.jupyterapp.shell.currentWidget.sessionContext.isReady",
                                   timeout=120_000)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            page.wait_for_function(NOTEBOOK_DONE, timeout=300_000, polling=1000)
            page.screenshot(path=str(SHOTS / "01_after_run_all.png"))

            errors = page.locator('[data-mime-type="application/vnd.jupyter.error"]')
            stderr = page.locator('[data-mime-type="application/vnd.jupyter.stderr"]')
            assert errors.count() == 0, f"{errors.count()} cell(s) show an error: {errors.first.inner_text()[:300]}"
            assert stderr.count() == 0, f"a cell writes to stderr: {stderr.first.inner_text()[:300]}"

            interact = page.locator(".widget-interact").first
            interact.scroll_into_view_if_needed()
            interact.wait_for(state="visible", timeout=60_000)
            # a widget whose model never reached the page renders as "Error displaying widget" (or nothing);
            # finished progress bars hide themselves on purpose, so visibility alone proves nothing
            assert page.get_by_text("Error displaying widget").count() == 0, "a widget failed to render"
            sliders = interact.locator(".widget-slider")
            assert sliders.count() == 3 and all(sl.is_visible() for sl in sliders.all()), "explorer sliders blank"
            labels = [label.inner_text().strip() for label in interact.locator(".widget-label").all()][:3]
            assert labels[0] == "temperature" and labels[1].startswith("top-k") and labels[2] == "top-p", labels
            plot = interact.locator("img").first
            plot.wait_for(state="visible", timeout=60_000)
            box = plot.bounding_box()
            assert box and box["width"] > 100 and box["height"] > 100, f"the explorer's plot is blank: {box}"
            before = plot.get_attribute("src")
            interact.screenshot(path=str(SHOTS / "01_explorer_before.png"))

            handle = interact.locator(".widget-slider .noUi-handle, .widget-slider [role=slider]").first
            handle.focus()
            for _ in range(10):                      # temperature 1.0 -> 2.0 in steps of 0.1
                page.keyboard.press("ArrowRight")
            page.wait_for_function("([el, old]) => { const img = el.querySelector('img'); "
                                   "return img && img.getAttribute('src') !== old; }",
                                   arg=[interact.element_handle(), before], timeout=60_000)
            interact.screenshot(path=str(SHOTS / "01_explorer_after.png"))
            assert interact.locator("img").first.get_attribute("src") != before
        finally:
            browser.close()
    assert (SHOTS / "01_explorer_after.png").stat().st_size > 1000


def test_no_browser_message_names_the_fix():
    """When this module is skipped, the reason says that it did not run and how to enable it."""
    reason = pytestmark.kwargs["reason"]
    assert "did NOT run" in reason and "apt-get install chromium" in reason and "pip install playwright" in reason
