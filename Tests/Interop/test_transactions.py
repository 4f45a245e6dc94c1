"""Transactions against a real standalone broker: confluent-kafka's transactional producer, read_committed
and read_uncommitted consumers, send_offsets_to_transaction (also across a restart before the commit, and
with a subscribed consumer's group metadata over TxnOffsetCommit v3, KIP-447), fencing by
transactional.id, KIP-360's InitProducerId v3/v4 epoch bump on the wire, timeouts and a restart;
kafka-python's and aiokafka's transactional producers."""
import asyncio
import functools
import socket
import struct
import time

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import unique_topic
import txn_clients
from txn_clients import transactional


def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)], operation_timeout=10)
    futures[topic].result(timeout=15)


# This file's topics have two partitions unless a test says otherwise; a reader waits 3 s of quiet.
transaction = functools.partial(txn_clients.transaction, partitions=2)
read_all = functools.partial(txn_clients.read_all, partitions=2, settle=3.0, timeout=30.0)


def test_read_committed_sees_committed_and_read_uncommitted_sees_all(broker):
    topic = unique_topic("txn")
    create_topic(broker.bootstrap, topic, 2)
    producer = transactional(broker.bootstrap, "tx-isolation")
    committed = [f"c{i}" for i in range(10)]
    aborted = [f"a{i}" for i in range(10)]
    later = [f"d{i}" for i in range(4)]
    transaction(producer, topic, committed, commit=True)
    transaction(producer, topic, aborted, commit=False)
    transaction(producer, topic, later, commit=True)
    seen_committed = read_all(broker.bootstrap, topic, "read_committed", expect=len(committed + later))
    assert sorted(seen_committed) == sorted(committed + later)
    seen_all = read_all(broker.bootstrap, topic, "read_uncommitted", expect=len(committed + aborted + later))
    assert sorted(seen_all) == sorted(committed + aborted + later)


def test_open_transaction_holds_read_committed_at_the_lso(broker):
    topic = unique_topic("txn")
    create_topic(broker.bootstrap, topic, 1)
    producer = transactional(broker.bootstrap, "tx-open")
    producer.begin_transaction()
    for i in range(3):
        producer.produce(topic, value=f"open{i}".encode(), partition=0)
    producer.flush(30)
    plain = Producer({"bootstrap.servers": broker.bootstrap})
    plain.produce(topic, value=b"plain-after", partition=0)
    assert plain.flush(30) == 0
    # The plain record lies past the open transaction's first offset: a read_committed consumer waits.
    assert read_all(broker.bootstrap, topic, "read_committed", partitions=1, settle=2.0) == []
    assert sorted(read_all(broker.bootstrap, topic, "read_uncommitted", partitions=1, expect=4)) == ["open0", "open1", "open2", "plain-after"]
    producer.commit_transaction(30)
    assert sorted(read_all(broker.bootstrap, topic, "read_committed", partitions=1, expect=4)) == ["open0", "open1", "open2", "plain-after"]


def test_send_offsets_to_transaction_commits_offsets_atomically(broker):
    source = unique_topic("src")
    sink = unique_topic("sink")
    create_topic(broker.bootstrap, source, 1)
    create_topic(broker.bootstrap, sink, 1)
    plain = Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(6):
        plain.produce(source, value=f"in{i}".encode(), partition=0)
    assert plain.flush(30) == 0
    group = unique_topic("eos-group")
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group, "enable.auto.commit": False,
                         "isolation.level": "read_committed", "auto.offset.reset": "earliest"})
    consumer.assign([TopicPartition(source, 0, OFFSET_BEGINNING)])
    producer = transactional(broker.bootstrap, "tx-eos")

    def process(count: int, commit: bool) -> None:
        taken = []
        deadline = time.monotonic() + 30
        while len(taken) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                taken.append(msg)
        assert len(taken) == count
        producer.begin_transaction()
        for msg in taken:
            producer.produce(sink, value=b"out-" + msg.value(), partition=0)
        producer.send_offsets_to_transaction([TopicPartition(source, 0, taken[-1].offset() + 1)], consumer.consumer_group_metadata(), 30)
        if commit:
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)

    def committed_offset() -> int:
        return consumer.committed([TopicPartition(source, 0)], timeout=15)[0].offset

    process(3, commit=True)
    assert committed_offset() == 3
    process(2, commit=False)
    assert committed_offset() == 3, "an aborted transaction's offsets are not committed"
    consumer.close()
    assert sorted(read_all(broker.bootstrap, sink, "read_committed", partitions=1, expect=3)) == ["out-in0", "out-in1", "out-in2"]


