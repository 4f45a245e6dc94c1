"""Replication on a real 3-broker cluster (ZooKeeper + `samsa broker` processes), driven with
confluent-kafka: leader failover without loss, ISR shrink and expand, min.insync.replicas, controlled
shutdown, controller failover, and an unsafe setting that really loses acknowledged records."""
import re
import signal
import socket
import struct
import threading
import time
import urllib.request

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

from conftest import unique_topic


class RecordingProducer:
    """Produces unique values to one partition and records which were acknowledged and where."""

    def __init__(self, bootstrap: str, topic: str, acks: str = "all", partition: int = 0, **config):
        self.topic = topic
        self.partition = partition
        self.producer = Producer({"bootstrap.servers": bootstrap, "acks": acks, "linger.ms": 1,
                                  "message.timeout.ms": 30000, "retry.backoff.ms": 50, **config})
        self.acked: dict[bytes, int] = {}
        self.ack_times: list[float] = []
        self.errors: list[KafkaError] = []
        self.sent = 0

    def _report(self, error, message):
        if error is None:
            self.acked[message.value()] = message.offset()
            self.ack_times.append(time.monotonic())
        else:
            self.errors.append(error)

    def send(self, count: int, prefix: str = "v", pause: float = 0.0) -> None:
        for _ in range(count):
            self.producer.produce(self.topic, value=f"{prefix}-{self.sent}".encode(), partition=self.partition, on_delivery=self._report)
            self.sent += 1
            self.producer.poll(0)
            if pause:
                time.sleep(pause)

    def flush(self, timeout: float = 60) -> None:
        assert self.producer.flush(timeout) == 0


def read_partition(bootstrap: str, topic: str, partition: int = 0, idle: float = 3.0, timeout: float = 60) -> dict[bytes, int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, partition, 0)])
    values: dict[bytes, int] = {}
    deadline = time.monotonic() + timeout
    last = time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - last < idle:
        message = consumer.poll(0.2)
        if message is None or message.error() is not None:
            continue
        values[message.value()] = message.offset()
        last = time.monotonic()
    consumer.close()
    return values


def check_latency_histograms(lab, leader: int) -> None:
    """The leader's /metrics has Kafka's TotalTimeMs per request as Prometheus histograms: acks=all
    produces, and the followers' fetches (replication) apart from consumers'."""
    body = urllib.request.urlopen(f"http://127.0.0.1:{lab.base_port + 100 + leader - 1}/metrics", timeout=5).read().decode()
    assert "# TYPE kafka_network_requestmetrics_totaltimems histogram" in body
    for request in ("Produce", "FetchFollower"):
        buckets = [(m.group(1), int(m.group(2))) for m in re.finditer(
            rf'kafka_network_requestmetrics_totaltimems_bucket{{broker="{leader}",request="{request}",le="([^"]+)"}} (\d+)', body)]
        assert buckets and buckets[-1][0] == "+Inf", f"{request}: {buckets}"
        counts = [c for _, c in buckets]
        assert counts == sorted(counts) and counts[-1] > 0, f"{request} buckets are cumulative: {buckets}"
        count = re.search(rf'kafka_network_requestmetrics_totaltimems_count{{broker="{leader}",request="{request}"}} (\d+)', body)
        assert count and int(count.group(1)) == counts[-1]


def test_leader_kill_fails_over_without_losing_acknowledged_records(lab_factory):
    lab = lab_factory(3)
    topic = unique_topic("failover")
    lab.create_topic(topic, config={"min.insync.replicas": "2"})
    old = lab.partition(topic)
    producer = RecordingProducer(lab.bootstrap, topic)
    stop = threading.Event()
    sender = threading.Thread(target=lambda: [producer.send(20, pause=0.002) for _ in iter(stop.is_set, True)])
    sender.start()
    time.sleep(2)
    check_latency_histograms(lab, old.leader)
    killed_at = time.monotonic()
    lab.kill9(old.leader)
    new = lab.wait_for(lambda: (p := lab.partition(topic)).leader not in (-1, old.leader) and p, 15, "a new leader")
    time.sleep(3)
    stop.set()
    sender.join(30)
    producer.flush()
    assert new.leader in new.isrs and old.leader not in new.isrs
    after = [t for t in producer.ack_times if t > killed_at]
    assert after, "the producer continued after the failover"
    print(f"failover: first acknowledged write {after[0] - killed_at:.3f} s after kill -9")
    read = read_partition(lab.bootstrap, topic)
    lost = [v for v in producer.acked if v not in read]
    assert not lost, f"{len(lost)} acknowledged records lost, e.g. {lost[:5]}"
    for value, offset in producer.acked.items():
        assert read[value] == offset
    elected = [e for e in lab.all_events() if e["event"] == "became_leader" and e.get("topic") == topic]
    epochs = [e["leader_epoch"] for e in elected]
    assert epochs == sorted(epochs) and len(set(epochs)) == len(epochs), "one leader per epoch, epochs grow"


