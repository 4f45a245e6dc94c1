"""The admin APIs operators script against, driven by real clients against real brokers:
CreatePartitions (kafka-topics --alter --partitions) and DescribeCluster, through confluent-kafka's
AdminClient, kafka-python's KafkaAdminClient and the samsa CLI, on a standalone broker and on a
3-broker ZooKeeper lab. New partitions take records from a real producer and give them back to a real
consumer."""
import json
import os
import subprocess
import time

import pytest
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic

from conftest import SAMSA, unique_topic


def samsa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SAMSA, *args], capture_output=True, text=True, timeout=60, env=dict(os.environ))


def create_topic(admin: AdminClient, topic: str, partitions: int = 1, replication: int = 1) -> None:
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=replication)], operation_timeout=20)
    futures[topic].result(timeout=30)


def grow(admin: AdminClient, topic: str, count: int, validate_only: bool = False) -> None:
    futures = admin.create_partitions([NewPartitions(topic, count)], validate_only=validate_only, operation_timeout=20)
    futures[topic].result(timeout=30)


def error_name(call) -> str:
    with pytest.raises(KafkaException) as raised:
        call()
    return raised.value.args[0].name()


def partition_count(admin: AdminClient, topic: str) -> int:
    return len(admin.list_topics(topic, timeout=10).topics[topic].partitions)


def round_trip(bootstrap: str, topic: str, partition: int, values: list[bytes]) -> list[bytes]:
    """Produces `values` to `partition` with acks=all and reads them back from offset 0."""
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 1, "message.timeout.ms": 30000})
    errors = []
    for value in values:
        producer.produce(topic, value=value, partition=partition, on_delivery=lambda err, msg: err and errors.append(err))
    assert producer.flush(30) == 0 and not errors, errors
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "admin-apis-assign-only", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, partition, 0)])
    received = []
    deadline = time.monotonic() + 30
    while len(received) < len(values) and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            continue
        assert message.error() is None, message.error()
        assert message.partition() == partition
        received.append(message.value())
    consumer.close()
    return received


def kafka_python_admin(bootstrap: str):
    from kafka import KafkaAdminClient
    return KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)


