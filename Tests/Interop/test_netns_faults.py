"""The executor's kernel-level templates on network-namespace hosts: three Samsa brokers, each alone in
a network namespace (`netns_hosts.NamespaceCluster`), play an external cluster whose `isolate`,
`partition` and `slow` templates are `ip netns exec NS iptables ...` and `ip netns exec NS tc ...`.
Checks that a fault really cuts the traffic (the rule is in the broker's namespace, its port stops
answering, leadership moves away), that its heal removes it, and that a runner killed with SIGKILL
while iptables rules are applied leaves them in the namespaces for the next run to heal from the
journal. This kernel has no `netem` qdisc, so `slow` is exercised with `tbf` (a rate limit).
"""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import SAMSA
from netns_hosts import NamespaceCluster, missing_tools, reachable

pytestmark = pytest.mark.skipif(missing_tools() is not None, reason=f"namespace hosts: {missing_tools()}")


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    cluster = NamespaceCluster(tmp_path_factory.mktemp("netns"), SAMSA, brokers=3)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def playbook(path: Path, hosts: NamespaceCluster, state_dir: Path, topic: str, steps: str, duration: str, settle: str = "10s") -> Path:
    brokers = "".join(f"    {i}: {{host: {hosts.host(i)}, port: 9092, vars: {{ns: {hosts.namespace(i)}}}}}\n" for i in range(1, 4))
    path.write_text(f"""name: netns-{topic}
cluster:
  bootstrap: "{hosts.bootstrap}"
  brokers:
{brokers}  executor:
    timeout: 10s
    state_dir: {state_dir}
    commands:
      isolate: "ip netns exec {{ns}} iptables -A INPUT ! -i lo -j DROP"
      heal_isolate: "ip netns exec {{ns}} iptables -D INPUT ! -i lo -j DROP"
      partition: "ip netns exec {{ns}} iptables -A INPUT -s {{peer_host}} -j DROP"
      heal_partition: "ip netns exec {{ns}} iptables -D INPUT -s {{peer_host}} -j DROP"
      slow: "ip netns exec {{ns}} tc qdisc add dev eth0 root tbf rate {{bandwidth_bytes}}bps burst 16kb latency 100ms"
      heal_slow: "ip netns exec {{ns}} tc qdisc del dev eth0 root"
topics:
  - name: {topic}
    partitions: 1
    replication_factor: 3
    config: {{min.insync.replicas: "2"}}
workload:
  duration: {duration}
  settle: {settle}
  producers:
    - topic: {topic}
      acks: all
      idempotence: true
      rate: 50
faults:
  steps:
{steps}expectations:
  no_lost_writes: true
""")
    return path


def executor_commands(run_dir: Path) -> list[dict]:
    path = run_dir / "timeline.jsonl"
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # a line being written
    return [r for r in records if r.get("kind") == "executor_command"]


def leader(hosts: NamespaceCluster, topic: str) -> int | None:
    try:
        return hosts.metadata(2.0)["topics"].get(topic, {}).get(0)
    except Exception:
        return None