def test_follower_crash_shrinks_isr_and_restart_expands_it(lab_factory):
    lab = lab_factory(3)
    topic = unique_topic("isr")
    lab.create_topic(topic)
    state = lab.partition(topic)
    follower = next(r for r in state.replicas if r != state.leader)
    producer = RecordingProducer(lab.bootstrap, topic, acks="1")
    producer.send(100)
    producer.flush()
    lab.kill9(follower)
    shrunk = lab.wait_for(lambda: follower not in (p := lab.partition(topic)).isrs and p, 20, "ISR shrink")
    assert shrunk.leader == state.leader
    metrics = lab.wait_for(lambda: (m := lab.metrics(state.leader))["kafka_server_replicamanager_underreplicatedpartitions"] >= 1 and m,
                           10, "UnderReplicatedPartitions")
    assert metrics["kafka_server_replicamanager_isrshrinks_total"] >= 1
    producer.send(100)
    producer.flush()
    lab.restart(follower)
    lab.wait_for(lambda: follower in lab.partition(topic).isrs, 30, "ISR expand")
    kinds = [e["event"] for e in lab.events(state.leader) if e.get("topic") == topic]
    assert "isr_shrink" in kinds and "isr_expand" in kinds
    assert kinds.index("isr_shrink") < len(kinds) - 1 - kinds[::-1].index("isr_expand")
    assert lab.metrics(state.leader)["kafka_server_replicamanager_isrexpands_total"] >= 1


def test_min_insync_replicas_rejects_acks_all_but_not_acks_1(lab_factory):
    lab = lab_factory(3)
    topic = unique_topic("minisr")
    lab.create_topic(topic, config={"min.insync.replicas": "2"})
    state = lab.partition(topic)
    followers = [r for r in state.replicas if r != state.leader]
    for follower in followers:
        lab.kill9(follower)
    lab.wait_for(lambda: lab.partition(topic).isrs == [state.leader], 20, "ISR = leader only")
    strict = RecordingProducer(lab.bootstrap, topic, acks="all", **{"message.timeout.ms": 3000, "retries": 0})
    strict.send(5)
    strict.flush(20)
    assert not strict.acked
    assert strict.errors and all(e.code() == KafkaError.NOT_ENOUGH_REPLICAS for e in strict.errors), strict.errors
    relaxed = RecordingProducer(lab.bootstrap, topic, acks="1")
    relaxed.send(5)
    relaxed.flush(20)
    assert len(relaxed.acked) == 5 and not relaxed.errors


def test_sigterm_moves_leadership_before_exit(lab_factory):
    lab = lab_factory(3)
    topic = unique_topic("controlled")
    lab.create_topic(topic, config={"min.insync.replicas": "2"})
    state = lab.partition(topic)
    producer = RecordingProducer(lab.bootstrap, topic)
    stop = threading.Event()
    sender = threading.Thread(target=lambda: [producer.send(20, pause=0.002) for _ in iter(stop.is_set, True)])
    sender.start()
    time.sleep(1.5)
    lab.terminate(state.leader)
    time.sleep(2)
    stop.set()
    sender.join(30)
    producer.flush()
    stopped = [e["time_ns"] for e in lab.events(state.leader) if e["event"] == "stopped"]
    took_over = [e["time_ns"] for e in lab.all_events()
                 if e["event"] == "became_leader" and e.get("topic") == topic and e["broker"] != state.leader]
    assert stopped and took_over and took_over[0] < stopped[-1], "another broker led the partition before the old leader stopped"
    assert "controlled shutdown: leadership moved" in lab.log(state.leader)
    read = read_partition(lab.bootstrap, topic)
    assert not [v for v in producer.acked if v not in read]


