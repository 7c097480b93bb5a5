"""Drive ``mesolimbic lab`` in Debian's headless Chromium with Selenium (used by
tests/test_lab.py and benchmarks/bench_lab.py). Nothing is downloaded: the browser and
its driver are the system's; every host but 127.0.0.1 is unresolvable in the browser,
so the page must come whole from the lab's own server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BROWSERS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVERS = ("/usr/bin/chromedriver",)

META = ("var e = document.querySelector('#%s-graph .js-plotly-plot');"
        "return e && e.layout && e.layout.meta ? e.layout.meta : null;")


def chromium() -> tuple[str, str] | None:
    """``(browser, driver)`` paths, or None where Chromium or its driver is missing."""
    browser = next((p for p in BROWSERS if os.path.exists(p)), shutil.which("chromium"))
    driver = next((p for p in DRIVERS if os.path.exists(p)), shutil.which("chromedriver"))
    return (browser, driver) if browser and driver else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """``mesolimbic lab --no-browser`` on a free port, its output collected line by line."""

    def __init__(self, timeout: float = 240.0, env: dict | None = None):
        import threading

        port = free_port()
        self.url = f"http://127.0.0.1:{port}/"
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from mesolimbic.cli import main; main()", "lab", "--port", str(port),
             "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, **(env or {})})
        threading.Thread(target=self._read, daemon=True).start()
        t0 = time.time()
        while time.time() - t0 < timeout:
            if self.proc.poll() is not None:
                time.sleep(0.2)
                raise RuntimeError(f"the lab exited with {self.proc.returncode}: {self.output}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.proc.kill()
        raise TimeoutError(f"the lab did not answer on {self.url} within {timeout:.0f} s: {self.output}")

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_line(self, text: str, timeout: float = 180.0) -> None:
        t0 = time.time()
        while time.time() - t0 < timeout:
            if text in self.output:
                return
            time.sleep(0.2)
        raise TimeoutError(f"the lab did not print {text!r} within {timeout:.0f} s")

    def stop(self) -> int:
        """Ctrl-C: the exit status."""
        import signal

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


class Page:
    """One headless Chromium window on the lab."""

    def __init__(self, url: str, download_dir: Path, size=(1400, 1000)):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        browser, driver = chromium()
        opts = webdriver.ChromeOptions()
        opts.binary_location = browser
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  f"--window-size={size[0]},{size[1]}", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                  "--disable-extensions", "--no-first-run"):
            opts.add_argument(a)
        opts.add_experimental_option("prefs", {"download.default_directory": str(download_dir),
                                               "download.prompt_for_download": False})
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.d = webdriver.Chrome(service=Service(driver), options=opts)
        self.d.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
        self.url = url
        self.d.get(url)

    def meta(self, view: str):
        return self.d.execute_script(META % view)

    def wait(self, view: str, after: int = 0, timeout: float = 120.0) -> dict:
        """The figure's meta once its revision is past ``after``."""
        t0 = time.time()
        while time.time() - t0 < timeout:
            m = self.meta(view)
            if m and m["rev"] > after:
                return m
            time.sleep(0.02)
        raise TimeoutError(f"the {view} figure did not update within {timeout:.0f} s")

    def wait_for(self, script: str, timeout: float = 60.0, what: str = "the page"):
        t0 = time.time()
        while time.time() - t0 < timeout:
            v = self.d.execute_script(script)
            if v:
                return v
            time.sleep(0.05)
        raise TimeoutError(f"{what}: nothing within {timeout:.0f} s")

    def css(self, sel: str):
        from selenium.webdriver.common.by import By

        return self.d.find_element(By.CSS_SELECTOR, sel)

    def slider(self, view: str, group: str, name: str):
        """The thumb of a parameter slider."""
        return self.css(f'[id*=\'"group":"{group}"\'][id*=\'"name":"{name}"\'][id*=\'"type":"{view}-param"\'] '
                        f'[role=slider]')

    def press(self, element, key: str, times: int = 1):
        for _ in range(times):
            element.send_keys(key)

    def tab(self, label: str):
        from selenium.webdriver.common.by import By

        for t in self.d.find_elements(By.CSS_SELECTOR, "#tabs .tab"):
            if t.text.strip() == label:
                t.click()
                return
        raise LookupError(label)

    def choose(self, dropdown_id: str, option_text: str):
        """Pick ``option_text`` in a Dash dropdown."""
        from selenium.webdriver.common.by import By

        self.css(f"#{dropdown_id}").click()
        t0 = time.time()
        while time.time() - t0 < 10:
            for o in self.d.find_elements(By.CSS_SELECTOR, "[role=option]"):
                if o.text.strip() == option_text:
                    o.click()
                    return
            time.sleep(0.05)
        raise LookupError(f"{dropdown_id}: no option {option_text!r}")

    def timed(self) -> None:
        """Install in-page timers: the time of the last key press and of the last
        finished redraw of each graph (Plotly's ``plotly_afterplot``)."""
        self.d.execute_script("""
            if (!window.__lab) {
              window.__lab = {key: 0, drawn: {}};
              document.addEventListener('keydown', function () { window.__lab.key = performance.now(); }, true);
            }
            document.querySelectorAll('.js-plotly-plot').forEach(function (g) {
              if (!g.__labTimed && g.on) {
                g.__labTimed = true;
                g.on('plotly_afterplot', function () { window.__lab.drawn[g.parentNode.id || g.id] = performance.now(); });
              }
            });""")

    def console_errors(self) -> list[str]:
        return [e["message"] for e in self.d.get_log("browser") if e.get("level") == "SEVERE"]

    def foreign_resources(self) -> list[str]:
        """Resources the page loaded from anywhere but its own server."""
        urls = self.d.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        return [u for u in urls if not u.startswith(self.url.rstrip("/")) and not u.startswith("data:")]

    def screenshot(self, path: Path, width: int = 1000) -> None:
        """A small PNG of the window: scaled to ``width`` pixels, 256 colours."""
        import io

        from PIL import Image

        img = Image.open(io.BytesIO(self.d.get_screenshot_as_png())).convert("RGB")
        if img.width > width:
            img = img.resize((width, round(img.height * width / img.width)), Image.LANCZOS)
        path.parent.mkdir(parents=True, exist_ok=True)
        img.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(path, optimize=True)

    def close(self) -> None:
        self.d.quit()
