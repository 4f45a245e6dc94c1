"""confluent-kafka (librdkafka 2.16) against a real standalone broker."""
import pytest
from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import unique_topic


def create_topic(bootstrap: str, topic: str, partitions: int = 1) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)], operation_timeout=10)
    futures[topic].result(timeout=15)


def produce(bootstrap: str, topic: str, records: list[tuple[bytes | None, bytes, list]], **config) -> list:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, **config})
    reports = []

    def on_delivery(err, msg):
        reports.append((err, msg.partition(), msg.offset(), msg.value()))

    for key, value, headers in records:
        producer.produce(topic, value=value, key=key, headers=headers, partition=0, on_delivery=on_delivery)
    assert producer.flush(30) == 0
    return reports


def consume(bootstrap: str, topic: str, start: int, count: int, timeout: float = 20.0) -> list:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused-assign-only", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, start)])
    received = []
    import time
    deadline = time.monotonic() + timeout
    while len(received) < count and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        assert msg.error() is None, msg.error()
        received.append(msg)
    consumer.close()
    return received


@pytest.mark.parametrize("acks", ["0", "1", "all"])
def test_produce_with_each_acks_setting(broker, acks):
    topic = unique_topic(f"ck-acks{acks}")
    create_topic(broker.bootstrap, topic)
    records = [(f"key-{i}".encode(), f"value-{i}".encode(), [("h", f"{i}".encode())]) for i in range(300)]
    reports = produce(broker.bootstrap, topic, records, acks=acks)
    assert all(err is None for err, *_ in reports)
    if acks != "0":
        assert sorted(offset for _, _, offset, _ in reports) == list(range(300))
    received = consume(broker.bootstrap, topic, OFFSET_BEGINNING, 300)
    assert [m.value() for m in received] == [r[1] for r in records]
    assert [m.key() for m in received] == [r[0] for r in records]
    assert [m.offset() for m in received] == list(range(300))
    assert received[7].headers() == [("h", b"7")]


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_compressed_batches_pass_through(broker, codec):
    topic = unique_topic(f"ck-{codec}")
    create_topic(broker.bootstrap, topic)
    records = [(None, (f"{codec}-{i}-" + "x" * (i % 50)).encode(), []) for i in range(500)]
    reports = produce(broker.bootstrap, topic, records, **{"compression.type": codec, "linger.ms": 50})
    assert all(err is None for err, *_ in reports)
    received = consume(broker.bootstrap, topic, OFFSET_BEGINNING, 500)
    assert [m.value() for m in received] == [r[1] for r in records]
    assert [m.offset() for m in received] == list(range(500))


def test_consume_from_latest_and_from_offset(broker):
    topic = unique_topic("ck-positions")
    create_topic(broker.bootstrap, topic)
    produce(broker.bootstrap, topic, [(None, f"old-{i}".encode(), []) for i in range(50)])
    from_offset = consume(broker.bootstrap, topic, 42, 8)
    assert [m.offset() for m in from_offset] == list(range(42, 50))
    assert [m.value() for m in from_offset] == [f"old-{i}".encode() for i in range(42, 50)]

    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "unused", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, OFFSET_END)])
    # librdkafka resolves "latest" with ListOffsets as soon as the assignment starts; its position
    # stays unset until a record is consumed, so let it poll for a while before producing.
    import time
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        assert consumer.poll(0.2) is None
    produce(broker.bootstrap, topic, [(None, f"new-{i}".encode(), []) for i in range(5)])
    received = []
    deadline = time.monotonic() + 15
    while len(received) < 5 and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            received.append(msg)
    consumer.close()
    assert [m.value() for m in received] == [f"new-{i}".encode() for i in range(5)]
    assert [m.offset() for m in received] == list(range(50, 55))


def test_offsets_for_times_and_watermarks(broker):
    topic = unique_topic("ck-times")
    create_topic(broker.bootstrap, topic)
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(10):
        producer.produce(topic, value=f"v{i}".encode(), partition=0, timestamp=1_700_000_000_000 + i * 1000)
        producer.flush(10)
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "unused"})
    low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    assert (low, high) == (0, 10)
    found = consumer.offsets_for_times([TopicPartition(topic, 0, 1_700_000_004_500)], timeout=10)
    assert found[0].offset == 5
    consumer.close()


def test_message_too_large_is_rejected(broker_factory):
    broker = broker_factory({"message.max.bytes": "2000"})
    topic = unique_topic("ck-large")
    create_topic(broker.bootstrap, topic)
    producer = Producer({"bootstrap.servers": broker.bootstrap, "message.max.bytes": 100000, "retries": 0})
    errors = []
    producer.produce(topic, value=b"x" * 50000, partition=0, on_delivery=lambda err, msg: errors.append(err))
    producer.flush(20)
    assert len(errors) == 1 and errors[0] is not None
    assert errors[0].code() == KafkaError.MSG_SIZE_TOO_LARGE


def test_log_append_time_topic_stamps_broker_time(broker):
    from confluent_kafka import TIMESTAMP_LOG_APPEND_TIME
    import time
    topic = unique_topic("ck-lat")
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1,
                                  config={"message.timestamp.type": "LogAppendTime"})])[topic].result(timeout=15)
    before = int(time.time() * 1000)
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    producer.produce(topic, value=b"x", partition=0, timestamp=1_000_000)
    producer.flush(15)
    received = consume(broker.bootstrap, topic, OFFSET_BEGINNING, 1)
    kind, stamp = received[0].timestamp()
    assert kind == TIMESTAMP_LOG_APPEND_TIME
    assert before - 5000 <= stamp <= int(time.time() * 1000) + 5000
