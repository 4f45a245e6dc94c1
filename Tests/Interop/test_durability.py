"""Durability of the log across kill -9 and clean restarts of a standalone broker."""
import signal
import subprocess
import time
import urllib.request

from confluent_kafka import Consumer, Producer, TopicPartition

from conftest import unique_topic


def read_all(bootstrap: str, topic: str, expected: int, timeout: float = 30.0) -> list[tuple[int, bytes]]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < expected and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            out.append((msg.offset(), msg.value()))
    consumer.close()
    return out


def produce_acked(bootstrap: str, topic: str, count: int, prefix: str) -> dict[bytes, int]:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "1", "linger.ms": 2, "batch.num.messages": 50})
    acked: dict[bytes, int] = {}

    def on_delivery(err, msg):
        if err is None:
            acked[msg.value()] = msg.offset()

    for i in range(count):
        producer.produce(topic, value=f"{prefix}-{i}".encode(), partition=0, on_delivery=on_delivery)
        if i % 500 == 0:
            producer.poll(0)
    assert producer.flush(30) == 0
    return acked


def test_acknowledged_records_survive_kill9(broker_factory):
    broker = broker_factory({"log.segment.bytes": "65536"})
    topic = unique_topic("dur")
    acked = produce_acked(broker.bootstrap, topic, 5000, "before")
    assert len(acked) == 5000
    broker.kill9()
    broker.start()
    records = read_all(broker.bootstrap, topic, 5000)
    assert len(records) == 5000
    for offset, value in records:
        assert acked[value] == offset, f"{value!r} acknowledged at {acked[value]} but read at {offset}"
    # The restarted broker keeps appending after the recovered tail.
    more = produce_acked(broker.bootstrap, topic, 100, "after")
    assert sorted(more.values()) == list(range(5000, 5100))


def test_sigterm_is_a_clean_shutdown(broker):
    topic = unique_topic("clean")
    produce_acked(broker.bootstrap, topic, 1000, "c")
    assert broker.terminate() == 0
    broker.start()
    assert len(read_all(broker.bootstrap, topic, 1000)) == 1000


def test_metrics_endpoint_reports_kafka_names(broker):
    topic = unique_topic("metrics")
    produce_acked(broker.bootstrap, topic, 10, "m")
    body = urllib.request.urlopen(f"http://127.0.0.1:{broker.metrics_port}/metrics", timeout=5).read().decode()
    assert 'kafka_controller_kafkacontroller_activecontrollercount{broker="1"} 1' in body
    assert 'kafka_server_replicamanager_leadercount{broker="1"} 1' in body
    assert 'kafka_server_replicamanager_underreplicatedpartitions{broker="1"} 0' in body


def test_bad_config_names_key_and_line(tmp_path):
    import os
    from conftest import SAMSA
    config = tmp_path / "bad.properties"
    config.write_text("broker.id=1\n# comment\nlog.retention.hourz=5\n")
    result = subprocess.run([SAMSA, "broker", "--config", str(config)], capture_output=True, timeout=30)
    assert result.returncode == 2
    err = result.stderr.decode()
    assert f"{config}:3" in err and "log.retention.hourz" in err and "log.retention.hours" in err
    config.write_text("broker.id=one\n")
    result = subprocess.run([SAMSA, "broker", "--config", str(config)], capture_output=True, timeout=30)
    assert result.returncode == 2
    assert f"{config}:1" in result.stderr.decode() and "broker.id" in result.stderr.decode()