def test_every_broker_reports_the_cluster_id_kept_in_zookeeper(lab_factory):
    """Kafka's /cluster/id: created once, the same from every broker, and kept across restarts."""
    from labcluster import MetadataReader
    lab = lab_factory(3)
    ids = {MetadataReader.request(lab.base_port + b - 1, [], 5)["cluster_id"] for b in (1, 2, 3)}
    assert len(ids) == 1 and None not in ids and "" not in ids, ids
    lab.kill9(2)
    lab.restart(2)
    lab.wait_for(lambda: MetadataReader.request(lab.base_port + 1, [], 2)["cluster_id"], 30, "broker 2 back")
    assert MetadataReader.request(lab.base_port + 1, [], 5)["cluster_id"] in ids


def test_controller_failover_and_later_elections(lab_factory):
    lab = lab_factory(3)
    first = lab.controller()
    lab.kill9(first)
    second = lab.wait_for(lambda: (c := lab.controller()) not in (-1, first) and c, 20, "a new controller")
    assert any(e["event"] == "controller_elected" for e in lab.events(second))
    topic = unique_topic("after-controller")
    lab.create_topic(topic, replication=2)
    state = lab.wait_for(lambda: (p := lab.partition(topic)).leader >= 0 and p, 20, "a leader for the new topic")
    victim = state.leader
    if victim == second:
        return
    lab.kill9(victim)
    lab.wait_for(lambda: lab.partition(topic).leader not in (-1, victim), 20, "re-election by the new controller")


def test_acks_1_loses_acknowledged_records_when_an_unreplicated_leader_dies(lab_factory):
    """Kafka's known unsafe setting: with acks=1, records acknowledged by the leader alone die with it.
    The followers are paused (shorter than the ZooKeeper session and the ISR lag time, so they stay in
    the ISR), the leader acknowledges writes, is killed, the followers resume and one is elected."""
    lab = lab_factory(3)
    topic = unique_topic("unsafe")
    lab.create_topic(topic)
    state = lab.partition(topic)
    followers = [r for r in state.replicas if r != state.leader]
    replicated = RecordingProducer(lab.bootstrap, topic, acks="all")
    replicated.send(50, prefix="replicated")
    replicated.flush()
    producer = RecordingProducer(lab.bootstrap, topic, acks="1")
    producer.send(1, prefix="warm")  # metadata and the leader connection before any broker stops
    producer.flush(10)
    for follower in followers:
        lab.signal(follower, signal.SIGSTOP)
    # Many small batches: a follower's fetch already in flight may still carry the first ones (as
    # TCP would deliver them after the pause), but no follower fetches the rest.
    producer.send(100, pause=0.003)
    producer.flush(10)
    lab.kill9(state.leader)
    for follower in followers:
        lab.signal(follower, signal.SIGCONT)
    lab.wait_for(lambda: lab.partition(topic).leader in followers, 20, "a follower elected")
    read = read_partition(lab.bootstrap, topic)
    lost = [v for v in producer.acked if v not in read]
    print(f"acks=1: {len(producer.acked)} acknowledged, {len(lost)} lost")
    assert lost, "acknowledged acks=1 records written while the followers were paused must be lost"
    assert all(v in read for v in replicated.acked), "records acknowledged by every replica survive"
    truncated = [e for e in lab.all_events() if e["event"] == "truncate" and e.get("topic") == topic]
    assert not truncated or all(e["broker"] != state.leader for e in truncated)


