"""What a driver gets while the shared PostgreSQL restarts or is down (issue #18): a real `pointspermis
serve` on the tests' cluster. A restart (every session of the server ended) costs no page; while the server
cannot be reached, every page says so in French with a 503 and the moment to try again, a form sent then
changes nothing, and once it is back the driver carries on, still signed in; every page shown is in the
access log, those whose rows were waiting to be written when the server went away included."""

from __future__ import annotations

import re
import threading
import time

import httpx
import psycopg

from tests.database.paused_import import PASSWORD, csrf_token, make_accounts, serving
from tests.fixtures.postgres import run_sql

MARTIN = "100000000001"  # a showcase holder of the demo register
EMAIL = "panne@exemple.test"


def test_a_restart_costs_no_page_and_an_outage_is_said_plainly_then_the_driver_carries_on(
        postgres_demo_url, postgres_cluster, tmp_path):
    url, log = postgres_demo_url, tmp_path / "serve.log"
    name = postgres_cluster.name_of(url)
    make_accounts(url, [(EMAIL, MARTIN)])
    with serving(url, log, env={"POINTSPERMIS_PG_WAIT_SECONDS": "1"}) as base, \
            httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        token = csrf_token(client.get("/connexion"))
        assert client.post("/connexion", data={"email": EMAIL, "password": PASSWORD,
                                                "_csrf_token": token}).status_code == 303
        assert client.get("/solde").status_code == 200

        assert postgres_cluster.end_sessions(name) >= 1  # a restart: the worker's pooled connections are closed
        after_restart = {path: client.get(path).status_code for path in ("/solde", "/historique", "/compte")}
        assert after_restart == {"/solde": 200, "/historique": 200, "/compte": 200}

        assert (client.get("/sante/pret").status_code, client.get("/sante").status_code) == (200, 200)

        token = csrf_token(client.get("/compte"))
        assert client.get("/historique").status_code == 200  # its access-log row waits (up to 1 s) to be written
        with postgres_cluster.outage(name):
            down = client.get("/solde")
            assert down.status_code == 503
            assert down.headers["retry-after"] == "60"
            assert down.headers["cache-control"] == "private, no-store"
            assert len(re.findall(r"<h1\b", down.text)) == 1
            assert "Service momentanément indisponible" in down.text and "Réessayez dans une minute" in down.text
            assert "Traceback" not in down.text and "psycopg" not in down.text and "PoolTimeout" not in down.text
            signed_out = client.post("/deconnexion", data={"_csrf_token": token})
            assert signed_out.status_code == 503 and "location" not in signed_out.headers
            # A load balancer's probes: the process answers, and says that it cannot serve pages.
            assert client.get("/sante").status_code == 200
            unready = answered(client, "/sante/pret", 503)
            assert unready.text == "pas prêt : base de données injoignable"
            assert unready.headers["cache-control"] == "no-store"

        assert answered(client, "/sante/pret", 200).text == "prêt"

        back = client.get("/solde")
        assert back.status_code == 200, "the driver is not served once the server is back"
        assert 'datetime="2026-11-25' in back.text, "the page does not show the driver's file"
    # Stopped (its last rows written): a row per file page shown, none for the pages refused during the outage.
    pages = [row["page"] for row in run_sql(url, "SELECT page FROM access_log JOIN accounts ON accounts.id = "
                                                 "access_log.account_id WHERE accounts.email = ?", (EMAIL,))]
    assert sorted(pages) == ["/historique", "/historique", "/solde", "/solde", "/solde"]  # the file's pages
    logged = log.read_text()
    assert "journal des consultations : écriture impossible (StoreUnavailable)" in logged, \
        "the row of the page seen just before the outage was written before it: the test proves nothing"
    assert "erreur interne" not in logged, "a page failed with a 500"
    assert "base de données indisponible : GET /solde (PoolTimeout)" in logged
    assert "base de données indisponible : POST /deconnexion" in logged
    assert logged.count("instance pas prête : postgresql://") == 1, "the change is said once"
    assert logged.count("instance de nouveau prête") == 1


def answered(client: httpx.Client, path: str, status: int, timeout: float = 10.0) -> httpx.Response:
    """The first answer of `path` with `status`, asked every 0.2 s (a probe's answer is kept for a second)."""
    deadline = time.monotonic() + timeout
    while (response := client.get(path)).status_code != status:
        assert time.monotonic() < deadline, f"{path} still {response.status_code} after {timeout} s"
        time.sleep(0.2)
    return response


def test_a_table_held_by_maintenance_makes_pages_say_unavailable_instead_of_hanging(postgres_demo_url, tmp_path):
    url, log = postgres_demo_url, tmp_path / "serve.log"
    make_accounts(url, [(EMAIL, MARTIN)])
    with serving(url, log, env={"POINTSPERMIS_PG_WAIT_SECONDS": "1"}) as base, \
            httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client, \
            psycopg.connect(url, autocommit=True) as maintenance:
        token = csrf_token(client.get("/connexion"))
        assert client.post("/connexion", data={"email": EMAIL, "password": PASSWORD,
                                                "_csrf_token": token}).status_code == 303
        assert client.get("/solde").status_code == 200
        maintenance.execute("BEGIN")
        maintenance.execute("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE")  # e.g. a migration rebuilding it
        held = client.get("/solde")
        assert held.status_code == 503 and "Service momentanément indisponible" in held.text
        maintenance.execute("COMMIT")
        assert client.get("/solde").status_code == 200
    assert "base de données indisponible : GET /solde (LockNotAvailable)" in log.read_text()


def test_a_server_stopped_while_a_view_is_being_logged_loses_no_row(postgres_demo_url, tmp_path):
    """A view's row is written after its page is sent, at most a second later: a server stopped meanwhile waits
    for that write before it closes the database (the access log is kept in full, #18)."""
    url = postgres_demo_url
    make_accounts(url, [(EMAIL, MARTIN)])
    with psycopg.connect(url, autocommit=True) as maintenance:
        with serving(url, tmp_path / "serve.log", env={"POINTSPERMIS_PG_WAIT_SECONDS": "5"}) as base, \
                httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
            token = csrf_token(client.get("/connexion"))
            assert client.post("/connexion", data={"email": EMAIL, "password": PASSWORD,
                                                    "_csrf_token": token}).status_code == 303
            maintenance.execute("BEGIN")
            maintenance.execute("LOCK TABLE access_log IN ACCESS EXCLUSIVE MODE")
            assert client.get("/solde").status_code == 200
            time.sleep(1.5)  # the row's write has begun (a second after the view) and waits for the table
            release = threading.Timer(1.0, lambda: maintenance.execute("COMMIT"))
            release.start()
        # Leaving `serving` stopped the server (SIGINT) while that write waited; the table was released a second later.
        release.join()
    pages = run_sql(url, "SELECT page FROM access_log JOIN accounts ON accounts.id = access_log.account_id "
                         "WHERE accounts.email = ?", (EMAIL,))
    assert [row["page"] for row in pages] == ["/solde"]
