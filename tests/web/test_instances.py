"""Several instances, one truth (issue #18): two real `pointspermis serve` processes on one PostgreSQL
behave as one service — a session started on A is valid on B, failed sign-ins spread over A and B
lock the address, and an import made beside them is seen by both within seconds."""

from __future__ import annotations

import html
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.database.paused_import import PASSWORD, csrf_token, make_accounts, serving

ROOT = Path(__file__).resolve().parents[2]
MARTIN, DUBOIS = "100000000001", "100000000002"  # showcase holders of the demo register


def sign_in(client: httpx.Client, base: str, email: str, password: str) -> httpx.Response:
    token = csrf_token(client.get(f"{base}/connexion"))
    return client.post(f"{base}/connexion", data={"email": email, "password": password, "_csrf_token": token})


@pytest.fixture
def two_instances(postgres_demo_url: str, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    # `serving` gives both the same secret key, as a deployment does (CSRF tokens made by one are checked by the other).
    with serving(postgres_demo_url, tmp_path / "A.log") as a, serving(postgres_demo_url, tmp_path / "B.log") as b:
        yield postgres_demo_url, a, b


def test_a_session_started_on_one_instance_continues_on_the_other(two_instances):
    url, a, b = two_instances
    make_accounts(url, [("deux-instances@exemple.test", MARTIN)])
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        signed = sign_in(client, a, "deux-instances@exemple.test", PASSWORD)
        assert signed.status_code == 303 and signed.headers["location"] == "/solde"
        on_b = client.get(f"{b}/solde")
        assert on_b.status_code == 200, on_b.headers.get("location")
        assert 'datetime="2026-11-25' in on_b.text, "B does not show the driver's balance with its extract date"
        # A state change on B with the token of B's page: the CSRF token is bound to the session, not to the instance.
        token = csrf_token(client.get(f"{b}/compte"))
        out = client.post(f"{b}/deconnexion", data={"_csrf_token": token})
        assert out.status_code == 303
        # Signed out on B is signed out on A.
        assert client.get(f"{a}/solde").status_code in (302, 303)


def test_failed_sign_ins_spread_over_both_instances_lock_the_address(two_instances):
    url, a, b = two_instances
    email = "verrou@exemple.test"
    make_accounts(url, [(email, DUBOIS)])
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        for base in (a, b, a, b, a):
            refused = sign_in(client, base, email, "pas le bon mot de passe")
            assert refused.status_code == 400 and "Trop de tentatives" not in refused.text
        # The sixth try, right this time, on the instance that saw only two failures: locked.
        locked = sign_in(client, b, email, PASSWORD)
        assert locked.status_code in (400, 429) and "Trop de tentatives" in html.unescape(locked.text)
        assert "location" not in locked.headers


def test_an_import_beside_the_instances_is_seen_by_both_within_seconds(two_instances, tmp_path):
    url, a, b = two_instances
    email = "import-vu@exemple.test"
    make_accounts(url, [(email, MARTIN)])
    feed = tmp_path / "later.jsonl"
    feed.write_text(
        '{"type":"extract","extract_id":"demo-2026-12-02","extracted_at":"2026-12-02T22:00:00+00:00"}\n'
        '{"neph":"%s","type":"offence","id":"%s-late","committed_on":"2026-10-03","established_on":"2026-11-02",'
        '"established_by":"fixed_fine_paid","points":1,"offence_class":"C3","label":"Excès de vitesse tardif",'
        '"place":"Lyon (69)","recorded_on":"2026-12-01"}\n' % (MARTIN, MARTIN), encoding="utf-8")
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        assert sign_in(client, a, email, PASSWORD).status_code == 303
        before = {base: client.get(f"{base}/solde").text for base in (a, b)}
        for page in before.values():
            assert 'datetime="2026-11-25' in page and "2 décembre 2026" not in page
        done = subprocess.run([sys.executable, "-m", "backend", "import", str(feed), "--db", url], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        imported = time.monotonic()
        seen: dict[str, float] = {}
        while len(seen) < 2 and time.monotonic() - imported < 10:
            for base in (a, b):
                if base not in seen and "2 décembre 2026" in client.get(f"{base}/solde").text:
                    seen[base] = time.monotonic() - imported
            time.sleep(0.2)
        assert set(seen) == {a, b}, f"the new extract was not shown by every instance within 10 s: {seen}"
        history = client.get(f"{b}/historique").text
        assert "Excès de vitesse tardif" in html.unescape(history)
