"""The catalog commands of run_assistant.py, run as a newcomer would."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from commerce.api.app import create_app
from commerce.db import Database
from commerce.models import Customer, Device
from commerce.seed.seeder import DEMO_PIN

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "run_assistant.py",
            "catalog",
            *args,
            "--database-url",
            f"sqlite:///{database}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_seed_token_basket(tmp_path: Path):
    database = tmp_path / "cli.db"
    first = run("seed", database=database)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert len(summary["customers"]) == 5
    assert len(summary["stores"]) >= 3
    assert summary["products"] >= 2000
    again = run("seed", "--customers", "7", database=database)
    bigger = json.loads(again.stdout)
    assert bigger["customers"][:5] == summary["customers"], "seeding is deterministic"
    assert len(bigger["customers"]) == 7
    assert bigger["products"] == summary["products"]

    token = run("token", summary["customers"][0], database=database)
    assert token.returncode == 0
    assert token.stdout.strip().startswith("cst_")
    basket = run("basket", summary["customers"][0], database=database)
    assert json.loads(basket.stdout)["items"] == []
    unknown = run("token", "nobody", database=database)
    assert unknown.returncode == 2
    assert json.loads(unknown.stderr)["error"]["code"] == "customer-not-found"


@pytest.mark.slow
def test_device_add_list_revoke(seeded_sqlite_template: Path, tmp_path: Path):
    database = tmp_path / "devices.db"
    shutil.copy(seeded_sqlite_template, database)

    home = run("device", "add", "--home", "alice", database=database)
    assert home.returncode == 0, home.stderr
    home_device = json.loads(home.stdout)
    assert set(home_device) == {"device_id", "kind", "name", "token", "customer"}
    assert (home_device["kind"], home_device["customer"]) == ("home", "alice")
    assert home_device["token"].startswith("dev_")
    kiosk = run("device", "add", "--kiosk", "riverside", "--name", "Front door", database=database)
    assert kiosk.returncode == 0, kiosk.stderr
    kiosk_device = json.loads(kiosk.stdout)
    assert set(kiosk_device) == {"device_id", "kind", "name", "token", "store_id"}
    assert (kiosk_device["kind"], kiosk_device["name"], kiosk_device["store_id"]) == (
        "kiosk",
        "Front door",
        "riverside",
    )

    listed = run("device", "list", database=database)
    assert listed.returncode == 0, listed.stderr
    devices = json.loads(listed.stdout)["devices"]
    assert [d["device_id"] for d in devices] == [
        home_device["device_id"],
        kiosk_device["device_id"],
    ]
    assert home_device["token"] not in listed.stdout
    assert kiosk_device["token"] not in listed.stdout
    assert all("token" not in d and "token_hash" not in d for d in devices)
    assert devices[0]["customer"] == "alice"
    assert devices[1]["store_id"] == "riverside"
    assert all(d["revoked_at"] is None for d in devices)

    db = Database.connect(f"sqlite:///{database}")
    try:
        with db.session() as session:
            stored = {d.id: d.token_hash for d in session.scalars(select(Device))}
        for device in (home_device, kiosk_device):
            assert (
                stored[device["device_id"]] == hashlib.sha256(device["token"].encode()).hexdigest()
            )
        with TestClient(create_app(db), raise_server_exceptions=False) as client:
            headers = {"Authorization": f"Bearer {kiosk_device['token']}"}
            assert client.post("/v1/device/session", headers=headers).status_code == 200

            revoked = run("device", "revoke", str(kiosk_device["device_id"]), database=database)
            assert revoked.returncode == 0, revoked.stderr
            assert json.loads(revoked.stdout)["revoked_at"] is not None
            refused = client.post("/v1/device/session", headers=headers)
            assert (refused.status_code, refused.json()["error"]["code"]) == (401, "auth-invalid")
            home_headers = {"Authorization": f"Bearer {home_device['token']}"}
            assert client.post("/v1/device/session", headers=home_headers).status_code == 200
    finally:
        db.dispose()
    again = run("device", "revoke", str(kiosk_device["device_id"]), database=database)
    assert again.returncode == 0, "revoking twice is harmless"

    for args, code in (
        (("device", "revoke", "999"), "device-not-found"),
        (("device", "add", "--home", "nobody"), "customer-not-found"),
        (("device", "add", "--kiosk", "atlantis"), "store-not-found"),
        (("device", "add", "--kiosk", "riverside", "--name", "x" * 81), "device-invalid"),
    ):
        failed = run(*args, database=database)
        assert failed.returncode == 2, args
        assert json.loads(failed.stderr)["error"]["code"] == code
    both = run("device", "add", "--home", "alice", "--kiosk", "riverside", database=database)
    assert both.returncode == 2
    assert "not allowed with" in both.stderr


@pytest.mark.slow
def test_staff_unlock_a_customer_and_a_kiosk(seeded_sqlite_template: Path, tmp_path: Path):
    database = tmp_path / "unlock.db"
    shutil.copy(seeded_sqlite_template, database)
    kiosk = json.loads(run("device", "add", "--kiosk", "riverside", database=database).stdout)
    db = Database.connect(f"sqlite:///{database}")
    try:
        later = datetime.now(UTC) + timedelta(days=1)
        with db.session(write=True) as session:  # bob and the kiosk, both locked for a day
            bob = session.scalars(select(Customer).where(Customer.handle == "bob")).one()
            bob.failed_pin_attempts, bob.pin_locked_until = 12, later
            device = session.get_one(Device, kiosk["device_id"])
            device.failed_sign_ins, device.sign_in_locked_until = 30, later
            loyalty = bob.loyalty_number
        with TestClient(create_app(db), raise_server_exceptions=False) as client:
            headers = {"Authorization": f"Bearer {kiosk['token']}"}
            body = {"loyalty_number": loyalty, "pin": DEMO_PIN}
            assert client.post("/v1/device/sign-in", json=body, headers=headers).status_code == 403
            unlocked = run("customer", "unlock", "bob", database=database)
            assert unlocked.returncode == 0, unlocked.stderr
            assert json.loads(unlocked.stdout)["customer"] == "bob"
            assert client.post("/v1/device/sign-in", json=body, headers=headers).status_code == 403
            device_unlocked = run("device", "unlock", str(kiosk["device_id"]), database=database)
            assert device_unlocked.returncode == 0, device_unlocked.stderr
            signed_in = client.post("/v1/device/sign-in", json=body, headers=headers)
            assert signed_in.status_code == 200, signed_in.text
        assert run("customer", "unlock", "nobody", database=database).returncode == 2
    finally:
        db.dispose()


@pytest.mark.slow
def test_a_printed_token_expires(seeded_sqlite_template: Path, tmp_path: Path):
    """`catalog token` used to print tokens that never expired; now 8 hours, or --hours."""
    database = tmp_path / "tokens.db"
    shutil.copy(seeded_sqlite_template, database)
    started = datetime.now(UTC)
    default = run("token", "alice", database=database)
    assert default.returncode == 0, default.stderr
    short = run("token", "alice", "--hours", "0.5", database=database)
    assert short.returncode == 0, short.stderr
    for refused in ("0", "-1", "721", "soon"):
        bad = run("token", "alice", "--hours", refused, database=database)
        assert bad.returncode == 2, refused
        assert "hours" in bad.stderr
    db = Database.connect(f"sqlite:///{database}")
    try:
        client = TestClient(create_app(db))
        for printed, hours in ((default, 8), (short, 0.5)):
            token = printed.stdout.strip()
            assert client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).is_success
            expires = db_token_expiry(db, token)
            assert expires is not None, "no token printed for a customer lives for ever"
            wanted = started + timedelta(hours=hours)
            assert wanted <= expires <= wanted + timedelta(minutes=2)
    finally:
        db.dispose()


def db_token_expiry(db: Database, token: str) -> datetime | None:
    from commerce.models import ApiToken

    digest = hashlib.sha256(token.encode()).hexdigest()
    with db.session() as session:
        row = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).one()
        return row.expires_at
