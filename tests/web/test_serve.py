"""`pointspermis serve` starts real worker processes that answer on the chosen port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_with_the_app_and_its_headers(tmp_path):
    port = free_port()
    env = {**os.environ, "POINTSPERMIS_ENVIRONMENT": "test",
           "POINTSPERMIS_SECRET_KEY": "test-secret-key-not-for-production-0123456789"}
    cli = Path(sys.executable).with_name("pointspermis")
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen([str(cli), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                                   "--db", str(tmp_path / "serve.sqlite3")], env=env, cwd=ROOT,
                                  stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/sante", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "server did not answer within 60 s"
                time.sleep(0.3)
        assert response.status_code == 200 and response.text == "ok"
        assert response.headers["x-content-type-options"] == "nosniff"
        home = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert home.status_code == 200 and '<html lang="fr">' in home.text
        assert (tmp_path / "serve.sqlite3").exists(), "--db chose the database file"
        assert (tmp_path / "serve.accounts.sqlite3").exists(), "the accounts' file beside it"
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_serve_refuses_bad_settings_with_a_clear_message(tmp_path):
    env = {**os.environ, "POINTSPERMIS_ENVIRONMENT": "production", "POINTSPERMIS_SECRET_KEY": "short"}
    cli = Path(sys.executable).with_name("pointspermis")
    done = subprocess.run([str(cli), "serve", "--port", "1", "--db", str(tmp_path / "x.sqlite3")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "POINTSPERMIS_SECRET_KEY" in done.stdout + done.stderr
