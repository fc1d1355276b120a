"""The catalog's vocabulary: one export, from the database, that the recogniser's shop model
and the NLU lookup tables are both built from (``GET /v1/catalog/vocabulary`` and
``catalog vocabulary``); and the service standing alone (``python -m commerce``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update

from commerce.db import Database
from commerce.models import Recipe

ROOT = Path(__file__).resolve().parents[2]


def test_the_vocabulary_names_what_the_catalog_sells(client: TestClient) -> None:
    body = client.get("/v1/catalog/vocabulary").json()
    assert set(body) == {"products", "brands", "brand_products", "recipes", "stores", "measures"}
    assert "Basmati Rice" in body["products"]
    assert "coke" in body["products"]  # a spoken synonym
    assert {"Greenleaf Riverside", "riverside", "old town"} <= set(body["stores"])
    assert "Pancakes" in body["recipes"]
    assert body["measures"]["milk"] == "volume"
    assert all(v in ("volume", "weight", "count") for v in body["measures"].values())


def test_it_follows_the_database_not_the_seed_code(client: TestClient, sqlite_db: Database) -> None:
    with sqlite_db.session(write=True) as session:
        session.execute(update(Recipe).where(Recipe.slug == "pancakes").values(name="Crêpes"))
    recipes = client.get("/v1/catalog/vocabulary").json()["recipes"]
    assert "Crêpes" in recipes
    assert "Pancakes" not in recipes


def test_the_export_is_what_the_endpoint_answers(
    client: TestClient, seeded_sqlite_template: Path, tmp_path: Path
) -> None:
    database = tmp_path / "commerce.db"
    shutil.copy(seeded_sqlite_template, database)
    out = tmp_path / "vocabulary.json"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["DATABASE_URL"] = f"sqlite:///{database}"
    done = subprocess.run(
        [sys.executable, "-m", "commerce", "vocabulary", "--output", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text()) == client.get("/v1/catalog/vocabulary").json()
