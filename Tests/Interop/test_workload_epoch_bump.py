"""The workload records each producer epoch bump librdkafka makes on its own, from librdkafka's
`eos` debug log, so the duplicate checker can tell a client's re-send under a new epoch from a broker
that failed to deduplicate. The lines fed here are librdkafka 2.x's own wording, taken from a chaos
run where a bump re-sent a written message; a real producer's log goes through the same handler."""
import json

from confluent_kafka import Producer

from workload_standins import load_workload


def history_lines(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_a_bump_is_recorded_with_its_reason_and_other_lines_are_only_logged(tmp_path, capsys):
    workload = load_workload("kafka_workload_epoch_bump")
    history = workload.History(str(tmp_path / "h.jsonl"), "producer-1-1")
    logger = workload.client_logger("producer-1-1", history)
    logger.debug("DRAIN [producer-1-1#producer-1] [thrd:127.0.0.1:13002/3]: Beginning partition drain in state Assigned "
                 "for PID{Id:2000,Epoch:0} epoch bump for 2 partition(s) with in-flight requests: skipped sequence numbers")
    logger.debug("IDEMPSTATE [producer-1-1#producer-1] [thrd:127.0.0.1:13002/3]: Idempotent producer state change Assigned -> DrainBump")
    logger.debug("DRAIN [producer-1-1#producer-1] [thrd:127.0.0.1:13000/1]: All partitions drained, bumped epoch to PID{Id:2000,Epoch:1}")
    logger.debug("NEWPID [producer-1-1#producer-1] [thrd:127.0.0.1:13002/3]: orders [0] changed PID{Id:2000,Epoch:0} -> "
                 "PID{Id:2000,Epoch:1} with base MsgId 137")
    history.close()
    lines = history_lines(tmp_path / "h.jsonl")
    assert [(line["type"], line["f"], line["op_id"]) for line in lines] == [("invoke", "epoch_bump", -1), ("ok", "epoch_bump", -1)]
    assert lines[1]["value"] == {"producer_id": 2000, "epoch": 1, "reason": "skipped sequence numbers"}
    logged = capsys.readouterr().err
    assert logged.count("\n") == 4 and "Idempotent producer state change" in logged, "every line still reaches the process log"


def test_a_real_producer_serves_its_log_through_the_handler(tmp_path, capsys):
    workload = load_workload("kafka_workload_epoch_bump_real")
    history = workload.History(str(tmp_path / "h.jsonl"), "producer-1-1")
    producer = Producer({"bootstrap.servers": "127.0.0.1:1", "enable.idempotence": True, "debug": "eos",
                         "logger": workload.client_logger("producer-1-1-real", history)})
    for _ in range(10):
        producer.poll(0.05)
    history.close()
    assert "Idempotent producer state change" in capsys.readouterr().err
    assert history_lines(tmp_path / "h.jsonl") == [], "no bump without a broker"
