"""docs/webhooks.md's steps and claims, checked against the emulator and a real metadata DB.

"Setting the number's webhook": the script and the shell lines are taken from the page, written to a
temporary directory and run in a fresh process (the script's own interpreter on PATH as ``python``),
with an AIRFLOW_HOME that holds no connection: the environment variable the page sets is the only
place the connection can come from. "New DAGs start paused": a new DAG with a watcher is parsed into
the metadata DB as the DAG processor does it, and its watcher's trigger exists only once it is unpaused.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.emulator import sdk_client

WEBHOOKS_MD = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def number_webhook_steps() -> tuple[str, str, str]:
    """(script name, script, shell lines) of the page's "Setting the number's webhook" section."""
    section = WEBHOOKS_MD.read_text().split("## Setting the number's webhook", 1)[1].split("\n## ", 1)[0]
    script = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    shell = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert script and shell, "the section needs the script and the shell lines that run it"
    name = re.search(r"^python (\S+\.py)$", shell.group(1), re.MULTILINE)
    assert name, "the shell lines do not run the script"
    return name.group(1), script.group(1), shell.group(1)


def run_steps(directory: Path, shell: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    environment.update(env)
    return subprocess.run(
        ["bash", "-c", shell], cwd=directory, env=environment, capture_output=True, text=True, timeout=180
    )


def stored_sms_url(emu: TwilioEmulator, phone_number: str) -> tuple[str, str]:
    (number,) = sdk_client(emu).incoming_phone_numbers.list(phone_number=phone_number)
    return number.sms_url, number.sms_method


def test_the_documented_script_sets_the_numbers_webhook(tmp_path: Path) -> None:
    name, script, shell = number_webhook_steps()
    (tmp_path / name).write_text(script)
    home = tmp_path / "airflow-home"  # no metadata DB, no connections
    home.mkdir()
    documented_uri = re.search(r"AIRFLOW_CONN_TWILIO_DEFAULT='([^']*)'", shell)
    assert documented_uri, "the shell lines do not set AIRFLOW_CONN_TWILIO_DEFAULT"
    with TwilioEmulator() as emu:
        lines = shell.replace(f"'{documented_uri.group(1)}'", shlex.quote(emu.connection_uri))
        result = run_steps(tmp_path, lines, {"AIRFLOW_HOME": str(home)})
        assert result.returncode == 0, result.stdout + result.stderr
        assert stored_sms_url(emu, "+15005550006") == ("https://airflow.example.com/twilio/twilio_default/sms", "POST")


def test_a_plain_script_reads_metadata_db_connections_only_before_airflow_3_1(tmp_path: Path, airflow_db: Path) -> None:
    """What the page says about running the script without the variable: from Airflow 3.1 on it fails, and why."""
    from airflow import __version__
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session

    name, script, _ = number_webhook_steps()
    (tmp_path / name).write_text(script)
    with TwilioEmulator() as emu:
        with create_session() as session:
            session.query(Connection).filter(Connection.conn_id == "twilio_default").delete()
            session.add(Connection(conn_id="twilio_default", uri=emu.connection_uri))
        try:
            result = run_steps(tmp_path, f"python {name}", {})
        finally:
            with create_session() as session:
                session.query(Connection).filter(Connection.conn_id == "twilio_default").delete()
        if tuple(int(part) for part in __version__.split(".")[:2]) >= (3, 1):
            assert result.returncode != 0
            assert "AirflowNotFoundException: The conn_id `twilio_default` isn't defined" in result.stderr
            assert WEBHOOKS_MD.read_text().count("The conn_id `twilio_default` isn't defined") == 1
            assert stored_sms_url(emu, "+15005550006") == ("", "POST")
        else:
            assert result.returncode == 0, result.stdout + result.stderr
            assert stored_sms_url(emu, "+15005550006")[0].endswith("/twilio/twilio_default/sms")


WATCHER_DAG = """
import datetime

from airflow.sdk import DAG, Asset, AssetWatcher

from airflow_provider_twilio.triggers.sms import TwilioInboundSmsEventTrigger

texts = Asset(
    "docs_paused_texts",
    watchers=[AssetWatcher(name="docs_paused_texts", trigger=TwilioInboundSmsEventTrigger(to="+15005550006"))],
)

with DAG("docs_paused_watcher", schedule=[texts], start_date=datetime.datetime(2025, 1, 1)):
    pass
"""


def test_a_new_dags_watchers_run_only_once_it_is_unpaused(tmp_path: Path, airflow_db: Path) -> None:
    from airflow import __version__

    if int(__version__.split(".")[0]) < 3:
        pytest.skip("Airflow 2.11 has no asset watchers")
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.models import DagBag
    from airflow.models.asset import AssetModel
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    page = WEBHOOKS_MD.read_text()
    assert "New DAGs start paused" in page
    assert "airflow dags unpause" in page and "is_paused_upon_creation=False" in page
    (tmp_path / "watcher_dag.py").write_text(WATCHER_DAG)
    bag = DagBag(dag_folder=str(tmp_path))
    assert not bag.import_errors, bag.import_errors

    def dagbag_module() -> Any:  # where DagBag's DB helpers live: dag_processing from 3.2, models before
        try:
            from airflow.dag_processing import dagbag
        except ImportError:
            from airflow.models import dagbag
        return dagbag

    def parse() -> None:  # what the DAG processor does with the file, every min_file_process_interval
        with create_session() as session:
            DagBundlesManager().sync_bundles_to_db(session=session)
        with create_session() as session:
            if hasattr(dagbag_module(), "sync_bag_to_db"):  # Airflow 3.1 and later
                dagbag_module().sync_bag_to_db(bag, "dags-folder", None, session=session)
            else:  # Airflow 3.0
                bag.sync_to_db("dags-folder", None, session=session)

    def watcher_triggers() -> int:
        with create_session() as session:
            asset = session.scalar(select(AssetModel).where(AssetModel.name == "docs_paused_texts"))
            return len(asset.triggers)

    def pause(paused: bool) -> None:  # what `airflow dags pause/unpause` and the UI toggle do
        with create_session() as session:
            dag = session.scalar(select(DagModel).where(DagModel.dag_id == "docs_paused_watcher"))
            dag.is_paused = paused

    parse()
    with create_session() as session:
        assert session.scalar(select(DagModel.is_paused).where(DagModel.dag_id == "docs_paused_watcher")) is True
    assert watcher_triggers() == 0
    pause(False)
    assert watcher_triggers() == 0  # not before the file is parsed again
    parse()
    assert watcher_triggers() == 1
    pause(True)
    parse()
    assert watcher_triggers() == 0