def test_offline_partition_is_reported_and_comes_back(lab_factory):
    lab = lab_factory(3)
    topic = unique_topic("offline")
    lab.create_topic(topic, replication=1)
    owner = lab.partition(topic).leader
    controller = lab.controller()
    if owner == controller:
        return self_check_skipped_owner_is_controller(lab, topic, owner)
    producer = RecordingProducer(lab.bootstrap, topic, acks="all")
    producer.send(10)
    producer.flush()
    lab.kill9(owner)
    lab.wait_for(lambda: lab.partition(topic).leader == -1, 20, "partition offline")
    assert lab.partition(topic).error != 0, "an offline partition carries an error code"
    lab.wait_for(lambda: lab.metrics(controller)["kafka_controller_kafkacontroller_offlinepartitionscount"] == 1, 10, "OfflinePartitionsCount")
    lab.restart(owner)
    lab.wait_for(lambda: lab.partition(topic).leader == owner, 30, "partition back online")
    assert len(read_partition(lab.bootstrap, topic)) == 10


def self_check_skipped_owner_is_controller(lab, topic, owner):
    """When the only replica's broker is also the controller, killing it moves the controller too;
    the offline report then comes from the new controller."""
    lab.kill9(owner)
    lab.wait_for(lambda: lab.partition(topic).leader == -1, 30, "partition offline")
    new_controller = lab.wait_for(lambda: (c := lab.controller()) not in (-1, owner) and c, 20, "new controller")
    lab.wait_for(lambda: lab.metrics(new_controller)["kafka_controller_kafkacontroller_offlinepartitionscount"] == 1, 10, "OfflinePartitionsCount")


def test_preferred_leader_is_restored_after_restart(lab_factory):
    lab = lab_factory(3, {"leader.imbalance.check.interval.seconds": "2", "leader.imbalance.per.broker.percentage": "0"})
    topic = unique_topic("preferred")
    lab.create_topic(topic)
    preferred = lab.partition(topic).replicas[0]
    lab.kill9(preferred)
    lab.wait_for(lambda: lab.partition(topic).leader not in (-1, preferred), 20, "failover")
    lab.restart(preferred)
    lab.wait_for(lambda: preferred in lab.partition(topic).isrs, 30, "preferred replica back in the ISR")
    lab.wait_for(lambda: lab.partition(topic).leader == preferred, 30, "preferred leader restored")


def test_unclean_election_loses_records_and_clean_election_keeps_partition_offline(lab_factory):
    """min ISR 1: the leader alone acknowledges acks=all writes while its followers are down; it dies;
    the followers come back. With unclean election one of them leads and the records are gone;
    without it the partition stays offline rather than lose them."""
    lab = lab_factory(3)
    for unclean in ("true", "false"):
        topic = unique_topic(f"unclean-{unclean}")
        lab.create_topic(topic, config={"min.insync.replicas": "1", "unclean.leader.election.enable": unclean})
        state = lab.partition(topic)
        followers = [r for r in state.replicas if r != state.leader]
        for follower in followers:
            lab.kill9(follower)
        lab.wait_for(lambda: lab.partition(topic).isrs == [state.leader], 20, "ISR = leader")
        producer = RecordingProducer(lab.bootstrap, topic, acks="all")
        producer.send(20)
        producer.flush()
        assert len(producer.acked) == 20
        lab.kill9(state.leader)
        for follower in followers:
            lab.restart(follower)
        if unclean == "true":
            lab.wait_for(lambda: lab.partition(topic).leader in followers, 30, "unclean election")
            read = read_partition(lab.bootstrap, topic)
            assert not [v for v in read if v in producer.acked]
            assert any(e["event"] == "unclean_election" and e.get("topic") == topic for e in lab.all_events())
        else:
            time.sleep(3)
            assert lab.partition(topic).leader == -1, "clean election leaves the partition offline"
            lab.restart(state.leader)
            lab.wait_for(lambda: lab.partition(topic).leader == state.leader, 30, "old leader back")
            assert all(v in read_partition(lab.bootstrap, topic) for v in producer.acked)
        for broker in range(1, 4):
            if broker not in lab.restarted or lab.restarted[broker].poll() is not None:
                if not alive_broker(lab, broker):
                    lab.restart(broker)
        lab.wait_for(lambda: len(lab.admin().list_topics(timeout=5).brokers) == 3, 30, "all brokers back")


def alive_broker(lab, broker: int) -> bool:
    from labcluster import alive
    try:
        return alive(lab.pid(broker))
    except KeyError:
        return False


