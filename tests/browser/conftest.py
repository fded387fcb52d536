"""Every test in tests/browser/ runs in headless Chromium (marker `browser`). The modules share
the session event loop — one live server and one browser for the whole run
(tests/fixtures/browser.py) — through their `pytestmark`."""

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)