def test_isolate_and_slow_cut_the_namespace_and_their_heals_restore_it(tmp_path, hosts):
    topic = "ns-orders"
    steps = ("    - {at: 2s, do: isolate leader_of ns-orders/0, heal_after: 5s}\n"
             "    - {at: 8s, do: slow 2 --bandwidth 20000, heal_after: 2s}\n")
    out = tmp_path / "run"
    runner = subprocess.Popen([SAMSA, "run", str(playbook(tmp_path / "p.yaml", hosts, tmp_path / "state", topic, steps, "11s")),
                               "--out", str(out), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    seen: dict[str, object] = {}
    try:
        deadline = time.monotonic() + 120
        while runner.poll() is None and time.monotonic() < deadline:
            commands = executor_commands(out)
            if "leader_before" not in seen and (found := leader(hosts, topic)):
                seen["leader_before"] = found
            isolated = next((c for c in commands if c["action"] == "isolate" and c.get("exit_status") == 0), None)
            healed = any(c["action"] == "heal_isolate" for c in commands)
            if isolated and not healed and "isolated_rules" not in seen:
                broker = isolated["broker"]
                seen["isolated"] = broker
                seen["isolated_rules"] = hosts.rules(broker)
                seen["isolated_port_answers"] = reachable(hosts.host(broker), 9092, timeout=1.0)
            if isolated and not healed and "leader_during" not in seen:
                moved = leader(hosts, topic)
                if moved and moved != seen["isolated"]:
                    seen["leader_during"] = moved
            slowed = any(c["action"] == "slow" and c.get("exit_status") == 0 for c in commands)
            if slowed and not any(c["action"] == "heal_slow" for c in commands) and "qdisc" not in seen:
                seen["qdisc"] = hosts.qdisc(2)
            time.sleep(0.1)
        output = runner.communicate(timeout=120)[0].decode(errors="replace")
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait(timeout=10)
    assert runner.returncode == 0, output[-3000:]
    broker = seen.get("isolated")
    assert broker == seen["leader_before"], seen
    assert seen["isolated_rules"] == ["-A INPUT ! -i lo -j DROP"], seen
    assert seen["isolated_port_answers"] is False, "the isolated broker's port still answered"
    assert seen.get("leader_during") not in (None, broker), f"leadership never left the isolated broker: {seen}"
    assert "tbf" in seen.get("qdisc", ""), seen
    commands = executor_commands(out)
    assert [(c["action"], c["exit_status"]) for c in commands] == [
        ("isolate", 0), ("heal_isolate", 0), ("slow", 0), ("heal_slow", 0)], commands
    assert commands[0]["command"] == f"ip netns exec {hosts.namespace(broker)} iptables -A INPUT ! -i lo -j DROP"
    # Healed: no rule, no qdisc of ours, the port answers, and nothing was lost.
    assert all(hosts.rules(i) == [] for i in range(1, 4))
    assert "tbf" not in hosts.qdisc(2)
    assert reachable(hosts.host(broker), 9092)
    report = json.loads((out / "report.json").read_text())
    assert report["checks"]["lost_write"]["valid"] is True
    assert not json.loads((tmp_path / "state" / "faults.json").read_text())["entries"]


def test_a_partition_left_by_a_killed_runner_is_healed_by_the_next_run(tmp_path, hosts):
    state = tmp_path / "state"
    first = playbook(tmp_path / "first.yaml", hosts, state, "ns-killed", "    - {at: 1s, do: partition 3 | 1 2}\n", "60s")
    run1 = tmp_path / "run1"
    runner = subprocess.Popen([SAMSA, "run", str(first), "--out", str(run1), "--quiet"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len([c for c in executor_commands(run1) if c["action"] == "partition" and c.get("exit_status") == 0]) < 4:
            assert runner.poll() is None, "the run ended before its partition was applied"
            assert time.monotonic() < deadline, "the partition was never applied"
            time.sleep(0.1)
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait(timeout=10)
    finally:
        try:
            os.killpg(runner.pid, signal.SIGKILL)  # its workload clients, if any outlived it
        except ProcessLookupError:
            pass
        runner.wait(timeout=10)
    # The runner is gone; its rules are still in the namespaces, and the journal names their heals.
    assert sorted(hosts.rules(3)) == [f"-A INPUT -s {hosts.host(1)}/32 -j DROP", f"-A INPUT -s {hosts.host(2)}/32 -j DROP"]
    for i in (1, 2):
        assert hosts.rules(i) == [f"-A INPUT -s {hosts.host(3)}/32 -j DROP"]
    journal = json.loads((state / "faults.json").read_text())
    assert [(e["kind"], sorted(e["brokers"])) for e in journal["entries"]] == [("partition", [1, 2, 3])], journal
    assert len(journal["entries"][0]["heals"]) == 4

    second = playbook(tmp_path / "second.yaml", hosts, state, "ns-after", "", "2s", settle="5s")
    second.write_text(second.read_text().replace("faults:\n  steps:\n", ""))
    run2 = tmp_path / "run2"
    result = subprocess.run([SAMSA, "run", str(second), "--out", str(run2), "--quiet"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    healed = [c for c in executor_commands(run2) if c["reason"] == "journal"]
    assert sorted((c["broker"], c["action"], c["exit_status"]) for c in healed) == [
        (1, "heal_partition", 0), (2, "heal_partition", 0), (3, "heal_partition", 0), (3, "heal_partition", 0)], healed
    assert all(hosts.rules(i) == [] for i in range(1, 4)), [hosts.rules(i) for i in range(1, 4)]
    assert not json.loads((state / "faults.json").read_text())["entries"]
