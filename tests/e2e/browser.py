"""Helpers for the browser tests: axe-core checks, screenshots, the viewports we test at, and moving focus with
Tab as a keyboard user does."""

import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page

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


# How many presses of Tab a keyboard user is expected to need at most to reach a control near the top.
MAX_TABS = 15


def focused_html(page: Page) -> str | None:
    """The start of the focused element's HTML, for messages about where focus went."""
    return page.evaluate("() => document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : null")


def tab_to(page: Page, target: Locator) -> int:
    """Press Tab (at most MAX_TABS times) until the target has focus, as a keyboard user would; return how many
    presses it took."""
    handle = target.element_handle()
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        if page.evaluate("(el) => document.activeElement === el", handle):
            return presses
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached {target}; focus ended on {focused_html(page)}")


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


WIDEST_ELEMENTS_JS = """(limit) => {
    const reach = (el) => {
        const box = el.getBoundingClientRect();
        return Math.max(box.right, box.left + el.scrollWidth);
    };
    const tooWide = (el) => reach(el) > limit + 0.5;
    return [...document.querySelectorAll('body *')]
        .filter((el) => tooWide(el) && ![...el.children].some(tooWide))
        .slice(0, 5)
        .map((el) => `${el.outerHTML.slice(0, 120)} (reaches ${Math.round(reach(el))}px)`);
}"""

# What each screen is checked for: axe on the desktop and the phone, the reflow check on the phones.
SCREENS = {
    "desktop": (DESKTOP, {"axe"}),
    "mobil": (MOBILE, {"axe", "reflow"}),
    "320px": (NARROW, {"reflow"}),
}


def overflow(page: Page) -> str | None:
    """Why the page scrolls sideways on this screen, or None when it fits. A phone zooms out to fit too-wide
    content, which widens innerWidth too: so the screen's own width counts as well."""
    width = page.viewport_size["width"]
    scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if scroll_width <= min(inner_width, width):
        return None
    return (
        f"{scroll_width}px wide on a {width}px screen (innerWidth {inner_width}); elements past the edge: "
        f"{page.evaluate(WIDEST_ELEMENTS_JS, width)}"
    )


class PageChecks:
    """The checks a screen calls for, run on each page shown; every problem is collected so one run
    reports every page: `check = PageChecks(screen, prefix="konto")`, `check("name", page)`, then
    `check.assert_clean("account")`."""

    def __init__(self, screen: str, *, prefix: str):
        self.screen, self.prefix = screen, prefix
        self.checks = SCREENS[screen][1]
        self.problems: list[str] = []

    def __call__(self, name: str, page: Page) -> None:
        # After a click the new page's heading can be there before its stylesheet: measure the finished page.
        page.wait_for_load_state("load")
        found = []
        if "axe" in self.checks and (violations := run_axe(page)):
            found.append(f"axe-core WCAG 2.1 AA violations:\n{format_violations(violations)}")
        if "reflow" in self.checks and (reason := overflow(page)):
            found.append(f"scrolls sideways: {reason}")
        if found:
            shot = save_screenshot(page, f"{self.prefix}-{name}-{self.screen}")
            self.problems.append(f"{name} ({page.url}, {self.screen}, screenshot {shot}):\n" + "\n".join(found))

    def assert_clean(self, what: str) -> None:
        assert not self.problems, f"{len(self.problems)} {what} page(s) failed on {self.screen}:\n\n" + "\n\n".join(
            self.problems
        )
