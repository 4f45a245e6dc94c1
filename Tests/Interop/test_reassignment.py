"""Ops moves on a 3-broker ZooKeeper lab, driven by real clients: an unclean leader election
(ElectLeaders type 1, kafka-leader-election --election-type UNCLEAN) through confluent-kafka's
AdminClient and the samsa CLI, and a partition reassignment (AlterPartitionReassignments /
ListPartitionReassignments, kafka-reassign-partitions) through kafka-python's admin client and the
samsa CLI while a producer writes, every acknowledged record read back from the new replicas."""
import os
import subprocess

from confluent_kafka import ElectionType, TopicPartition
from confluent_kafka.admin import AdminClient

from conftest import SAMSA, unique_topic


def samsa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SAMSA, *args], capture_output=True, text=True, timeout=60, env=dict(os.environ))


def election_answers(admin: AdminClient, election_type, partitions: list) -> dict:
    results = admin.elect_leaders(election_type, partitions).result(timeout=40)
    return {(tp.topic, tp.partition): (None if error is None else getattr(error, "args", [error])[0].name()) for tp, error in results.items()}


def test_an_unclean_election_on_request_gives_an_offline_partition_a_live_out_of_sync_replica(lab_factory):
    lab = lab_factory(3)
    topic = unique_topic("unclean-elect")
    # The topic refuses unclean elections on its own: only the request may make one.
    lab.create_topic(topic, replication=2, config={"min.insync.replicas": "1", "unclean.leader.election.enable": "false"})
    state = lab.partition(topic)
    leader, follower = state.leader, next(r for r in state.replicas if r != state.leader)
    lab.kill9(follower)
    lab.wait_for(lambda: lab.partition(topic).isrs == [leader], 30, "ISR = leader")
    lab.kill9(leader)
    lab.restart(follower)
    lab.wait_for(lambda: len(lab.admin().list_topics(timeout=5).brokers) == 2, 30, "the follower back")
    lab.wait_for(lambda: lab.partition(topic).leader == -1, 30, "offline: its only ISR member is down")

    admin = AdminClient({"bootstrap.servers": lab.bootstrap})
    # A preferred election cannot help; an unclean one can.
    assert election_answers(admin, ElectionType.PREFERRED, [TopicPartition(topic, 0)]) == {(topic, 0): "PREFERRED_LEADER_NOT_AVAILABLE"}
    assert election_answers(admin, ElectionType.UNCLEAN, [TopicPartition(topic, 0)]) == {(topic, 0): None}
    lab.wait_for(lambda: lab.partition(topic).leader == follower, 30, "the out-of-sync replica leading")
    unclean = [e for e in lab.all_events() if e["event"] == "unclean_election" and e.get("topic") == topic]
    assert [(e["leader"], e["old_isr"]) for e in unclean] == [(follower, [leader])], unclean

    # Again, from the CLI: a live leader needs no election.
    result = samsa("topics", "elect-leaders", topic, "--election-type", "unclean", "-b", lab.bootstrap)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].split() == [topic, "0", "ELECTION_NOT_NEEDED"], result.stdout
    result = samsa("topics", "elect-leaders", topic, "--election-type", "sideways", "-b", lab.bootstrap)
    assert result.returncode != 0 and "--election-type must be preferred or unclean, got 'sideways'" in result.stderr, result.stderr

    # The shell, attached to the lab, has the same lines: the election, a move off the dead replica, the list.
    other = next(b for b in (1, 2, 3) if b not in (leader, follower))
    script = "\n".join([
        f"attach {lab.dir}",
        f"topics elect-leaders {topic} --election-type unclean",
        f"topics reassign {topic} --partition 0 --replicas {follower},{other}",
        "topics reassignments",
        f"topics reassign {topic} --partition 0 --replicas {follower},{follower}",
        "exit",
        "",
    ])
    result = subprocess.run([SAMSA, "shell"], input=script, capture_output=True, text=True, timeout=120)
    out = result.stdout
    assert any(line.split() == [topic, "0", "ELECTION_NOT_NEEDED"] for line in out.splitlines()), out
    assert f"reassignment of {topic}/0 to replicas {follower},{other} started" in out, out + result.stderr
    assert any(line.split() == ["TOPIC", "PARTITION", "REPLICAS", "ADDING", "REMOVING"] for line in out.splitlines()), out
    assert f"broker {follower} appears twice in the replica list '{follower},{follower}'" in out + result.stderr, out + result.stderr
    lab.wait_for(lambda: lab.partition(topic).replicas == [follower, other], 30, "the move off the dead replica completed")


