"""Train the Rasa model, skipping the work when nothing that shapes it has changed."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import DialogueError
from assistant.lookups import write_lookups
from assistant.settings import Settings
from assistant.vocabulary import catalog_vocabulary

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    model: Path
    trained: bool
    seconds: float


def training_inputs(root: Path) -> list[Path]:
    files = [root / "config.yml"]
    files += sorted((root / "domain").glob("*.yml"))
    files += sorted((root / "nlu_data").rglob("*.yml"))
    # The project's own NLU components (config.yml names them): new code, new model.
    files += sorted((root / "nlu").glob("*.py"))
    return files


def digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in training_inputs(root):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def train(settings: Settings, force: bool = False) -> TrainResult:
    root = settings.root
    d = settings.dialogue
    write_lookups(root / "nlu_data" / "lookups", catalog_vocabulary(settings))
    model = root / d.model_dir / f"{d.model_name}.tar.gz"
    stamp = model.with_suffix("").with_suffix(".sha256")
    wanted = digest(root)
    if not force and model.exists() and stamp.exists() and stamp.read_text() == wanted:
        return TrainResult(model, trained=False, seconds=0.0)
    rasa = root / d.venv / "bin" / "rasa"
    if not rasa.exists():
        raise DialogueError("rasa-missing", "Rasa is not installed: run `make setup`.")
    logs = root / "var" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with (logs / "train.log").open("wb") as out:
        result = subprocess.run(  # noqa: S603 - our own command, no shell
            [
                str(rasa),
                "train",
                "--domain",
                "domain",
                "--data",
                "nlu_data",
                "--config",
                "config.yml",
                "--out",
                d.model_dir,
                "--fixed-model-name",
                d.model_name,
                "--force",
            ],
            cwd=root,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode != 0 or not model.exists():
        raise DialogueError("train-failed", f"rasa train failed; see {logs / 'train.log'}")
    stamp.write_text(wanted)
    return TrainResult(model, trained=True, seconds=time.monotonic() - started)
