"""Mutated real client requests lose nothing and stop nothing.

The seed corpus (fuzz_corpus.jsonl, recorded by fuzz_capture.py) holds the frames confluent-kafka and
kafka-python sent to a broker: admin, idempotent producers with every codec, group consumers. The fuzzer
replays it once, then sends thousands of mutated copies with a fixed seed: byte flips, boundary integers,
truncations, splices, other API versions, and record batches changed inside and then given a correct
CRC-32C, so that the mutation reaches record validation and decompression rather than stopping at the
checksum. Meanwhile a confluent-kafka producer (acks=all) writes witness records to the same partitions.
Afterwards the broker must still serve, every acknowledged witness record must be readable by a real
consumer without a stall or error, and again after a restart.
"""
import json
import random
import socket
import struct
import time
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

CORPUS = Path(__file__).resolve().parent / "fuzz_corpus.jsonl"
SEED = 20261205
MUTATED_FRAMES = 3000
WITNESS_PARTITIONS = [("fuzz-a", 0), ("fuzz-b", 0), ("fuzz-b", 1), ("fuzz-b", 2)]
INTERESTING = [0, 1, -1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, -0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, -0x80000000,
               12000, 65536, 1 << 20, -2]


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
        table.append(crc)
    return table


CRC_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def load_corpus() -> list[bytes]:
    return [bytes.fromhex(json.loads(line)["hex"]) for line in CORPUS.read_text().splitlines() if line.strip()]


def header_length(frame: bytes) -> int:
    """Bytes of a v1 request header (api key, version, correlation id, client id); flexible headers add
    a tagged-field count, which mutations may then treat as body."""
    client_id_length = struct.unpack(">h", frame[8:10])[0]
    return 10 + max(client_id_length, 0)


def record_batches(frame: bytes) -> list[tuple[int, int]]:
    """(start, length) of every RecordBatch in a Produce v3-v8 request, found by walking its structure."""
    api_key, version = struct.unpack(">hh", frame[:4])
    if api_key != 0 or not 3 <= version <= 8:
        return []
    spans = []
    try:
        at = header_length(frame)
        transactional_id = struct.unpack(">h", frame[at:at + 2])[0]
        at += 2 + max(transactional_id, 0) + 6
        (topics,) = struct.unpack(">i", frame[at:at + 4]); at += 4
        for _ in range(topics):
            (name,) = struct.unpack(">h", frame[at:at + 2]); at += 2 + name
            (partitions,) = struct.unpack(">i", frame[at:at + 4]); at += 4
            for _ in range(partitions):
                _, size = struct.unpack(">ii", frame[at:at + 8]); at += 8
                end = at + size
                while at + 61 <= end:
                    (batch_length,) = struct.unpack(">i", frame[at + 8:at + 12])
                    spans.append((at, 12 + batch_length))
                    at += 12 + batch_length
                at = end
    except struct.error:
        return spans
    return [(start, length) for start, length in spans if start + length <= len(frame)]


def fix_crc(body: bytearray, start: int, length: int) -> None:
    body[start + 17:start + 21] = struct.pack(">I", crc32c(bytes(body[start + 21:start + length])))


def mutate_batch(rng: random.Random, frame: bytes) -> bytes:
    """Changes one record batch of a Produce request where only record validation can tell, then makes
    its CRC-32C right again."""
    body = bytearray(frame)
    start, length = rng.choice(record_batches(frame))
    choice = rng.randrange(5)
    if choice == 0 and length > 61:          # records (or compressed payload) bytes
        for _ in range(rng.randint(1, 6)):
            body[start + 61 + rng.randrange(length - 61)] = rng.getrandbits(8)
    elif choice == 1:                        # codec bits: a codec the bytes are not in
        attributes = struct.unpack(">h", body[start + 21:start + 23])[0]
        body[start + 21:start + 23] = struct.pack(">h", (attributes & ~0x07) | rng.randint(0, 7))
    elif choice == 2:                        # record count
        body[start + 57:start + 61] = struct.pack(">i", rng.choice([0, 1, 2, 3, 1000, -1, 0x7FFFFFFF]))
    elif choice == 3:                        # last offset delta
        body[start + 23:start + 27] = struct.pack(">i", rng.choice([0, 1, 5, -1, 0x7FFFFFFF]))
    elif length > 62:                        # records cut short (batch length kept consistent)
        cut = rng.randint(1, min(length - 62, 40))
        del body[start + length - cut:start + length]
        body[start + 8:start + 12] = struct.pack(">i", length - cut - 12)
        length -= cut
        # The enclosing records length and nothing else: a partition's records size sits right before it.
        (records_size,) = struct.unpack(">i", body[start - 4:start])
        body[start - 4:start] = struct.pack(">i", records_size - cut)
    fix_crc(body, start, length)
    return bytes(body)


