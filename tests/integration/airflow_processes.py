"""Moved to ``tests.support.airflow_processes``; this name is kept until every import points there."""

from tests.support.airflow_processes import (
    COMMANDS,
    LOADED_MACHINE_TIMEOUTS,
    REPO_ROOT,
    STOP_GRACE,
    WAIT,
    AirflowStack,
    airflow_stack,
    stop_process_group,
    tail,
)
from tests.support.net import free_port

__all__ = [
    "COMMANDS",
    "LOADED_MACHINE_TIMEOUTS",
    "REPO_ROOT",
    "STOP_GRACE",
    "WAIT",
    "AirflowStack",
    "airflow_stack",
    "free_port",
    "stop_process_group",
    "tail",
]
