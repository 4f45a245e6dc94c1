"""Records the requests real clients send, as the seed corpus of the request fuzzer (test_fuzz_requests.py).

    SAMSA_BIN=.build/release/samsa python3 Tests/Interop/fuzz_capture.py Tests/Interop/fuzz_corpus.jsonl

A standalone broker advertises a recording proxy as its address, so every connection of every client goes
through the proxy; each client-to-broker frame is written as one JSON line (api key, version, hex bytes of the
frame without its size prefix), in the order the proxy saw them. The clients: confluent-kafka (admin, an
idempotent producer with each codec, a plain acks=all producer, a group consumer that commits) and
kafka-python (producer and group consumer), against the topics the fuzzer later writes its witness records to.
Destructive admin requests (DeleteTopics, DeleteRecords, DeleteGroups) are not captured: a mutated one may
legitimately delete acknowledged records.
"""
import json
import socket
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import BrokerProcess, free_port  # noqa: E402

TOPICS = {"fuzz-a": 1, "fuzz-b": 3}


class RecordingProxy:
    """Forwards 127.0.0.1:port to the broker and keeps every complete client-to-broker frame."""

    def __init__(self, target_port: int, port: int):
        self.target_port = target_port
        self.frames: list[bytes] = []
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.settimeout(0.2)
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopping:
            try:
                client, _ = self.listener.accept()
            except OSError:
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            threading.Thread(target=self._client_to_broker, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _client_to_broker(self, client: socket.socket, upstream: socket.socket) -> None:
        pending = b""
        try:
            while data := client.recv(65536):
                upstream.sendall(data)
                pending += data
                while len(pending) >= 4:
                    size = struct.unpack(">i", pending[:4])[0]
                    if len(pending) < 4 + size:
                        break
                    with self.lock:
                        self.frames.append(pending[4:4 + size])
                    pending = pending[4 + size:]
        except OSError:
            pass
        finally:
            upstream.close()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            sink.close()

    def stop(self) -> None:
        self.stopping = True
        self.listener.close()


def drive_confluent(bootstrap: str) -> None:
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(t, n, 1) for t, n in TOPICS.items()]).values():
        future.result(timeout=20)
    for future in admin.describe_configs([ConfigResource("topic", "fuzz-a")]).values():
        future.result(timeout=20)
    admin.list_consumer_groups().result(timeout=10)

    for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
        producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                             "compression.type": codec, "linger.ms": 5})
        for index in range(20):
            topic = "fuzz-a" if index % 2 == 0 else "fuzz-b"
            producer.produce(topic, key=f"k{index}".encode(), value=f"{codec}-{index}".encode() * 3,
                             headers=[("h", b"v")] if index % 3 == 0 else None)
        assert producer.flush(20) == 0
    plain = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": False})
    for index in range(10):
        plain.produce("fuzz-b", value=f"plain-{index}".encode(), partition=index % 3)
    assert plain.flush(20) == 0

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "fuzz-group", "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.subscribe(list(TOPICS))
    seen = 0
    deadline = time.monotonic() + 30
    while seen < 110 and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is not None and message.error() is None:
            seen += 1
            if seen % 25 == 0:
                consumer.commit(asynchronous=False)
    consumer.commit(asynchronous=False)
    consumer.close()


def drive_kafka_python(bootstrap: str) -> None:
    from kafka import KafkaConsumer, KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for index in range(10):
        producer.send("fuzz-a", key=b"kp", value=f"kafka-python-{index}".encode()).get(timeout=20)
    producer.close(timeout=10)
    consumer = KafkaConsumer("fuzz-a", bootstrap_servers=bootstrap, group_id="fuzz-group-kp",
                             auto_offset_reset="earliest", consumer_timeout_ms=3000)
    for _ in consumer:
        pass
    consumer.commit()
    consumer.close()


def frame_summary(frame: bytes) -> dict:
    api_key, version = struct.unpack(">hh", frame[:4])
    return {"api_key": api_key, "version": version, "hex": frame.hex()}


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as directory:
        proxy_port = free_port()
        broker = BrokerProcess(Path(directory), {"advertised.listeners": f"PLAINTEXT://127.0.0.1:{proxy_port}"})
        proxy = RecordingProxy(broker.port, proxy_port)
        broker.start()
        try:
            bootstrap = f"127.0.0.1:{proxy_port}"
            drive_confluent(bootstrap)
            drive_kafka_python(bootstrap)
        finally:
            broker.cleanup()
            proxy.stop()
    destructive = {20, 21, 42}
    frames = [f for f in proxy.frames if struct.unpack(">h", f[:2])[0] not in destructive]
    out.write_text("".join(json.dumps(frame_summary(f)) + "\n" for f in frames))
    kinds = sorted({(struct.unpack(">h", f[:2])[0], struct.unpack(">h", f[2:4])[0]) for f in frames})
    print(f"{len(frames)} frames, (api key, version): {kinds}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
