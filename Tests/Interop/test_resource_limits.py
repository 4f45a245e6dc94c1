"""Resource limits: a broker refuses at request time what it could not keep open, keeps working with
many partitions under a low descriptor limit, and never calls a hosted partition unknown right after
a restart.

The brokers here run with RLIMIT_NOFILE lowered to 512 (stock systems often have 1024), so that a
topic of 300 partitions (600 segment files) is already more than a broker holding every segment file
open could manage.
"""
import re
import resource
import socket
import struct
import subprocess
import time

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic, OffsetSpec

from conftest import SAMSA, BrokerProcess, unique_topic, wait_for_port

FD_LIMIT = 512
UNKNOWN_TOPIC_OR_PARTITION = 3


class LimitedBroker(BrokerProcess):
    """A standalone broker whose process may open at most FD_LIMIT descriptors."""

    def start(self) -> None:
        self.starts += 1
        log = open(self.workdir / f"broker-{self.starts}.log", "wb")

        def lower_limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))

        self.process = subprocess.Popen([SAMSA, "broker", "--config", str(self.config)], stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=lower_limit)
        wait_for_port(self.port, process=self.process)


@pytest.fixture
def limited_broker(tmp_path):
    workdir = tmp_path / "limited"
    workdir.mkdir()
    broker = LimitedBroker(workdir)
    broker.start()
    yield broker
    broker.cleanup()


def admin(broker) -> AdminClient:
    return AdminClient({"bootstrap.servers": broker.bootstrap})


def create(broker, name: str, partitions: int) -> None:
    client = admin(broker)  # kept alive until the answer arrives
    futures = client.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)],
                                   operation_timeout=30, request_timeout=30)
    futures[name].result(timeout=40)


def latest_offsets(broker, topic: str, partitions: int) -> dict[int, int]:
    client = admin(broker)  # kept alive until the answers arrive
    futures = client.list_offsets({TopicPartition(topic, p): OffsetSpec.latest() for p in range(partitions)},
                                  request_timeout=30)
    return {tp.partition: future.result(timeout=40).offset for tp, future in futures.items()}


def round_trip(broker, topic: str) -> None:
    """Creates a small topic, produces one record and reads it back."""
    create(broker, topic, 1)
    producer = Producer({"bootstrap.servers": broker.bootstrap, "message.timeout.ms": 15000})
    producer.produce(topic, value=b"still serving")
    assert producer.flush(20) == 0
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": unique_topic("g"),
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                assert message.value() == b"still serving"
                return
        raise AssertionError("the record produced after the refusal was not read back")
    finally:
        consumer.close()


def test_oversized_create_topics_is_refused_and_the_broker_keeps_serving(limited_broker):
    for partitions in (12_000, 65_536):
        name = unique_topic("big")
        with pytest.raises(KafkaException) as refused:
            create(limited_broker, name, partitions)
        error = refused.value.args[0]
        assert error.code() == KafkaError.INVALID_PARTITIONS, error
        assert "samsa.max.partitions.per.topic" in error.str(), error
    cli = subprocess.run([SAMSA, "topics", "create", "big", "--partitions", "12000", "--bootstrap", limited_broker.bootstrap],
                         capture_output=True, text=True, timeout=30)
    assert cli.returncode != 0
    assert "INVALID_PARTITIONS" in cli.stderr and "samsa.max.partitions.per.topic" in cli.stderr, cli.stderr
    round_trip(limited_broker, unique_topic("after"))
    assert "Too many open files" not in limited_broker.log_text()


def test_per_broker_limit_answers_policy_violation(tmp_path):
    workdir = tmp_path / "capped"
    workdir.mkdir()
    broker = LimitedBroker(workdir, {"samsa.max.partitions.per.broker": "100"})
    try:
        broker.start()
        create(broker, "first", 60)
        with pytest.raises(KafkaException) as refused:
            create(broker, "second", 60)
        error = refused.value.args[0]
        assert error.code() == KafkaError.POLICY_VIOLATION, error
        assert "samsa.max.partitions.per.broker" in error.str(), error
        round_trip(broker, "third")
    finally:
        broker.cleanup()


