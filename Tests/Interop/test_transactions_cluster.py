"""Transactions on a three-broker ZooKeeper cluster (`samsa cluster up`): confluent-kafka's transactional
producer writes to partitions led by different brokers, so the coordinator sends markers to other leaders
with WriteTxnMarkers; read_committed and read_uncommitted consumers; send_offsets_to_transaction through
the cluster's group coordinator; and a coordinator failover: the broker leading the id's
`__transaction_state` partition is killed, a new producer with the same transactional.id is served by the
new leader, which reloaded the partition."""
import functools
import os
import signal
import socket
import struct
import time

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition

from conftest import unique_topic
from labcluster import LabCluster, alive
import txn_clients
from txn_clients import transactional

PARTITIONS = 3


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """One lab for the tests that do not kill brokers; the failover test starts its own."""
    workdir = tmp_path_factory.mktemp("txn-cluster")
    cluster = LabCluster(workdir, 3)
    yield cluster
    pids = set(cluster.all_pids) | set(cluster.pids().values())
    cluster.stop()
    leftovers = [pid for pid in pids if alive(pid)]
    for pid in leftovers:
        os.kill(pid, signal.SIGKILL)
    assert not leftovers, f"processes left after the lab stopped: {leftovers}"


transaction = functools.partial(txn_clients.transaction, partitions=PARTITIONS)
read_all = functools.partial(txn_clients.read_all, partitions=PARTITIONS)


def find_coordinator(port: int, key: str, key_type: int, timeout: float = 5.0) -> tuple[int, int]:
    """FindCoordinator v1 straight off the wire: (error code, node id)."""
    client = b"txn-test"
    body = struct.pack(">hhih", 10, 1, 11, len(client)) + client + struct.pack(">h", len(key)) + key.encode() + struct.pack(">b", key_type)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(struct.pack(">i", len(body)) + body)
        data = b""
        while len(data) < 4 or len(data) < 4 + struct.unpack(">i", data[:4])[0]:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError(f"broker on {port} closed the connection")
            data += chunk
    at = 8 + 4  # size, correlation id, throttle time
    error, message_size = struct.unpack_from(">hh", data, at)
    at += 4 + max(0, message_size)
    (node,) = struct.unpack_from(">i", data, at)
    return error, node


def coordinator_of(lab: LabCluster, transactional_id: str, avoid: int | None = None, timeout: float = 30.0) -> int:
    """The broker FindCoordinator(key_type=1) names, asked of a live broker, once it names one
    (COORDINATOR_NOT_AVAILABLE while the partition has no leader) other than `avoid`."""
    def ask():
        for broker_id in range(1, lab.brokers + 1):
            if broker_id == avoid:
                continue
            error, node = find_coordinator(lab.base_port + broker_id - 1, transactional_id, 1)
            return node if error == 0 and node != avoid else None
    return lab.wait_for(ask, timeout, f"a coordinator for {transactional_id}")


def leaders(lab: LabCluster, topic: str) -> dict[int, int]:
    lab.wait_for(lambda: all(p.leader >= 0 for p in lab.metadata([topic])["topics"][topic][1].values()), 20, f"leaders of {topic}")
    return {index: state.leader for index, state in lab.metadata([topic])["topics"][topic][1].items()}


def test_commit_and_abort_across_partitions_led_by_different_brokers(lab):
    topic = unique_topic("txn")
    lab.create_topic(topic, partitions=PARTITIONS, replication=3)
    led_by = leaders(lab, topic)
    assert len(set(led_by.values())) >= 2, f"the partitions' leaders should differ: {led_by}"
    producer = transactional(lab.bootstrap, "tx-cluster-isolation")
    coordinator = coordinator_of(lab, "tx-cluster-isolation")
    assert any(leader != coordinator for leader in led_by.values()), "some marker must go to another broker"
    committed = [f"c{i}" for i in range(9)]
    aborted = [f"a{i}" for i in range(6)]
    later = [f"d{i}" for i in range(3)]
    transaction(producer, topic, committed, commit=True)
    transaction(producer, topic, aborted, commit=False)
    transaction(producer, topic, later, commit=True)
    # Without its markers a partition led elsewhere would hold read_committed at its first open
    # transaction, and its committed records would be missing here.
    assert sorted(read_all(lab.bootstrap, topic, "read_committed", expect=12)) == sorted(committed + later)
    assert sorted(read_all(lab.bootstrap, topic, "read_uncommitted", expect=18)) == sorted(committed + aborted + later)


