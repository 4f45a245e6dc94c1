"""Admin requests as schedule steps: `samsa run` on a small playbook whose schedule file (with
${topic}) moves a partition of a 3-broker RF=2 topic while a workload writes, sends a move to a
broker that does not exist, then a preferred election. The run's timeline and report must show each
step with the cluster's answer, and a real client (confluent-kafka's AdminClient) must see the
partition on its new replicas, led by the preferred one."""
import json
import subprocess
import time
from pathlib import Path

from confluent_kafka.admin import AdminClient

from conftest import SAMSA
from labcluster import pick_base_port

SCHEDULE = """name: moves
description: move ${topic}/0 twice, refuse a move to broker 9, then a preferred election
steps:
  - at: 1s
    do: reassign ${topic}/0 --replicas 3,9
  - at: 2s
    do: reassign ${topic}/0 --replicas 1,2
  - at: 4500ms
    do: reassign ${topic}/0 --replicas 3,1
  - at: 8s
    do: elect-leaders ${topic}/0 --type preferred
"""

PLAYBOOK = """name: admin-steps
description: partition moves and a preferred election under a small acks=all load
cluster:
  brokers: 3
  config:
    min.insync.replicas: 1
topics:
  - name: moves
    partitions: 1
    replication_factor: 2
workload:
  duration: 10s
  settle: 5s
  producers:
    - topic: moves
      acks: all
      rate: 50
      keys: 5
faults:
  schedule: schedule.yaml
expectations:
  no_lost_writes: true
  min_acknowledged: 100
  max_steps_not_run: 2
"""


def timeline(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "timeline.jsonl").read_text().splitlines() if line.strip()]


def leader_before(records: list[dict], time_ns: int, topic: str) -> tuple[int, list[int]] | None:
    """The leader and ISR of topic/0 in the last metadata sample before `time_ns`."""
    found = None
    for record in records:
        if record["kind"] == "metadata" and record["time_ns"] < time_ns:
            for p in record.get("partitions", []):
                if p["topic"] == topic and p["partition"] == 0:
                    found = (p["leader"], p["isr"])
    return found


def partition_seen(admin: AdminClient, topic: str) -> tuple[int, list[int]] | None:
    # All topics, not the one by name: a Metadata request naming a topic would create it before the
    # run does (auto.create.topics.enable).
    try:
        metadata = admin.list_topics(timeout=2)
    except Exception:
        return None
    partition = metadata.topics.get(topic) and metadata.topics[topic].partitions.get(0)
    return (partition.leader, list(partition.replicas)) if partition else None