def test_send_offsets_survive_a_restart_before_the_commit(broker):
    """The TxnOffsetCommit offsets are in __consumer_offsets before the commit: a broker restart between
    send_offsets_to_transaction and commit_transaction keeps them, and the commit makes them the group's."""
    source = unique_topic("src")
    sink = unique_topic("sink")
    create_topic(broker.bootstrap, source, 1)
    create_topic(broker.bootstrap, sink, 1)
    group = unique_topic("eos-restart")
    metadata_consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group, "enable.auto.commit": False})
    producer = transactional(broker.bootstrap, "tx-offsets-restart")
    producer.begin_transaction()
    producer.produce(sink, value=b"out", partition=0)
    producer.send_offsets_to_transaction([TopicPartition(source, 0, 42)], metadata_consumer.consumer_group_metadata(), 30)
    producer.flush(30)
    metadata_consumer.close()
    assert broker.terminate() == 0
    broker.start()
    producer.commit_transaction(60)
    checker = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        assert checker.committed([TopicPartition(source, 0)], timeout=30)[0].offset == 42
    finally:
        checker.close()
    assert read_all(broker.bootstrap, sink, "read_committed", partitions=1, expect=1) == ["out"]


def test_send_offsets_with_group_metadata_fences_a_consumer_that_missed_a_rebalance(broker):
    """KIP-447 over TxnOffsetCommit v3: a subscribed consumer's group metadata (generation, member id)
    commits a consume-transform-produce transaction; a snapshot taken before a second member joined
    names the old generation and is refused with ILLEGAL_GENERATION (only v3 carries the generation),
    and its offsets are not committed."""
    source = unique_topic("src")
    sink = unique_topic("sink")
    create_topic(broker.bootstrap, source, 2)
    create_topic(broker.bootstrap, sink, 1)
    plain = Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(8):
        plain.produce(source, value=f"in{i}".encode(), partition=i % 2)
    assert plain.flush(30) == 0
    group = unique_topic("kip447")
    settings = {"bootstrap.servers": broker.bootstrap, "group.id": group, "enable.auto.commit": False, "auto.offset.reset": "earliest",
                "isolation.level": "read_committed", "heartbeat.interval.ms": 100, "session.timeout.ms": 6000}
    first = Consumer(settings)
    second = Consumer(settings)
    producer = transactional(broker.bootstrap, "tx-kip447")
    try:
        first.subscribe([source])
        taken = []
        deadline = time.monotonic() + 30
        while len(taken) < 8 and time.monotonic() < deadline:
            msg = first.poll(0.2)
            if msg is not None and msg.error() is None:
                taken.append(msg)
        assert len(taken) == 8 and len(first.assignment()) == 2
        before = first.consumer_group_metadata()
        producer.begin_transaction()
        for msg in taken:
            producer.produce(sink, value=b"out-" + msg.value(), partition=0)
        producer.send_offsets_to_transaction(first.position(first.assignment()), before, 30)
        producer.commit_transaction(30)

        def committed() -> list[int]:
            return [tp.offset for tp in first.committed([TopicPartition(source, 0), TopicPartition(source, 1)], timeout=15)]

        assert committed() == [4, 4]
        # A second member joins: the group rebalances to a new generation and each keeps one partition.
        second.subscribe([source])
        deadline = time.monotonic() + 30
        while (len(first.assignment()) != 1 or len(second.assignment()) != 1) and time.monotonic() < deadline:
            first.poll(0.1)
            second.poll(0.1)
        assert len(first.assignment()) == 1 and len(second.assignment()) == 1, "the group did not rebalance"
        # The zombie: offsets for both partitions, sent with the metadata of the generation before.
        producer.begin_transaction()
        producer.produce(sink, value=b"zombie", partition=0)
        with pytest.raises(KafkaException) as raised:
            producer.send_offsets_to_transaction([TopicPartition(source, 0, 7), TopicPartition(source, 1, 7)], before, 30)
        error = raised.value.args[0]
        assert error.code() == KafkaError.ILLEGAL_GENERATION, error
        producer.abort_transaction(30)
        assert committed() == [4, 4], "the fenced commit changed nothing"
        # The current metadata commits.
        producer.begin_transaction()
        mine = first.assignment()[0].partition
        producer.send_offsets_to_transaction([TopicPartition(source, mine, 5)], first.consumer_group_metadata(), 30)
        producer.commit_transaction(30)
        assert committed()[mine] == 5
    finally:
        first.close()
        second.close()
    assert sorted(read_all(broker.bootstrap, sink, "read_committed", partitions=1, expect=8)) == sorted(f"out-in{i}" for i in range(8))


