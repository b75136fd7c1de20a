"""The Agent runs tab in a real browser: steps stream in, approvals for approver keys only."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.agents import _runs as runs
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings

from ..conftest import OTHER_KEY
from .conftest import Served, Visit

pytestmark = pytest.mark.slow


def _queue_approval(served: Served, run_id: str) -> int:
    """Queue a side-effect call for ``run_id`` in the served process's run store."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(f"{ENV_PREFIX}ARTIFACTS_DIR", str(served.artifacts))
        get_settings.cache_clear()
        runs.reset_runner()
        approval = runs.get_runner().store.add_approval(run_id, "executor", "save_note", {"n": 1})
    get_settings.cache_clear()
    runs.reset_runner()
    return approval


def _run(visit: Visit, task: str) -> str:
    page = visit.page
    visit.open_tab("Agent runs")
    page.fill("#agent-task", task)
    page.get_by_role("button", name="Start run").click()
    page.locator("#agent-run-status").wait_for(timeout=120_000)
    return page.locator("#agent-status").inner_text().split()[1]


def test_a_run_streams_steps_then_answer_and_cost(visit: Visit, playground_server: Served) -> None:
    page = visit.page
    visit.enter_key()
    run_id = _run(visit, "Summarise the on-call policy in one sentence.")
    assert page.locator("#agent-steps li").count() >= 1
    assert "cost $" in page.inner_text("#agent-cost")
    approval = _queue_approval(playground_server, run_id)
    row = page.locator(f"#agent-approvals li[data-approval='{approval}']")
    row.get_by_role("button", name="Approve").click()
    page.locator(
        f"#agent-approvals li[data-approval='{approval}'][data-status=approved]"
    ).wait_for()
    visit.screenshot("agents")
    page.locator("#agent-result").get_by_role("button", name="Show trace").click()
    page.locator("#trace-timeline li[data-span='agent.run']").wait_for()
    visit.screenshot("trace-agent")


def test_a_key_that_may_not_approve_sees_no_buttons(
    visit: Visit, playground_server: Served
) -> None:
    page = visit.page
    visit.enter_key(OTHER_KEY)
    run_id = _run(visit, "Note the rota.")
    approval = _queue_approval(playground_server, run_id)
    row = page.locator(f"#agent-approvals li[data-approval='{approval}'][data-status=pending]")
    row.wait_for()
    assert row.get_by_role("button").count() == 0
    assert "may not decide" in page.inner_text("#agent-approver")
