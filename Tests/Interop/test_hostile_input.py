"""Garbage, truncated, oversized and mutated frames close only their own connection: afterwards the
broker still answers kcat -L and round-trips records."""
import random
import socket
import struct
import subprocess

from conftest import unique_topic


def frame(body: bytes) -> bytes:
    return struct.pack(">i", len(body)) + body


def request(api_key: int, version: int, correlation: int, body: bytes, client_id: bytes = b"fuzz") -> bytes:
    return struct.pack(">hhih", api_key, version, correlation, len(client_id)) + client_id + body


def valid_requests() -> list[bytes]:
    topic = b"fuzz-topic"
    metadata_v1 = struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic
    # A Produce v3 request with one tiny (not CRC-valid) batch: mutations explore the decoder and validator.
    batch = struct.pack(">qiibIhiqqqhii", 0, 49, -1, 2, 0, 0, 0, 0, 0, -1, -1, -1, 1) + bytes([0x0E, 0, 0, 0, 1, 0x02, ord("x"), 0])
    produce_v3 = (struct.pack(">hhi", -1, 1, 1000) + struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic
                  + struct.pack(">i", 1) + struct.pack(">ii", 0, len(batch)) + batch)
    fetch_v4 = (struct.pack(">iiiib", -1, 100, 1, 1 << 20, 0) + struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic
                + struct.pack(">i", 1) + struct.pack(">iqi", 0, 0, 1 << 20))
    return [
        request(18, 0, 1, b""),
        request(18, 3, 2, bytes([5]) + b"fuzz" + bytes([2]) + b"1" + bytes([0])),
        request(3, 1, 3, metadata_v1),
        request(0, 3, 4, produce_v3),
        request(1, 4, 5, fetch_v4),
        request(2, 1, 6, struct.pack(">ii", -1, 1) + struct.pack(">h", len(topic)) + topic + struct.pack(">iiq", 1, 0, -1)),
    ]


def send_and_drain(port: int, payload: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.settimeout(0.3)
        try:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
        except OSError:
            pass


def test_broker_survives_hostile_frames(broker):
    rng = random.Random(20261122)
    templates = valid_requests()
    sent_frames = 0
    for round_index in range(500):
        kind = round_index % 5
        if kind == 0:
            payload = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))
            sent_frames += 1
        elif kind == 1:
            payload = b"".join(frame(bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 120)))) for _ in range(10))
            sent_frames += 10
        elif kind == 2:
            frames = []
            for _ in range(10):
                body = bytearray(rng.choice(templates))
                for _ in range(rng.randint(1, 4)):
                    body[rng.randrange(len(body))] = rng.getrandbits(8)
                frames.append(frame(bytes(body)))
            payload = b"".join(frames)
            sent_frames += 10
        elif kind == 3:
            body = rng.choice(templates)
            payload = frame(body)[: rng.randint(1, len(body) + 3)]
            sent_frames += 1
        else:
            payload = rng.choice([struct.pack(">i", 200 * 1024 * 1024), struct.pack(">i", -5), struct.pack(">i", 0)]) + b"\x00" * 16
            sent_frames += 1
        send_and_drain(broker.port, payload)
        assert broker.process.poll() is None, f"broker died after round {round_index}"
    assert sent_frames >= 2000

    listing = subprocess.run(["kcat", "-b", broker.bootstrap, "-L"], capture_output=True, timeout=30)
    assert listing.returncode == 0, listing.stderr
    topic = unique_topic("after-fuzz")
    produced = subprocess.run(["kcat", "-b", broker.bootstrap, "-t", topic, "-P"], input=b"still\nalive\n", capture_output=True, timeout=30)
    assert produced.returncode == 0, produced.stderr
    consumed = subprocess.run(["kcat", "-b", broker.bootstrap, "-t", topic, "-C", "-o", "beginning", "-e"], capture_output=True, timeout=30)
    assert consumed.stdout.decode().split() == ["still", "alive"]


def test_unsupported_api_versions_version_gets_error_35_and_ranges(broker):
    with socket.create_connection(("127.0.0.1", broker.port), timeout=5) as s:
        s.sendall(frame(request(18, 99, 42, b"")))
        size = struct.unpack(">i", s.recv(4))[0]
        data = b""
        while len(data) < size:
            data += s.recv(size - len(data))
    correlation, error_code, count = struct.unpack(">ihi", data[:10])
    assert correlation == 42 and error_code == 35 and count > 0
    ranges = [struct.unpack(">hhh", data[10 + 6 * i: 16 + 6 * i]) for i in range(count)]
    assert (18, 0, 3) in ranges


def test_unknown_api_key_closes_only_that_connection(broker):
    with socket.create_connection(("127.0.0.1", broker.port), timeout=5) as s:
        s.sendall(frame(request(999, 0, 7, b"")))
        s.settimeout(5)
        assert s.recv(16) == b"", "the broker closes the connection"
    listing = subprocess.run(["kcat", "-b", broker.bootstrap, "-L"], capture_output=True, timeout=30)
    assert listing.returncode == 0
