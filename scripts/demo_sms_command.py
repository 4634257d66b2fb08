"""``make demo`` (second part), ``make demo-command``: a text starts a DAG run, which answers it.

``example_dags/example_twilio_sms_command.py`` needs an asset watcher, which only real Airflow 3
processes run (``dag.test()`` cannot). So this starts a scheduler, dag-processor, triggerer and
api-server on a throwaway SQLite DB (the same helper the test suite uses), with the bundled emulator
standing in for Twilio, texts "RUN nightly-report" to the watched number as a user would, and prints
the conversation once the run has answered. Everything is torn down; on failure the processes' logs
are kept and their tails printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # the process helper lives with the tests that share it

from demo import print_conversation  # noqa: E402

EXAMPLE = REPO_ROOT / "example_dags" / "example_twilio_sms_command.py"
WATCHED, USER, TEXT = "+15005550006", "+15551230001", "RUN nightly-report"


def migrated_db(home: Path) -> Path:
    db = home / "seed.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{db}",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        }
    )
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True, capture_output=True)
    return db


def main() -> int:
    from airflow_provider_twilio.emulator import TwilioEmulator
    from tests.support.airflow_processes import airflow_stack

    home = Path(tempfile.mkdtemp(prefix="airflow-twilio-demo-command-"))
    print("\nStarting Airflow 3 (scheduler, dag-processor, triggerer, api-server) for the SMS command DAG...")
    ok = False
    with TwilioEmulator() as emu:
        env = {"AIRFLOW_CONN_TWILIO_DEFAULT": emu.connection_uri}
        with airflow_stack(home / "airflow", migrated_db(home), [EXAMPLE], env) as airflow:
            try:
                for name in ("api-server", "dag-processor", "scheduler", "triggerer"):
                    airflow.start(name)
                # A new watcher counts texts from the moment it logs that it watches (docs/events.md).
                airflow.wait_for(lambda: airflow.logged("triggerer", "Watching texts to"), "the watcher to start")
                print(f"The watcher polls {WATCHED} (the connection's default_from); {USER} texts {TEXT!r}.")
                started = time.monotonic()
                emu.inject_inbound(from_=USER, to=WATCHED, body=TEXT)
                airflow.wait_for(lambda: [m for m in emu.messages() if m["direction"] != "inbound"], "the run's answer")
                print(f"Answered after {time.monotonic() - started:.1f} s.\n")
                print_conversation(list(reversed(emu.messages())))
                runs = airflow.consumed_events("example_twilio_sms_command")
                for run_id, payloads in runs.items():
                    print(f"\nDAG run {run_id}: triggered by {[p['body'] for p in payloads]}")
                    print(f"  payload match_groups: {payloads[0]['match_groups']}")
                ok = True
            except AssertionError as err:
                print(f"\nThe demo failed: {err}")
                print(f"Logs kept in {home}")
    if ok:
        shutil.rmtree(home, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
