"""`power-loss`: a broker started with durability tracking (LD_PRELOAD of libSamsaDurability.so)
loses exactly what it never fsynced. This is also the proof that the broker's own file I/O goes
through the interposed libc calls: without a flush the log's tail is gone after a power loss,
with log.flush.interval.messages=1 every acknowledged record survives it."""
import subprocess

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from conftest import SAMSA, unique_topic


def produce_acked(lab, topic: str, count: int) -> int:
    producer = Producer({"bootstrap.servers": lab.bootstrap, "acks": "1", "linger.ms": 5})
    acked = [0]

    def on_delivery(err, _msg):
        if err is None:
            acked[0] += 1

    for i in range(count):
        producer.produce(topic, value=f"v{i}".encode(), partition=0, on_delivery=on_delivery)
    producer.flush(30)
    return acked[0]


def power_loss_and_restart(lab, topic: str) -> dict:
    answer = lab.fault("power-loss", "all")
    lab.fault("heal")
    lab.wait_for(lambda: lab.partition(topic).leader == 1, 30, f"{topic}/0 led again after the restart")
    return answer


def end_offset(lab, topic: str) -> int:
    """The partition's high watermark, asked until the restarted broker serves it (bounded)."""
    consumer = Consumer({"bootstrap.servers": lab.bootstrap, "group.id": "power-loss-reader", "enable.auto.commit": False})
    answer = []

    def ask():
        try:
            answer.append(consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=5)[1])
            return True
        except KafkaException:
            return False

    try:
        lab.wait_for(ask, 30, f"{topic}/0 answers ListOffsets after the restart")
        return answer[-1]
    finally:
        consumer.close()


def test_power_loss_drops_the_tail_a_broker_never_fsynced(lab_factory):
    lab = lab_factory(1, {}, ["--track-durability"])
    topic = unique_topic("unsynced")
    lab.create_topic(topic, partitions=1, replication=1)
    assert produce_acked(lab, topic, 500) == 500
    answer = power_loss_and_restart(lab, topic)
    assert "never fsynced" in answer["message"]
    records = [r for r in lab.timeline() if r["kind"] == "power_loss"]
    assert len(records) == 1 and records[0]["broker"] == 1
    cut = [c for c in records[0]["cuts"] if c["path"].endswith(".log") and f"/{topic}-0/" in c["path"]]
    assert cut and cut[0]["length"] > cut[0]["durable_length"], records[0]
    assert end_offset(lab, topic) < 500


def test_with_a_flush_per_message_every_acknowledged_record_survives(lab_factory):
    lab = lab_factory(1, {"log.flush.interval.messages": "1"}, ["--track-durability"])
    topic = unique_topic("synced")
    lab.create_topic(topic, partitions=1, replication=1)
    assert produce_acked(lab, topic, 500) == 500
    power_loss_and_restart(lab, topic)
    records = [r for r in lab.timeline() if r["kind"] == "power_loss"]
    assert not [c for c in records[0]["cuts"] if f"/{topic}-0/" in c["path"]], records[0]
    assert end_offset(lab, topic) == 500


def test_an_untracked_lab_refuses_power_loss(lab_factory):
    lab = lab_factory(1)
    out = subprocess.run([SAMSA, "fault", "--dir", str(lab.dir), "power-loss", "1"], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "durability tracking" in out.stderr
