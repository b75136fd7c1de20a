"""Defaults for the Prefect settings a command's flow run needs, set before Prefect is imported.

Prefect reads its settings from the environment once, when it is imported; a setting the user
exported (or put in Prefect's profile) wins, since only missing variables are set.
"""

from __future__ import annotations

import os

# Without PREFECT_API_URL a run starts a temporary Prefect server; Prefect's 20 s default
# start-up limit is too short on a busy laptop or CI runner.
EPHEMERAL_STARTUP_TIMEOUT = ("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# The temporary server's telemetry heartbeat fails offline (and races the flow for the SQLite
# database), printing an ERROR traceback on every run.
NO_ANALYTICS = ("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def set_prefect_defaults() -> None:
    """Set the variables above where the environment has none; call before importing Prefect."""
    for name, value in (EPHEMERAL_STARTUP_TIMEOUT, NO_ANALYTICS):
        os.environ.setdefault(name, value)
