"""The benchmark harness's own parts: figures, verdicts, the summary, request bodies, clients."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from benchmarks import bench
from benchmarks.paced import Call, percentiles_ms, run_sync, summarise
from service.contacts.schemas import ContactIn
from service.decisions.schemas import DecisionIn

WRK_OUTPUT = """Running 3s test @ http://127.0.0.1:8000
  2 threads and 32 connections
BENCH_JSON {"duration_us":2000000,"requests":1000,"bytes":5000,\
"errors":{"connect":0,"read":1,"write":0,"status":10,"timeout":2},\
"latency_us":{"p50":1500,"p90":2500,"p99":9000,"max":12000,"mean":1700.5},\
"statuses":{"200":990,"500":10}}
"""


class Handler(BaseHTTPRequestHandler):
    """200 for /ok, 500 for /fail, a chunked 200 for /chunked; keeps POST bodies."""

    protocol_version = "HTTP/1.1"
    bodies: list[bytes] = []  # noqa: RUF012 (shared by the handler's instances on purpose)

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"5\r\nhello\r\n0\r\n\r\n")
            return
        status = 200 if self.path == "/ok" else 500
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_POST(self) -> None:
        Handler.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # wrk drops its connections mid-request when its time is up


@pytest.fixture
def server() -> Iterator[str]:
    Handler.bodies = []
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def results(**parts: object) -> dict:
    """A results dict as `bench.run` makes it, with the given stages' figures."""
    machine = {
        "date": "2026-01-01T00:00:00+00:00",
        "git_commit": "abc1234",
        "git_dirty": False,
        "cpus": 2,
        "cpu_model": "test",
        "load_average": [0.1, 0.1, 0.1],
        "python": "3.11",
        "wrk": "wrk 4.1.0",
        "database": "SQLite",
    }
    out = {"plan": {"connections": 32, "workers": 1}, "machine": machine, "errors": {}, **parts}
    out["targets"] = bench.judge(out)
    return out


def http_run(ok_per_second: float, non_2xx: int = 0) -> dict:
    latency = {"p50": 1.0, "p90": 2.0, "p99": 3.0, "max": 4.0, "mean": 1.0}
    return {"ok_per_second": ok_per_second, "latency_ms": latency, "non_2xx": non_2xx}


def test_parse_wrk_counts_non_2xx_and_socket_errors():
    figures = bench.parse_wrk(WRK_OUTPUT)
    assert figures["requests_per_second"] == 500
    assert figures["ok_per_second"] == 495
    assert figures["non_2xx"] == 10
    assert figures["socket_errors"] == 3
    assert figures["latency_ms"]["p99"] == 9
    assert bench.failures(figures) == 13


def test_parse_wrk_refuses_output_without_figures():
    with pytest.raises(ValueError, match="BENCH_JSON"):
        bench.parse_wrk("Running 3s test\nunable to connect\n")


def test_judge_passes_fails_and_leaves_unmeasured_targets():
    verdicts = {
        t["key"]: t
        for t in bench.judge(
            {
                "in_process": {"batch": {"per_second": 30_000}},
                "http": {"health": http_run(1000), "score": http_run(400)},
                "paced": {"score": {"latency_ms": {"p99": 80.0}, "non_2xx": 0, "errors": 0}},
            }
        )
    }
    assert verdicts["batch_per_second"]["verdict"] == "pass"
    assert verdicts["batch_per_second"]["ratio"] == 1.5
    assert verdicts["score_vs_health"]["measured"] == 0.4
    assert verdicts["score_vs_health"]["verdict"] == "fail"
    assert verdicts["paced_score_p99"]["verdict"] == "fail"
    assert verdicts["decision_vs_health"]["verdict"] == "not measured"
    assert verdicts["fairness_seconds"]["verdict"] == "not measured"


