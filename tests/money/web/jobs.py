"""Waiting for a background job through the investigations API, as a page's script does."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

API = "/api/v1/investigations"
ENDED = ("done", "failed", "interrupted")


def wait_for_job(client: TestClient, job: dict[str, Any], timeout: float = 90) -> dict[str, Any]:
    """Poll ``job`` until it has ended; fail the test if it has not within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while job["state"] not in ENDED:
        assert time.monotonic() < deadline, f"job still {job['state']}"
        time.sleep(0.1)
        response = client.get(f"{API}/jobs/{job['id']}")
        assert response.status_code == 200, response.text
        job = response.json()
    return job
