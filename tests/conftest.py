from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).resolve().parent))

pytest_plugins = ["pytester"]  # tests/test_pytest_plugin.py runs user projects

# Bounded property runs for `make test`; `make fuzz` selects the long profile. No deadlines:
# these machines are shared and noisy, and speed is measured in bench/, not here.
# The default profile is derandomized: `make test` and CI try the same examples every run, so
# a red run is a real regression, not a draw; `make fuzz` explores at random.
settings.register_profile(
    "default",
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "fuzz",
    deadline=None,
    max_examples=2000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# Compiled templates go to a cache of this run, not the user's ~/.cache (tests that need
# another cache set their own).
_CACHE = tempfile.mkdtemp(prefix="treeform-test-cache-")
os.environ["TREEFORM_CACHE_DIR"] = _CACHE


def pytest_unconfigure() -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)
