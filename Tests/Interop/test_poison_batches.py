"""Produce requests whose batch has a valid CRC but records a consumer cannot read are refused with
CORRUPT_MESSAGE / INVALID_RECORD, nothing of them reaches the log (the high watermark stays), and the
partition keeps serving real clients; compressed batches from real clients still pass validation."""
import gzip
import socket
import struct
import time
import urllib.request

import pytest
from confluent_kafka import Consumer, TopicPartition

from conftest import unique_topic
from test_confluent_kafka import consume, create_topic, produce

CORRUPT_MESSAGE = 2
INVALID_RECORD = 87


def crc32c(data: bytes) -> int:
    table = crc32c.table
    crc = 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


crc32c.table = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    crc32c.table.append(_c)


def zigzag(value: int) -> bytes:
    raw = (value << 1) ^ (value >> 63)
    out = bytearray()
    while raw >= 0x80:
        out.append((raw & 0x7F) | 0x80)
        raw >>= 7
    out.append(raw)
    return bytes(out)


def record(offset_delta: int, value: bytes) -> bytes:
    body = b"\x00" + zigzag(0) + zigzag(offset_delta) + zigzag(-1) + zigzag(len(value)) + value + zigzag(0)
    return zigzag(len(body)) + body


def batch(records: bytes, count: int, attributes: int = 0, last_offset_delta: int | None = None) -> bytes:
    """A RecordBatch v2 around `records` with a correct length and CRC-32C."""
    last = count - 1 if last_offset_delta is None else last_offset_delta
    now = int(time.time() * 1000)
    after_crc = struct.pack(">hiqqqhii", attributes, last, now, now, -1, -1, -1, count) + records
    return struct.pack(">qiib", 0, 4 + 1 + 4 + len(after_crc), -1, 2) + struct.pack(">I", crc32c(after_crc)) + after_crc


def produce_raw(port: int, topic: str, records: bytes, version: int = 8) -> tuple[int, str | None, list]:
    """Sends one Produce (acks=1) with `records` for partition 0; returns (error, error_message, record_errors)."""
    name = topic.encode()
    body = (struct.pack(">hhi", -1, 1, 5000) + struct.pack(">i", 1) + struct.pack(">h", len(name)) + name
            + struct.pack(">i", 1) + struct.pack(">ii", 0, len(records)) + records)
    header = struct.pack(">hhih", 0, version, 77, 6) + b"poison"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(struct.pack(">i", len(header + body)) + header + body)
        size = struct.unpack(">i", recv_exactly(s, 4))[0]
        data = recv_exactly(s, size)
    reader = Reader(data)
    assert reader.i32() == 77
    assert reader.i32() == 1 and reader.string() == topic and reader.i32() == 1
    assert reader.i32() == 0
    error = reader.i16()
    reader.i64(), reader.i64()  # base offset, log append time
    if version >= 5:
        reader.i64()  # log start offset
    if version < 8:
        return error, None, []
    record_errors = [(reader.i32(), reader.string()) for _ in range(reader.i32())]
    return error, reader.string(), record_errors


def recv_exactly(s: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = s.recv(size - len(data))
        assert chunk, "connection closed"
        data += chunk
    return data


class Reader:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def take(self, fmt: str):
        value = struct.unpack_from(fmt, self.data, self.at)[0]
        self.at += struct.calcsize(fmt)
        return value

    def i16(self): return self.take(">h")
    def i32(self): return self.take(">i")
    def i64(self): return self.take(">q")

    def string(self) -> str | None:
        length = self.i16()
        if length < 0:
            return None
        text = self.data[self.at:self.at + length].decode()
        self.at += length
        return text


def watermarks(bootstrap: str, topic: str) -> tuple[int, int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "watermarks"})
    try:
        return consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    finally:
        consumer.close()


def poison_batches() -> dict[str, tuple[bytes, set[int]]]:
    two = record(0, b"first") + record(1, b"second")
    # 80 MiB of zeros in about 80 KiB: inflating it would pass the broker's bound (64 x max.message.bytes).
    bomb = gzip.compress(bytes(80 << 20), compresslevel=9)
    return {
        "garbage records under a valid CRC": (batch(bytes(range(200, 256)) * 2, 3), {CORRUPT_MESSAGE}),
        "gzip attribute over plain records": (batch(two, 2, attributes=1), {CORRUPT_MESSAGE}),
        "record count larger than the records": (batch(two, 3), {CORRUPT_MESSAGE}),
        "record count smaller than the records": (batch(two, 1), {CORRUPT_MESSAGE}),
        "inner offsets with a gap": (batch(record(0, b"a") + record(2, b"b"), 2), {INVALID_RECORD}),
        "gzip bomb": (batch(bomb, 1, attributes=1), {INVALID_RECORD}),
    }


