"""A student in Chromium runs the live lab: the real daphne server, the real consumer and engine.

Assertions are about what a person sees — nodes on the diagram, their status and role, the
headline counters, the event log — read through the `data-*` attributes the lab exposes for
that (`data-tick`, `data-status`, `data-role`, `data-value`), never through timing sleeps.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import serious_axe_violations

SLOW = 20_000  # ms: failure detection and promotion take a few simulated seconds at 1×


def open_lab(page: Page, url: str) -> None:
    page.goto(url)
    lab = page.locator("[data-lab]")
    expect(lab).to_have_attribute("data-state", "connected", timeout=SLOW)
    expect(lab).not_to_have_attribute("data-version", "-1", timeout=SLOW)
    expect(page.locator(".lab-node").first).to_be_visible()


def tick(page: Page) -> int:
    return int(page.locator("[data-lab]").get_attribute("data-tick") or 0)


def wait_ticks(page: Page, ticks: int) -> None:
    """Wait until the lab's clock has moved `ticks` further (0.1 s of simulated time each)."""
    target = tick(page) + ticks
    script = "target => Number(document.querySelector('[data-lab]').dataset.tick) >= target"
    page.wait_for_function(script, arg=target, timeout=SLOW)


def node(page: Page, node_id: str):
    return page.locator(f'.lab-node[data-node="{node_id}"]')


def counter(page: Page, metric: str):
    return page.locator(f'.lab-counter[data-metric="{metric}"]')


def test_adding_a_web_server_draws_it(page: Page, live_url: str, console_errors):
    open_lab(page, live_url + "/lessons/web-tier/?lang=en")
    expect(page.locator('.lab-node[data-tier="web"]')).to_have_count(3)
    page.get_by_role("button", name="Add a web server").click()
    expect(page.locator('.lab-node[data-tier="web"]')).to_have_count(4)
    expect(node(page, "web-4")).to_be_visible()
    expect(page.locator('[data-tier-count="web"]')).to_have_text("4")
    expect(page.locator(".lab-log__item").filter(has_text="web-4 added")).to_have_count(1)
    assert console_errors == []


def test_stateful_tier_failure_logs_users_out(page: Page, live_url: str, console_errors):
    open_lab(page, live_url + "/lessons/web-tier/?lang=en")
    expect(page.locator('input[name="mode"][value="stateful"]')).to_be_checked()
    expect(counter(page, "sessions_lost")).to_have_attribute("data-value", "0")
    faults = page.locator('[data-group="faults"]')
    faults.get_by_label("Node").select_option("web-2")
    faults.get_by_role("button", name="Fail", exact=True).click()
    expect(node(page, "web-2")).to_have_attribute("data-status", re.compile("detecting|down"))
    page.wait_for_function(
        "() => Number(document.querySelector('[data-metric=sessions_lost]').dataset.value) > 0", timeout=SLOW
    )
    expect(counter(page, "sessions_lost")).to_have_class(re.compile("is-bad"))
    entry = page.locator('.lab-log__item[data-key="sessions_lost"]')
    expect(entry).to_contain_text("web-2")
    expect(entry).to_contain_text("logged out")
    expect(node(page, "web-2")).to_have_attribute("data-status", "down", timeout=SLOW)
    expect(node(page, "web-2").locator(".lab-node__status")).to_contain_text("down")
    assert console_errors == []


def test_stateless_tier_failure_loses_no_session(page: Page, live_url: str, console_errors):
    open_lab(page, live_url + "/lessons/web-tier/?lang=en")
    page.locator('[data-group="sessions"]').get_by_label("Stateless").check()
    expect(page.locator('.lab-node[data-tier="session"]')).to_have_count(1, timeout=SLOW)  # the shared store
    faults = page.locator('[data-group="faults"]')
    faults.get_by_label("Node").select_option("web-2")
    faults.get_by_role("button", name="Fail", exact=True).click()
    expect(node(page, "web-2")).to_have_attribute("data-status", "down", timeout=SLOW)
    wait_ticks(page, 20)
    expect(counter(page, "sessions_lost")).to_have_attribute("data-value", "0")
    expect(page.locator('.lab-log__item[data-key="sessions_lost"]')).to_have_count(0)
    assert console_errors == []


