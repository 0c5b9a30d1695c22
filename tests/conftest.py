"""Test configuration: reproducible hypothesis runs in CI.

With ``CI`` set (as ``.ci/run`` is run), hypothesis draws the same examples on every run,
so a CI result can be reproduced exactly; locally it explores new examples each run.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
