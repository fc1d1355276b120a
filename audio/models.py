"""Known vosk English models, and ``models download``: fetch, verify sha256, unpack.

The archive is streamed into a temporary file beside the destination while its sha256 is
computed (tqdm shows progress on stderr); a mismatch deletes it and fails with
``model-checksum``. Unpacking happens in a temporary folder that is renamed into place only
when complete, so an interrupted or refused download never leaves a half-model behind.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import requests
from tqdm import tqdm

from audio.errors import SpeechToTextError
from audio.stt_vosk import MODEL_MARKERS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    url: str
    sha256: str
    size_bytes: int
    description: str


_BASE = "https://alphacephei.com/vosk/models"
REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "vosk-model-small-en-us-0.15",
            f"{_BASE}/vosk-model-small-en-us-0.15.zip",
            "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
            41_205_931,
            "small US English model (40 MB); takes a run-time phrase list; the default",
        ),
        ModelSpec(
            "vosk-model-en-us-0.22-lgraph",
            f"{_BASE}/vosk-model-en-us-0.22-lgraph.zip",
            "d9838b4aaa82a75c4a17f5aca300eaca129aaab2a7cbf951bafbb500eb9c4334",
            130_557_655,
            "larger US English model with a dynamic graph (128 MB); takes a phrase list",
        ),
    )
}
DEFAULT_MODEL = "vosk-model-small-en-us-0.15"


def installed(folder: Path) -> bool:
    return any((folder / marker).exists() for marker in MODEL_MARKERS)


def _safe_members(names: list[str]) -> None:
    for name in names:
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts:
            raise SpeechToTextError("model-archive", f"unsafe path in the archive: {name}")


def _unpack(archive: Path, into: Path) -> None:
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            _safe_members(zf.namelist())
            zf.extractall(into)  # noqa: S202 - every member path was checked above
        return
    try:
        with tarfile.open(archive) as tf:
            _safe_members(tf.getnames())
            tf.extractall(into, filter="data")
    except tarfile.TarError as err:
        raise SpeechToTextError("model-archive", f"{archive.name} is not a zip or tar") from err


def _model_root(unpacked: Path) -> Path:
    """The folder that holds the model: the archive's single top folder, or its root."""
    entries = [p for p in unpacked.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return unpacked


def download_model(
    name: str,
    models_dir: Path,
    url: str | None = None,
    sha256: str | None = None,
    progress: bool = True,
    timeout_s: float = 60.0,
    force: bool = False,
) -> Path:
    """Fetch the registry model ``name`` (or any archive at ``url`` with ``sha256``) into
    ``models_dir/name``; return that folder.

    Raises:
        SpeechToTextError: ``model-unknown``, ``model-download``, ``model-checksum`` or
            ``model-archive``; nothing is left in ``models_dir`` when it does.
    """
    spec = REGISTRY.get(name)
    if spec is None and (url is None or sha256 is None):
        raise SpeechToTextError(
            "model-unknown",
            f"unknown model {name!r}; known: {', '.join(REGISTRY)} (or give --url and --sha256)",
        )
    url = url or (spec.url if spec else "")
    expected = (sha256 or (spec.sha256 if spec else "")).lower()
    target = models_dir / name
    if installed(target) and not force:
        log.info("%s is already installed in %s", name, target)
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=models_dir))
    try:
        archive = work / "archive"
        digest = hashlib.sha256()
        try:
            with requests.get(url, stream=True, timeout=timeout_s) as response:
                response.raise_for_status()
                total = int(response.headers.get("Content-Length", 0)) or (
                    spec.size_bytes if spec else None
                )
                with (
                    archive.open("wb") as out,
                    tqdm(
                        total=total, unit="B", unit_scale=True, desc=name, disable=not progress
                    ) as bar,
                ):
                    for block in response.iter_content(chunk_size=1 << 16):
                        out.write(block)
                        digest.update(block)
                        bar.update(len(block))
        except requests.RequestException as err:
            raise SpeechToTextError("model-download", f"could not fetch {url}: {err}") from err
        got = digest.hexdigest()
        if got != expected:
            raise SpeechToTextError(
                "model-checksum",
                f"{url} has sha256 {got}, expected {expected}; the archive was deleted",
            )
        unpacked = work / "unpacked"
        unpacked.mkdir()
        _unpack(archive, unpacked)
        root = _model_root(unpacked)
        if not installed(root):
            raise SpeechToTextError(
                "model-archive", f"{url} does not contain a vosk model (no am/final.mdl)"
            )
        if target.exists():
            shutil.rmtree(target)
        root.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("installed %s in %s", name, target)
    return target
