"""The Predict tab in a real browser: a form built from the frozen schema, scored by /predict."""

from __future__ import annotations

import pytest

from ..routes.test_ml import RECORD
from .conftest import Visit

pytestmark = pytest.mark.slow


def test_predict_form_comes_from_the_schema_and_shows_the_answer(visit: Visit) -> None:
    page = visit.page
    visit.enter_key()
    visit.open_tab("Predict")
    page.locator("#predict-status").filter(has_text="input column").wait_for()
    names = page.locator("#predict-fields [name]").evaluate_all("nodes => nodes.map(n => n.name)")
    assert set(RECORD) <= set(names)
    for name, value in RECORD.items():
        field = page.locator(f"#predict-{name}")
        if field.evaluate("node => node.tagName") == "SELECT":
            field.select_option(str(value))
        else:
            field.fill(str(value))
    page.get_by_role("button", name="Predict", exact=True).click()
    page.locator("#predict-answer").wait_for()
    probability = float(page.inner_text("[data-field=probability]"))
    assert 0.0 <= probability <= 1.0
    assert page.inner_text("[data-field=label]")
    assert page.inner_text("[data-field=model_version]")
    visit.screenshot("predict")
    page.locator("#panel-predict").get_by_role("button", name="Show trace").click()
    page.locator("#trace-timeline li[data-span='ml.predict']").first.wait_for()
    assert "ml.model_version=" in page.inner_text("#trace-timeline")


def test_a_value_of_the_wrong_type_is_explained(visit: Visit) -> None:
    page = visit.page
    visit.enter_key()
    visit.open_tab("Predict")
    page.locator("#predict-status").filter(has_text="input column").wait_for()
    # As if the schema said text: the service, not the page, refuses the value.
    page.evaluate(
        "(n => { n.type = 'text'; n.dataset.kind = 'string'; })"
        "(document.querySelector('#predict-age'))"
    )
    page.fill("#predict-age", "old")
    page.get_by_role("button", name="Predict", exact=True).click()
    page.locator("#predict-status.error").wait_for()
    assert page.inner_text("#predict-status").startswith("4")
