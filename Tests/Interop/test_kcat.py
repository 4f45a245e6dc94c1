"""Debian's kcat (librdkafka 2.0) against a real standalone broker: metadata, produce, consume."""
import subprocess

from conftest import unique_topic


def kcat(*args: str, input: bytes | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(["kcat", *args], input=input, capture_output=True, timeout=timeout)


def test_metadata_lists_broker_and_topics(broker):
    topic = unique_topic("kcat-meta")
    produced = kcat("-b", broker.bootstrap, "-t", topic, "-P", input=b"hello\n")
    assert produced.returncode == 0, produced.stderr
    result = kcat("-b", broker.bootstrap, "-L")
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert f"broker 1 at 127.0.0.1:{broker.port}" in text
    assert "(controller)" in text
    assert f'topic "{topic}" with 1 partitions' in text
    assert "partition 0, leader 1, replicas: 1, isrs: 1" in text


def test_produce_then_consume_round_trip(broker):
    topic = unique_topic("kcat-rt")
    lines = [f"message-{i}" for i in range(200)]
    produced = kcat("-b", broker.bootstrap, "-t", topic, "-P", "-X", "acks=all", input="\n".join(lines).encode() + b"\n")
    assert produced.returncode == 0, produced.stderr
    consumed = kcat("-b", broker.bootstrap, "-t", topic, "-C", "-o", "beginning", "-e", "-f", "%o %s\n")
    assert consumed.returncode == 0, consumed.stderr
    rows = [line.split(" ", 1) for line in consumed.stdout.decode().splitlines()]
    assert [int(offset) for offset, _ in rows] == list(range(200))
    assert [value for _, value in rows] == lines


def test_keys_and_partitions(broker_factory):
    broker = broker_factory({"num.partitions": "3"})
    topic = unique_topic("kcat-keys")
    payload = "".join(f"k{i % 5}:v{i}\n" for i in range(60)).encode()
    produced = kcat("-b", broker.bootstrap, "-t", topic, "-P", "-K:", input=payload)
    assert produced.returncode == 0, produced.stderr
    consumed = kcat("-b", broker.bootstrap, "-t", topic, "-C", "-o", "beginning", "-e", "-f", "%p %k %s\n")
    assert consumed.returncode == 0, consumed.stderr
    rows = [line.split(" ") for line in consumed.stdout.decode().splitlines()]
    assert len(rows) == 60
    partitions_by_key: dict[str, set[str]] = {}
    for partition, key, _ in rows:
        partitions_by_key.setdefault(key, set()).add(partition)
    assert all(len(p) == 1 for p in partitions_by_key.values()), "a key always lands on one partition"