def test_failing_the_master_promotes_a_replica(page: Page, live_url: str, console_errors):
    open_lab(page, live_url + "/lessons/db-replication/?lang=en")
    expect(node(page, "db-1")).to_have_attribute("data-role", "master")
    expect(node(page, "db-1").locator(".lab-node__badge")).to_have_text("MASTER")
    page.locator('[data-group="faults"]').get_by_role("button", name="Fail the master").click()
    expect(node(page, "db-1")).to_have_attribute("data-status", re.compile("detecting|down"))
    new_master = page.locator('.lab-node[data-role="master"]:not([data-node="db-1"])')
    expect(new_master).to_have_count(1, timeout=SLOW)
    expect(new_master.locator(".lab-node__badge")).to_have_text("MASTER")
    promoted = new_master.get_attribute("data-node")
    entry = page.locator('.lab-log__item[data-key="replica_promoted"]')
    expect(entry).to_contain_text(f"{promoted} promoted after")
    expect(entry).to_contain_text("writes lost")
    expect(page.locator('.lab-log__item[data-key="master_failed"]')).to_contain_text("master db-1 failed")
    availability = counter(page, "availability_total")  # since the start: the outage stays counted
    expect(availability).to_have_class(re.compile("is-bad"))
    assert float(availability.get_attribute("data-value") or 1) < 0.99
    expect(page.locator("[data-lab-latest]")).to_be_visible()  # the newest event, under the diagram
    expect(page.locator("[data-lab-announcer]")).to_contain_text("Lab: ")  # said politely to screen readers
    assert console_errors == []


@pytest.mark.parametrize("server", ["live_url", "uvicorn_url"])  # make run's daphne; deploy.md's uvicorn
def test_reload_resumes_the_same_lab(page: Page, request: pytest.FixtureRequest, server: str, console_errors):
    live_url = request.getfixturevalue(server)
    open_lab(page, live_url + "/lessons/web-tier/?lang=en")
    page.get_by_role("button", name="Add a web server").click()
    expect(node(page, "web-4")).to_be_visible()
    wait_ticks(page, 10)
    before = tick(page)
    page.reload()
    open_lab(page, live_url + "/lessons/web-tier/?lang=en")
    expect(node(page, "web-4")).to_be_visible()  # the same topology
    assert tick(page) >= before  # the same clock, going on
    wait_ticks(page, 3)
    assert console_errors == []


def test_a_control_and_a_nodes_actions_work_with_the_keyboard_alone(
    page: Page, live_url: str, console_errors
):
    open_lab(page, live_url + "/lab/web-tier/?lang=en")
    add = page.get_by_role("button", name="Add a web server")
    add.focus()
    page.keyboard.press("Enter")
    expect(page.locator('.lab-node[data-tier="web"]')).to_have_count(4)

    page.locator('.lab-node[tabindex="0"]').focus()
    for _ in range(8):  # walk the diagram with the arrow keys to web-2
        focused = page.evaluate("document.activeElement.dataset.node")
        if focused == "web-2":
            break
        key = "ArrowDown" if focused in ("users-ap-northeast", "dns", "lb-1") else "ArrowRight"
        if focused in ("web-3", "web-4"):
            key = "ArrowLeft"
        page.keyboard.press(key)
    assert page.evaluate("document.activeElement.dataset.node") == "web-2"
    page.keyboard.press("Enter")
    dialog = page.locator("[data-lab-node-dialog]")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_contain_text("web-2")
    focused_action = page.evaluate("document.activeElement.dataset.action")
    assert focused_action == "fail"
    page.keyboard.press("Enter")
    expect(node(page, "web-2")).to_have_attribute("data-status", re.compile("detecting|down"))
    expect(dialog.get_by_role("button", name="Recover")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("document.activeElement.dataset.node") == "web-2"
    assert console_errors == []


def test_presenter_keys_pause_and_step_but_not_while_typing(page: Page, live_url: str, console_errors):
    open_lab(page, live_url + "/lab/web-tier/?lang=en")
    lab = page.locator("[data-lab]")
    page.locator("h1").click()
    page.keyboard.press(".")
    expect(lab).to_have_attribute("data-paused", "true")
    paused_at = tick(page)
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "t => Number(document.querySelector('[data-lab]').dataset.tick) >= t + 10", arg=paused_at
    )
    seed = page.locator("[data-lab-seed]")
    page.locator('[data-group="lab"] summary').click()
    seed.fill("")
    seed.type("42 ")  # a space typed in the field must not resume the lab
    expect(lab).to_have_attribute("data-paused", "true")
    page.locator("h1").click()
    page.keyboard.press(" ")
    expect(lab).to_have_attribute("data-paused", "false")
    page.keyboard.press("?")
    expect(page.locator("[data-lab-shortcut-sheet]")).to_be_visible()
    page.keyboard.press("Escape")
    assert console_errors == []


