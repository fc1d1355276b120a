"""The catalog's vocabulary, taken from the commerce service: what the recogniser's shop model,
its correction step and the NLU lookup tables are built from."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx

from assistant.errors import CommerceError
from assistant.settings import Settings

log = logging.getLogger(__name__)


def catalog_vocabulary(settings: Settings) -> dict[str, Any]:
    """``GET /v1/catalog/vocabulary`` from the running service; where none answers, the
    service's own export on its database (``run_assistant.py catalog vocabulary``, which
    migrates and seeds an empty one as ``catalog serve`` would). Read once per process."""
    return _vocabulary(settings.commerce.base_url, settings.resolve_database_url(), settings.root)


@lru_cache(maxsize=4)
def _vocabulary(base_url: str, database_url: str, root: Path) -> dict[str, Any]:
    try:
        response = httpx.get(f"{base_url}/v1/catalog/vocabulary", timeout=10)
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
    except httpx.HTTPError:
        pass  # no service there: ask its export
    log.info("no commerce service at %s: exporting the vocabulary from %s", base_url, root)
    result = subprocess.run(  # noqa: S603 - our own command, no shell
        [sys.executable, str(root / "run_assistant.py"), "catalog", "vocabulary",
         "--database-url", database_url],
        cwd=root, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    if result.returncode != 0:
        raise CommerceError(
            "vocabulary-unavailable",
            f"the catalog vocabulary could not be exported: {result.stderr.strip()[-500:]}",
            status=503,
        )
    exported: dict[str, Any] = json.loads(result.stdout)
    return exported
