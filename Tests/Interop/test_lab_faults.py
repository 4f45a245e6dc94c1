"""Every fault of the lab, injected from a second process with `samsa fault` against a running
`samsa cluster up`, and measured from outside: through the timeline, the cluster's metadata and
round trips over the proxied links."""
import json
import os
import socket
import struct
import subprocess
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from conftest import SAMSA, unique_topic

FAST_ISR = {"replica.lag.time.max.ms": "1500"}


def produce_some(lab, topic, count=20):
    producer = Producer({"bootstrap.servers": lab.bootstrap, "acks": "1"})
    for i in range(count):
        producer.produce(topic, value=f"x{i}".encode(), partition=0)
    producer.flush(20)


def events(lab, kind, topic=None, after_ns=0):
    return [r for r in lab.timeline() if r["kind"] == "broker_event" and r.get("event") == kind
            and (topic is None or r.get("topic") == topic) and r["time_ns"] >= after_ns]


def test_partitioning_the_leader_from_its_followers_shrinks_then_heal_expands_the_isr(lab_factory):
    lab = lab_factory(3, FAST_ISR)
    topic = unique_topic("part")
    lab.create_topic(topic)
    produce_some(lab, topic)
    leader = lab.partition(topic).leader
    followers = " ".join(str(b) for b in (1, 2, 3) if b != leader)
    started = time.time_ns()
    answer = lab.fault("partition", f"{leader} | {followers}")
    assert sorted(answer["fault"]["links"]) == sorted([f"{leader}->{f}" for f in followers.split()] + [f"{f}->{leader}" for f in followers.split()])
    lab.wait_for(lambda: events(lab, "isr_shrink", topic, started), 20, "ISR shrink in the timeline")
    lab.wait_for(lambda: lab.partition(topic).isrs == [leader], 10, "ISR = leader")
    healed = time.time_ns()
    lab.fault("heal")
    lab.wait_for(lambda: events(lab, "isr_expand", topic, healed), 20, "ISR expand in the timeline after heal")
    faults = [r for r in lab.timeline() if r["kind"] == "fault"]
    assert any(f["action"] == "start" and f["fault"] == "partition" for f in faults)
    assert any(f["action"] == "end" and f["fault"] == "partition" for f in faults)
    # The record carries the command as a value, beside its text.
    groups = [[{"kind": "broker", "broker": leader}], [{"kind": "broker", "broker": int(f)} for f in followers.split()]]
    started_records = [f for f in faults if f["action"] == "start" and f["fault"] == "partition"]
    assert started_records[0]["command"] == {"fault": "partition", "groups": groups}, started_records[0]
    assert started_records[0]["description"] == f"partition {leader} | {followers}"


def test_isolating_the_leader_from_zookeeper_moves_leadership(lab_factory):
    lab = lab_factory(3)
    topic = unique_topic("zkiso")
    lab.create_topic(topic)
    leader = lab.partition(topic).leader
    answer = lab.fault("isolate-zk", f"leader_of {topic}/0")
    assert answer["fault"]["brokers"] == [leader], "leader_of resolved to the leader"
    assert answer["fault"]["links"] == {f"{leader}->zk": "blackhole"}
    new = lab.wait_for(lambda: (p := lab.partition(topic)).leader not in (-1, leader) and p, 20, "leadership moved")
    assert new.leader != leader
    lab.fault("heal")


def test_pausing_a_follower_shrinks_the_isr_and_resume_restores_it(lab_factory):
    lab = lab_factory(3, {**FAST_ISR, "zookeeper.session.timeout.ms": "10000"})
    topic = unique_topic("pause")
    lab.create_topic(topic)
    state = lab.partition(topic)
    follower = next(r for r in state.replicas if r != state.leader)
    produce_some(lab, topic)
    lab.fault("pause", str(follower))
    assert lab.status()["processes"][follower]["state"] == "paused"
    lab.wait_for(lambda: follower not in lab.partition(topic).isrs, 20, "the paused follower left the ISR")
    lab.fault("resume", str(follower))
    lab.wait_for(lambda: follower in lab.partition(topic).isrs, 30, "the resumed follower rejoined the ISR")


def metadata_round_trip_ms(port: int) -> float:
    """One Metadata v1 request over a fresh connection to a client proxy port."""
    body = struct.pack(">hhih", 3, 1, 1, 1) + b"t" + struct.pack(">i", 0)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        started = time.monotonic()
        s.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", s.recv(4))[0]
        data = b""
        while len(data) < size:
            data += s.recv(size - len(data))
        return (time.monotonic() - started) * 1000