def test_a_refused_command_explains_itself_next_to_its_control_in_korean(page: Page, live_url: str):
    open_lab(page, live_url + "/lab/web-tier/?controls=all&lang=ko")
    resize = page.locator('[data-group="resize"]')
    resize.locator("select[name=node]").select_option("web-1")
    resize.get_by_role("button", name="작게").click()
    error = resize.locator("[data-error]")
    expect(error).to_be_visible()
    expect(error).to_contain_text("가장 작은 크기")


@pytest.mark.parametrize("path", ["/lessons/web-tier/", "/lab/", "/lab/db-scaling/?controls=all"])
@pytest.mark.parametrize("theme", ["auto", "projector"])
def test_running_lab_has_no_serious_accessibility_violations(
    page: Page, live_url: str, console_errors, path, theme
):
    page.context.add_cookies([{"name": "scalelab_theme", "value": theme, "url": live_url}])
    open_lab(page, live_url + path)
    wait_ticks(page, 5)
    page.locator("[data-lab-twin] summary").click()  # the node table too
    assert serious_axe_violations(page) == []
    node_button = page.locator('.lab-node[role="button"]').first
    node_button.click()
    expect(page.locator("[data-lab-node-dialog]")).to_be_visible()
    assert serious_axe_violations(page) == []  # with the node dialog open
    assert console_errors == []


def test_dark_mode_lab_has_no_serious_accessibility_violations(browser, live_url: str):
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    open_lab(page, live_url + "/lab/db-replication/?lang=en")
    wait_ticks(page, 5)
    assert serious_axe_violations(page) == []
    context.close()


def dots(page: Page) -> int:
    return int(page.locator("[data-lab-diagram]").get_attribute("data-dots") or 0)


def test_traffic_dots_move_between_frames(page: Page, live_url: str):
    open_lab(page, live_url + "/lab/web-tier/?lang=en")
    page.wait_for_function("() => Number(document.querySelector('[data-lab-diagram]').dataset.dots) > 0")
    first = page.locator(".lab-dot").first.get_attribute("transform")
    page.wait_for_function(
        "before => document.querySelector('.lab-dot')?.getAttribute('transform') !== before", arg=first
    )


def test_reduced_motion_shows_no_moving_dots_but_numbers_update(browser, live_url: str):
    context = browser.new_context(reduced_motion="reduce")
    page = context.new_page()
    open_lab(page, live_url + "/lab/web-tier/?lang=en")
    expect(page.locator("[data-lab]")).to_have_attribute("data-motion", "reduced")
    wait_ticks(page, 10)
    assert dots(page) == 0
    expect(page.locator(".lab-dot")).to_have_count(0)
    clock = page.locator("[data-lab-time]").text_content()
    wait_ticks(page, 5)
    assert page.locator("[data-lab-time]").text_content() != clock  # the numbers go on
    assert page.locator('.lab-node[data-node="web-1"] .lab-node__line').first.text_content().strip() != ""
    context.close()


def test_reduce_motion_toggle_stops_the_dots(page: Page, live_url: str):
    open_lab(page, live_url + "/lab/web-tier/?lang=en")
    page.wait_for_function("() => Number(document.querySelector('[data-lab-diagram]').dataset.dots) > 0")
    toggle = page.get_by_role("button", name="Reduce motion")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".lab-dot")).to_have_count(0)
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    page.wait_for_function("() => document.querySelectorAll('.lab-dot').length > 0")


