"""Compressed batches end to end: `samsa consume` reads what confluent-kafka compressed with each codec,
`samsa produce -z` writes batches real clients (confluent-kafka, kcat) read, and a topic's
`compression.type` makes the leader store batches in that codec whatever the producer sent."""
import shutil
import struct
import subprocess

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import SAMSA, unique_topic
from test_confluent_kafka import consume, create_topic, produce

CODECS = {"gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def samsa(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([SAMSA, *args], input=stdin, capture_output=True, text=True, timeout=60)


def stored_codecs(broker, topic: str) -> set[int]:
    """The codec bits of every batch in partition 0's segment files, read from disk."""
    codecs = set()
    for segment in sorted((broker.log_dir / f"{topic}-0").glob("*.log")):
        data = segment.read_bytes()
        position = 0
        while position + 61 <= len(data):
            length = struct.unpack_from(">i", data, position + 8)[0]
            codecs.add(struct.unpack_from(">h", data, position + 21)[0] & 0x07)
            position += 12 + length
    return codecs


@pytest.mark.parametrize("codec", list(CODECS))
def test_samsa_consume_reads_batches_a_real_client_compressed(broker, codec):
    topic = unique_topic(f"cz-{codec}")
    create_topic(broker.bootstrap, topic)
    records = [(f"k{i}".encode(), f"value-{i}-".encode() * 20, []) for i in range(200)]
    reports = produce(broker.bootstrap, topic, records, **{"compression.type": codec, "linger.ms": 50})
    assert all(err is None for err, *_ in reports)
    assert stored_codecs(broker, topic) == {CODECS[codec]}
    result = samsa("consume", topic, "--bootstrap", broker.bootstrap, "-e", "--format", "%k %s\\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == [f"k{i} " + f"value-{i}-" * 20 for i in range(200)]


@pytest.mark.parametrize("codec", list(CODECS))
def test_samsa_produce_compresses_and_real_clients_read_it(broker, codec):
    topic = unique_topic(f"pz-{codec}")
    create_topic(broker.bootstrap, topic)
    lines = "".join(f"key-{i}:line {i} of a compressed batch\n" for i in range(300))
    result = samsa("produce", topic, "--bootstrap", broker.bootstrap, "-K", ":", "-z", codec, "--quiet", stdin=lines)
    assert result.returncode == 0, result.stderr
    assert stored_codecs(broker, topic) == {CODECS[codec]}
    received = consume(broker.bootstrap, topic, 0, 300)
    assert [(m.key(), m.value()) for m in received] == [(f"key-{i}".encode(), f"line {i} of a compressed batch".encode()) for i in range(300)]
    if shutil.which("kcat"):
        kcat = subprocess.run(["kcat", "-C", "-b", broker.bootstrap, "-t", topic, "-e", "-q", "-f", "%s\n"],
                              capture_output=True, text=True, timeout=60)
        assert kcat.returncode == 0, kcat.stderr
        assert kcat.stdout.splitlines() == [f"line {i} of a compressed batch" for i in range(300)]


def test_samsa_produce_refuses_an_unknown_codec(broker):
    result = samsa("produce", "t", "--bootstrap", broker.bootstrap, "-z", "brotli", "--count", "1")
    assert result.returncode != 0
    assert "--compression must be none, gzip, snappy, lz4 or zstd, not 'brotli'" in result.stderr


@pytest.mark.parametrize("topic_codec,producer_codec,stored", [
    ("gzip", "none", 1), ("zstd", "snappy", 4), ("uncompressed", "lz4", 0), ("producer", "snappy", 2)])
def test_topic_compression_type_is_what_the_leader_stores(broker, topic_codec, producer_codec, stored):
    topic = unique_topic(f"tz-{topic_codec}")
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1,
                                            config={"compression.type": topic_codec})], operation_timeout=10)
    futures[topic].result(timeout=15)
    records = [(None, f"record {i} ".encode() * 10, [("h", str(i).encode())]) for i in range(100)]
    reports = produce(broker.bootstrap, topic, records, **{"compression.type": producer_codec, "linger.ms": 50,
                                                             "enable.idempotence": True, "acks": "all"})
    assert all(err is None for err, *_ in reports)
    assert stored_codecs(broker, topic) == {stored}
    received = consume(broker.bootstrap, topic, 0, 100)
    assert [(m.offset(), m.value(), m.headers()) for m in received] == [
        (i, f"record {i} ".encode() * 10, [("h", str(i).encode())]) for i in range(100)]


def test_an_unknown_topic_compression_type_is_refused_by_name(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    topic = unique_topic("tz-bad")
    futures = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1,
                                            config={"compression.type": "brotli"})], operation_timeout=10)
    with pytest.raises(Exception, match="compression.type=brotli"):
        futures[topic].result(timeout=15)
