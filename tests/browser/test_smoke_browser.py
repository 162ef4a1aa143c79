from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import serious_axe_violations


def test_home_page_opens_in_chromium(page: Page, live_url: str, console_errors: list[str]):
    page.goto(live_url + "/")
    expect(page).to_have_title(re.compile("ScaleLab"))
    assert serious_axe_violations(page) == []
    assert console_errors == []
