"""A real S3 API server (moto's, in a thread) and Airflow's ``s3://`` paths pointed at it through s3fs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

REGION = "us-east-1"
KEY, SECRET = "testing", "testing"


@contextlib.contextmanager
def s3_server() -> Iterator[str]:
    """Serve the S3 API on a free loopback port until the block ends; yields its endpoint URL."""
    pytest.importorskip("moto", reason="the export tests' S3 server is installed in the airflow-3 and airflow-2 envs")
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per S3 request otherwise

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def create_bucket(endpoint: str, name: str) -> None:
    import boto3

    client = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET, region_name=REGION
    )
    client.create_bucket(Bucket=name)


def s3_filesystem(endpoint: str) -> Any:
    import s3fs

    return s3fs.S3FileSystem(
        key=KEY, secret=SECRET, endpoint_url=endpoint, client_kwargs={"region_name": REGION}, skip_instance_cache=True
    )


def register_s3(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    """Make Airflow's ObjectStoragePath open ``s3://`` with s3fs at ``endpoint`` (the amazon provider's job
    in a deployment), on Airflow 3 (``airflow.sdk.io``) and 2.11 (``airflow.io``) alike."""
    try:
        from airflow.sdk.io import fs as fs_module
    except ImportError:  # Airflow 2.11
        import airflow.io as fs_module  # type: ignore[no-redef]

    # Airflow 3.3 opens a path with no conn_id through fsspec's own s3fs: the standard AWS variables reach it.
    for name, value in {
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    registered = dict(fs_module._register_filesystems())
    registered["s3"] = lambda conn_id, options=None: s3_filesystem(endpoint)
    monkeypatch.setattr(fs_module, "_register_filesystems", lambda: registered)
    try:
        from airflow.sdk.io import store
    except ImportError:
        from airflow.io import store  # type: ignore[no-redef]
    monkeypatch.setattr(store, "_STORE_CACHE", {})
