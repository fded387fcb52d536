"""Test configuration: settings from the environment first, then the shared fixture modules.

Each area keeps its shared fixtures in tests/fixtures/<area>.py (loaded below), and its
tests in tests/<area>/.
"""

import os

# Settings are read from the environment: set them before anything imports the app.
os.environ.setdefault("POINTSPERMIS_ENVIRONMENT", "test")
os.environ.setdefault("POINTSPERMIS_SECRET_KEY", "test-secret-key-not-for-production-0123456789")

pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.register",
    "tests.fixtures.web",
    "tests.fixtures.accounts",
    "tests.fixtures.browser",
]