def test_create_partitions_on_a_standalone_broker(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    topic = unique_topic("grow")
    create_topic(admin, topic)

    grow(admin, topic, 3)
    assert partition_count(admin, topic) == 3
    assert round_trip(broker.bootstrap, topic, 2, [b"a", b"b", b"c"]) == [b"a", b"b", b"c"]

    grow(admin, topic, 5, validate_only=True)
    assert partition_count(admin, topic) == 3, "validate_only changes nothing"
    assert error_name(lambda: grow(admin, topic, 3)) == "INVALID_PARTITIONS"
    assert error_name(lambda: grow(admin, topic, 2)) == "INVALID_PARTITIONS"
    assert error_name(lambda: grow(admin, unique_topic("nosuch"), 2)) == "UNKNOWN_TOPIC_OR_PART"

    # The CLI, as kafka-topics --alter --partitions.
    altered = samsa("topics", "alter", topic, "--partitions", "4", "-b", broker.bootstrap)
    assert altered.returncode == 0, altered.stderr
    assert altered.stdout.strip() == f"Topic {topic} now has 4 partitions."
    refused = samsa("topics", "alter", topic, "--partitions", "4", "--bootstrap-server", broker.bootstrap)
    assert refused.returncode == 1 and "INVALID_PARTITIONS" in refused.stderr and "already has 4 partitions" in refused.stderr
    assert round_trip(broker.bootstrap, topic, 3, [b"d"]) == [b"d"]

    # kafka-python's KafkaAdminClient.
    from kafka.admin import NewPartitions as KafkaPythonNewPartitions
    client = kafka_python_admin(broker.bootstrap)
    try:
        client.create_partitions({topic: KafkaPythonNewPartitions(total_count=6)})
    finally:
        client.close()
    assert partition_count(admin, topic) == 6

    # The partitions survive a restart: the standalone metadata file has the new count.
    broker.terminate()
    broker.start()
    assert partition_count(admin, topic) == 6
    assert round_trip(broker.bootstrap, topic, 5, [b"e"]) == [b"e"]


def test_describe_cluster_on_a_standalone_broker(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    described = admin.describe_cluster(request_timeout=20).result(timeout=30)
    assert [node.id for node in described.nodes] == [1]
    assert described.controller.id == 1 and described.cluster_id

    client = kafka_python_admin(broker.bootstrap)
    try:
        cluster = client.describe_cluster()
    finally:
        client.close()
    assert cluster["cluster_id"] == described.cluster_id
    assert cluster["controller_id"] == 1
    assert [(b["broker_id"], b["host"], b["port"]) for b in cluster["brokers"]] == [(1, "127.0.0.1", broker.port)]

    result = samsa("cluster", "describe", "-b", broker.bootstrap, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"cluster_id": described.cluster_id, "controller_id": 1,
                                         "brokers": [{"id": 1, "host": "127.0.0.1", "port": broker.port}]}
    text = samsa("cluster", "describe", "-b", broker.bootstrap)
    assert f"CLUSTER ID: {described.cluster_id}" in text.stdout and "CONTROLLER: 1" in text.stdout


def test_create_partitions_and_describe_cluster_on_a_three_broker_lab(lab_factory):
    lab = lab_factory(3)
    admin = AdminClient({"bootstrap.servers": lab.bootstrap})
    topic = unique_topic("labgrow")
    create_topic(admin, topic, partitions=1, replication=3)

    grow(admin, topic, 4)

    def grown():
        # lab.metadata asks a different broker each call: every broker must know the new partitions.
        views = [lab.metadata([topic])["topics"][topic][1] for _ in range(3)]
        return all(len(partitions) == 4 and all(p.leader >= 0 and len(p.replicas) == 3 and len(p.isrs) == 3 for p in partitions.values())
                   for partitions in views) and views[0]
    partitions = lab.wait_for(grown, 30, "4 led partitions with 3 in-sync replicas each, on every broker")
    leaders = {p.leader for p in partitions.values()}
    assert len(leaders) >= 2, f"new partitions spread their leaders, got {leaders}"
    for partition in (1, 3):
        assert round_trip(lab.bootstrap, topic, partition, [b"x%d" % partition, b"y"]) == [b"x%d" % partition, b"y"]
    assert error_name(lambda: grow(admin, topic, 4)) == "INVALID_PARTITIONS"
    grow(admin, topic, 9, validate_only=True)
    assert partition_count(admin, topic) == 4

    # kafka-python, bootstrapped from each broker in turn.
    from kafka.admin import NewPartitions as KafkaPythonNewPartitions
    for count, port in zip((5, 6, 7), range(lab.base_port, lab.base_port + 3)):
        client = kafka_python_admin(f"127.0.0.1:{port}")
        try:
            client.create_partitions({topic: KafkaPythonNewPartitions(total_count=count)})
        finally:
            client.close()
    lab.wait_for(lambda: all(len(lab.metadata([topic])["topics"][topic][1]) == 7 for _ in range(3)), 30, "7 partitions on every broker")
    assert round_trip(lab.bootstrap, topic, 6, [b"z"]) == [b"z"]

    described = admin.describe_cluster(request_timeout=20).result(timeout=30)
    assert sorted(node.id for node in described.nodes) == [1, 2, 3]
    client = kafka_python_admin(lab.bootstrap)
    try:
        cluster = client.describe_cluster()
    finally:
        client.close()
    assert cluster["cluster_id"] == described.cluster_id and cluster["controller_id"] == described.controller.id
    assert sorted(b["broker_id"] for b in cluster["brokers"]) == [1, 2, 3]
    result = samsa("cluster", "describe", "-b", lab.bootstrap, "--json")
    assert result.returncode == 0, result.stderr
    parsed = json.loads(result.stdout)
    assert parsed["controller_id"] == described.controller.id and [b["id"] for b in parsed["brokers"]] == [1, 2, 3]


def topic_configs(admin: AdminClient, topic: str) -> dict:
    from confluent_kafka.admin import ConfigResource
    resource = ConfigResource("topic", topic)
    entries = admin.describe_configs([resource], request_timeout=20)[resource].result(timeout=30)
    return {name: (entry.value, getattr(entry.source, "value", entry.source)) for name, entry in entries.items()}


def check_topic_configs(bootstrap: str, admin: AdminClient, topic: str) -> None:
    """IncrementalAlterConfigs and AlterConfigs from confluent-kafka and kafka-python, the CLI, and
    Kafka's errors; DescribeConfigs shows each change with its source."""
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource
    dynamic = ConfigSource.DYNAMIC_TOPIC_CONFIG.value

    def incremental(entries, validate_only=False):
        resource = ConfigResource("topic", topic, incremental_configs=entries)
        admin.incremental_alter_configs([resource], validate_only=validate_only, request_timeout=20)[resource].result(timeout=30)

    incremental([ConfigEntry("retention.ms", "3600000", incremental_operation=AlterConfigOpType.SET),
                 ConfigEntry("max.message.bytes", "200000", incremental_operation=AlterConfigOpType.SET)])
    configs = topic_configs(admin, topic)
    assert configs["retention.ms"] == ("3600000", dynamic) and configs["max.message.bytes"] == ("200000", dynamic)

    incremental([ConfigEntry("retention.ms", None, incremental_operation=AlterConfigOpType.DELETE)])
    configs = topic_configs(admin, topic)
    assert configs["retention.ms"][1] != dynamic and configs["max.message.bytes"] == ("200000", dynamic)

    incremental([ConfigEntry("segment.ms", "5000", incremental_operation=AlterConfigOpType.SET)], validate_only=True)
    assert topic_configs(admin, topic)["segment.ms"][1] != dynamic, "validate_only changes nothing"

    with pytest.raises(KafkaException) as raised:
        incremental([ConfigEntry("retention.msx", "1", incremental_operation=AlterConfigOpType.SET)])
    assert raised.value.args[0].name() == "INVALID_CONFIG" and "retention.msx" in raised.value.args[0].str()
    with pytest.raises(KafkaException) as raised:
        incremental([ConfigEntry("retention.ms", "soon", incremental_operation=AlterConfigOpType.SET)])
    assert raised.value.args[0].name() == "INVALID_CONFIG"
    with pytest.raises(KafkaException) as raised:
        resource = ConfigResource("topic", unique_topic("nosuch"), incremental_configs=[
            ConfigEntry("retention.ms", "1", incremental_operation=AlterConfigOpType.SET)])
        admin.incremental_alter_configs([resource], request_timeout=20)[resource].result(timeout=30)
    assert raised.value.args[0].name() == "UNKNOWN_TOPIC_OR_PART"

    # AlterConfigs replaces the whole set: max.message.bytes goes back to the broker's value.
    resource = ConfigResource("topic", topic, set_config={"segment.ms": "7000"})
    admin.alter_configs([resource], request_timeout=20)[resource].result(timeout=30)
    configs = topic_configs(admin, topic)
    assert configs["segment.ms"] == ("7000", dynamic) and configs["max.message.bytes"][1] != dynamic

    # kafka-python, incremental and not.
    from kafka.admin import ConfigResource as KafkaPythonResource, ConfigResourceType
    client = kafka_python_admin(bootstrap)
    try:
        result = client.alter_configs([KafkaPythonResource(ConfigResourceType.TOPIC, topic, configs={"retention.bytes": "1048576"})],
                                      raise_on_unknown=False, incremental=True)
        assert result == {"topic": {topic: "OK"}}, result
        result = client.alter_configs([KafkaPythonResource(ConfigResourceType.TOPIC, topic, configs={"retention.bytes": "2097152"})],
                                      raise_on_unknown=False, incremental=False)
        assert result == {"topic": {topic: "OK"}}, result
    finally:
        client.close()
    configs = topic_configs(admin, topic)
    # Without IncrementalAlterConfigs, kafka-python re-sends the other overrides itself (segment.ms here).
    assert configs["retention.bytes"] == ("2097152", dynamic) and configs["segment.ms"] == ("7000", dynamic)

    # The CLI, as kafka-configs.
    altered = samsa("configs", "alter", "--topic", topic, "--set", "retention.ms=120000", "--delete", "retention.bytes", "-b", bootstrap)
    assert altered.returncode == 0, altered.stderr
    described = samsa("configs", "describe", "--topic", topic, "-b", bootstrap, "--json")
    assert described.returncode == 0, described.stderr
    entries = {entry["name"]: entry for entry in json.loads(described.stdout)["configs"]}
    assert entries["retention.ms"]["value"] == "120000" and entries["retention.ms"]["source"] == "DYNAMIC_TOPIC_CONFIG"
    assert entries["retention.bytes"]["source"] != "DYNAMIC_TOPIC_CONFIG"
    refused = samsa("configs", "alter", "--topic", topic, "--set", "retention.msx=1", "-b", bootstrap)
    assert refused.returncode == 1 and "INVALID_CONFIG" in refused.stderr and "did you mean 'retention.ms'" in refused.stderr


def test_topic_configs_on_a_standalone_broker(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    topic = unique_topic("cfg")
    create_topic(admin, topic)
    check_topic_configs(broker.bootstrap, admin, topic)
    # The overrides are kept with the topic: a restart still has them, and they are in force.
    broker.terminate()
    broker.start()
    assert topic_configs(admin, topic)["retention.ms"][0] == "120000"
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource
    resource = ConfigResource("topic", topic, incremental_configs=[ConfigEntry("max.message.bytes", "1000", incremental_operation=AlterConfigOpType.SET)])
    admin.incremental_alter_configs([resource], request_timeout=20)[resource].result(timeout=30)
    producer = Producer({"bootstrap.servers": broker.bootstrap, "message.timeout.ms": 10000, "linger.ms": 0})
    errors = []
    producer.produce(topic, value=b"x" * 5000, partition=0, on_delivery=lambda err, msg: errors.append(err))
    producer.flush(20)
    assert errors and errors[0] is not None and errors[0].name() == "MSG_SIZE_TOO_LARGE", errors


def test_topic_configs_on_a_three_broker_lab(lab_factory):
    lab = lab_factory(3)
    admin = AdminClient({"bootstrap.servers": lab.bootstrap})
    topic = unique_topic("labcfg")
    create_topic(admin, topic, partitions=3, replication=3)
    check_topic_configs(lab.bootstrap, admin, topic)
    # Every broker applies the change, not only the one that took the request.
    for port in range(lab.base_port, lab.base_port + 3):
        single = AdminClient({"bootstrap.servers": f"127.0.0.1:{port}"})
        lab.wait_for(lambda: topic_configs(single, topic)["retention.ms"][0] == "120000", 20, f"broker at {port} shows retention.ms")


def watermarks(bootstrap: str, topic: str, partition: int) -> tuple[int, int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "admin-apis-watermarks"})
    try:
        return consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=20)
    finally:
        consumer.close()


def first_offset_read(bootstrap: str, topic: str, partition: int) -> int:
    """The offset of the first record a consumer starting at the earliest offset gets."""
    from confluent_kafka import OFFSET_BEGINNING
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "admin-apis-first", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, partition, OFFSET_BEGINNING)])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None:
                assert message.error() is None, message.error()
                return message.offset()
        raise TimeoutError("no record read")
    finally:
        consumer.close()