def log_dir_partitions(bootstrap: str, topic: str) -> set:
    """{(broker, partition)} holding a log of `topic`, from kafka-python's DescribeLogDirs to every broker."""
    from test_admin_apis import kafka_python_admin
    client = kafka_python_admin(bootstrap)
    try:
        answers = client.describe_log_dirs([topic])
    finally:
        client.close()
    return {(answer["broker"], p["partition_index"]) for answer in answers for log_dir in answer["log_dirs"] if log_dir["error_code"] == 0
            for t in log_dir["topics"] if t["name"] == topic for p in t["partitions"]}


def test_a_partition_moves_while_a_producer_writes_and_keeps_every_acknowledged_record(lab_factory):
    from kafka import TopicPartition as KafkaPythonTopicPartition
    from test_admin_apis import kafka_python_admin
    from test_replication import RecordingProducer, read_partition

    # No automatic rebalance: only the move may change the leader.
    lab = lab_factory(3, {"auto.leader.rebalance.enable": "false"})
    topic = unique_topic("reassign")
    lab.create_topic(topic, replication=2)
    lab.wait_for(lambda: len(lab.partition(topic).isrs) == 2, 30, "2 in-sync replicas")
    state = lab.partition(topic)
    leader = state.leader
    kept = next(r for r in state.replicas if r != leader)
    newcomer = next(b for b in (1, 2, 3) if b not in state.replicas)
    producer = RecordingProducer(lab.bootstrap, topic, acks="all")
    producer.send(200, pause=0.002)

    # The newcomer is cut off from the leader: it cannot catch up, so the move stays in progress.
    lab.fault("partition", f"{leader} | {newcomer}")
    client = kafka_python_admin(lab.bootstrap)
    tp = KafkaPythonTopicPartition(topic, 0)
    try:
        assert client.alter_partition_reassignments({tp: [newcomer, kept]}) == {tp: None}
        producer.send(200, pause=0.002)
        ongoing = client.list_partition_reassignments()
        assert ongoing == {tp: {"replicas": [newcomer, kept, leader], "adding_replicas": [newcomer], "removing_replicas": [leader]}}, ongoing
        listed = samsa("topics", "reassignments", "-b", lab.bootstrap)
        assert listed.returncode == 0, listed.stderr
        assert [line.split() for line in listed.stdout.splitlines()] == [
            ["TOPIC", "PARTITION", "REPLICAS", "ADDING", "REMOVING"], [topic, "0", f"{newcomer},{kept},{leader}", str(newcomer), str(leader)]], listed.stdout
        assert lab.partition(topic).leader == leader, "the leader keeps leading while the newcomer catches up"

        lab.fault("heal")
        producer.send(200, pause=0.002)
        lab.wait_for(lambda: lab.partition(topic).replicas == [newcomer, kept], 60, "the move completed")
        assert client.list_partition_reassignments() == {}
    finally:
        client.close()
    producer.flush()
    assert len(producer.acked) == 600 and not producer.errors, producer.errors
    state = lab.partition(topic)
    assert state.leader == newcomer and sorted(state.isrs) == sorted([newcomer, kept]), state
    lab.wait_for(lambda: {b for b, _ in log_dir_partitions(lab.bootstrap, topic)} == {newcomer, kept}, 30,
                 "the removed replica's log deleted")
    assert set(producer.acked) <= set(read_partition(lab.bootstrap, topic, idle=1.0)), "an acknowledged record is missing on the new leader"
    # And on the other new replica: it takes over when the new leader dies.
    lab.kill9(newcomer)
    lab.wait_for(lambda: lab.partition(topic).leader == kept, 30, "the kept replica leading")
    assert set(producer.acked) <= set(read_partition(lab.bootstrap, topic, idle=1.0)), "an acknowledged record is missing on the kept replica"

    # The CLI's own refusals and its cancellation answer, against the controller.
    lab.wait_for(lambda: lab.controller() in (leader, kept), 30, "a live controller")
    result = samsa("topics", "reassign", topic, "--partition", "0", "--cancel", "-b", lab.bootstrap)
    assert result.returncode != 0 and "NO_REASSIGNMENT_IN_PROGRESS" in result.stderr, result.stderr
    result = samsa("topics", "reassign", topic, "--partition", "0", "--replicas", f"{kept},9", "-b", lab.bootstrap)
    assert result.returncode != 0 and "INVALID_REPLICA_ASSIGNMENT" in result.stderr and "[9]" in result.stderr, result.stderr
    result = samsa("topics", "reassign", topic, "--partition", "0", "--replicas", "1,x", "-b", lab.bootstrap)
    assert result.returncode != 0 and "'x' in the replica list '1,x' is not a broker id" in result.stderr, result.stderr