def test_korean_lab_speaks_korean(page: Page, live_url: str, console_errors):
    open_lab(page, live_url + "/lessons/db-replication/")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator("[data-lab-conn-text]")).to_have_text("연결됨")
    expect(counter(page, "writes_lost").locator("dt")).to_have_text("잃은 쓰기")
    expect(node(page, "db-1").locator(".lab-node__badge")).to_have_text("마스터")
    page.locator('[data-group="faults"]').get_by_role("button", name="마스터 고장 내기").click()
    expect(page.locator('.lab-log__item[data-key="master_failed"]')).to_contain_text("마스터 db-1 장애")
    expect(node(page, "db-1").locator(".lab-node__status")).to_contain_text(re.compile("다운|장애"))
    assert console_errors == []


def test_two_tabs_on_one_lab_agree(page: Page, live_url: str):
    open_lab(page, live_url + "/lab/web-tier/?lang=en")
    other = page.context.new_page()  # same visitor, same session: the same lab
    open_lab(other, live_url + "/lab/web-tier/?lang=en")
    assert other.locator("[data-lab]").get_attribute("id") == page.locator("[data-lab]").get_attribute("id")
    sticky = other.locator('[data-group="sessions"]').get_by_label("Sticky sessions")
    expect(sticky).to_be_checked()
    page.locator('[data-group="load_balancer"]').get_by_label("Least connections").check()
    page.locator('[data-group="sessions"]').get_by_label("Sticky sessions").uncheck()
    expect(other.locator('[data-group="load_balancer"]').get_by_label("Least connections")).to_be_checked()
    expect(sticky).not_to_be_checked()
    page.get_by_role("button", name="Pause").click()
    expect(other.locator("[data-lab]")).to_have_attribute("data-paused", "true")
    other.close()


def test_a_lab_carries_on_across_two_server_processes(page: Page, live_url: str, uvicorn_url: str):
    """Two real server processes (daphne and uvicorn) sharing Redis, as on several machines:
    the second process follows the lab the first runs, forwards its commands, and takes the lab
    over when the first lets it go — one lab, one loop, nothing lost."""
    open_lab(page, live_url + "/lab/web-tier/?lang=en")
    expect(page.locator("[data-lab]")).to_have_attribute("data-role", "runner")
    other = page.context.new_page()  # same visitor (cookies ignore the port): the same lab
    open_lab(other, uvicorn_url + "/lab/web-tier/?lang=en")
    assert other.locator("[data-lab]").get_attribute("id") == page.locator("[data-lab]").get_attribute("id")
    expect(other.locator("[data-lab]")).to_have_attribute("data-role", "follower")
    other.get_by_role("button", name="Add a web server").click()  # sent on to daphne's runner
    expect(node(page, "web-4")).to_be_visible()
    expect(node(other, "web-4")).to_be_visible()
    wait_ticks(other, 5)  # frames reach the follower's tab too
    page.close()  # daphne's runner lingers 2 s with no socket, then lets the lab go
    expect(other.locator("[data-lab]")).to_have_attribute("data-role", "runner", timeout=SLOW)
    before = tick(other)
    wait_ticks(other, 5)
    assert tick(other) >= before + 5
    expect(node(other, "web-4")).to_be_visible()  # the same lab, rebuilt from the store
    expect(other.locator('[data-tier-count="web"]')).to_have_text("4")


def test_load_per_shard_chart_says_when_the_database_is_not_split(page: Page, live_url: str):
    open_lab(page, live_url + "/lessons/db-scaling/?lang=en")
    chart = page.locator('[data-lab-chart="shards"]')
    chart.scroll_into_view_if_needed()
    expect(chart).to_contain_text("One database, not split yet", timeout=SLOW)
    page.locator('[data-group="sharding"]').get_by_role("button", name="One shard more").click()
    expect(chart.locator(".bars .point")).to_have_count(2, timeout=SLOW)  # a bar per shard
    expect(chart).not_to_contain_text("not split yet")