def init_producer_id(port: int, version: int, transactional_id: str, producer_id: int = -1, epoch: int = -1) -> tuple[int, int, int]:
    """One flexible InitProducerId (v3/v4) on the wire: (error code, producer id, epoch). The request
    header is v2 (client id, empty tags); the response header v1 (correlation id, empty tags)."""
    tid = transactional_id.encode()
    body = bytes([len(tid) + 1]) + tid + struct.pack(">iqh", 60_000, producer_id, epoch) + b"\x00"
    request = struct.pack(">hhih", 22, version, 7, 4) + b"test" + b"\x00" + body
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(struct.pack(">i", len(request)) + request)
        data = b""
        while len(data) < 4 or len(data) < 4 + struct.unpack(">i", data[:4])[0]:
            chunk = s.recv(65536)
            assert chunk, "the broker closed the connection"
            data += chunk
    correlation, tags = struct.unpack(">ib", data[4:9])
    assert correlation == 7 and tags == 0
    _throttle, error, pid, answered_epoch, trailing_tags = struct.unpack(">ihqhb", data[9:26])
    assert trailing_tags == 0 and len(data) == 26
    return error, pid, answered_epoch


def test_init_producer_id_v3_v4_bumps_the_current_epoch_and_fences_others(broker):
    deadline = time.monotonic() + 30
    while True:  # the first call creates __transaction_state and answers COORDINATOR_NOT_AVAILABLE (15) meanwhile
        error, pid, epoch = init_producer_id(broker.port, 4, "tx-kip360")
        if error not in (14, 15, 16) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert error == 0 and pid >= 0 and epoch == 0
    assert init_producer_id(broker.port, 4, "tx-kip360", pid, 0) == (0, pid, 1), "the current producer bumps its epoch"
    assert init_producer_id(broker.port, 4, "tx-kip360", pid, 0) == (0, pid, 1), "a retry of that bump gets the same answer"
    assert init_producer_id(broker.port, 4, "tx-kip360", pid, 7)[0] == 90, "another epoch is PRODUCER_FENCED at v4"
    assert init_producer_id(broker.port, 3, "tx-kip360", pid + 1, 1)[0] == 47, "INVALID_PRODUCER_EPOCH before v4"
    assert init_producer_id(broker.port, 4, "tx-kip360", pid, -1)[0] == 42, "an id without an epoch is INVALID_REQUEST"
    assert init_producer_id(broker.port, 3, "tx-kip360", pid, 1) == (0, pid, 2)


def test_second_producer_with_the_same_transactional_id_fences_the_first(broker):
    topic = unique_topic("txn")
    create_topic(broker.bootstrap, topic, 2)
    first = transactional(broker.bootstrap, "tx-zombie")
    first.begin_transaction()
    first.produce(topic, value=b"zombie-0", partition=0)
    first.flush(30)
    second = transactional(broker.bootstrap, "tx-zombie")
    with pytest.raises(KafkaException) as raised:
        first.produce(topic, value=b"zombie-1", partition=1)
        first.commit_transaction(30)
    error = raised.value.args[0]
    assert error.fatal() or "fenced" in error.str().lower() or "epoch" in error.str().lower(), error
    transaction(second, topic, ["survivor"], commit=True)
    assert read_all(broker.bootstrap, topic, "read_committed", expect=1) == ["survivor"]


def test_transaction_timeout_aborts_and_fences(broker):
    topic = unique_topic("txn")
    create_topic(broker.bootstrap, topic, 1)
    producer = transactional(broker.bootstrap, "tx-slow", **{"transaction.timeout.ms": 2000})
    producer.begin_transaction()
    producer.produce(topic, value=b"expired", partition=0)
    producer.flush(30)
    time.sleep(5)
    # The coordinator aborted: read_committed is no longer held back, and sees nothing.
    plain = Producer({"bootstrap.servers": broker.bootstrap})
    plain.produce(topic, value=b"after", partition=0)
    assert plain.flush(30) == 0
    assert read_all(broker.bootstrap, topic, "read_committed", partitions=1, expect=1) == ["after"]
    with pytest.raises(KafkaException):
        producer.commit_transaction(30)


