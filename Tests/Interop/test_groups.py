"""Consumer groups, committed offsets and idempotent producers against real broker processes."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from conftest import SAMSA, unique_topic

MEMBER = str(Path(__file__).with_name("group_member.py"))


class Member:
    def __init__(self, bootstrap, group, topic, name, client="confluent", seconds=90, delay=0.0):
        self.name = name
        self.process = subprocess.Popen([sys.executable, MEMBER, "--client", client, "--bootstrap", bootstrap, "--group", group,
                                         "--topic", topic, "--name", name, "--seconds", str(seconds), "--delay", str(delay)],
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        self.lines: list[dict] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.process.stdout:
            try:
                self.lines.append(json.loads(raw))
            except json.JSONDecodeError:
                pass

    def assignments(self):
        return [line["partitions"] for line in self.lines if line["kind"] == "assigned"]

    def records(self):
        return [line for line in self.lines if line["kind"] == "record"]

    def kill9(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(what)


def produce(bootstrap, topic, count, partitions, prefix="v"):
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    for i in range(count):
        producer.produce(topic, value=f"{prefix}-{i}".encode(), partition=i % partitions)
    assert producer.flush(30) == 0


@pytest.fixture
def members():
    created: list[Member] = []
    yield created
    for member in created:
        member.stop()


def test_group_splits_partitions_rebalances_and_resumes_after_a_kill(lab_factory, members):
    lab = lab_factory(3, {"group.min.session.timeout.ms": "1000"})
    topic = unique_topic("group")
    lab.create_topic(topic, partitions=6)
    produce(lab.bootstrap, topic, 600, 6)
    group = unique_topic("g")
    for name in ("a", "b", "c"):
        members.append(Member(lab.bootstrap, group, topic, name, delay=0.01))
    wait_for(lambda: sorted(sum((m.assignments()[-1] for m in members if m.assignments()), [])) == list(range(6))
             and all(m.assignments() and len(m.assignments()[-1]) == 2 for m in members), 60, "three members with two partitions each")
    members.append(Member(lab.bootstrap, group, topic, "d", delay=0.01))
    wait_for(lambda: members[3].assignments() and members[3].assignments()[-1], 60, "the fourth member gets partitions")
    time.sleep(1)
    victim = next(m for m in members[:3] if m.assignments() and m.assignments()[-1])
    victim_partitions = victim.assignments()[-1]
    victim.kill9()
    survivors = [m for m in members if m is not victim]
    wait_for(lambda: set(victim_partitions) <= set(sum((m.assignments()[-1] for m in survivors if m.assignments()), [])), 60,
             "the killed member's partitions are reassigned")
    produce(lab.bootstrap, topic, 600, 6, prefix="w")
    seen = lambda: {(r["partition"], r["offset"]) for m in members for r in m.records()}
    wait_for(lambda: len(seen()) >= 1200, 90, "every record consumed")
    # Committed offsets mean no record is skipped: every offset of every partition was processed.
    for partition in range(6):
        offsets = sorted(o for p, o in seen() if p == partition)
        assert offsets == list(range(200)), f"partition {partition}: {len(offsets)} offsets"


@pytest.mark.parametrize("client", ["kafka-python", "aiokafka"])
def test_other_clients_consume_as_a_group(broker_factory, members, client):
    broker = broker_factory({"group.initial.rebalance.delay.ms": "0", "offsets.topic.num.partitions": "4"})
    topic = unique_topic(f"grp-{client}")
    produce(broker.bootstrap, topic, 200, 1)
    group = unique_topic("g")
    members.append(Member(broker.bootstrap, group, topic, "only", client=client, seconds=40))
    wait_for(lambda: len(members[0].records()) >= 200, 60, f"{client} group consumer read everything")
    # The member prints a batch's records before it commits them: wait for the commit, not the print.
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group})
    try:
        committed = lambda: consumer.committed([TopicPartition(topic, 0)], timeout=10)[0].offset
        wait_for(lambda: committed() == 200, 30, f"{client} group consumer committed offset 200")
    finally:
        consumer.close()
    members[0].stop()


def test_committed_offsets_survive_coordinator_restart_and_move(lab_factory):
    lab = lab_factory(3)
    topic = unique_topic("commit")
    lab.create_topic(topic, partitions=3)
    group = unique_topic("g")
    consumer = Consumer({"bootstrap.servers": lab.bootstrap, "group.id": group, "enable.auto.commit": False})
    offsets = [TopicPartition(topic, p, 10 * (p + 1)) for p in range(3)]
    consumer.commit(offsets=offsets, asynchronous=False)
    consumer.close()

    def committed():
        reader = Consumer({"bootstrap.servers": lab.bootstrap, "group.id": group})
        try:
            return [tp.offset for tp in reader.committed([TopicPartition(topic, p) for p in range(3)], timeout=15)]
        finally:
            reader.close()

    assert committed() == [10, 20, 30]
    coordinator = coordinator_of(lab, group)
    lab.kill9(coordinator)
    assert wait_for(lambda: try_committed(committed) == [10, 20, 30], 60, "offsets from the new coordinator")
    assert coordinator_of(lab, group) != coordinator, "the coordinator moved"
    lab.restart(coordinator)
    lab.wait_for(lambda: len(lab.admin().list_topics(timeout=5).brokers) == 3, 30, "broker back")
    assert wait_for(lambda: try_committed(committed) == [10, 20, 30], 60, "offsets after the restart")


def try_committed(read):
    try:
        return read()
    except Exception:
        return None


def coordinator_of(lab, group):
    from confluent_kafka.admin import AdminClient
    out = subprocess.run([SAMSA, "groups", "describe", "--bootstrap", lab.bootstrap, "--group", group, "--state", "--json"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["groups"][0]["coordinator"]


def test_idempotent_producer_through_a_leader_kill_writes_no_duplicates(lab_factory):
    lab = lab_factory(3)
    topic = unique_topic("idem")
    lab.create_topic(topic, config={"min.insync.replicas": "2"})
    producer = Producer({"bootstrap.servers": lab.bootstrap, "enable.idempotence": True, "linger.ms": 2,
                         "message.timeout.ms": 60000, "retry.backoff.ms": 50})
    acked = []
    stop = threading.Event()

    def run():
        i = 0
        while not stop.is_set():
            producer.produce(topic, value=f"i-{i}".encode(), partition=0, on_delivery=lambda e, m: e is None and acked.append(m.value()))
            i += 1
            producer.poll(0)
            time.sleep(0.001)
        producer.flush(60)

    sender = threading.Thread(target=run)
    sender.start()
    time.sleep(2)
    lab.kill9(lab.partition(topic).leader)
    time.sleep(5)
    stop.set()
    sender.join(90)
    consumer = Consumer({"bootstrap.servers": lab.bootstrap, "group.id": "reader", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    values = []
    idle = time.monotonic()
    while time.monotonic() - idle < 3:
        m = consumer.poll(0.3)
        if m is not None and m.error() is None:
            values.append(m.value())
            idle = time.monotonic()
    consumer.close()
    duplicates = {v for v in values if values.count(v) > 1} if len(values) < 20000 else set()
    assert len(values) == len(set(values)), f"duplicates: {list(duplicates)[:5]}"
    assert set(acked) <= set(values)
    order = [int(v.decode().split("-")[1]) for v in values]
    assert order == sorted(order), "idempotence keeps the send order"


def group_lag(bootstrap, group):
    out = subprocess.run([SAMSA, "groups", "describe", "--bootstrap", bootstrap, "--group", group, "--json"],
                         capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        return None
    partitions = json.loads(out.stdout)["groups"][0]["partitions"]
    if not partitions or any(p.get("lag") is None for p in partitions):
        return None
    return sum(p["lag"] for p in partitions)


def test_groups_describe_shows_lag_while_paused_and_zero_after_catch_up(broker_factory, members):
    broker = broker_factory({"group.initial.rebalance.delay.ms": "0", "offsets.topic.num.partitions": "4",
                             "group.min.session.timeout.ms": "1000"})
    topic = unique_topic("lag")
    produce(broker.bootstrap, topic, 100, 1)
    group = unique_topic("g")
    members.append(Member(broker.bootstrap, group, topic, "m", seconds=60))
    member = members[0]
    wait_for(lambda: group_lag(broker.bootstrap, group) == 0, 30, "caught up at first")
    os.killpg(member.process.pid, signal.SIGSTOP)
    produce(broker.bootstrap, topic, 250, 1, prefix="late")
    assert wait_for(lambda: group_lag(broker.bootstrap, group) == 250, 20, "lag of the produced records"), "lag 250 while paused"
    table = subprocess.run([SAMSA, "groups", "describe", "--bootstrap", broker.bootstrap, "--group", group], capture_output=True, text=True, timeout=30)
    assert "GROUP" in table.stdout and "LAG" in table.stdout and " 250 " in table.stdout
    os.killpg(member.process.pid, signal.SIGCONT)
    wait_for(lambda: group_lag(broker.bootstrap, group) == 0, 60, "lag back to zero after the consumer caught up")