def test_slow_adds_latency_on_that_brokers_links_only(lab_factory):
    lab = lab_factory(3)
    base = lab.base_port
    before = min(metadata_round_trip_ms(base + 2) for _ in range(3))
    lab.fault("slow", "3", "--latency", "300ms", "--jitter", "20ms")
    slowed = min(metadata_round_trip_ms(base + 2) for _ in range(3))
    other = min(metadata_round_trip_ms(base) for _ in range(3))
    assert slowed >= 300, f"round trip to broker 3 took {slowed:.0f} ms"
    assert other < 150, f"round trip to broker 1 took {other:.0f} ms"
    assert before < 150
    lab.fault("heal")
    assert min(metadata_round_trip_ms(base + 2) for _ in range(3)) < 150
    # One stream only, as a Toxiproxy toxic: the requests clients send broker 3, not its replication.
    answer = lab.fault("slow", "clients", "->", "3", "--latency", "300ms")
    assert answer["fault"]["links"] == {"clients->3": "forward: delay 300ms"}, answer
    assert min(metadata_round_trip_ms(base + 2) for _ in range(3)) >= 300
    assert min(metadata_round_trip_ms(base) for _ in range(3)) < 150
    lab.fault("heal")
    answer = lab.fault("slow", "2->1", "--latency", "200ms")
    assert answer["fault"]["links"] == {"2->1": "forward: delay 200ms", "1->2": "backward: delay 200ms"}, answer
    lab.fault("heal")


def log_end_offset(lab, broker, topic):
    """The partition's LEO read from the broker's metrics endpoint, which the proxies do not carry."""
    import urllib.request
    body = urllib.request.urlopen(f"http://127.0.0.1:{lab.base_port + 100 + broker - 1}/metrics", timeout=5).read().decode()
    for line in body.splitlines():
        if line.startswith("samsa_partition_log_end_offset{") and f'topic="{topic}"' in line:
            return int(line.rsplit(" ", 1)[1])
    return None


def test_one_way_partition_blocks_exactly_one_direction(lab_factory):
    """clients -> B drops requests (the log does not grow, nothing is acknowledged); B -> clients drops
    only the answers (the log grows, the producer still hears nothing)."""
    lab = lab_factory(3)
    topic = unique_topic("oneway")
    lab.create_topic(topic, replication=1)
    owner = lab.partition(topic).leader
    other = next(b for b in (1, 2, 3) if b != owner)
    produce_some(lab, topic, 5)
    assert log_end_offset(lab, owner, topic) == 5
    for direction, expected in (("forward", 5), ("backward", 6)):
        words = ("clients", "->", str(owner)) if direction == "forward" else (str(owner), "->", "clients")
        answer = lab.fault("partition", *words)
        assert answer["fault"]["links"] == {f"clients->{owner}": f"{direction}: blackhole"}
        acked = []
        producer = Producer({"bootstrap.servers": lab.bootstrap, "acks": "1", "message.timeout.ms": 60000})
        producer.produce(topic, value=direction.encode(), partition=0, on_delivery=lambda e, m: acked.append(e))
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            producer.poll(0.1)
        assert acked == [], f"{direction}: no answer may cross the cut"
        assert log_end_offset(lab, owner, topic) == expected, f"{direction}: the request {'did not arrive' if expected == 5 else 'arrived'}"
        assert metadata_round_trip_ms(lab.base_port + other - 1) < 500, "other brokers are unaffected"
        lab.fault("heal")
        producer.flush(30)
        assert acked and acked[0] is None, f"{direction}: after heal the held bytes flow and the write is acknowledged"


def test_role_targets_resolve_to_the_right_broker(lab_factory):
    lab = lab_factory(3)
    topic = unique_topic("roles")
    lab.create_topic(topic)
    state = lab.partition(topic)
    controller = lab.controller()
    assert lab.fault("isolate-zk", "controller")["fault"]["brokers"] == [controller]
    lab.fault("heal")
    lab.wait_for(lambda: lab.controller() >= 0, 20, "a controller")
    state = lab.partition(topic)
    assert lab.fault("slow", f"followers_of {topic}/0", "--latency", "5ms")["fault"]["brokers"] == sorted(r for r in state.replicas if r != state.leader)
    lab.fault("heal")
    crashed = lab.fault("crash", "random")["fault"]["brokers"]
    assert len(crashed) == 1 and crashed[0] in (1, 2, 3)
    assert lab.status()["processes"][crashed[0]]["state"] == "crashed"
    lab.fault("restart", str(crashed[0]))
    assert lab.status()["processes"][crashed[0]]["state"] == "running"


