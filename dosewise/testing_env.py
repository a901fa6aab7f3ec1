"""Loaded by pytest with `-p dosewise.testing_env` (pyproject), before Django is set up.

Marks the process as a test run so settings use a fast password hasher and a throwaway key.
Only the test runner sets this; production never imports this module.
"""

import os

os.environ.setdefault("DOSEWISE_TESTING", "1")