def test_restart_keeps_committed_and_aborted_transactions(broker):
    topic = unique_topic("txn")
    create_topic(broker.bootstrap, topic, 2)
    producer = transactional(broker.bootstrap, "tx-restart")
    transaction(producer, topic, ["k0", "k1", "k2"], commit=True)
    transaction(producer, topic, ["x0", "x1"], commit=False)
    producer.flush(10)
    del producer
    assert broker.terminate() == 0
    broker.start()
    assert sorted(read_all(broker.bootstrap, topic, "read_committed", expect=3)) == ["k0", "k1", "k2"]
    # The reloaded coordinator bumps the epoch of the same id and runs the next transaction.
    again = transactional(broker.bootstrap, "tx-restart")
    transaction(again, topic, ["k3"], commit=True)
    assert sorted(read_all(broker.bootstrap, topic, "read_committed", expect=4)) == ["k0", "k1", "k2", "k3"]
    assert "loaded __transaction_state" in broker.log_text()


def test_kafka_python_transactional_producer(broker):
    kafka = pytest.importorskip("kafka")
    if not hasattr(kafka.KafkaProducer, "init_transactions"):
        pytest.skip("this kafka-python has no transactional producer")
    topic = unique_topic("txn")
    create_topic(broker.bootstrap, topic, 1)
    producer = kafka.KafkaProducer(bootstrap_servers=broker.bootstrap, transactional_id="tx-kafka-python")
    try:
        producer.init_transactions()
        producer.begin_transaction()
        producer.send(topic, b"kp-commit", partition=0)
        producer.commit_transaction()
        producer.begin_transaction()
        producer.send(topic, b"kp-abort", partition=0)
        producer.flush()
        producer.abort_transaction()
    finally:
        producer.close(timeout=10)
    assert read_all(broker.bootstrap, topic, "read_committed", partitions=1, expect=1) == ["kp-commit"]
    # kafka-python's own read_committed consumer drops the aborted record and the markers too.
    consumer = kafka.KafkaConsumer(bootstrap_servers=broker.bootstrap, isolation_level="read_committed", auto_offset_reset="earliest",
                                   enable_auto_commit=False, consumer_timeout_ms=3000)
    try:
        consumer.assign([kafka.TopicPartition(topic, 0)])
        assert [record.value for record in consumer] == [b"kp-commit"]
    finally:
        consumer.close()


def test_aiokafka_transactional_producer(broker):
    aiokafka = pytest.importorskip("aiokafka")
    topic = unique_topic("txn")
    create_topic(broker.bootstrap, topic, 1)

    async def run() -> None:
        producer = aiokafka.AIOKafkaProducer(bootstrap_servers=broker.bootstrap, transactional_id="tx-aiokafka")
        await asyncio.wait_for(producer.start(), 30)
        try:
            async with producer.transaction():
                await producer.send_and_wait(topic, b"aio-commit", partition=0)
            await producer.begin_transaction()
            await producer.send_and_wait(topic, b"aio-abort", partition=0)
            await asyncio.wait_for(producer.abort_transaction(), 30)
        finally:
            await asyncio.wait_for(producer.stop(), 30)

    async def read_committed() -> list[bytes]:
        """aiokafka's own read_committed consumer: every value until 3 s pass without one."""
        consumer = aiokafka.AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, isolation_level="read_committed",
                                             auto_offset_reset="earliest", enable_auto_commit=False)
        consumer.assign([aiokafka.TopicPartition(topic, 0)])
        await asyncio.wait_for(consumer.start(), 30)
        values: list[bytes] = []
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=3000)
                if not batches:
                    return values
                values += [record.value for records in batches.values() for record in records]
        finally:
            await asyncio.wait_for(consumer.stop(), 30)

    asyncio.run(asyncio.wait_for(run(), 90))
    assert read_all(broker.bootstrap, topic, "read_committed", partitions=1, expect=1) == ["aio-commit"]
    assert asyncio.run(asyncio.wait_for(read_committed(), 60)) == [b"aio-commit"]
