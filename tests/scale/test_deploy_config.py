"""The deployment's configuration and refusals, without starting it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from assistant import deploy
from assistant.errors import ConfigError
from tests.conftest import service_missing


def test_the_balancer_configuration_is_valid_haproxy(tmp_path: Path) -> None:
    haproxy = shutil.which("haproxy") or ""
    if not haproxy:
        service_missing("HAProxy (apt-get install -y haproxy)", FileNotFoundError("haproxy"))
    config = deploy.render_haproxy(deploy.Fronts(), [9001, 9002], [9101, 9102], [9201])
    assert "server gateway2 127.0.0.1:9002 check" in config
    assert "server rasa1 127.0.0.1:9201 check" in config
    assert "option httpchk GET /health" in config  # the gateway's health route
    assert "timeout tunnel" in config  # WebSockets stay open past the request timeouts
    path = tmp_path / "haproxy.cfg"
    path.write_text(config)
    checked = subprocess.run(
        [haproxy, "-c", "-f", str(path)], capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_without_haproxy_the_error_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ConfigError) as refused:
        deploy.require_haproxy()
    assert refused.value.code == "haproxy-missing"
    assert "apt-get install -y haproxy" in refused.value.message


def test_replicas_cannot_share_a_sqlite_file() -> None:
    with pytest.raises(ConfigError) as refused:
        deploy.require_postgresql("sqlite:///var/commerce.db", "the commerce database")
    assert refused.value.code == "deploy-needs-postgresql"


def test_the_shape_is_bounded() -> None:
    with pytest.raises(ConfigError):
        deploy.Shape(gateways=0)


def test_the_gateways_alone_share_one_session_key_made_per_deployment(tmp_path: Path) -> None:
    """``deploy`` makes up the gateways' session key (a new one per deployment) and gives it
    to every gateway, and to nothing else; the gateways' cap and the scaled tracker store
    (the conversations they erase) travel with it, and more environment (a test's clock) is
    layered under every Python process's own."""
    from dataclasses import replace

    from assistant.channels.gateway.sealing import Sealer
    from assistant.settings import load_settings

    def built(**gateway: Any) -> deploy.Deployment:
        settings = load_settings(environ={})
        settings = replace(settings, gateway=replace(settings.gateway, **gateway))
        made = deploy.Deployment(
            settings,
            deploy.Shape(gateways=2, rasa=1, commerce=1),
            database_url="postgresql+psycopg://postgres@127.0.0.1/shop",
            tracker_url="postgresql+psycopg://postgres@127.0.0.1/shop_tracker",
            redis_url="redis://127.0.0.1:6379/0",
            work=tmp_path,
            fronts=deploy.Fronts.free(),
            environment={"PYTHONPATH": "/clock", "TEST_CLOCK_START": "2027-06-16T10:15:00+01:00"},
        )
        made._build({"haproxy": "haproxy", "model": "model.tar.gz"})
        return made

    first = built(max_sessions=256)
    keys = {g.env["GATEWAY_SESSIONS_KEY"] for g in first.gateways}
    assert len(keys) == 1
    (key,) = keys
    assert Sealer.of(key, 60) is not None, "a valid key"
    others = [*first.rasa, *first.commerce, first.actions]
    assert all(p is not None and "GATEWAY_SESSIONS_KEY" not in p.env for p in others)
    assert all(key not in " ".join(g.argv) for g in first.gateways), "never on a command line"
    gateway = first.gateways[0].env
    assert gateway["GATEWAY_MAX_SESSIONS"] == "256"
    assert gateway["RASA_ENDPOINTS"].endswith("endpoints.scale.yml")
    assert gateway["TRACKER_DB_NAME"] == "shop_tracker"
    assert gateway["TEST_CLOCK_START"] == "2027-06-16T10:15:00+01:00"
    assert first.rasa[0].env["PYTHONPATH"].split(":")[-1] == "/clock"
    assert built().gateways[0].env["GATEWAY_SESSIONS_KEY"] != key, "a new key per deployment"