def test_a_schedule_moves_a_partition_and_elects_its_preferred_leader(tmp_path):
    (tmp_path / "schedule.yaml").write_text(SCHEDULE)
    (tmp_path / "admin.yaml").write_text(PLAYBOOK)
    base = pick_base_port(3)
    run = tmp_path / "run"
    process = subprocess.Popen([SAMSA, "run", str(tmp_path / "admin.yaml"), "--out", str(run), "--quiet", "--base-port", str(base)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # While the run goes on (the last step fires at 8 s; the workload ends at 10 s, then settles 5 s),
    # a real client watches the partition until it sits on brokers 3 and 1, led by 3.
    client = AdminClient({"bootstrap.servers": ",".join(f"127.0.0.1:{base + i}" for i in range(3)), "socket.timeout.ms": 2000})
    seen = []
    deadline = time.monotonic() + 40
    try:
        while time.monotonic() < deadline and process.poll() is None:
            state = partition_seen(client, "moves")
            if state and (not seen or seen[-1] != state):
                seen.append(state)
            if state == (3, [3, 1]):
                break
            time.sleep(0.2)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode in (0, 1), stdout[-3000:] + stderr[-3000:]
    assert seen and seen[-1] == (3, [3, 1]), f"confluent-kafka saw (leader, replicas): {seen}\n{stdout[-2000:]}"


    records = timeline(run)
    admin = [r for r in records if r["kind"] == "admin"]
    assert [r["description"] for r in admin] == [
        "reassign moves/0 --replicas 3,9", "reassign moves/0 --replicas 1,2", "reassign moves/0 --replicas 3,1",
        "elect-leaders moves/0 --type preferred"], admin
    assert admin[0]["outcome"] == "INVALID_REPLICA_ASSIGNMENT" and "9" in admin[0]["message"], admin[0]
    assert admin[1]["outcome"] == "NONE" and admin[2]["outcome"] == "NONE", admin
    assert admin[2]["command"] == {"fault": "reassign", "topic": "moves", "partition": 0, "replicas": [3, 1]}

    steps = {r["index"]: r for r in records if r["kind"] == "step" and r["event"] in ("applied", "refused")}
    assert steps[1]["event"] == "refused" and "INVALID_REPLICA_ASSIGNMENT" in steps[1]["error"], steps[1]
    assert steps[2]["event"] == "applied" and steps[3]["event"] == "applied", steps
    assert "reassignment started" in steps[3]["message"], steps[3]

    # The preferred election's answer follows from the state it met: broker 3 already leading
    # needs no election; broker 1 leading with 3 in sync hands over.
    elect = admin[3]
    before = leader_before(records, elect["time_ns"], "moves")
    assert before is not None, "no metadata sample before the election"
    leader, isr = before
    if leader == 3:
        assert elect["outcome"] == "ELECTION_NOT_NEEDED" and steps[4]["event"] == "refused", (before, elect, steps[4])
    else:
        assert 3 in isr, f"the move to 3,1 had not finished 3.5 s later: {before}"
        assert elect["outcome"] == "NONE" and steps[4]["event"] == "applied", (before, elect, steps[4])

    report = json.loads((run / "report.json").read_text())
    shown = {step["index"]: step for step in report["steps"]}
    assert shown[1]["status"] == "refused" and shown[3]["status"] == "applied", report["steps"]
    assert report["stats"]["lost"] == 0, report["stats"]


def test_an_external_cluster_runs_admin_steps_with_its_own_client(tmp_path, lab_factory):
    """A lab started on its own plays an existing cluster: the admin steps need no executor template,
    only the Kafka protocol. A reorder of the replicas is accepted; an unclean election of a
    partition with a live leader is refused with ELECTION_NOT_NEEDED and recorded as such."""
    lab = lab_factory(brokers=3)
    brokers = "".join(f"    {i}: {{host: 127.0.0.1, port: {lab.base_port + i - 1}}}\n" for i in range(1, 4))
    playbook = tmp_path / "external.yaml"
    playbook.write_text(f"""name: external-admin
cluster:
  bootstrap: "{lab.bootstrap}"
  brokers:
{brokers}  executor:
    state_dir: {tmp_path / "state"}
    commands: {{}}
topics:
  - name: ext-moves
    partitions: 1
    replication_factor: 3
workload:
  duration: 6s
  settle: 3s
  producers:
    - topic: ext-moves
      acks: all
      rate: 50
faults:
  steps:
    - at: 1s
      do: reassign ext-moves/0 --replicas 3,2,1
    - at: 3s
      do: elect-leaders ext-moves/0 --type unclean
expectations:
  no_lost_writes: true
  max_steps_not_run: 1
""")
    out = tmp_path / "run"
    result = subprocess.run([SAMSA, "run", str(playbook), "--out", str(out), "--quiet"], capture_output=True, text=True, timeout=180)
    assert result.returncode in (0, 1), result.stdout[-3000:] + result.stderr[-3000:]
    admin = [r for r in timeline(out) if r["kind"] == "admin"]
    assert [(r["description"], r["outcome"]) for r in admin] == [
        ("reassign ext-moves/0 --replicas 3,2,1", "NONE"), ("elect-leaders ext-moves/0 --type unclean", "ELECTION_NOT_NEEDED")], admin
    assert not [r for r in timeline(out) if r["kind"] == "executor_command"], "admin steps never go through the executor"
    client = AdminClient({"bootstrap.servers": lab.bootstrap})
    partition = client.list_topics(timeout=10).topics["ext-moves"].partitions[0]
    assert list(partition.replicas) == [3, 2, 1], partition.replicas
