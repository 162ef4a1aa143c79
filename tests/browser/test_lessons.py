"""A student in Chromium: reads lessons, switches language, answers a self-check, uses the keyboard."""

from __future__ import annotations

import re

import django
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import serious_axe_violations


@pytest.fixture(scope="module")
def lessons_en():
    django.setup()
    from lessons.catalogue import catalogue_load, content_dir

    return catalogue_load(content_dir()).lessons_in("en")


def test_student_walks_to_lesson_four_and_completes_it(page: Page, live_url: str, console_errors, lessons_en):
    page.goto(live_url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("From one user to ten million")

    page.get_by_role("link", name="Start with lesson 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(lessons_en[0].title)
    for lesson in lessons_en[1:4]:
        page.get_by_role("navigation", name="Previous and next lesson").get_by_role(
            "link", name=re.compile("Next")
        ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(lesson.title)
    assert page.url.endswith("/lessons/web-tier/")

    check = lessons_en[3].self_check
    wrong = next(choice for choice in check.choices if not choice.correct)
    right = next(choice for choice in check.choices if choice.correct)
    form = page.locator("#self-check")
    form.locator(f'input[name="choice"][value="{wrong.index}"]').check()
    form.get_by_role("button", name="Check my answer").click()
    expect(page.locator("#self-check-feedback")).to_contain_text("Not quite.")
    form.locator(f'input[name="choice"][value="{right.index}"]').check()
    form.get_by_role("button", name="Check my answer").click()
    expect(page.locator("#self-check-feedback")).to_contain_text("Correct!")
    expect(page.locator("#lesson-progress")).to_have_text("Completed")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Lessons").click()
    card = page.locator(".lesson-card").filter(has_text=lessons_en[3].title)
    expect(card.locator(".progress-badge")).to_have_text("Completed")
    expect(
        page.locator(".lesson-card").filter(has_text=lessons_en[2].title).locator(".progress-badge")
    ).to_have_text("Visited")
    expect(page.locator("#overall-progress-label")).to_contain_text("1 of")
    assert console_errors == []


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/lessons/web-tier/",
        "/lessons/scalability/",
        "/glossary/",
        "/accounts/login/",
        "/accounts/signup/",
    ],
)
@pytest.mark.parametrize("theme", ["auto", "projector"])
def test_pages_have_no_serious_accessibility_violations(
    page: Page, live_url: str, console_errors, path, theme
):
    page.context.add_cookies([{"name": "scalelab_theme", "value": theme, "url": live_url}])
    page.goto(live_url + path)
    page.wait_for_load_state("networkidle")
    assert serious_axe_violations(page) == []
    assert console_errors == []


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/lessons/no-such-lesson/", 404),
        ("/lab/no-such-lab/", 404),
        ("/lab/s/no-such-link/", 404),
        ("/lessons/web-tier/check/", 405),
    ],
)
def test_error_pages_are_accessible_and_say_what_happened(page: Page, live_url: str, path, status):
    response = page.goto(live_url + path)
    assert response is not None and response.status == status
    expect(page.locator("h1")).to_be_visible()
    expect(
        page.get_by_role("link", name="레슨으로 돌아가기").or_(page.get_by_role("link", name="레슨"))
    ).not_to_have_count(0)
    assert serious_axe_violations(page) == []


def test_dark_mode_lesson_has_no_serious_accessibility_violations(browser, live_url: str):
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto(live_url + "/lessons/scalability/?lang=en")
    page.wait_for_load_state("networkidle")
    assert serious_axe_violations(page) == []
    context.close()


def test_keyboard_reaches_the_skip_link_and_the_main_controls(page: Page, live_url: str):
    page.goto(live_url + "/lessons/web-tier/?lang=en")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    reached = set()
    for _ in range(80):
        page.keyboard.press("Tab")
        reached.add(
            page.evaluate("(document.activeElement.textContent || document.activeElement.value || '').trim()")
        )
        if page.evaluate("document.activeElement.matches('#self-check button')"):
            break
    assert page.evaluate("document.activeElement.matches('#self-check button')"), (
        "Tab never reached the self-check"
    )
    assert "Key points" in reached and "Open the full lab" in reached


def test_glossary_filter_narrows_the_list(page: Page, live_url: str):
    page.goto(live_url + "/glossary/?lang=en")
    entries = page.locator("[data-glossary-entry]")
    total = entries.count()
    page.get_by_label("Filter terms").fill("load balancer")
    visible = page.locator("[data-glossary-entry]:visible")
    expect(visible.first).to_be_visible()
    assert 0 < visible.count() < total


def test_chart_draws_when_scrolled_into_view_with_a_text_alternative(
    page: Page, live_url: str, console_errors
):
    page.goto(live_url + "/lessons/scale-up/?lang=en")
    plot = page.locator("[data-chart]")
    assert plot.get_attribute("data-drawn") is None  # plotly is not fetched before the chart is near
    plot.scroll_into_view_if_needed()
    expect(plot).to_have_attribute("data-drawn", "true", timeout=15_000)
    expect(plot.locator(".main-svg").first).to_be_visible()
    page.get_by_text("Show the numbers").click()
    expect(page.locator(".chart__data table")).to_be_visible()
    page.get_by_role("button", name=re.compile("Projector")).click()  # redraws in the projector theme
    expect(plot).to_have_attribute("data-drawn", "true")
    assert console_errors == []


def test_phone_menu_opens_and_closes(page: Page, live_url: str):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_url + "/?lang=en")
    menu_button = page.get_by_role("button", name="Menu")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    menu_button.click()
    expect(menu_button).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Glossary")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(menu_button).to_be_focused()
