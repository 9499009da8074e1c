"""`python -m bot dashboard` runs the dashboard alone; on a database without accounts its log
says, in one line, how to create the first admin; the ready line gives the address."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import DATA_KEY
from tests.servers import Process, free_port, python_module


def test_the_dashboard_runs_alone_and_tells_how_to_create_the_first_admin(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "DATA_DIR": str(tmp_path),
        "DATA_KEY": DATA_KEY,
        "DASHBOARD_PORT": str(port),
    }
    process = Process(python_module(["bot", "dashboard"]), tmp_path / "dashboard.log", env)
    try:
        process.wait_http(f"http://127.0.0.1:{port}/login", timeout=60)
        log = process.wait_log(f"ready: dashboard at http://127.0.0.1:{port}", timeout=10)
        assert (
            "create the first admin with `.venv/bin/python -m bot user add NAME --role admin`"
            in log
        )
    finally:
        process.stop()
    assert "Traceback" not in process.log_file.read_text()