def test_many_partitions_work_under_a_low_descriptor_limit_and_survive_a_restart(limited_broker):
    partitions = 300
    topic = unique_topic("wide")
    create(limited_broker, topic, partitions)
    producer = Producer({"bootstrap.servers": limited_broker.bootstrap, "message.timeout.ms": 30000, "linger.ms": 5})
    for partition in range(partitions):
        producer.produce(topic, value=f"r{partition}".encode(), partition=partition)
    assert producer.flush(60) == 0
    assert latest_offsets(limited_broker, topic, partitions) == {p: 1 for p in range(partitions)}

    started = time.monotonic()
    assert limited_broker.terminate(timeout=30) == 0
    assert time.monotonic() - started < 15, "SIGTERM was not prompt"
    limited_broker.start()
    assert latest_offsets(limited_broker, topic, partitions) == {p: 1 for p in range(partitions)}
    producer = Producer({"bootstrap.servers": limited_broker.bootstrap, "message.timeout.ms": 30000, "linger.ms": 5})
    for partition in range(partitions):
        producer.produce(topic, value=f"s{partition}".encode(), partition=partition)
    assert producer.flush(60) == 0
    assert latest_offsets(limited_broker, topic, partitions) == {p: 2 for p in range(partitions)}
    assert "Too many open files" not in limited_broker.log_text()


def list_offsets_v1(port: int, topic: str, partitions: int, timeout: float = 20.0) -> dict[int, tuple[int, int]]:
    """One raw ListOffsets v1 (latest) on a fresh connection, sent as soon as the port accepts a
    connection: {partition: (error code, offset)}."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.005)
    with sock:
        sock.settimeout(timeout)
        name = topic.encode()
        body = struct.pack(">i", -1) + struct.pack(">i", 1) + struct.pack(">h", len(name)) + name
        body += struct.pack(">i", partitions)
        for partition in range(partitions):
            body += struct.pack(">iq", partition, -1)
        client = b"limits-test"
        header = struct.pack(">hhih", 2, 1, 7, len(client)) + client
        frame = header + body
        sock.sendall(struct.pack(">i", len(frame)) + frame)
        size = struct.unpack(">i", receive(sock, 4))[0]
        data = receive(sock, size)
    position = 4  # correlation id
    (topics,) = struct.unpack_from(">i", data, position)
    position += 4
    answers = {}
    for _ in range(topics):
        (length,) = struct.unpack_from(">h", data, position)
        position += 2 + length
        (count,) = struct.unpack_from(">i", data, position)
        position += 4
        for _ in range(count):
            partition, error, _timestamp, offset = struct.unpack_from(">ihqq", data, position)
            position += 22
            answers[partition] = (error, offset)
    return answers


def receive(sock: socket.socket, size: int) -> bytes:
    chunks = b""
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        chunks += chunk
    return chunks


def test_list_offsets_right_after_kill9_restart_never_answers_unknown_partition(broker_factory):
    broker = broker_factory()
    partitions = 100
    topic = unique_topic("restart")
    create(broker, topic, partitions)
    producer = Producer({"bootstrap.servers": broker.bootstrap, "message.timeout.ms": 30000, "linger.ms": 5})
    for partition in range(partitions):
        producer.produce(topic, value=b"x", partition=partition)
    assert producer.flush(30) == 0
    for restart in range(3):
        broker.kill9()
        log = open(broker.workdir / f"broker-restart-{restart}.log", "wb")
        broker.process = subprocess.Popen([SAMSA, "broker", "--config", str(broker.config)], stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        answers = list_offsets_v1(broker.port, topic, partitions)
        unknown = sorted(p for p, (error, _) in answers.items() if error == UNKNOWN_TOPIC_OR_PARTITION)
        assert not unknown, f"restart {restart}: UNKNOWN_TOPIC_OR_PARTITION for {len(unknown)} hosted partition(s)"
        assert answers == {p: (0, 1) for p in range(partitions)}, f"restart {restart}: {answers}"


def test_listener_survives_running_out_of_descriptors(limited_broker):
    """Connections past the descriptor limit make accept fail with EMFILE: the listener reports it
    once, keeps running, and serves again once the connections are gone."""
    clients = []
    try:
        for _ in range(FD_LIMIT + 8):
            clients.append(socket.create_connection(("127.0.0.1", limited_broker.port), timeout=5))
        deadline = time.monotonic() + 10
        while "cannot accept connections" not in limited_broker.log_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # a few more failed accepts, which must not be logged again
    finally:
        for client in clients:
            client.close()
    round_trip(limited_broker, unique_topic("recovered"))
    log = limited_broker.log_text()
    assert log.count("cannot accept connections") == 1, log[-2000:]
    recovered = re.search(r"accepting connections again after (\d+) failed accept", log)
    assert recovered, log[-2000:]
    assert int(recovered.group(1)) < 100, "the listener retried accept without backing off"
    assert limited_broker.process.poll() is None
