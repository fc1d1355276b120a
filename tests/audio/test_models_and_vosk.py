"""vosk: the missing-model error, the phrase list, ``models download`` against a local HTTP
server, and — only where a model is installed — real recognition."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.errors import SpeechToTextError
from assistant.settings import load_settings
from audio import models
from audio.base import AudioChunk
from audio.shop_lm import UNK, ShopModel
from audio.stt_vosk import VoskTranscriber, check_model_folder, usable_phrases

ROOT = Path(__file__).resolve().parents[2]


def model_zip(name: str, with_model: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        if with_model:
            zf.writestr(f"{name}/am/final.mdl", b"acoustic model bytes")
            zf.writestr(f"{name}/conf/model.conf", "--sample-frequency=16000\n")
        zf.writestr(f"{name}/README", "a test model\n" * 2000)
    return buffer.getvalue()


@pytest.fixture
def server() -> Iterator[Callable[[str, bytes], str]]:
    """A local HTTP server on 127.0.0.1; ``serve(path, body)`` returns the URL."""
    files: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def serve(path: str, body: bytes) -> str:
        files[path] = body
        return f"http://127.0.0.1:{httpd.server_address[1]}{path}"

    yield serve
    httpd.shutdown()
    httpd.server_close()


def test_download_verifies_and_unpacks(server: Callable[[str, bytes], str], tmp_path: Path) -> None:
    body = model_zip("test-model")
    url = server("/test-model.zip", body)
    sha = hashlib.sha256(body).hexdigest()
    path = models.download_model("test-model", tmp_path, url=url, sha256=sha, progress=False)
    assert path == tmp_path / "test-model"
    assert (path / "am" / "final.mdl").read_bytes() == b"acoustic model bytes"
    assert [p.name for p in tmp_path.iterdir()] == ["test-model"]  # nothing else left
    assert check_model_folder(path) == path


def test_checksum_mismatch_is_refused_and_nothing_is_left(
    server: Callable[[str, bytes], str], tmp_path: Path
) -> None:
    url = server("/m.zip", model_zip("vosk-model-small-en-us-0.15"))
    with pytest.raises(SpeechToTextError) as err:
        # the registry's real checksum against a different archive
        models.download_model(models.DEFAULT_MODEL, tmp_path, url=url, progress=False)
    assert err.value.code == "model-checksum"
    assert list(tmp_path.iterdir()) == []


def test_an_archive_without_a_model_is_refused(
    server: Callable[[str, bytes], str], tmp_path: Path
) -> None:
    body = model_zip("empty", with_model=False)
    url = server("/e.zip", body)
    with pytest.raises(SpeechToTextError) as err:
        models.download_model(
            "empty", tmp_path, url=url, sha256=hashlib.sha256(body).hexdigest(), progress=False
        )
    assert err.value.code == "model-archive"
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_url_is_a_download_error(tmp_path: Path) -> None:
    with pytest.raises(SpeechToTextError) as err:
        models.download_model(
            models.DEFAULT_MODEL, tmp_path, url="http://127.0.0.1:9/none.zip", progress=False
        )
    assert err.value.code == "model-download"
    assert list(tmp_path.iterdir()) == []


def test_unknown_model_name() -> None:
    with pytest.raises(SpeechToTextError) as err:
        models.download_model("vosk-model-xx", Path("/nonexistent"))
    assert err.value.code == "model-unknown"
    assert models.DEFAULT_MODEL in err.value.message


def test_registry_has_pinned_checksums() -> None:
    for spec in models.REGISTRY.values():
        assert len(spec.sha256) == 64
        assert spec.url.startswith("https://")


def test_models_download_command(
    server: Callable[[str, bytes], str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import run_assistant

    body = model_zip("cli-model")
    url = server("/cli.zip", body)
    settings_file = tmp_path / "assistant.yml"
    settings_file.write_text(f"speech:\n  vosk_model: {tmp_path}/models/vosk/cli-model\n")
    monkeypatch.setattr(
        run_assistant, "load_settings", lambda: load_settings(settings_file, environ={})
    )
    code = run_assistant.main(
        ["models", "download", "cli-model", "--url", url,
         "--sha256", hashlib.sha256(body).hexdigest(), "--quiet"]
    )  # fmt: skip
    assert code == 0
    assert (tmp_path / "models" / "vosk" / "cli-model" / "am" / "final.mdl").exists()
    assert '"path"' in capsys.readouterr().out


def test_a_missing_model_names_the_command_that_fixes_it(tmp_path: Path) -> None:
    with pytest.raises(SpeechToTextError) as err:
        VoskTranscriber(tmp_path / "vosk-model-small-en-us-0.15")
    assert err.value.code == "stt-model-missing"
    assert "run_assistant.py models download vosk-model-small-en-us-0.15" in err.value.message


def test_the_phrase_list_vosk_would_get(shop: ShopModel) -> None:
    known = {"add", "milk", "two", "litres", "of", "eggs", "basmati", "rice"}
    phrases = usable_phrases(shop.phrases(), known.__contains__)
    assert phrases[-1] == UNK
    assert "add milk" in phrases
    assert "basmati rice" in phrases
    assert all(set(p.split()) <= known for p in phrases[:-1])
    assert len(phrases) < len(shop.phrases())


def installed_vosk_model() -> Path | None:
    path = load_settings().path(load_settings().speech.vosk_model)
    return path if models.installed(path) else None


@pytest.mark.skipif(
    installed_vosk_model() is None,
    reason="no vosk model installed (none can be downloaded on this machine; "
    "`run_assistant.py models download` fetches one where the network allows)",
)
def test_vosk_recognises_shop_speech(
    shop: ShopModel, speak: Callable[[str, str], AudioChunk]
) -> None:
    path = installed_vosk_model()
    assert path is not None
    engine = VoskTranscriber(path, shop.phrases())
    audio = speak("add two litres of milk to my basket", "slt")
    recognition = engine.start()
    from audio.formats import split

    partials = [p for p in (recognition.accept(b) for b in split(audio, 200)) if p]
    assert partials
    assert "milk" in recognition.finish().text.split()
