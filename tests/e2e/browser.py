"""Helpers for the browser tests: axe-core checks, screenshots and the viewports we test at."""

import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT_DIR = Path(tempfile.gettempdir()) / "eportal-e2e-screenshots"

# The WCAG 2.0 and 2.1 rules up to level AA (axe's tags; "wcag21a" holds the 2.1 level A rules).
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# The public pages, by a short name used in test ids and screenshot names.
PUBLIC_PAGES = {
    "forside": "/",
    "om-klinikken": "/om-klinikken/",
    "hjelp": "/hjelp/",
    "logg-inn": "/logg-inn/",
}

# Browser-context options for the screens we test on. The phones honour <meta name="viewport">.
_PHONE = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
MOBILE = {"viewport": {"width": 375, "height": 740}, **_PHONE}
# WCAG 1.4.10 (Reflow): content must fit 320 CSS pixels without scrolling sideways.
NARROW = {"viewport": {"width": 320, "height": 640}, **_PHONE}


def run_axe(page: Page) -> list[dict]:
    """Run axe-core on the page and return its WCAG 2.1 AA violations (an empty list when it is clean).

    Fails (never skips) when axe-core is not installed, so a missing `npm ci` cannot pass as green.
    The page's context must be opened with bypass_csp=True: the script is added inline, and the
    site's Content-Security-Policy rightly forbids inline scripts.
    """
    if not AXE_SCRIPT.is_file():
        pytest.fail(
            f"axe-core is not installed ({AXE_SCRIPT} is missing). Run `npm ci` in {REPO_ROOT} "
            "to install it from package-lock.json, then run the browser tests again.",
            pytrace=False,
        )
    page.add_script_tag(path=str(AXE_SCRIPT))
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: tags});
            return results.violations;
        }""",
        WCAG_21_AA,
    )


def format_violations(violations: list[dict]) -> str:
    """One block per violated rule: its id, impact, help text and the elements (CSS targets) that fail it."""
    lines = []
    for violation in violations:
        impact = violation.get("impact")
        lines.append(f"- {violation['id']} ({impact}): {violation['help']}  [{violation['helpUrl']}]")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}: {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:400]}")
    return "\n".join(lines)


def save_screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG of the page under the system's temp folder (never into the repository); return its path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-')}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