def test_the_features_stage_is_judged_on_each_of_its_figures():
    features = {
        "inbox": {"p95_ms": 80.0},
        "cin_import": {"import_seconds": 75.0, "import_peak_mb": 490.0},
        "narrative": {"cpu_p50_ms": 85.0, "wall_p50_ms": 19.5, "rss_added_mib": 255.0},
    }
    verdicts = {t["key"]: t["verdict"] for t in bench.judge({"features": features})}
    assert verdicts["inbox_p95"] == "pass"
    assert verdicts["cin_import_seconds"] == "fail"
    assert verdicts["cin_import_peak_mb"] == "pass"
    assert verdicts["narrative_cpu_p50"] == "fail"
    assert verdicts["narrative_wall_p50"] == "pass"
    assert verdicts["narrative_rss_added"] == "pass"
    assert bench.judge({})[-1]["verdict"] == "not measured"


def test_the_stored_reports_are_judged_by_the_slower_routes_p95():
    def route(p95: float) -> dict:
        latency = {"p50": 5.0, "p95": p95, "p99": p95 + 1}
        return {"requests": 200, "latency_ms": latency, "bytes": 1000, "contacts": 100_000}

    seeded = {"contacts": 100_000, "inserted": 0, "seconds": 0.1}
    reports = {"seeded": seeded, "job_seconds": 12.5, "fairness": route(40.0)}
    [alone] = [t for t in bench.judge({"reports": reports}) if t["key"] == "report_p95"]
    assert alone["verdict"] == "not measured"  # both routes or no figure
    reports["monitoring"] = route(120.0)
    [both] = [t for t in bench.judge({"reports": reports}) if t["key"] == "report_p95"]
    assert (both["measured"], both["verdict"]) == (120.0, "fail")
    text = bench.render_markdown(results(reports=reports, stages=["reports"]))
    assert "| `triage reports record` (both reports) over 100,000 contacts | 12.5 s |" in text
    monitoring = "GET /v1/monitoring/report, stored, 100,000 contacts, one at a time"
    assert f"{monitoring} | p50 5.0, p95 120.0" in text
    assert "| 120.00 ms | < 100 ms | 1.20 | **fail** |" in text


def test_a_target_met_with_failed_requests_fails():
    [score] = [
        t
        for t in bench.judge({"http": {"health": http_run(1000), "score": http_run(900, 5)}})
        if t["key"] == "score_vs_health"
    ]
    assert (score["verdict"], score["failed"]) == ("fail", 5)


def test_markdown_has_one_table_with_targets_and_shows_failures():
    text = bench.render_markdown(
        results(
            http={"health": http_run(1000), "score": http_run(600, 7)},
            data={"fairness": {"rows": 1_000_000, "audit_seconds": 3.2}},
            errors={"paced": "RuntimeError: boom"},
            stages=["data", "features", "reports", "http", "paced"],
        )
    )
    assert "| figure | measured | target | measured / target | verdict |" in text
    assert "| fairness audit of 1,000,000 decisions | 3.20 s | < 20 s | 0.16 | pass |" in text
    assert "7 requests failed" in text
    assert "(7 failed requests) | ≥ 0.5 × | 1.20 | **fail** |" in text
    assert "- paced: RuntimeError: boom" in text
    assert "Skipped (--skip): inprocess." in text


def test_score_lua_bodies_are_valid_contacts():
    bodies = bench.contact_bodies(40, seed=3)
    for n, body in enumerate(bodies):
        line = bench.body_line(body)
        assert "\n" not in line
        contact = ContactIn.model_validate_json('{"contact_id":"b1-1-' + str(n) + '",' + line)
        assert contact.contact_id == f"b1-1-{n}"
    assert any("narrative" in b for b in bodies)
    assert len({json.dumps(b, sort_keys=True) for b in bodies}) > 30


def test_decision_bodies_are_valid_decisions():
    kinds = {DecisionIn.model_validate(body).decision for body in bench.DECISION_BODIES}
    assert len(kinds) == 6


def test_write_lines_refuses_a_newline(tmp_path):
    with pytest.raises(ValueError, match="newline"):
        bench.write_lines(tmp_path / "x.txt", ["a", "b\nc"])


def test_percentiles_of_nothing_are_nan():
    assert all(v != v for v in percentiles_ms([]).values())
    assert percentiles_ms([0.001, 0.002, 0.003], (50,)) == {"p50": 2.0}