def test_a_restarted_broker_answers_clients_only_with_the_cluster_view(lab_factory):
    """From the moment a restarted broker accepts connections, a Metadata answer lists every live
    broker: one sent before the controller's first UpdateMetadata would list none, and librdkafka
    drops its connection to every broker missing from an answer."""
    from labcluster import MetadataReader
    lab = lab_factory(3)
    topic = unique_topic("restart-view")
    lab.create_topic(topic)
    lab.kill9(2)
    lab.wait_for(lambda: lab.partition(topic).leader != 2, 30, "leadership off broker 2")
    lab.restart(2)
    answers = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(answers) < 3:
        try:
            answers.append(MetadataReader.request(lab.base_port + 1, [topic], 10))
        except OSError:
            time.sleep(0.005)
    assert answers, "the restarted broker never answered"
    assert [a["brokers"] for a in answers] == [[1, 2, 3]] * len(answers), answers
    assert all(a["topics"][topic][0] == 0 for a in answers), answers



def _crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def _varint(value: int) -> bytes:
    value = (value << 1) ^ (value >> 63)
    out = b""
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def _produce_v3(correlation: int, topic: str, value: bytes) -> bytes:
    """A Produce v3 request, acks=all, carrying one RecordBatch v2 with one record."""
    record = b"\x00" + _varint(0) + _varint(0) + _varint(-1) + _varint(len(value)) + value + _varint(0)
    record = _varint(len(record)) + record
    now = int(time.time() * 1000)
    after_crc = struct.pack(">hiqqqhii", 0, 0, now, now, -1, -1, -1, 1) + record
    batch_tail = struct.pack(">ibI", -1, 2, _crc32c(after_crc)) + after_crc
    batch = struct.pack(">qi", 0, len(batch_tail)) + batch_tail
    body = struct.pack(">hhi", -1, -1, 10000) + struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic.encode()
    body += struct.pack(">i", 1) + struct.pack(">i", 0) + struct.pack(">i", len(batch)) + batch
    header = struct.pack(">hhih", 0, 3, correlation, 4) + b"test"
    return struct.pack(">i", len(header) + len(body)) + header + body


def test_pipelined_requests_on_one_connection_are_answered_in_order(lab_factory):
    """Answers leave in request order, whatever each request waits for: five acks=all Produce
    requests (each waits for replication), then Metadata and ApiVersions (answered at once), sent back
    to back on one connection to the leader."""
    from labcluster import MetadataReader
    lab = lab_factory(3)
    topic = unique_topic("pipeline")
    lab.create_topic(topic, config={"min.insync.replicas": "2"})
    leader = lab.partition(topic).leader
    metadata = struct.pack(">hhih", 3, 1, 6, 4) + b"test" + struct.pack(">i", 0)
    versions = struct.pack(">hhih", 18, 0, 7, 4) + b"test"
    payload = b"".join(_produce_v3(c, topic, f"v{c}".encode()) for c in range(1, 6))
    payload += struct.pack(">i", len(metadata)) + metadata + struct.pack(">i", len(versions)) + versions
    with socket.create_connection(("127.0.0.1", lab.base_port + leader - 1), timeout=20) as s:
        s.sendall(payload)
        data = b""
        answers = []
        while len(answers) < 7:
            chunk = s.recv(65536)
            assert chunk, f"connection closed after {len(answers)} answers"
            data += chunk
            while len(data) >= 4 and len(data) >= 4 + struct.unpack(">i", data[:4])[0]:
                size = struct.unpack(">i", data[:4])[0]
                answers.append(data[4:4 + size])
                data = data[4 + size:]
    assert [struct.unpack(">i", a[:4])[0] for a in answers] == [1, 2, 3, 4, 5, 6, 7]
    offsets = []
    for answer in answers[:5]:
        r = MetadataReader(answer[4:])
        r.array(lambda: (r.string(), r.array(lambda: offsets.append(r.take(">ihqq")))))
    assert [o[1] for o in offsets] == [0] * 5, offsets
    assert [o[2] for o in offsets] == sorted(o[2] for o in offsets) and len({o[2] for o in offsets}) == 5, offsets
    read = read_partition(lab.bootstrap, topic)
    assert sorted(read, key=read.get) == [f"v{c}".encode() for c in range(1, 6)], read
