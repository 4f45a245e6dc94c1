"""Playbooks end to end: the README's quickstart command against a real cluster, its reports (the
HTML in a real headless chromium), `samsa check` on the run directory (including a tampered
history the checkers must reject), validation errors with positions, and an interrupted run that
leaves no process behind.
"""
import json
import os
import signal
import struct
import subprocess
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from conftest import SAMSA
from labcluster import pick_base_port
from test_report_html import run_chromium

ROOT = Path(__file__).resolve().parents[2]


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that name `text` (a run directory): brokers, ZooKeeper and
    workload processes all carry their run directory on their command line."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in command:
            found.append(f"{entry.name}: {command[:200]}")
    return found


@pytest.fixture(scope="module")
def quickstart_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """Runs the README's main command once: scripts/quickstart (set-up is already done), on ports the
    test chose (--base-port)."""
    out = tmp_path_factory.mktemp("quickstart") / "run"
    base = pick_base_port(3)
    result = subprocess.run([str(ROOT / "scripts" / "quickstart"), "--out", str(out), "--quiet", "--base-port", str(base)],
                            cwd=ROOT, capture_output=True, text=True, timeout=900)
    return out, result, base


def test_quickstart_runs_the_playbook_end_to_end_and_says_where_the_report_is(quickstart_run):
    out, result, _ = quickstart_run
    assert result.returncode == 0, f"quickstart failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    assert f"{out}/report.html" in result.stdout, "the run must print where its report is"
    assert "PASS" in result.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["valid"] is True
    # The quickstart has no transactions: the transaction checks have nothing to judge (not a pass).
    assert all(check["valid"] is True or check["verdict"] == "not_applicable" for check in report["checks"].values()), report["checks"]
    assert sum(check["verdict"] == "not_applicable" for check in report["checks"].values()) == 7, report["checks"]
    stats = report["stats"]
    assert stats["acknowledged"] >= 2000 and stats["lost"] == 0 and stats["duplicates"] == 0
    assert report["isr"]["shrinks"] >= 1, "the leader crash must shrink an ISR"
    assert any(window["fault"] == "crash" for window in report["faults"]), report["faults"]
    suite = ElementTree.parse(out / "junit.xml").getroot()
    cases = suite.iter("testcase")
    names = [case.get("name") for case in cases]
    assert len(names) == len(report["expectations"]) and "no_lost_writes" in names
    assert suite.get("failures") == "0" and suite.get("errors") == "0"
    assert not processes_mentioning(str(out)), "a process of the run outlived it"


def test_quickstart_brokers_served_on_the_chosen_base_port(quickstart_run):
    out, result, base = quickstart_run
    assert result.returncode == 0, result.stderr[-2000:]
    for broker in (1, 2, 3):
        properties = (out / f"broker-{broker}" / "server.properties").read_text()
        assert f"advertised.listeners=PLAINTEXT://127.0.0.1:{base + broker - 1}\n" in properties, properties
        assert f"samsa.metrics.port={base + 100 + broker - 1}\n" in properties, properties