def delete_records(admin: AdminClient, topic: str, partition: int, offset: int) -> int:
    futures = admin.delete_records([TopicPartition(topic, partition, offset)], request_timeout=20, operation_timeout=20)
    (future,) = futures.values()
    return future.result(timeout=30).low_watermark


def check_delete_records(bootstrap: str, admin: AdminClient, topic: str) -> None:
    values = [b"r%d" % i for i in range(10)]
    assert round_trip(bootstrap, topic, 0, values) == values
    assert delete_records(admin, topic, 0, 4) == 4
    assert watermarks(bootstrap, topic, 0) == (4, 10)
    assert first_offset_read(bootstrap, topic, 0) == 4
    assert delete_records(admin, topic, 0, 2) == 4, "the log start never moves back"
    assert error_name(lambda: delete_records(admin, topic, 0, 11)) == "OFFSET_OUT_OF_RANGE"

    from kafka import TopicPartition as KafkaPythonTopicPartition
    from kafka.errors import UnknownTopicOrPartitionError
    client = kafka_python_admin(bootstrap)
    try:
        client.delete_records({KafkaPythonTopicPartition(topic, 0): 6})
        # Sent to a broker as is: the broker, not the client, answers for a partition that does not exist.
        leader = admin.list_topics(topic, timeout=10).topics[topic].partitions[0].leader
        with pytest.raises(UnknownTopicOrPartitionError):
            client.delete_records({KafkaPythonTopicPartition(topic, 99): 1}, partition_leader_id=leader)
    finally:
        client.close()
    assert watermarks(bootstrap, topic, 0) == (6, 10)

    result = samsa("topics", "delete-records", topic, "--partition", "0", "--offset", "7", "-b", bootstrap)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Partition {topic}/0 now starts at offset 7 (low watermark)."
    refused = samsa("topics", "delete-records", topic, "--partition", "0", "--offset", "99", "-b", bootstrap)
    assert refused.returncode == 1 and "OFFSET_OUT_OF_RANGE" in refused.stderr
    assert first_offset_read(bootstrap, topic, 0) == 7


