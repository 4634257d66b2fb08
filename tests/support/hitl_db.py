"""HITL requests in a real metadata DB, made the way Airflow makes them, for the resolver's tests.

A DAG run of ``tests/integration/hitl_dags/hitl_requests.py`` is created through Airflow's own models;
``park`` then does what the HITL operator's ``execute()`` leads to: the ``hitl_detail`` row (Airflow's
model, the fields the operator writes), the notifier's registration (``register_request`` pushing its
XCom), and the task instance in the state Airflow puts it in.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

HITL_DAGS = Path(__file__).resolve().parents[1] / "integration" / "hitl_dags"
DAG_FILE = HITL_DAGS / "hitl_requests.py"
DAG_ID = "hitl_requests"
REPO_ROOT = Path(__file__).resolve().parents[2]
ALICE, BOB, CAROL, STRANGER = "+15551230001", "+15551230002", "+15551230003", "+15551239999"
NUMBER = "+15005550006"


def hitl_supported() -> bool:
    from airflow import __version__

    major, minor = (int(part) for part in __version__.split(".")[:2])
    return (major, minor) >= (3, 1)


def _bag() -> Any:
    try:
        from airflow.dag_processing.dagbag import BundleDagBag
    except ImportError:  # Airflow 3.1
        from airflow.models.dagbag import DagBag

        bag = DagBag(dag_folder=str(DAG_FILE), include_examples=False, bundle_path=REPO_ROOT)
    else:
        bag = BundleDagBag(dag_folder=str(DAG_FILE), bundle_path=REPO_ROOT, bundle_name="dags-folder")
    assert not bag.import_errors, bag.import_errors
    return bag


def create_run(run_id: str) -> Any:
    """A running DAG run of the HITL DAG, serialized and started as the dag-processor and the API would."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType

    try:
        from airflow.dag_processing import dagbag as dagbag_module
    except ImportError:
        from airflow.models import dagbag as dagbag_module  # type: ignore[no-redef]
    from airflow.models.dagbag import DBDagBag

    bag = _bag()
    with create_session() as session:
        DagBundlesManager().sync_bundles_to_db(session=session)
    with create_session() as session:
        dagbag_module.sync_bag_to_db(bag, "dags-folder", None, session=session)
    with create_session() as session:
        dag = DBDagBag().get_latest_version_of_dag(DAG_ID, session=session)
        now = datetime.now(timezone.utc)
        dag.create_dagrun(
            run_id=run_id,
            logical_date=None,
            run_after=now,
            start_date=now,
            run_type=DagRunType.MANUAL,
            triggered_by=DagRunTriggeredByType.TEST,
            state=DagRunState.RUNNING,
            session=session,
        )
    return bag.get_dag(DAG_ID)


class _PushingTaskInstance:
    """The task instance as a notifier sees it: its identity, and ``xcom_push`` into the metadata DB."""

    def __init__(self, ti: Any) -> None:
        self.id, self.dag_id, self.run_id = ti.id, ti.dag_id, ti.run_id
        self.task_id, self.map_index = ti.task_id, ti.map_index
        self.try_number, self.start_date = 1, datetime.now(timezone.utc) - timedelta(seconds=5)

    def xcom_push(self, key: str, value: Any) -> None:
        from airflow.models.xcom import XComModel

        XComModel.set(key, value, dag_id=self.dag_id, task_id=self.task_id, run_id=self.run_id, map_index=-1)


def write_request(dag: Any, run_id: str, task_id: str) -> tuple[Any, dict[str, Any]]:
    """The ``hitl_detail`` row the operator writes first; the task instance and the context its notifiers get."""
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    task = dag.get_task(task_id)
    with create_session() as session:
        ti = session.scalars(
            select(TaskInstance).where(
                TaskInstance.dag_id == DAG_ID, TaskInstance.run_id == run_id, TaskInstance.task_id == task_id
            )
        ).one()
        ti.try_number = 1
        ti.state = "running"
        session.add(
            HITLDetail(
                ti_id=ti.id,
                options=task.options,
                subject=task.subject,
                body=task.body,
                defaults=task.defaults,
                multiple=task.multiple,
                params={},
                assignees=task.assigned_users or None,
            )
        )
        session.flush()
        session.expunge(ti)
    pushing = _PushingTaskInstance(ti)
    return ti, {"ti": pushing, "task_instance": pushing, "task": task}


def park(
    dag: Any,
    run_id: str,
    task_id: str,
    respondents: dict[str, str],
    *,
    state: str | None = None,
    parked_ago: float = 60.0,
    sender: str | None = NUMBER,
) -> Any:
    """The request written, registered for ``respondents``, and the task instance in ``state`` (default: parked)."""
    from airflow_provider_twilio.answers.pending import register_request

    ti, context = write_request(dag, run_id, task_id)
    register_request(context, conn_id="twilio_default", respondents=respondents, channel="sms", sender=sender)
    set_state(ti, state, parked_ago=parked_ago)
    return ti


def set_state(ti: Any, state: str | None = None, *, parked_ago: float = 60.0) -> None:
    """The task instance in ``state`` (default: parked) since ``parked_ago`` seconds."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import update

    from airflow_provider_twilio.answers.pending import parked_states

    with create_session() as session:
        session.execute(
            update(TaskInstance)
            .where(TaskInstance.id == ti.id)
            .values(
                state=state or parked_states()[0],
                next_method="execute_complete",
                next_kwargs={},
                updated_at=datetime.now(timezone.utc) - timedelta(seconds=parked_ago),
            )
        )


def hitl_row(ti_id: Any) -> Any:
    from airflow.models.hitl import HITLDetail
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.get(HITLDetail, ti_id)
        session.expunge(row)
        return row


def ti_state(ti_id: Any) -> str:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        return str(session.get(TaskInstance, ti_id).state)


def audit_rows(run_id: str) -> list[tuple[str, str, str]]:
    from airflow.models.log import Log
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return [
            tuple(row) for row in session.execute(select(Log.event, Log.owner, Log.extra).where(Log.run_id == run_id))
        ]
