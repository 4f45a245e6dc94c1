"""The log store under damage and I/O errors, with real broker processes and real clients.

(a) 64 random bytes in the middle of an older segment, after a clean shutdown and after kill -9:
    the broker logs the file and byte position, `samsa log verify` reports it, a consumer reading
    into it gets CORRUPT_MESSAGE, and records after it are still served.
(b) a 2 MiB tmpfs as the log dir: produce with acks=all until KAFKA_STORAGE_ERROR; the condition
    is logged once with the path; after the disk has room again appends work without a restart;
    after kill -9 and restart no record whose produce failed is in the log.
"""
import json
import random
import re
import subprocess
import time
import urllib.request

import pytest
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

from conftest import SAMSA, unique_topic

# Kafka's CORRUPT_MESSAGE (librdkafka calls code 2 INVALID_MSG).
CORRUPT_MESSAGE = KafkaError.INVALID_MSG


def produce(bootstrap: str, topic: str, count: int, prefix: str, size: int = 40) -> dict[bytes, int]:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 2, "batch.num.messages": 20})
    acked: dict[bytes, int] = {}

    def on_delivery(err, msg):
        if err is None:
            acked[msg.key()] = msg.offset()

    for i in range(count):
        producer.produce(topic, key=f"{prefix}-{i}".encode(), value=b"x" * size, partition=0, on_delivery=on_delivery)
        if i % 200 == 0:
            producer.poll(0)
    assert producer.flush(30) == 0
    return acked


def consume(bootstrap: str, topic: str, start: int, end: int, timeout: float = 20.0):
    """Reads [start, end) by assignment; returns (records as (offset, key), error codes seen)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False,
                         "fetch.error.backoff.ms": 100})
    consumer.assign([TopicPartition(topic, 0, start)])
    records, errors = [], []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = consumer.poll(0.2)
        if msg is None:
            continue
        if msg.error() is not None:
            errors.append(msg.error().code())
            if msg.error().code() == CORRUPT_MESSAGE:
                break
            continue
        records.append((msg.offset(), msg.key()))
        if msg.offset() >= end - 1:
            break
    consumer.close()
    return records, errors


def verify(path) -> tuple[int, dict]:
    result = subprocess.run([SAMSA, "log", "verify", "--json", str(path)], capture_output=True, timeout=60)
    return result.returncode, json.loads(result.stdout)


@pytest.mark.parametrize("shutdown", ["clean", "kill9"])
def test_corruption_in_an_older_segment_is_reported_and_stepped_over(broker_factory, shutdown):
    broker = broker_factory({"log.segment.bytes": "32768"})
    topic = unique_topic("corrupt")
    acked = produce(broker.bootstrap, topic, 6000, "k")
    assert len(acked) == 6000
    if shutdown == "clean":
        assert broker.terminate() == 0
    else:
        broker.kill9()
    partition_dir = broker.log_dir / f"{topic}-0"
    segments = sorted(partition_dir.glob("*.log"))
    assert len(segments) >= 4, [s.name for s in segments]
    victim = segments[1]
    middle = victim.stat().st_size // 2
    with open(victim, "r+b") as f:
        f.seek(middle)
        f.write(random.Random(14).randbytes(64))
    broker.start()

    # From the start of the damaged segment: the valid records before the damage, then the error.
    base = int(victim.stem)
    records, errors = consume(broker.bootstrap, topic, base, 6000)
    assert CORRUPT_MESSAGE in errors, (errors, records[-1:])
    offsets = [offset for offset, _ in records]
    assert offsets == list(range(base, base + len(offsets)))

    code, report = verify(partition_dir)
    assert code == 1
    problems = report["partitions"][0]["problems"]
    assert problems and problems[0]["file"] == victim.name, problems
    damage = problems[0]
    assert damage["position"] <= middle < damage["position"] + 2048, damage
    bad_offset = damage["offset"]
    resume = damage["resume_offset"]
    assert resume is not None and bad_offset < resume < int(segments[2].stem)
    assert base + len(offsets) == bad_offset, "every valid record before the damage was served"
    log = broker.log_text()
    assert f"{victim}" in log and f"at byte {damage['position']}" in log, log[-3000:]

    # From after the damage: everything to the end, in order, as acknowledged.
    records, errors = consume(broker.bootstrap, topic, resume, 6000)
    assert [offset for offset, _ in records] == list(range(resume, 6000)), errors
    by_offset = {offset: key for key, offset in acked.items()}
    assert all(by_offset[offset] == key for offset, key in records)
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{broker.metrics_port}/metrics", timeout=5).read().decode()
    assert 'samsa_log_corruptions_found_total{broker="1"} 1' in metrics


@pytest.fixture
def small_tmpfs(tmp_path):
    mounted = []

    def mount(path, size: str):
        path.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, timeout=10)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): {result.stderr.decode().strip()}")
        mounted.append(path)

    yield mount
    for path in mounted:
        if subprocess.run(["umount", str(path)], capture_output=True, timeout=10).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=10)


def test_full_disk_fails_appends_cleanly_and_recovers(broker_factory, small_tmpfs):
    broker = broker_factory(start=False)
    small_tmpfs(broker.log_dir, "2m")
    try:
        broker.start()
        topic = unique_topic("full")
        producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "retries": 0, "linger.ms": 5,
                             "batch.num.messages": 10, "enable.idempotence": False})
        acked, failed, other = {}, {}, []

        def on_delivery(err, msg):
            if err is None:
                acked[msg.key()] = msg.offset()
            elif err.code() == KafkaError.KAFKA_STORAGE_ERROR:
                failed[msg.key()] = err
            else:
                other.append(err)

        for i in range(4000):  # 4 MB of values: twice the disk
            producer.produce(topic, key=f"f-{i}".encode(), value=b"v" * 1000, partition=0, on_delivery=on_delivery)
            producer.poll(0)
            if len(failed) >= 50:
                break
            if i % 100 == 99:
                producer.flush(10)
        assert producer.flush(30) == 0
        assert len(failed) >= 50 and acked, (len(acked), len(failed), other[:3])
        log = broker.log_text()
        errno_lines = [line for line in log.splitlines() if "appends fail with errno 28" in line]
        assert len(errno_lines) == 1, errno_lines
        assert str(broker.log_dir) in errno_lines[0]
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{broker.metrics_port}/metrics", timeout=5).read().decode()
        assert re.search(r"samsa_log_append_errors_total{broker=\"1\"} [1-9]", metrics), [l for l in metrics.splitlines() if "samsa_log" in l]

        # Room again, same process: appends work.
        subprocess.run(["mount", "-o", "remount,size=16m", str(broker.log_dir)], check=True, timeout=10)
        after = produce(broker.bootstrap, topic, 20, "after")
        assert len(after) == 20
        assert "appends work again" in broker.log_text()

        broker.kill9()
        broker.start()
        end = max(after.values()) + 1
        records, errors = consume(broker.bootstrap, topic, 0, end, timeout=30)
        keys = {key for _, key in records}
        assert len(records) == end, (len(records), end, errors[:3])
        assert not (keys & set(failed)), f"{len(keys & set(failed))} record(s) whose produce failed are in the log"
        assert all(dict(records)[offset] == key for key, offset in acked.items())
    finally:
        broker.cleanup()