def refused(lab, *words: str) -> str:
    """The error of a fault the lab must refuse; asserts it changed nothing."""
    out = subprocess.run([SAMSA, "fault", "--dir", str(lab.dir), "--json", *words], capture_output=True, text=True, timeout=120)
    answer = json.loads(out.stdout)
    assert out.returncode == 1 and not answer["ok"], answer
    assert not lab.status()["faults"], "a refused fault must not be active"
    return answer["error"]


def test_targets_naming_nothing_are_refused_and_json_into_a_closed_pipe_ends_quietly(lab_factory):
    lab = lab_factory(3)
    topic = unique_topic("names")
    lab.create_topic(topic)
    assert refused(lab, "pause", "coordinator_of", "nosuchgroup") == "coordinator_of nosuchgroup: the cluster has no consumer group 'nosuchgroup'"
    assert refused(lab, "crash", "leader_of", "nosuchtopic/0") == "leader_of nosuchtopic/0: the cluster has no topic 'nosuchtopic'"
    assert "has 1 partition(s); there is no partition 7" in refused(lab, "isolate", f"followers_of {topic}/7")
    assert all(p["state"] == "running" for p in lab.status()["processes"] if p["name"].startswith("broker-"))

    # `samsa topics describe --json | head -c 1`, with the reader gone before the first write.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([SAMSA, "topics", "describe", "--bootstrap", lab.bootstrap, "--json"],
                                stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert result.returncode == 0 and "Fatal error" not in result.stderr, result.stderr[-2000:]


def test_role_targets_resolve_while_the_first_brokers_are_paused(lab_factory):
    """A paused broker still accepts connections and never answers: the lab must go on to the next
    broker for its metadata instead of refusing the fault."""
    lab = lab_factory(3, {"zookeeper.session.timeout.ms": "10000"})
    topic = unique_topic("paused")
    lab.create_topic(topic)
    state = lab.partition(topic)
    lab.fault("pause", "1")
    lab.fault("pause", "2")
    assert lab.fault("slow", f"leader_of {topic}/0", "--latency", "1ms")["fault"]["brokers"] == [state.leader]
    assert lab.fault("isolate", f"followers_of {topic}/0")["fault"]["brokers"] == sorted(r for r in state.replicas if r != state.leader)
    lab.fault("heal")
    assert all(p["state"] == "running" for p in lab.status()["processes"] if p["name"].startswith("broker-"))


def test_lossy_links_reset_connections_until_healed(lab_factory):
    lab = lab_factory(3)
    base = lab.base_port
    answer = lab.fault("lossy", "2", "--reset-probability", "1")
    assert "clients->2" in answer["fault"]["links"]
    failures = 0
    for _ in range(3):
        try:
            metadata_round_trip_ms(base + 1)
        except (ConnectionError, OSError, struct.error):
            failures += 1
    assert failures == 3, "every connection to broker 2 is reset"
    assert metadata_round_trip_ms(base) < 500, "broker 1 is unaffected"
    lab.fault("heal")
    assert metadata_round_trip_ms(base + 1) < 500


METADATA_REQUEST = (lambda body: struct.pack(">i", len(body)) + body)(struct.pack(">hhih", 3, 1, 1, 1) + b"t" + struct.pack(">i", 0))


def read_answer(s: socket.socket):
    """The size of one response on `s`, or None when the proxy closed (or reset) it first."""
    try:
        head = s.recv(4)
        if len(head) < 4:
            return None
        size = struct.unpack(">i", head)[0]
        data = b""
        while len(data) < size:
            more = s.recv(size - len(data))
            if not more:
                return None
            data += more
        return size
    except ConnectionResetError:
        return None


def cluster_answers(bootstrap: str, timeout: float) -> bool:
    """Whether librdkafka (a fresh admin client) gets the cluster's metadata within `timeout`."""
    try:
        AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=timeout)
        return True
    except KafkaException:
        return False


