"""``python -m airflow_provider_twilio.emulator``: serve the emulator until interrupted.

The connection URI goes to stdout (one line, for scripts); everything else to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from airflow_provider_twilio.emulator.simulation.settings import SETTINGS, Setting, checked


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_twilio.emulator",
        description="Run a local Twilio-compatible API server and print its Airflow connection URI.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free port)")
    parser.add_argument("--account-sid", default=None, help="Account SID to accept (default: random AC...)")
    parser.add_argument("--auth-token", default=None, help="auth token to accept (default: random)")
    for setting in SETTINGS.values():
        add_setting_option(parser, setting)
    args = parser.parse_args(argv)
    if args.account_sid is not None and not (args.account_sid.startswith("AC") and len(args.account_sid) == 34):
        parser.error(f"--account-sid {args.account_sid!r} is not an Account SID (AC followed by 32 hex digits)")
    if args.port < 0 or args.port > 65535:
        parser.error(f"--port {args.port} is not a TCP port (0 picks a free one)")
    try:
        checked(settings_given(args))
    except ValueError as err:
        parser.error(str(err))
    return args


def add_setting_option(parser: argparse.ArgumentParser, setting: Setting) -> None:
    """``--late-commit-delay S`` and so on: one option per setting (see docs/emulator.md), unset by default."""
    option = "--" + setting.name.replace("_", "-")
    if setting.kind == "flag":
        parser.add_argument(option, action="store_const", const=True, default=None, help=setting.help)
    else:
        number = float if setting.kind in ("probability", "seconds") else int
        parser.add_argument(option, type=number, default=None, help=setting.help)


def settings_given(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line, by their ``configure`` names."""
    given = {name: getattr(args, name) for name in SETTINGS}
    return {name: value for name, value in given.items() if value is not None}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from airflow_provider_twilio.emulator import operations
    from airflow_provider_twilio.emulator.backends import InProcessBackend
    from airflow_provider_twilio.emulator.server import base_url, connection_uri
    from airflow_provider_twilio.emulator.state import EmulatorState

    state = EmulatorState(account_sid=args.account_sid, auth_token=args.auth_token)
    operations.configure(state, **settings_given(args))
    backend = InProcessBackend(state, args.host, args.port)
    try:
        url = base_url(args.host, backend.bind())
    except OSError as err:
        print(f"Cannot listen on {args.host}:{args.port}: {err}", file=sys.stderr)
        return 1

    def ready() -> None:
        print(connection_uri(url, state.account_sid, state.auth_token), flush=True)
        print(
            f"Twilio emulator at {url} (account {state.account_sid}); "
            f"control endpoints under {url}/_emulator/. Ctrl-C stops it.",
            file=sys.stderr,
            flush=True,
        )

    backend.serve_forever(ready)
    print("Twilio emulator stopped.", file=sys.stderr, flush=True)
    return 0