def test_paced_client_counts_every_request_status_and_body(server):
    calls = [Call("GET", "/ok"), Call("GET", "/fail"), Call("GET", "/chunked")] * 10
    calls += [Call("POST", "/echo", b'{"n": 1}')] * 10
    result = run_sync(server, calls, rate=40, connections=4)
    figures = summarise(result)
    assert figures["requests"] == 40
    assert figures["statuses"] == {"200": 20, "201": 10, "500": 10}
    assert (figures["ok"], figures["non_2xx"], figures["errors"]) == (30, 10, 0)
    assert Handler.bodies == [b'{"n": 1}'] * 10
    assert len(result.latencies) == 40


def test_paced_client_counts_refused_connections_as_errors(server):
    closed = bench.free_port()
    result = run_sync(f"http://127.0.0.1:{closed}", [Call("GET", "/ok")] * 5, rate=50)
    figures = summarise(result)
    assert (figures["requests"], figures["answered"], figures["errors"]) == (5, 0, 5)
    assert figures["error_kinds"] == {"ConnectionRefusedError": 5}


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_score_lua_sends_unique_valid_contacts(server, tmp_path):
    bodies = bench.contact_bodies(5, seed=1)
    path = bench.write_lines(tmp_path / "contacts.jsonl", [bench.body_line(b) for b in bodies])
    script = Path(bench.WRK_DIR) / "score.lua"
    command = ["wrk", "-t2", "-c4", "-d1s", "-s", str(script), server, "--", "tok", "r1", str(path)]
    output = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)
    figures = bench.parse_wrk(output.stdout)
    ids = [ContactIn.model_validate_json(b).contact_id for b in Handler.bodies]
    assert len(ids) > 10
    assert len(set(ids)) == len(ids)
    # Requests still in flight when wrk stops reach the server but are not counted by wrk.
    assert len(ids) - 4 <= figures["statuses"]["201"] <= len(ids)
    assert list(figures["statuses"]) == ["201"]


def test_the_narrative_figures_are_reported_in_process_and_over_http():
    narrative = {
        "sentences": 10,
        "runs": 200,
        "threads": 2,
        "wall_p50_ms": 61.5,
        "wall_p95_ms": 140.25,
        "cpu_p50_ms": 55.0,
        "cpu_p95_ms": 90.0,
        "rss_added_mib": 241.0,
        "load_average_1m": 0.71,
        "load_s": 2.25,
    }
    http = {
        "runs": 200,
        "sentences": 10,
        "with_narrative": {"p50_ms": 72.5, "p95_ms": 150.0, "check_available": True},
        "without_narrative": {"p50_ms": 6.5, "p95_ms": 12.0, "check_available": False},
    }
    from benchmarks.report import figure_rows

    results = {"features": {"narrative": narrative}, "narrative_http": http, "plan": {}}
    rows = {row[0]: row[1] for row in figure_rows({**results, "targets": bench.judge(results)})}
    assert rows["narrative check of 10 sentences in process, 200 runs, 2 thread(s)"] == (
        "wall p50 61.5, p95 140.2 ms; CPU p50 55.0, p95 90.0 ms; +241 MiB RSS; load 0.71, "
        "loaded in 2.2 s"
    )
    one_at_a_time = "POST /v1/contacts/score one at a time"
    with_text = f"{one_at_a_time}, with a 10-sentence narrative (200 requests)"
    assert rows[with_text] == "p50 72.5 ms, p95 150.0 ms"
    without = f"{one_at_a_time}, without a 10-sentence narrative (200 requests)"
    assert rows[without] == "p50 6.5 ms, p95 12.0 ms (narrative check unavailable)"


def test_the_server_cpu_per_request_is_read_from_proc_and_shown():
    from benchmarks.server import cpu_seconds

    before = cpu_seconds(os.getpid())
    sum(i * i for i in range(2_000_000))  # burn some CPU of this process
    assert cpu_seconds(os.getpid()) > before
    run = {**http_run(600), "server_cpu_ms_per_request": 1.234}
    text = bench.render_markdown(results(http={"health": http_run(1000), "score": run}))
    assert "server CPU 1.23 ms/request" in text