def test_delete_records_on_a_standalone_broker(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    topic = unique_topic("trim")
    create_topic(admin, topic)
    check_delete_records(broker.bootstrap, admin, topic)
    # -1 deletes up to the high watermark; the log start survives a restart.
    assert delete_records(admin, topic, 0, -1) == 10
    broker.terminate()
    broker.start()
    assert watermarks(broker.bootstrap, topic, 0) == (10, 10)


def test_delete_records_reaches_the_followers_on_a_three_broker_lab(lab_factory):
    lab = lab_factory(3)
    admin = AdminClient({"bootstrap.servers": lab.bootstrap})
    topic = unique_topic("labtrim")
    create_topic(admin, topic, partitions=1, replication=3)
    lab.wait_for(lambda: len(lab.partition(topic, 0).isrs) == 3, 30, "3 in-sync replicas")
    check_delete_records(lab.bootstrap, admin, topic)
    # One more acknowledged record: every follower has fetched since the deletion, and each
    # fetch answer carries the leader's log start offset.
    producer = Producer({"bootstrap.servers": lab.bootstrap, "acks": "all", "message.timeout.ms": 30000})
    errors = []
    producer.produce(topic, value=b"after", partition=0, on_delivery=lambda err, msg: err and errors.append(err))
    assert producer.flush(30) == 0 and not errors, errors
    old_leader = lab.partition(topic, 0).leader
    lab.kill9(old_leader)
    lab.wait_for(lambda: lab.partition(topic, 0).leader not in (-1, old_leader), 30, "a new leader")
    assert watermarks(lab.bootstrap, topic, 0)[0] == 7, "the new leader starts where the old one did"


def test_the_shell_has_the_same_admin_commands(tmp_path):
    from test_shell import wait_gone
    lab = tmp_path / "lab"
    script = "\n".join([
        f"cluster up --brokers 1 --dir {lab}",
        "topics create orders --partitions 1 --replication-factor 1",
        "topics alter orders --partitions 3",
        "produce orders --count 30 --partition 2",
        "topics delete-records orders --partition 2 --offset 5",
        "configs alter orders --set retention.ms=120000 --delete-config max.message.bytes",
        "configs describe orders",
        "cluster describe",
        "cluster log-dirs orders",
        "topics elect-leaders orders",
        "topics describe orders",
        "exit",
        "",
    ])
    result = subprocess.run([SAMSA, "shell", "--fail-fast"], input=script, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    out = result.stdout
    assert result.returncode == 0, f"{out[-4000:]}\n{result.stderr[-4000:]}"
    assert "topic orders now has 3 partitions" in out
    assert "partition orders/2 now starts at offset 5 (low watermark)" in out
    assert "altered configs of topic orders: retention.ms=120000 -max.message.bytes" in out
    assert any(line.split()[:3] == ["retention.ms", "120000", "DYNAMIC_TOPIC_CONFIG"] for line in out.splitlines()), out
    assert "controller 1" in out and any(line.split()[:1] == ["1*"] for line in out.splitlines()), out
    assert [line.split()[2:4] for line in out.splitlines() if line.split()[2:3] == ["orders"]][:3] == [["orders", "0"], ["orders", "1"], ["orders", "2"]], out
    assert [line.split()[1:] for line in out.splitlines() if line.split()[2:3] == ["ELECTION_NOT_NEEDED"]] == [["0", "ELECTION_NOT_NEEDED"], ["1", "ELECTION_NOT_NEEDED"], ["2", "ELECTION_NOT_NEEDED"]], out
    partition_rows = [line.split() for line in out.splitlines() if line.startswith("orders ") and line.split()[1].isdigit() and len(line.split()) > 3]
    assert [row[1] for row in partition_rows if not row[2].isalpha()] == ["0", "1", "2"], out
    assert not wait_gone(lab)


def elect_preferred(admin: AdminClient, partitions: list) -> dict:
    from confluent_kafka import ElectionType
    results = admin.elect_leaders(ElectionType.PREFERRED, partitions).result(timeout=40)
    return {(tp.topic, tp.partition): (None if error is None else getattr(error, "args", [error])[0].name()) for tp, error in results.items()}


def test_elect_leaders_on_a_standalone_broker(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    topic = unique_topic("elect")
    create_topic(admin, topic)
    assert elect_preferred(admin, [TopicPartition(topic, 0)]) == {(topic, 0): "ELECTION_NOT_NEEDED"}
    result = samsa("topics", "elect-leaders", topic, "-b", broker.bootstrap)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].split() == [topic, "0", "ELECTION_NOT_NEEDED"]


def test_preferred_election_moves_leadership_back_on_a_three_broker_lab(lab_factory):
    # No automatic rebalance: only the election under test may move the leader back.
    lab = lab_factory(3, {"auto.leader.rebalance.enable": "false"})
    admin = AdminClient({"bootstrap.servers": lab.bootstrap})
    topic = unique_topic("labelect")
    create_topic(admin, topic, partitions=2, replication=3)
    lab.wait_for(lambda: all(len(lab.partition(topic, p).isrs) == 3 for p in (0, 1)), 30, "3 in-sync replicas")
    preferred = lab.partition(topic, 0).replicas[0]
    assert lab.partition(topic, 0).leader == preferred
    lab.kill9(preferred)
    lab.wait_for(lambda: lab.partition(topic, 0).leader not in (-1, preferred), 30, "another leader")
    lab.restart(preferred)
    lab.wait_for(lambda: all(len(lab.partition(topic, 0).isrs) == 3 for _ in range(3)), 60, "the preferred replica back in the ISR")
    assert lab.partition(topic, 0).leader != preferred

    # A new client: the one above still holds the controller it saw before the crash.
    admin = AdminClient({"bootstrap.servers": lab.bootstrap})
    results = elect_preferred(admin, [TopicPartition(topic, 0), TopicPartition(topic, 1)])
    assert results[(topic, 0)] is None, results
    lab.wait_for(lambda: all(lab.partition(topic, 0).leader == preferred for _ in range(3)), 30, "the preferred replica leading on every broker")
    assert round_trip(lab.bootstrap, topic, 0, [b"after-election"])[-1] == b"after-election"

    # Again: nothing to do, as kafka-python and the CLI report it.
    client = kafka_python_admin(lab.bootstrap)
    try:
        response = client.elect_leaders(0, {topic: [0]}, raise_errors=False)
    finally:
        client.close()
    answers = [(r.topic, p.partition_id, p.error_code) for r in response.replica_election_results for p in r.partition_result]
    assert answers == [(topic, 0, 84)], answers
    result = samsa("topics", "elect-leaders", topic, "--partition", "0", "-b", lab.bootstrap)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].split() == [topic, "0", "ELECTION_NOT_NEEDED"]


def log_dir_partitions(bootstrap: str, topic: str) -> dict:
    """{(broker, partition): size} from kafka-python's DescribeLogDirs to every broker."""
    client = kafka_python_admin(bootstrap)
    try:
        answers = client.describe_log_dirs([topic])
    finally:
        client.close()
    return {(answer["broker"], p["partition_index"]): p["partition_size"]
            for answer in answers for log_dir in answer["log_dirs"] if log_dir["error_code"] == 0
            for t in log_dir["topics"] if t["name"] == topic for p in t["partitions"]}


def test_describe_log_dirs_on_a_standalone_broker(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    topic = unique_topic("dirs")
    create_topic(admin, topic, partitions=2)
    round_trip(broker.bootstrap, topic, 1, [b"x" * 100] * 5)
    sizes = log_dir_partitions(broker.bootstrap, topic)
    assert sizes[(1, 0)] == 0 and sizes[(1, 1)] > 500, sizes


def test_describe_log_dirs_on_a_three_broker_lab(lab_factory):
    lab = lab_factory(3)
    admin = AdminClient({"bootstrap.servers": lab.bootstrap})
    topic = unique_topic("labdirs")
    create_topic(admin, topic, partitions=1, replication=3)
    round_trip(lab.bootstrap, topic, 0, [b"y" * 100] * 5)
    # acks=all: every in-sync replica holds the records; each broker reports its own copy.
    sizes = lab.wait_for(lambda: (s := log_dir_partitions(lab.bootstrap, topic)) and len(set(s.values())) == 1 and len(s) == 3 and s,
                         30, "three replicas of the same size")
    assert sorted(broker for broker, _ in sizes) == [1, 2, 3] and next(iter(sizes.values())) > 500, sizes
    result = samsa("cluster", "log-dirs", "--topic", topic, "-b", lab.bootstrap, "--json")
    assert result.returncode == 0, result.stderr
    replicas = json.loads(result.stdout)["replicas"]
    assert sorted((r["broker"], r["partition"], r["size_bytes"]) for r in replicas) == sorted((b, p, s) for (b, p), s in sizes.items())
    text = samsa("cluster", "log-dirs", "--topic", topic, "-b", lab.bootstrap)
    assert text.stdout.splitlines()[0].split() == ["BROKER", "LOG-DIR", "TOPIC", "PARTITION", "SIZE", "OFFSET-LAG"]


def sent_versions_kafka_python(log_text: str) -> dict:
    """{api: versions} of the requests kafka-python logged as sent (its DEBUG log names each request
    with the version it negotiated: the highest both sides support)."""
    import re
    sent: dict = {}
    for name, version in re.findall(r"(\w+)Request\(version=(\d+)", log_text):
        sent.setdefault(name, set()).add(int(version))
    return sent


def sent_versions_librdkafka(log_text: str) -> dict:
    """{api: versions} of the requests librdkafka's protocol debug log shows as sent."""
    import re
    sent: dict = {}
    for name, version in re.findall(r"Sent (\w+?)(?:Request)+ \(v(\d+)", log_text):
        sent.setdefault(name, set()).add(int(version))
    return sent


def test_newest_admin_versions_from_kafka_python_and_confluent_kafka(broker):
    """Both clients pick the highest version both sides support: kafka-python every admin API's
    newest (CreateTopics v7, DeleteTopics v6, DescribeConfigs v4, CreatePartitions v3, AlterConfigs
    v2, IncrementalAlterConfigs v1, DeleteRecords v2, ElectLeaders v2, DescribeLogDirs v4), librdkafka
    its own newest, flexible ones among them. Each works end to end at that version."""
    import io
    import logging
    from kafka import TopicPartition as KafkaPythonTopicPartition
    from kafka.admin import ConfigResource as KafkaPythonResource, ConfigResourceType, NewPartitions as KafkaPythonNewPartitions
    from kafka.admin import NewTopic as KafkaPythonNewTopic

    log = io.StringIO()
    handler = logging.StreamHandler(log)
    kafka_logger = logging.getLogger("kafka")
    old_level = kafka_logger.level
    kafka_logger.addHandler(handler)
    kafka_logger.setLevel(logging.DEBUG)
    topic = unique_topic("newest")
    client = kafka_python_admin(broker.bootstrap)
    try:
        created = client.create_topics([KafkaPythonNewTopic(topic, 2, 1, topic_configs={"retention.ms": "100000"})])
        (answer,) = created["topics"]
        # CreateTopics v5+ answers with the new topic's shape and configs (KIP-525).
        assert answer["error_code"] == 0 and answer["num_partitions"] == 2 and answer["replication_factor"] == 1, answer
        assert answer["configs"]["retention.ms"]["value"] == "100000", answer["configs"]["retention.ms"]
        assert answer["configs"]["retention.ms"]["config_source"] == "DYNAMIC_TOPIC_CONFIG"
        client.create_partitions({topic: KafkaPythonNewPartitions(total_count=3)})
        described = client.describe_configs([KafkaPythonResource(ConfigResourceType.TOPIC, topic)])
        assert described["topic"][topic]["retention.ms"]["value"] == "100000", described
        for incremental in (True, False):
            result = client.alter_configs([KafkaPythonResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": "200000"})],
                                          incremental=incremental)
            assert result == {"topic": {topic: "OK"}}, result
        assert round_trip(broker.bootstrap, topic, 0, [b"a", b"b", b"c"]) == [b"a", b"b", b"c"]
        trimmed = client.delete_records({KafkaPythonTopicPartition(topic, 0): 2})
        assert trimmed[KafkaPythonTopicPartition(topic, 0)]["low_watermark"] == 2, trimmed
        elected = client.elect_leaders(0, {topic: [0]}, raise_errors=False)
        assert [(p.partition_id, p.error_code) for r in elected.replica_election_results for p in r.partition_result] == [(0, 84)]
        (dirs,) = client.describe_log_dirs([topic])
        (log_dir,) = dirs["log_dirs"]
        # DescribeLogDirs v4: the file system's real size and free bytes.
        assert 0 <= log_dir["usable_bytes"] <= log_dir["total_bytes"] and log_dir["total_bytes"] > 0, log_dir
        assert sorted(p["partition_index"] for t in log_dir["topics"] for p in t["partitions"]) == [0, 1, 2]
        deleted = client.delete_topics([topic])
        assert [(t["name"], t["error_code"]) for t in deleted["topics"]] == [(topic, 0)], deleted
    finally:
        client.close()
        kafka_logger.removeHandler(handler)
        kafka_logger.setLevel(old_level)
    sent = sent_versions_kafka_python(log.getvalue())
    expected = {"CreateTopics": 7, "DeleteTopics": 6, "DescribeConfigs": 4, "CreatePartitions": 3, "AlterConfigs": 2,
                "IncrementalAlterConfigs": 1, "DeleteRecords": 2, "ElectLeaders": 2, "DescribeLogDirs": 4}
    assert {api: sent.get(api) for api in expected} == {api: {version} for api, version in expected.items()}, sent

    # confluent-kafka: librdkafka's protocol debug log names each request's version.
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource
    rdkafka_log = io.StringIO()
    rdkafka_logger = logging.getLogger(f"rdkafka-{topic}")
    rdkafka_logger.setLevel(logging.DEBUG)
    rdkafka_logger.addHandler(logging.StreamHandler(rdkafka_log))
    admin = AdminClient({"bootstrap.servers": broker.bootstrap, "debug": "protocol"}, logger=rdkafka_logger)
    create_topic(admin, topic)
    grow(admin, topic, 2)
    resource = ConfigResource("topic", topic, incremental_configs=[ConfigEntry("retention.ms", "300000", incremental_operation=AlterConfigOpType.SET)])
    admin.incremental_alter_configs([resource], request_timeout=20)[resource].result(timeout=30)
    assert topic_configs(admin, topic)["retention.ms"][0] == "300000"
    assert round_trip(broker.bootstrap, topic, 1, [b"x", b"y"]) == [b"x", b"y"]
    assert delete_records(admin, topic, 1, 1) == 1
    assert elect_preferred(admin, [TopicPartition(topic, 0)]) == {(topic, 0): "ELECTION_NOT_NEEDED"}
    admin.delete_topics([topic], operation_timeout=20)[topic].result(timeout=30)
    admin.poll(0.2)
    sent = sent_versions_librdkafka(rdkafka_log.getvalue())
    # librdkafka 2.16's newest: flexible DeleteTopics v4, CreatePartitions v2, IncrementalAlterConfigs v1,
    # DeleteRecords v2 and ElectLeaders v2; CreateTopics v4 and DescribeConfigs v1 are its own limits.
    expected = {"CreateTopics": 4, "DeleteTopics": 4, "DescribeConfigs": 1, "CreatePartitions": 2, "IncrementalAlterConfigs": 1,
                "DeleteRecords": 2, "ElectLeaders": 2}
    assert {api: sent.get(api) for api in expected} == {api: {version} for api, version in expected.items()}, sent