def test_run_refuses_a_base_port_out_of_range(tmp_path):
    result = subprocess.run([SAMSA, "run", str(ROOT / "Playbooks" / "quickstart.yaml"), "--out", str(tmp_path / "run"),
                             "--base-port", "80"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 64, result
    assert "--base-port must be between 1024 and 65000 (got 80)" in result.stderr
    assert not (tmp_path / "run").exists()


def test_quickstart_report_renders_in_chromium(quickstart_run, tmp_path):
    out, result, _ = quickstart_run
    assert result.returncode == 0, result.stderr[-2000:]
    dom = run_chromium(["--dump-dom", (out / "report.html").resolve().as_uri()], tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    text = dom.stdout.decode()
    assert text.count("<svg") >= 4, "throughput, latency, ISR and lag charts"
    assert 'class="fault-band"' in text and 'class="line"' in text
    assert "<script" not in text


def test_check_reruns_the_checkers_and_catches_a_tampered_history(quickstart_run, tmp_path):
    out, result, _ = quickstart_run
    assert result.returncode == 0, result.stderr[-2000:]
    again = subprocess.run([SAMSA, "check", str(out)], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert json.loads((out / "report.json").read_text())["valid"] is True

    # Remove one acknowledged record from every read (consumers and the final read): the record was
    # acknowledged and never read, which the lost-write checker must report.
    tampered = tmp_path / "tampered"
    subprocess.run(["cp", "-r", str(out), str(tampered)], check=True)
    lines = (tampered / "history.jsonl").read_text().splitlines()
    victim = next(json.loads(line)["value"]["value"] for line in lines
                  if '"f":"send"' in line and '"type":"ok"' in line)
    kept = []
    for line in lines:
        op = json.loads(line)
        if op["f"] in ("poll", "final_read") and op["type"] == "ok" and op["value"]:
            op["value"]["records"] = [r for r in op["value"]["records"] if r["value"] != victim]
            line = json.dumps(op, separators=(",", ":"))
        kept.append(line)
    (tampered / "history.jsonl").write_text("\n".join(kept) + "\n")
    caught = subprocess.run([SAMSA, "check", str(tampered)], capture_output=True, text=True, timeout=120)
    assert caught.returncode == 1, caught.stdout[-3000:]
    report = json.loads((tampered / "report.json").read_text())
    assert report["valid"] is False
    lost = report["checks"]["lost_write"]
    assert lost["valid"] is False and lost["count"] == 1
    assert lost["evidence"][0]["value"] == victim


def test_check_recomputes_the_replica_digest_and_catches_a_rewritten_follower(quickstart_run, tmp_path):
    out, result, _ = quickstart_run
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads((out / "report.json").read_text())["checks"]["replica_agreement"]["valid"] is True
    tampered = tmp_path / "replica"
    subprocess.run(["cp", "-r", str(out), str(tampered)], check=True)
    # Give broker 2's copy of orders/0 another leader epoch on its third batch: the epoch lies
    # outside the CRC, so the file stays valid and only a comparison with the other replicas sees it.
    segment = tampered / "broker-2" / "data" / "orders-0" / "00000000000000000000.log"
    data = bytearray(segment.read_bytes())
    position = 0
    for _ in range(2):
        position += 12 + struct.unpack(">i", data[position + 8:position + 12])[0]
    base, epoch = struct.unpack(">q", data[position:position + 8])[0], struct.unpack(">i", data[position + 12:position + 16])[0]
    data[position + 12:position + 16] = struct.pack(">i", epoch + 7)
    segment.write_bytes(bytes(data))
    subprocess.run([SAMSA, "check", str(tampered)], capture_output=True, text=True, timeout=120)
    check = json.loads((tampered / "report.json").read_text())["checks"]["replica_agreement"]
    assert check["valid"] is False, check
    divergent = [e for e in check["evidence"] if e["kind"] == "divergent_batch"]
    assert divergent and divergent[0]["broker"] == 2 and divergent[0]["first_offset"] == base, check
    digest = json.loads((tampered / "replicas.json").read_text())
    assert digest["source"] == "stopped" and digest["topics"] == ["orders"]


def test_check_refuses_a_directory_that_is_not_a_run(tmp_path):
    result = subprocess.run([SAMSA, "check", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "not a run directory" in result.stderr


def test_invalid_playbook_exits_2_naming_every_problem_with_its_position(tmp_path):
    playbook = tmp_path / "bad.yaml"
    playbook.write_text(
        "cluster:\n"
        "  brokers: 3\n"
        "topics:\n"
        "  - name: orders\n"
        "    replication_factor: 4\n"
        "workload:\n"
        "  duraton: 10s\n"
        "  producers:\n"
        "    - topic: orders\n"
        "faults:\n"
        "  steps:\n"
        "    - at: 2s\n"
        "      do: crush 1\n"
    )
    result = subprocess.run([SAMSA, "run", str(playbook), "--out", str(tmp_path / "run")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    errors = result.stderr.strip().splitlines()
    assert f"{playbook}:5:25: replication_factor 4 is more than the 3 broker(s) of the cluster" in errors
    assert any(line.startswith(f"{playbook}:7:3: unknown key 'duraton'") and "did you mean 'duration'?" in line for line in errors)
    assert any(line.startswith(f"{playbook}:13:11: 'crush 1': unknown fault 'crush'") for line in errors)
    assert not (tmp_path / "run").exists(), "nothing may start for an invalid playbook"


def test_interrupted_run_stops_its_cluster_and_workload_and_writes_reports_marked_interrupted(tmp_path):
    """SIGINT mid-workload: the workload and the cluster stop, the checkers judge what was recorded,
    the reports are written and say so (valid null: never a pass), exit 130, nothing left running."""
    out = tmp_path / "run"
    process = subprocess.Popen([SAMSA, "run", str(ROOT / "Playbooks" / "acks-all-safe.yaml"), "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        seen = ""
        while time.monotonic() < deadline and "step 1/" not in seen:
            line = process.stderr.readline()
            if not line and process.poll() is not None:
                break
            seen += line
        assert "step 1/" in seen, f"the run never reached its first fault:\n{seen[-3000:]}"
        assert processes_mentioning(str(out)), "the lab's processes should be running"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 130, stdout[-3000:] + stderr[-3000:]
        deadline = time.monotonic() + 10
        while processes_mentioning(str(out)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not processes_mentioning(str(out)), processes_mentioning(str(out))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert "did not stop within" not in stderr, stderr[-3000:]
    assert "UNKNOWN" in stdout and "interrupted by SIGINT" in stdout, stdout[-3000:]
    assert "PASS" not in stdout.split("\n")[0]
    report = json.loads((out / "report.json").read_text())
    assert report["interrupted"] is True and report["valid"] is None and report["verdict"] == "unknown"
    assert report["interruption"]["signal"] == "SIGINT" and report["interruption"]["elapsed_ms"] > 0
    statuses = [step["status"] for step in report["steps"]]
    assert statuses == ["applied", "interrupted"], report["steps"]
    assert report["stats"]["attempted"] > 0, "the history recorded until the signal is checked"
    names = {e["name"]: e for e in report["expectations"]}
    assert names["run_completed"]["passed"] is None and names["steps_run"]["passed"] is None
    for name in ("report.md", "report.html", "junit.xml", "history.jsonl"):
        assert (out / name).exists(), name
    assert 'errors="0"' not in (out / "junit.xml").read_text()


def test_interrupted_suite_writes_its_summary_marked_interrupted_and_starts_no_other_case(tmp_path):
    playbook = tmp_path / "small.yaml"
    playbook.write_text(
        "name: small\n"
        "cluster: {brokers: 1}\n"
        "topics: [{name: orders, partitions: 1, replication_factor: 1}]\n"
        "workload: {duration: 20s, settle: 5s, producers: [{topic: orders, rate: 50}]}\n"
        "expectations: {no_lost_writes: true}\n")
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"name: small\ncases:\n  - {{name: first, playbook: {playbook}, expect: valid}}\n"
                     f"  - {{name: second, playbook: {playbook}, expect: valid}}\n")
    out = tmp_path / "suite"
    process = subprocess.Popen([SAMSA, "suite", str(suite), "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        seen = ""
        while time.monotonic() < deadline and "creating topic" not in seen:
            line = process.stderr.readline()
            if not line and process.poll() is not None:
                break
            seen += line
        assert "creating topic" in seen, seen[-3000:]
        time.sleep(2)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 130, stdout[-3000:] + stderr[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    summary = json.loads((out / "suite.json").read_text())
    assert summary["interrupted"] is True and summary["valid"] is None and summary["passed"] is False
    assert summary["interrupted_by"] == "SIGTERM" and summary["runs_planned"] == 2
    assert [case["name"] for case in summary["cases"]] == ["first"], "no case starts after the signal"
    assert summary["cases"][0]["interrupted_by"] == "SIGTERM" and summary["cases"][0]["verdict"] == "unknown"
    report = json.loads((out / "first" / "report.json").read_text())
    assert report["interrupted"] is True and report["valid"] is None
    junit = ElementTree.parse(out / "junit.xml").getroot()
    assert any(case.get("name") == "interrupted" and case.find("error") is not None for case in junit.iter("testcase"))
    assert not (out / "second").exists()
    assert not processes_mentioning(str(out)), processes_mentioning(str(out))


def test_a_playbook_with_more_steps_than_the_limit_is_refused_at_validation(tmp_path):
    """Thousands of steps in a 10 s workload: refused before anything starts, at the steps list,
    instead of running a few and passing. 100,000 steps are past the file size limit already."""
    def playbook(name: str, count: int) -> Path:
        path = tmp_path / f"{name}.yaml"
        steps = "".join(f"    - {{at: {1000 + i * 8000 // count}ms, do: isolate 2}}\n" for i in range(count))
        path.write_text(
            f"name: {name}\n"
            "cluster: {brokers: 3}\n"
            "topics: [{name: orders, partitions: 1, replication_factor: 3}]\n"
            "workload: {duration: 10s, producers: [{topic: orders, rate: 10}]}\n"
            "faults:\n"
            "  steps:\n" + steps)
        return path

    many = playbook("many", 5_000)
    result = subprocess.run([SAMSA, "run", str(many), "--out", str(tmp_path / "run")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [f"{many}:7:5: steps lists 5000 steps; at most 1000 are allowed"]
    assert not (tmp_path / "run").exists(), "nothing may start for a refused playbook"

    huge = playbook("huge", 100_000)
    result = subprocess.run([SAMSA, "validate", str(huge)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert result.stderr.startswith(f"{huge}: the playbook is ") and "at most 1048576 are read" in result.stderr

    dense = playbook("dense", 200)
    result = subprocess.run([SAMSA, "validate", str(dense)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith(f"{dense}:17:7: step 11 ('isolate 2' at 1.40s) would start 2.10s late"), result.stderr[-2000:]


def test_json_output_into_a_closed_pipe_ends_quietly(tmp_path):
    """A reader that is gone before samsa writes (`samsa validate --plan … | head -c 1`): exit 0, no
    crash, no backtrace."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([SAMSA, "validate", "--plan", str(ROOT / "Playbooks" / "quickstart.yaml")],
                                stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Fatal error" not in result.stderr and "Broken pipe" not in result.stderr, result.stderr[-2000:]


def run_killing(playbook, out, pick, never):
    """Runs `playbook` into `out` and SIGKILLs, from outside the lab, the first process `pick`
    chooses among the command lines naming the run (3 s after it appears); returns the run's
    exit status, stdout and stderr."""
    process = subprocess.Popen([SAMSA, "run", str(playbook), "--out", str(out), "--quiet"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        victim = None
        deadline = time.monotonic() + 90
        while victim is None and time.monotonic() < deadline and process.poll() is None:
            chosen = pick(processes_mentioning(str(out)))
            if chosen:
                victim = int(chosen[0].split(":", 1)[0])
            time.sleep(0.2)
        assert victim is not None, never
        time.sleep(3)
        os.kill(victim, signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=180)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    return process.returncode, stdout, stderr


def test_a_client_that_dies_fails_the_run_and_is_named(tmp_path):
    """A workload process killed mid-run: its history simply stops, which no history checker can
    notice; the run must fail on the clients check, naming the process and how it ended."""
    playbook = tmp_path / "dying-client.yaml"
    playbook.write_text(
        "name: dying-client\n"
        "cluster: {brokers: 1}\n"
        "topics: [{name: orders, partitions: 1, replication_factor: 1}]\n"
        "workload:\n"
        "  duration: 12s\n"
        "  settle: 5s\n"
        "  producers: [{topic: orders, rate: 100}, {topic: orders, rate: 100}]\n"
        "expectations: {no_lost_writes: true}\n"
    )
    out = tmp_path / "run"
    returncode, stdout, stderr = run_killing(playbook, out, lambda lines: [line for line in lines if "--process producer-2-1" in line],
                                             "the second producer never started")
    assert returncode == 1, stdout[-3000:] + stderr[-3000:]
    assert "FAIL" in stdout and "client producer-2-1: killed by signal 9" in stdout, stdout[-3000:]
    report = json.loads((out / "report.json").read_text())
    clients = report["checks"]["clients"]
    assert clients["valid"] is False and clients["count"] == 1
    assert clients["evidence"][0]["process"] == "producer-2-1" and clients["evidence"][0]["signal"] == 9
    assert report["checks"]["lost_write"]["valid"] is True, "the other producer's writes are all there"
    exits = [json.loads(line) for line in (out / "clients.jsonl").read_text().splitlines()]
    assert {e["process"] for e in exits} == {"producer-1-1", "producer-2-1", "final-reader"}


def test_a_broker_that_dies_on_its_own_fails_the_run_and_is_named(tmp_path):
    """A broker process killed from outside the lab mid-run (as a crash of its own would end it):
    the clients ride it out on the other replicas, so no history checker objects; the run must
    fail on the brokers check, naming the broker, how it ended and what it last wrote."""
    playbook = tmp_path / "dying-broker.yaml"
    playbook.write_text(
        "name: dying-broker\n"
        "cluster: {brokers: 3, config: {min.insync.replicas: 2}}\n"
        "topics: [{name: orders, partitions: 2, replication_factor: 3}]\n"
        "workload:\n"
        "  duration: 10s\n"
        "  settle: 5s\n"
        "  producers: [{topic: orders, rate: 100, acks: all}]\n"
        "expectations: {no_lost_writes: true}\n"
    )
    out = tmp_path / "run"

    def broker_3_once_producing(lines):
        producing = any("--process producer-1-1" in line for line in lines)
        return [line for line in lines if producing and "broker-3/server.properties" in line]

    returncode, stdout, stderr = run_killing(playbook, out, broker_3_once_producing, "the producer or broker 3 never started")
    assert returncode == 1, stdout[-3000:] + stderr[-3000:]
    assert "FAIL" in stdout and "broker-3 killed by signal 9 on its own" in stdout, stdout[-3000:]
    report = json.loads((out / "report.json").read_text())
    brokers = report["checks"]["brokers"]
    assert brokers["valid"] is False and brokers["count"] == 1, brokers
    assert brokers["evidence"][0]["broker"] == 3 and brokers["evidence"][0]["signal"] == 9, brokers
    assert brokers["evidence"][0].get("last_output"), "the broker's last output lines are kept"
    assert report["checks"]["lost_write"]["valid"] is True, "acks=all writes survive one broker of three"
    assert report["checks"]["clients"]["valid"] is True
    timeline = [json.loads(line) for line in (out / "timeline.jsonl").read_text().splitlines()]
    unplanned = [r for r in timeline if r.get("kind") == "process" and r.get("unplanned")]
    assert [r["name"] for r in unplanned] == ["broker-3"], unplanned