def test_limit_data_slice_and_timeout_act_on_client_connections_until_healed(lab_factory):
    """Toxiproxy's limit_data, slicer and timeout on the clients -> 1 stream, seen from a raw
    socket (exact bytes and times) and from librdkafka; each heals and is in the timeline."""
    lab = lab_factory(1)
    port = lab.base_port
    topic = unique_topic("toxic")
    lab.create_topic(topic, replication=1)

    # limit-data: 10 of the request's 19 bytes reach the broker, then the proxy closes the connection.
    answer = lab.fault("limit-data", "clients", "->", "1", "--bytes", "10")
    assert answer["fault"]["links"] == {"clients->1": "forward: limit 10 B"}, answer
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(METADATA_REQUEST)
        assert read_answer(s) is None, "the connection is closed after 10 bytes, unanswered"
    assert not cluster_answers(lab.bootstrap, 3), "librdkafka's requests are cut short too"
    lab.fault("heal")
    assert cluster_answers(lab.bootstrap, 10)

    # slice: the request goes in 2-byte pieces 20 ms apart, so its 19 bytes take at least 9 delays.
    answer = lab.fault("slice", "clients->1", "--average-size", "2", "--delay", "20ms")
    assert answer["fault"]["links"] == {"clients->1": "forward: slices of 2 B every 20ms"}, answer
    assert metadata_round_trip_ms(port) >= 175
    lab.fault("heal")
    assert metadata_round_trip_ms(port) < 150
    # A real client's records survive being cut into pieces both ways.
    lab.fault("slice", "1", "--average-size", "16", "--size-variation", "8", "--delay", "0")
    values = [f"record-{i}-".encode() * 20 for i in range(20)]
    producer = Producer({"bootstrap.servers": lab.bootstrap, "acks": "all"})
    for value in values:
        producer.produce(topic, value=value, partition=0)
    assert producer.flush(20) == 0
    consumer = Consumer({"bootstrap.servers": lab.bootstrap, "group.id": topic, "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    got = []
    deadline = time.monotonic() + 20
    while len(got) < len(values) and time.monotonic() < deadline:
        message = consumer.poll(1)
        if message is not None and message.error() is None:
            got.append(message.value())
    consumer.close()
    assert got == values
    lab.fault("heal")

    # timeout --after 1s: nothing passes, then the proxy closes the connection.
    lab.fault("timeout", "clients", "->", "1", "--after", "1s")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        started = time.monotonic()
        s.sendall(METADATA_REQUEST)
        assert read_answer(s) is None
        assert 0.9 <= time.monotonic() - started < 5
    assert not cluster_answers(lab.bootstrap, 2)
    lab.fault("heal")
    # timeout with no delay: open and silent until healed, then the held request is answered.
    answer = lab.fault("timeout", "clients", "->", "1")
    assert answer["fault"]["links"] == {"clients->1": "forward: timeout"}, answer
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(METADATA_REQUEST)
        try:
            s.recv(4)
            raise AssertionError("an answer passed a timeout")
        except socket.timeout:
            pass
        lab.fault("heal")
        s.settimeout(10)
        assert read_answer(s) is not None, "the held request is answered on the same connection once healed"
    assert cluster_answers(lab.bootstrap, 10)

    faults = [r for r in lab.timeline() if r["kind"] == "fault"]
    for kind in ("limit_data", "slice", "timeout"):
        assert {f["action"] for f in faults if f["fault"] == kind} == {"start", "end"}, kind
    assert any(f["description"] == "limit-data clients -> 1 --bytes 10" for f in faults)


def control_exchange(lab, line: bytes) -> dict:
    """One raw line over the lab's control socket, as a script would write it."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(30)
        client.connect(str(lab.dir / "control.sock"))
        client.sendall(line + b"\n")
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = client.recv(65536)
            assert chunk, "the lab closed the connection without answering"
            answer += chunk
    return json.loads(answer)


def test_the_control_socket_takes_parsed_faults_and_refuses_malformed_ones_with_a_clear_error(lab_factory):
    lab = lab_factory(1)
    text = control_exchange(lab, b'{"op": "fault", "command": "crash 1"}')
    assert not text["ok"] and text["error"].startswith("malformed request at command: the command 'crash 1' is text"), text
    assert "samsa fault --dir DIR crash 1" in text["error"]
    bad = control_exchange(lab, b'{"op": "fault", "command": {"fault": "pause", "target": {"kind": "broker", "broker": 0}}}')
    assert bad == {"ok": False, "error": "malformed request at command: broker ids start at 1, got 0"}, bad
    unknown = control_exchange(lab, b'{"op": "explode"}')
    assert unknown["error"] == "malformed request at op: unknown op 'explode'; one of fault, status, shutdown, detach", unknown
    assert all(p["state"] == "running" for p in lab.status()["processes"]), "nothing malformed reached the fault engine"

    paused = control_exchange(lab, b'{"op": "fault", "command": {"fault": "pause", "target": {"kind": "broker", "broker": 1}}}')
    assert paused["ok"] and paused["fault"]["kind"] == "pause" and paused["fault"]["description"] == "pause 1", paused
    assert paused["fault"]["command"] == {"fault": "pause", "target": {"kind": "broker", "broker": 1}}, "the fault comes back as a value"
    assert [f["command"] for f in lab.status()["faults"]] == [paused["fault"]["command"]], "status lists it as the same value"
    healed = control_exchange(lab, json.dumps({"op": "fault", "command": {"fault": "heal", "fault_id": paused["fault"]["id"]}}).encode())
    assert healed["ok"] and [f["id"] for f in healed["ended"]] == [paused["fault"]["id"]], healed
