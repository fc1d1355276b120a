"""The deployment's configuration and refusals, without starting it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

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