def test_send_offsets_to_transaction_commits_offsets_only_on_commit(lab):
    source = unique_topic("src")
    sink = unique_topic("sink")
    lab.create_topic(source, partitions=1, replication=3)
    lab.create_topic(sink, partitions=PARTITIONS, replication=3)
    plain = Producer({"bootstrap.servers": lab.bootstrap, "acks": "all"})
    for i in range(6):
        plain.produce(source, value=f"in{i}".encode(), partition=0)
    assert plain.flush(30) == 0
    group = unique_topic("eos-group")
    consumer = Consumer({"bootstrap.servers": lab.bootstrap, "group.id": group, "enable.auto.commit": False,
                         "isolation.level": "read_committed", "auto.offset.reset": "earliest"})
    consumer.assign([TopicPartition(source, 0, OFFSET_BEGINNING)])
    producer = transactional(lab.bootstrap, "tx-cluster-eos")

    def process(count: int, commit: bool) -> None:
        taken = []
        deadline = time.monotonic() + 20
        while len(taken) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                taken.append(msg)
        assert len(taken) == count
        producer.begin_transaction()
        for index, msg in enumerate(taken):
            producer.produce(sink, value=b"out-" + msg.value(), partition=index % PARTITIONS)
        producer.send_offsets_to_transaction([TopicPartition(source, 0, taken[-1].offset() + 1)], consumer.consumer_group_metadata(), 30)
        if commit:
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)

    def committed_offset() -> int:
        return consumer.committed([TopicPartition(source, 0)], timeout=15)[0].offset

    try:
        process(3, commit=True)
        assert committed_offset() == 3
        process(2, commit=False)
        assert committed_offset() == 3, "an aborted transaction's offsets are not committed"
    finally:
        consumer.close()
    assert sorted(read_all(lab.bootstrap, sink, "read_committed", expect=3)) == ["out-in0", "out-in1", "out-in2"]


def test_coordinator_failover_fences_and_finishes_the_open_transaction(lab_factory):
    lab = lab_factory(3)
    topic = unique_topic("txn")
    lab.create_topic(topic, partitions=PARTITIONS, replication=3)
    leaders(lab, topic)
    first = transactional(lab.bootstrap, "tx-failover")
    before = [f"k{i}" for i in range(6)]
    transaction(first, topic, before, commit=True)
    # An open transaction whose records are in the logs when its coordinator dies.
    first.begin_transaction()
    for i in range(3):
        first.produce(topic, value=f"open{i}".encode(), partition=i % PARTITIONS)
    assert first.flush(30) == 0
    coordinator = coordinator_of(lab, "tx-failover")
    lab.kill9(coordinator)
    started = time.monotonic()
    # The new leader of the id's partition reloads it; the new producer's InitProducerId bumps the
    # epoch, which fences `first` and aborts its open transaction.
    second = transactional(lab.bootstrap, "tx-failover")
    after = [f"n{i}" for i in range(3)]
    transaction(second, topic, after, commit=True)
    elapsed = time.monotonic() - started
    assert elapsed < 30, f"failover took {elapsed:.1f} s"
    new_coordinator = coordinator_of(lab, "tx-failover", avoid=coordinator)
    assert new_coordinator != coordinator
    assert "loaded __transaction_state" in lab.log(new_coordinator)
    assert sorted(read_all(lab.bootstrap, topic, "read_committed", expect=9)) == sorted(before + after)
    assert sorted(read_all(lab.bootstrap, topic, "read_uncommitted", expect=12)) == sorted(before + after + [f"open{i}" for i in range(3)])
    with pytest.raises(KafkaException):
        first.commit_transaction(15)