def test_poison_batches_are_refused_and_the_partition_keeps_serving(broker):
    topic = unique_topic("poison")
    create_topic(broker.bootstrap, topic)
    reports = produce(broker.bootstrap, topic, [(None, b"before-0", []), (None, b"before-1", [])], acks="all")
    assert [err for err, *_ in reports] == [None, None]
    assert watermarks(broker.bootstrap, topic) == (0, 2)

    # The builder is right: the same records in a well-formed batch are accepted.
    assert produce_raw(broker.port, topic, batch(record(0, b"raw-0") + record(1, b"raw-1"), 2))[0] == 0
    assert watermarks(broker.bootstrap, topic) == (0, 4)

    for name, (records, expected) in poison_batches().items():
        error, message, record_errors = produce_raw(broker.port, topic, records)
        assert error in expected, f"{name}: error {error}, message {message!r}"
        assert message, f"{name}: Produce v8 carries an error message"
        assert watermarks(broker.bootstrap, topic) == (0, 4), f"{name}: the high watermark moved"
    # Produce v3 has no error message but the same error code.
    assert produce_raw(broker.port, topic, batch(record(0, b"x"), 1, attributes=1), version=3)[0] == CORRUPT_MESSAGE
    # A valid batch followed by an invalid one in the same partition: neither is appended.
    error, message, _ = produce_raw(broker.port, topic, batch(record(0, b"fine"), 1) + batch(record(0, b"a") + record(2, b"b"), 2))
    assert error == INVALID_RECORD and message.startswith("batch 1:")
    assert watermarks(broker.bootstrap, topic) == (0, 4)
    # A malformed record is named in record_errors.
    _, _, record_errors = produce_raw(broker.port, topic, batch(record(0, b"ok") + b"\x7f" * 8, 2))
    assert [index for index, _ in record_errors] == [1]

    after = [(None, f"after-{i}".encode(), []) for i in range(20)]
    reports = produce(broker.bootstrap, topic, after, acks="all")
    assert all(err is None for err, *_ in reports)
    assert sorted(offset for *_, offset, _ in reports) == list(range(4, 24))
    received = consume(broker.bootstrap, topic, 0, 24, timeout=20)
    assert [m.value() for m in received] == [b"before-0", b"before-1", b"raw-0", b"raw-1"] + [v for _, v, _ in after]
    assert [m.offset() for m in received] == list(range(24))

    metrics = urllib.request.urlopen(f"http://127.0.0.1:{broker.metrics_port}/metrics", timeout=10).read().decode()
    assert 'samsa_produce_rejected_batches_total{broker="1"} 9' in metrics
    assert f"refused produced records for {topic}-0: CORRUPT_MESSAGE" in broker.log_text()
    assert broker.process.poll() is None


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_real_compressed_batches_pass_validation(broker, codec):
    topic = unique_topic(f"poison-{codec}")
    create_topic(broker.bootstrap, topic)
    records = [(f"k{i}".encode(), (f"{codec}-{i}-" + "payload " * (i % 40)).encode(), [("h", b"v")] if i % 7 == 0 else [])
               for i in range(400)]
    reports = produce(broker.bootstrap, topic, records, **{"compression.type": codec, "linger.ms": 50, "acks": "all"})
    assert all(err is None for err, *_ in reports), [err for err, *_ in reports if err is not None][:3]
    received = consume(broker.bootstrap, topic, 0, 400)
    assert [m.value() for m in received] == [value for _, value, _ in records]
    assert watermarks(broker.bootstrap, topic) == (0, 400)


def test_kafka_python_gzip_batches_pass_validation(broker):
    """kafka-python compresses with Python's own gzip module, a second real encoder next to librdkafka's zlib."""
    from kafka import KafkaProducer
    topic = unique_topic("poison-kp-gzip")
    create_topic(broker.bootstrap, topic)
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", compression_type="gzip", linger_ms=50)
    futures = [producer.send(topic, key=f"k{i}".encode(), value=f"gzip-{i}-".encode() * (i % 9 + 1), partition=0) for i in range(200)]
    offsets = [future.get(timeout=15).offset for future in futures]
    producer.close()
    assert offsets == list(range(200))
    received = consume(broker.bootstrap, topic, 0, 200)
    assert [m.value() for m in received] == [f"gzip-{i}-".encode() * (i % 9 + 1) for i in range(200)]
