"""The HTML report as a reader sees it: rendered in a real headless Chromium (Debian's ``chromium``).

Skipped, with the reason, only where no Chromium binary is installed (``make test`` installs it). A screenshot of
the faulty run's report is saved under ``test-artifacts/`` (gitignored) for people to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_reports_support import PHASES, SPAT_RATE, runs

#: Real-time observation windows against reference devices: deselect with -m 'not live' for a fast run.
pytestmark = pytest.mark.live

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")) if p
                 and Path(p).is_file()), None)  # fmt: skip
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (`apt-get install -y chromium`; `make test` does it)"
)


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with a throw-away profile and every network path closed."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory(prefix="v2xc-chromium-") as profile:
        return subprocess.run(
            [
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}", *args,
            ],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip


class VisibleText(HTMLParser):
    """Text of a dumped DOM that the report's CSS leaves visible: no script/style, only the chosen language."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = "en"
        self.hidden_depth = 0
        self.stack: list[bool] = []
        self.parts: list[str] = []

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr", "line", "circle", "polyline"})
    INLINE = frozenset({"span", "a", "small", "code", "i"})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag not in self.INLINE:
            self.parts.append(" ")  # a block or cell boundary reads as a space
        if tag == "html":
            self.lang = attributes.get("data-lang") or "en"
        classes = (attributes.get("class") or "").split()
        other = "l-zh" if self.lang == "en" else "l-en"
        hides = tag in ("script", "style", "title") or other in classes or "print-id" in classes
        if tag in self.VOID:
            return
        self.stack.append(hides)
        self.hidden_depth += hides

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.INLINE:
            self.parts.append(" ")
        if tag in self.VOID or not self.stack:
            return
        self.hidden_depth -= self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            self.parts.append(data)

    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.parts))


def seen(dom: str) -> tuple[str, str]:
    parser = VisibleText()
    parser.feed(dom)
    return parser.lang, parser.text()


def test_html_is_self_contained() -> None:
    html = (runs()["faulty"] / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"<link\b|@import|url\(|\bsrc\s*=", html, re.IGNORECASE)
    assert not re.findall(r'href="(?!#)[^"]*"', html)  # no waivers here: every link is in-page
    assert html.count("<script>") == 1 and "<svg" in html
    assert "@page" in html and html.count(runs_report_id()) >= 4  # header, print header, @page box, end line


def runs_report_id() -> str:
    text = (runs()["faulty"] / "report.json").read_text(encoding="utf-8")
    found = re.search(r'"report_id": "([^"]+)"', text)
    assert found
    return found.group(1)


@needs_chromium
def test_browser_shows_summary_failing_requirement_clause_and_field_diff() -> None:
    page = (runs()["faulty"] / "report.html").as_uri()
    done = chromium("--virtual-time-budget=3000", "--dump-dom", page)
    assert done.returncode == 0, done.stderr[-2000:]
    lang, text = seen(done.stdout)
    assert lang == "en"
    assert "DOES NOT CONFORM" in text and "2 applicable requirement(s) failed" in text
    summary = re.search(r"(\d+) pass (\d+) fail (\d+) inconclusive (\d+) error", text)
    assert summary and summary.groups() == ("7", "2", "0", "0")
    detail = text[text.index("Details of failed") :]
    assert PHASES in detail and SPAT_RATE in detail
    phases = detail[detail.index(PHASES) : detail.index(PHASES) + 6000]
    assert "YD/T 3709-2020" in phases  # the clause
    assert "Field-level differences Field Expected Observed intersections.phases.id[0] 1 101" in phases
    assert "Decoded message" in phases and '"$choice": "spatFrame"' in phases
    assert "Tianjin V2X Test Lab" in text and "ExampleVendor" in text
    assert "End of report · " + runs_report_id() in text
    assert "不符合" not in text  # the Chinese half is hidden in English


@needs_chromium
def test_browser_switches_to_chinese_from_the_address() -> None:
    page = (runs()["faulty"] / "report.html").as_uri() + "#zh"
    done = chromium("--virtual-time-budget=3000", "--dump-dom", page)
    assert done.returncode == 0, done.stderr[-2000:]
    lang, text = seen(done.stdout)
    assert lang == "zh"
    assert "不符合" in text and "字段级差异" in text and "按标准体系节点的覆盖" in text and "SPAT相位" in text
    assert "DOES NOT CONFORM" not in text


@needs_chromium
def test_browser_screenshot_is_saved_as_a_test_artefact() -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-faulty-rsu.png"
    shot.unlink(missing_ok=True)
    page = (runs()["faulty"] / "report.html").as_uri()
    done = chromium("--window-size=1280,2400", "--hide-scrollbars", f"--screenshot={shot}", page)
    assert done.returncode == 0, done.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000