def test_the_scoring_load_sends_no_narratives():
    from benchmarks.bodies import without_narrative

    bodies = [without_narrative(b) for b in bench.contact_bodies(20, seed=3)]
    assert all("narrative" not in b for b in bodies)
    for body in bodies:
        ContactIn.model_validate({"contact_id": "C-1", **body})


def test_the_server_cpu_counts_its_workers():
    from benchmarks.server import cpu_seconds, tree_cpu_seconds

    burn = "sum(i * i for i in range(3_000_000))"
    child = subprocess.Popen([sys.executable, "-c", f"{burn}; import time; time.sleep(30)"])
    try:
        time.sleep(1.5)  # the child has burnt its CPU and sleeps
        own = cpu_seconds(os.getpid())
        assert tree_cpu_seconds(os.getpid()) >= own + cpu_seconds(child.pid) > own
    finally:
        child.kill()
        child.wait()


def paced_run(p99: float, failed: int = 0) -> dict:
    latency = {"p50": 5.0, "p95": 10.0, "p99": p99}
    return {
        "offered_rate": 200.0,
        "achieved_rate": 200.0,
        "latency_ms": latency,
        "client_lag_ms": {"p50": 0.1, "p99": 1.0},
        "non_2xx": failed,
        "errors": 0,
    }


def test_a_second_database_is_set_beside_sqlite_with_its_targets():
    second = results(
        http={"health": http_run(5000), "score": http_run(250), "decision": http_run(300)},
        paced={"score": paced_run(40.0), "decision": paced_run(60.0)},
    )
    second["machine"]["database"] = "postgresql+psycopg://postgres:***@127.0.0.1:5432/bench"
    first = results(
        http={"health": http_run(6000), "score": http_run(280), "decision": http_run(220)},
        paced={"score": paced_run(30.0), "decision": paced_run(35.0)},
        second_database=second,
    )
    text = bench.render_markdown(first)
    assert "## SQLite beside PostgreSQL, 1 worker(s) each" in text
    rows = {
        line.split(" | ")[0].lstrip("| "): line.split(" | ")[1:]
        for line in text.splitlines()
        if line.startswith("| ")
    }
    score = rows["POST /v1/contacts/score, new contacts at 32 connections"]
    assert score[-1].rstrip(" |") == "**fail**"  # 250 < 280 req/s
    decision = rows["POST /v1/contacts/{id}/decision at 32 connections"]
    assert decision[-1].rstrip(" |") == "pass"
    assert rows["score at 200 req/s offered"][-1].rstrip(" |") == "pass"
    assert rows["decision at 200 req/s offered"][-1].rstrip(" |") == "**fail**"  # 60 ms


def test_failed_requests_on_the_second_database_fail_its_steady_rate_target():
    second = results(paced={"score": paced_run(20.0, failed=3)})
    second["machine"]["database"] = "postgresql+psycopg://x"
    text = bench.render_markdown(results(paced={"score": paced_run(20.0)}, second_database=second))
    side_by_side = text.split("## SQLite beside PostgreSQL")[1]
    [row] = [line for line in side_by_side.splitlines() if line.startswith("| score at 200")]
    assert row.endswith("| PostgreSQL p99 < 50 ms | **fail** |")


def test_issue_12s_ratio_is_judged_only_for_one_worker_on_sqlite():
    http = {"health": http_run(1000), "score": http_run(300)}

    def verdict(workers, database):
        plan = {"workers": workers, "database_url": database}
        judged = bench.judge({"plan": plan, "http": http})
        [found] = [t for t in judged if t["key"] == "score_vs_health_one_sqlite_worker"]
        return found["measured"], found["verdict"]

    sqlite = "SQLite (default, under the bench home)"
    assert verdict(1, sqlite) == (0.3, "pass")
    assert verdict(2, sqlite) == (None, "not measured")
    assert verdict(1, "postgresql+psycopg://postgres:***@127.0.0.1/x") == (None, "not measured")
    http["score"] = http_run(200)
    assert verdict(1, sqlite) == (0.2, "fail")