def mutate(rng: random.Random, corpus: list[bytes]) -> bytes:
    frame = rng.choice(corpus)
    body = bytearray(frame)
    choice = rng.randrange(8)
    if choice in (0, 1) and record_batches(frame):
        return mutate_batch(rng, frame)
    if choice == 2:                          # a few random bytes after the API key and version
        for _ in range(rng.randint(1, 4)):
            body[4 + rng.randrange(len(body) - 4)] = rng.getrandbits(8)
    elif choice == 3:                        # a boundary integer over a length, count or id
        width = rng.choice([1, 2, 4, 8])
        at = 4 + rng.randrange(max(1, len(body) - 4 - width))
        value = rng.choice(INTERESTING) & ((1 << (8 * width)) - 1)
        body[at:at + width] = value.to_bytes(width, "big")
    elif choice == 4:                        # truncated
        del body[rng.randint(4, len(body)):]
    elif choice == 5:                        # random tail
        body += bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64)))
    elif choice == 6:                        # prefix of this request, suffix of another
        other = rng.choice(corpus)
        body = body[:rng.randint(4, len(body))] + other[rng.randint(4, len(other)):]
    else:                                    # another version of the same API
        body[2:4] = struct.pack(">h", rng.choice([0, 1, 2, 3, 4, 5, 8, 9, 12, 13, 15, 16, 255, -1]))
    return bytes(body)


def send_frame(port: int, frame: bytes) -> bool:
    """Sends one frame on its own connection (a broker closes a connection on a frame it cannot
    parse, which would hide the frames after it) and reads until the broker closes the connection or
    goes quiet. Returns whether an answer came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        answered = False
        try:
            s.sendall(struct.pack(">i", len(frame)) + frame)
            s.shutdown(socket.SHUT_WR)
            s.settimeout(1.0)
            while s.recv(65536):
                answered = True
        except OSError:
            pass
        return answered


class Witness:
    """An acks=all producer writing numbered records to the fuzzed partitions between the fuzzer's
    connections; remembers what was acknowledged."""

    def __init__(self, bootstrap: str):
        self.producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 2,
                                  "message.timeout.ms": 20000})
        self.acked: set[bytes] = set()
        self.failed: list[str] = []
        self.sent = 0

    def _delivered(self, error, message) -> None:
        if error is None:
            self.acked.add(message.value())
        else:
            self.failed.append(str(error))

    def produce(self, count: int) -> None:
        for _ in range(count):
            topic, partition = WITNESS_PARTITIONS[self.sent % len(WITNESS_PARTITIONS)]
            self.producer.produce(topic, value=f"witness-{self.sent}".encode(), partition=partition,
                                  on_delivery=self._delivered)
            self.sent += 1
        self.producer.poll(0)

    def finish(self) -> None:
        assert self.producer.flush(30) == 0, "witness records still undelivered after 30 s"


def read_witness_records(bootstrap: str, timeout: float = 30.0) -> set[bytes]:
    """Every witness record in the fuzzed partitions, read from the start to each high watermark. A
    consumer error or a partition that stops short of its high watermark fails the test."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"fuzz-reader-{time.monotonic_ns()}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        ends = {}
        for topic, partition in WITNESS_PARTITIONS:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            ends[(topic, partition)] = high
        consumer.assign([TopicPartition(t, p, 0) for t, p in WITNESS_PARTITIONS])
        positions = {key: 0 for key in ends}
        seen: set[bytes] = set()
        deadline = time.monotonic() + timeout
        while any(positions[key] < ends[key] for key in ends):
            assert time.monotonic() < deadline, f"reading stalled: positions {positions}, high watermarks {ends}"
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error() is not None:
                assert message.error().code() == KafkaError._PARTITION_EOF, f"consumer error: {message.error()}"
                continue
            positions[(message.topic(), message.partition())] = message.offset() + 1
            if message.value() is not None and message.value().startswith(b"witness-"):
                seen.add(message.value())
        return seen
    finally:
        consumer.close()


def test_mutated_client_requests_stop_nothing_and_lose_nothing(broker):
    corpus = load_corpus()
    assert len(corpus) > 50 and any(record_batches(f) for f in corpus)
    for frame in corpus:  # the unmutated replay creates the topics and a group
        send_frame(broker.port, frame)

    witness = Witness(broker.bootstrap)
    rng = random.Random(SEED)
    answered = 0
    started = time.monotonic()
    for sent in range(1, MUTATED_FRAMES + 1):
        answered += send_frame(broker.port, mutate(rng, corpus))
        if sent % 25 == 0:
            assert broker.process.poll() is None, f"the broker died after {sent} mutated frames:\n{broker.log_text()[-3000:]}"
            witness.produce(10)
    fuzz_seconds = time.monotonic() - started
    witness.finish()

    assert len(witness.acked) > 1000, f"only {len(witness.acked)} witness records acknowledged ({witness.failed[:3]})"
    seen = read_witness_records(broker.bootstrap)
    missing = witness.acked - seen
    assert not missing, f"{len(missing)} acknowledged records unreadable, e.g. {sorted(missing)[:5]}"

    assert broker.terminate(timeout=30) == 0, "the broker did not stop cleanly"
    broker.start()
    seen_after_restart = read_witness_records(broker.bootstrap)
    missing = witness.acked - seen_after_restart
    assert not missing, f"after a restart {len(missing)} acknowledged records unreadable, e.g. {sorted(missing)[:5]}"
    print(f"{sent} mutated frames in {fuzz_seconds:.1f} s, {answered} answered; {len(witness.acked)} witness records acknowledged, "
          f"all readable before and after a restart")
