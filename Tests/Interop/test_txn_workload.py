"""Transactional workloads end to end against a standalone broker: a transactional producer with
deliberate aborts, a consume-transform-produce consumer and consumers at both isolation levels, run
by `samsa run` (the broker as an existing cluster, no faults), then judged again by `samsa check`.
With the seeded bug `lso-ignored` (read_committed fetches ignore the LSO and the aborted
transactions) the aborted-read checker must fail the run; without it every transaction check passes.
"""
import json
import subprocess
from pathlib import Path

from conftest import SAMSA, unique_topic


def txn_playbook(path: Path, broker, state_dir: Path, source: str, sink: str) -> Path:
    path.write_text(f"""name: {source}
cluster:
  bootstrap: "{broker.bootstrap}"
  brokers:
    1: {{host: 127.0.0.1, port: {broker.port}}}
  executor:
    state_dir: {state_dir}
    commands: {{crash: "true", restart: "true"}}
topics:
  - {{name: {source}, partitions: 2, replication_factor: 1}}
  - {{name: {sink}, partitions: 2, replication_factor: 1}}
workload:
  duration: 6s
  settle: 2s
  producers:
    - topic: {source}
      transactional: true
      txn_records: 5
      abort_rate: 0.3
      rate: 150
  consumers:
    - {{topic: {source}, group: committed-{source}, isolation: read_committed}}
    - {{topic: {source}, group: uncommitted-{source}, isolation: read_uncommitted}}
    - {{topic: {source}, group: transform-{source}, output: {sink}, txn_records: 4, abort_rate: 0.2}}
    - {{topic: {sink}, group: committed-{sink}, isolation: read_committed}}
expectations:
  no_duplicates: true
""")
    return path


def run(playbook: Path, out: Path) -> tuple[subprocess.CompletedProcess, dict]:
    result = subprocess.run([SAMSA, "run", str(playbook), "--out", str(out), "--quiet"], capture_output=True, text=True, timeout=120)
    report_path = out / "report.json"
    assert report_path.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    return result, json.loads(report_path.read_text())


def history(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines() if line.strip()]


def test_transactions_pass_every_transaction_check_and_samsa_check_agrees(tmp_path, broker_factory):
    broker = broker_factory({"num.partitions": "2"})
    source, sink = unique_topic("txn-in"), unique_topic("txn-out")
    playbook = txn_playbook(tmp_path / "txn.yaml", broker, tmp_path / "state", source, sink)
    out = tmp_path / "run"
    result, report = run(playbook, out)
    checks = report["checks"]
    for name in ["txn_aborted_read", "txn_lost_write", "torn_transaction", "eos_duplicate", "txn_g0", "txn_g1c"]:
        assert checks[name]["verdict"] == "valid", (name, checks[name])
    ops = history(out)
    commits = [op for op in ops if op["f"] == "txn_commit" and op["type"] == "ok"]
    aborts = [op for op in ops if op["f"] == "txn_abort" and op["type"] == "ok"]
    assert commits and aborts, "the workload both committed and aborted transactions"
    assert any(op["value"]["inputs"] for op in commits), "the transform committed input offsets"
    levels = {op["value"].get("isolation") for op in ops if op["f"] == "poll" and op["type"] == "ok" and op["value"]["records"]}
    assert levels == {"read_committed", "read_uncommitted"}
    # A read_uncommitted consumer saw aborted records: the level is really passed to the client.
    assert any("read_uncommitted" in note for note in checks["txn_aborted_read"]["notes"]), checks["txn_aborted_read"]["notes"]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    again = subprocess.run([SAMSA, "check", str(out)], capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]


def test_lso_ignored_is_caught_by_the_aborted_read_check(tmp_path, broker_factory, monkeypatch):
    monkeypatch.setenv("SAMSA_ALLOW_SEEDED_BUGS", "1")
    broker = broker_factory({"num.partitions": "2", "samsa.test.seeded.bugs": "lso-ignored"})
    source, sink = unique_topic("txn-in"), unique_topic("txn-out")
    playbook = txn_playbook(tmp_path / "txn.yaml", broker, tmp_path / "state", source, sink)
    out = tmp_path / "run"
    result, report = run(playbook, out)
    aborted = report["checks"]["txn_aborted_read"]
    assert aborted["verdict"] == "invalid", aborted
    evidence = aborted["evidence"][0]
    assert evidence["isolation"] == "read_committed" and evidence["txn"] and evidence["read_by"]["process"]
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    again = subprocess.run([SAMSA, "check", str(out)], capture_output=True, text=True, timeout=60)
    assert again.returncode == 1
    assert json.loads((out / "report.json").read_text())["checks"]["txn_aborted_read"]["verdict"] == "invalid"
