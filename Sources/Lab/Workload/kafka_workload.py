"""Samsa's workload process: a real Kafka client (confluent-kafka, librdkafka) that produces or
consumes and writes every operation to a JSONL history, as the lab's checkers read it.

Each line: {"index", "time_ns", "process", "type": invoke|ok|fail|info, "f", "value", "error", "op_id"}.
A send whose outcome is unknown (a timeout, a lost connection, any retriable error left after retries)
is "info": the checkers count it as written only if some read saw it. Values are unique per run:
"<process>-<sequence>", padded to the value size.

Roles: producer, consumer (group subscribe or assign), final-reader (assigns every partition of the
topics and reads from the start to the high watermark). Every loop is bounded by --duration and/or
--count; SIGTERM stops the process cleanly (producers flush for at most --flush-timeout seconds).
"""
import argparse
import json
import os
import signal
import sys
import threading
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition

STOP = False
# A fatal client error (librdkafka's err.fatal(), e.g. an idempotent producer's OUT_OF_ORDER_SEQUENCE_NUMBER):
# the process stops its workload and exits with FATAL_EXIT after recording what it knows.
FATAL = None
FATAL_EXIT = 4


def on_client_error(error):
    global FATAL, STOP
    if error.fatal() and FATAL is None:
        FATAL = f"{error.name()}: {error.str()}"
        STOP = True
        print(f"FATAL client error: {FATAL}", file=sys.stderr, flush=True)


def on_term(signum, frame):
    global STOP
    STOP = True


class History:
    def __init__(self, path: str, process: str):
        self.file = open(path, "a", buffering=1)
        self.process = process
        self.index = 0

    def write(self, type_: str, f: str, value, error=None, op_id=None):
        record = {"index": self.index, "time_ns": time.time_ns(), "process": self.process, "type": type_, "f": f,
                  "value": value, "error": error}
        if op_id is not None:
            record["op_id"] = op_id
        self.file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self.index += 1

    def close(self):
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()


# Errors after which the record was certainly not written: everything else is indeterminate.
DEFINITE_FAILURES = {
    KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.INVALID_REQUIRED_ACKS, KafkaError.TOPIC_AUTHORIZATION_FAILED,
    KafkaError.INVALID_RECORD,
}


def classify(error: KafkaError, retries: int) -> str:
    code = error.code()
    if code in DEFINITE_FAILURES:
        return "fail"
    # With no retries, a rejection before append is definite: the broker answered that it wrote nothing.
    if retries == 0 and code in (KafkaError.NOT_ENOUGH_REPLICAS, KafkaError.NOT_LEADER_FOR_PARTITION):
        return "fail"
    return "info"


def run_producer(args, history: History):
    config = {
        "bootstrap.servers": args.bootstrap,
        "acks": args.acks,
        "enable.idempotence": args.idempotence,
        "max.in.flight.requests.per.connection": args.max_in_flight,
        "retries": args.retries,
        "message.timeout.ms": args.delivery_timeout_ms,
        "request.timeout.ms": args.request_timeout_ms,
        "linger.ms": args.linger_ms,
        "compression.type": args.compression,
        "retry.backoff.ms": 50,
        "retry.backoff.max.ms": 200,
        "reconnect.backoff.max.ms": 200,
        "topic.metadata.refresh.fast.interval.ms": 50,
        "client.id": args.process,
        "error_cb": on_client_error,
    }
    producer = Producer(config)
    pending = {}

    def delivered(op_id, value, key):
        def callback(error, message):
            pending.pop(op_id, None)
            if error is None:
                record = {"topic": message.topic(), "value": value, "partition": message.partition(), "offset": message.offset()}
                if key is not None:
                    record["key"] = key
                epoch = message.leader_epoch() if hasattr(message, "leader_epoch") else None
                if epoch is not None and epoch >= 0:
                    record["leader_epoch"] = epoch
                history.write("ok", "send", record, op_id=op_id)
            else:
                history.write(classify(error, args.retries), "send", {"topic": args.topic, "value": value, **({"key": key} if key else {})},
                              error=error.name(), op_id=op_id)
        return callback

    typed = None
    if args.values_file:
        with open(args.values_file, encoding="utf-8") as handle:
            typed = [line.rstrip("\n") for line in handle]
        args.count = len(typed)
    started = time.monotonic()
    deadline = started + args.duration
    interval = 1.0 / args.rate if args.rate > 0 else 0.0
    next_send = started
    try:
        produce_loop(args, history, producer, pending, delivered, typed, interval, deadline, next_send)
    except KafkaException as error:
        note_fatal(error)
    try:
        producer.flush(args.flush_timeout)
    except KafkaException as error:
        note_fatal(error)
    # Sends still undecided when the flush bound passes (or a fatal error stopped the client) are
    # indeterminate.
    for op_id, value in list(pending.items()):
        history.write("info", "send", {"topic": args.topic, "value": value}, error=FATAL or "no answer before the workload ended",
                      op_id=op_id)
    return FATAL_EXIT if FATAL else 0


def note_fatal(error: "KafkaException"):
    """A fatal client error raised from a call (poll, flush, produce) rather than reported to error_cb."""
    inner = error.args[0] if error.args else None
    if inner is not None and hasattr(inner, "fatal") and inner.fatal():
        on_client_error(inner)
    else:
        raise error


def produce_loop(args, history, producer, pending, delivered, typed, interval, deadline, next_send):
    sequence = 0
    while not STOP and time.monotonic() < deadline and (args.count <= 0 or sequence < args.count):
        now = time.monotonic()
        if interval and now < next_send:
            producer.poll(min(next_send - now, 0.05))
            continue
        next_send = max(next_send + interval, now - 1.0) if interval else now
        value = typed[sequence] if typed is not None else f"{args.process}-{sequence}"
        if typed is None and len(value) < args.value_size:
            value = value + "." * (args.value_size - len(value))
        key = f"k{sequence % args.keys}" if args.keys > 0 else None
        op_id = sequence
        sequence += 1
        invoke = {"topic": args.topic, "value": value}
        if key is not None:
            invoke["key"] = key
        if args.partition >= 0:
            invoke["partition"] = args.partition
        history.write("invoke", "send", invoke, op_id=op_id)
        pending[op_id] = value
        while True:
            try:
                kwargs = {"value": value.encode(), "on_delivery": delivered(op_id, value, key)}
                if key is not None:
                    kwargs["key"] = key.encode()
                if args.partition >= 0:
                    kwargs["partition"] = args.partition
                producer.produce(args.topic, **kwargs)
                break
            except KafkaException as error:
                # Not enqueued: certainly not written. Then the fatal error ends the loop.
                history.write("fail", "send", invoke, error=str(error.args[0].name()) if error.args else "KafkaException",
                              op_id=op_id)
                pending.pop(op_id, None)
                raise
            except BufferError:
                producer.poll(0.05)
                if STOP or time.monotonic() > deadline + args.flush_timeout:
                    history.write("fail", "send", invoke, error="local queue full", op_id=op_id)
                    pending.pop(op_id, None)
                    break
        producer.poll(0)
    return sequence


def read_records(messages):
    records = []
    for m in messages:
        if m.error() is None:
            record = {"topic": m.topic(), "partition": m.partition(), "offset": m.offset(), "value": (m.value() or b"").decode(errors="replace")}
            if m.key() is not None:
                record["key"] = m.key().decode(errors="replace")
            records.append(record)
    return records


def caught_up(consumer) -> bool:
    """Whether the consumer's position is at the high watermark of every partition it holds."""
    try:
        assigned = consumer.assignment()
        if not assigned:
            return False
        for tp in consumer.position(assigned):
            low, high = consumer.get_watermark_offsets(tp, timeout=1.0, cached=False)
            if (tp.offset < 0 and high > low) or (tp.offset >= 0 and tp.offset < high):
                return False
        return True
    except Exception:  # metadata or the leader moving: not known to be caught up
        return False


def bounded(call, seconds: float):
    """Runs call() on a daemon thread and waits at most `seconds` for it: librdkafka's synchronous
    commit and close wait without a bound while the group coordinator is unreachable. Returns whether
    call finished; its exception, if any, is raised here."""
    outcome = {}

    def run():
        try:
            call()
        except BaseException as error:  # handed to the waiting thread
            outcome["error"] = error
        finally:
            outcome["done"] = True

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("done", False)


class BoundedCommits:
    """Synchronous commits that give up waiting after a bound. A commit still running after it is
    reported as unfinished (an info op: it may yet land) and no other commit starts until it ends."""

    def __init__(self, consumer):
        self.consumer = consumer
        self.running = None

    def pending(self) -> bool:
        return self.running is not None and self.running.is_alive()

    def commit(self, seconds: float):
        done = threading.Event()
        failure = {}

        def run():
            try:
                self.consumer.commit(asynchronous=False)
            except BaseException as error:
                failure["error"] = error
            finally:
                done.set()

        self.running = threading.Thread(target=run, daemon=True)
        self.running.start()
        if not done.wait(seconds):
            raise TimeoutError(f"commit unfinished after {seconds:g} s (the group coordinator did not answer)")
        if "error" in failure:
            raise failure["error"]


def run_consumer(args, history: History):
    config = {
        "bootstrap.servers": args.bootstrap,
        "group.id": args.group or f"{args.process}-assign",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": args.commit == "auto",
        "session.timeout.ms": args.session_timeout_ms,
        "heartbeat.interval.ms": max(100, args.session_timeout_ms // 10),
        "client.id": args.process,
        "topic.metadata.refresh.fast.interval.ms": 50,
        "reconnect.backoff.max.ms": 200,
        "error_cb": on_client_error,
    }
    consumer = Consumer(config)
    commits = BoundedCommits(consumer)
    op = 0

    def on_assign(c, partitions):
        nonlocal op
        value = {"partitions": [{"topic": p.topic, "partition": p.partition} for p in partitions]}
        history.write("invoke", "assign", value, op_id=op)
        history.write("ok", "assign", value, op_id=op)
        op += 1

    def on_revoke(c, partitions):
        nonlocal op
        history.write("invoke", "assign", {"partitions": []}, op_id=op)
        history.write("ok", "assign", {"partitions": []}, op_id=op)
        op += 1

    if args.group:
        consumer.subscribe([args.topic], on_assign=on_assign, on_revoke=on_revoke)
    else:
        partitions = [TopicPartition(args.topic, p, OFFSET_BEGINNING) for p in args.assign]
        consumer.assign(partitions)
        on_assign(consumer, partitions)

    def cached_high_watermarks():
        """The high watermark of each assigned partition as the last fetch response gave it (no request
        is sent): a record a poll returned must lie below it, unless the partition's leader changed."""
        marks = []
        try:
            assignment = consumer.assignment()
        except Exception:
            return marks
        for tp in assignment:
            try:
                watermarks = consumer.get_watermark_offsets(tp, cached=True)
            except Exception:
                continue
            if watermarks is not None and watermarks[1] is not None and watermarks[1] >= 0:
                marks.append({"topic": tp.topic, "partition": tp.partition, "hw": watermarks[1]})
        return marks

    def poll_once() -> int:
        nonlocal op
        # The id is taken before consume(): rebalance callbacks run inside it and record their own
        # assign operations, which must not reuse the open poll's id.
        poll_id = op
        op += 1
        history.write("invoke", "poll", None, op_id=poll_id)
        # With --count, never more than the records still wanted: consume() moves the position past
        # what it returns, and the commit after it would claim records nobody was shown.
        wanted = 500 if args.count <= 0 else max(1, min(500, args.count - consumed))
        messages = consumer.consume(num_messages=wanted, timeout=0.2)
        records = read_records(messages)
        errors = [m.error() for m in messages if m.error() is not None and m.error().code() != KafkaError._PARTITION_EOF]
        value = {"records": records}
        if records:
            value["hw"] = cached_high_watermarks()
        history.write("ok", "poll", value, error=str(errors[0].name()) if errors and not records else None, op_id=poll_id)
        if records and args.commit in ("sync", "async") and not commits.pending():
            commit_id = op
            op += 1
            history.write("invoke", "commit", None, op_id=commit_id)
            try:
                if args.commit == "async":
                    consumer.commit(asynchronous=True)
                else:
                    commits.commit(args.commit_timeout)
                history.write("ok", "commit", None, op_id=commit_id)
            except Exception as error:  # a failed or unfinished commit is recorded, not fatal
                history.write("info", "commit", None, error=str(error), op_id=commit_id)
        return len(records)

    consumed = 0
    deadline = time.monotonic() + args.duration
    while not STOP and time.monotonic() < deadline and (args.count <= 0 or consumed < args.count):
        consumed += poll_once()
    # The drain: the producers stop with the workload, the consumers read (and commit) what is left
    # until their position reaches the high watermark of every assigned partition, within --drain
    # seconds (a moving leader or coordinator can hold records back for a while).
    drain_deadline = time.monotonic() + args.drain
    while not STOP and time.monotonic() < drain_deadline and (args.count <= 0 or consumed < args.count):
        read = poll_once()
        consumed += read
        if read == 0 and caught_up(consumer):
            break
    try:
        bounded(consumer.close, args.commit_timeout)
    except Exception:  # leaving the group failed: the group outlives us by a session, nothing is lost
        pass
    return FATAL_EXIT if FATAL else 0


def run_final_reader(args, history: History):
    """Reads every partition of every topic from the start to its high watermark."""
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": f"{args.process}-final", "enable.auto.commit": False,
                         "client.id": args.process, "reconnect.backoff.max.ms": 200})
    deadline = time.monotonic() + args.duration
    metadata = consumer.list_topics(timeout=min(30, args.duration))
    targets = []
    for topic in args.topics:
        if topic not in metadata.topics:
            continue
        for partition in sorted(metadata.topics[topic].partitions):
            targets.append(TopicPartition(topic, partition, OFFSET_BEGINNING))
    ends = {}
    starts = {}
    for tp in targets:
        while True:
            try:
                # Asked of the partition's leader: its log start and its high watermark.
                low, high = consumer.get_watermark_offsets(tp, timeout=5)
                starts[(tp.topic, tp.partition)] = low
                ends[(tp.topic, tp.partition)] = high
                break
            except Exception:
                if time.monotonic() > deadline:
                    ends[(tp.topic, tp.partition)] = None
                    break
                time.sleep(0.2)
    # The targets go into the history: the checkers judge a partition's final read complete only
    # once it has read up to the end recorded here.
    value = {"partitions": [{"topic": tp.topic, "partition": tp.partition} for tp in targets],
             "ends": [{"topic": tp.topic, "partition": tp.partition, "start": starts.get((tp.topic, tp.partition)),
                       "end": ends[(tp.topic, tp.partition)]} for tp in targets]}
    history.write("invoke", "assign", value, op_id=0)
    history.write("ok", "assign", value, op_id=0)
    consumer.assign(targets)
    positions = {key: starts.get(key, 0) for key in ends}
    op = 1
    while time.monotonic() < deadline and any(ends[k] is not None and positions[k] < ends[k] for k in ends):
        history.write("invoke", "final_read", None, op_id=op)
        messages = consumer.consume(num_messages=1000, timeout=0.5)
        records = read_records(messages)
        for r in records:
            key = (r["topic"], r["partition"])
            positions[key] = max(positions.get(key, 0), r["offset"] + 1)
        history.write("ok", "final_read", {"records": records}, op_id=op)
        op += 1
    incomplete = {f"{t}/{p}": [positions.get((t, p), 0), end] for (t, p), end in ends.items() if end is None or positions.get((t, p), 0) < end}
    consumer.close()
    if incomplete:
        history.write("info", "final_read", {"records": []}, error=f"incomplete final read: {json.dumps(incomplete)}", op_id=op)
        return 3
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["producer", "consumer", "final-reader"], required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--process", required=True)
    parser.add_argument("--history", required=True)
    parser.add_argument("--topic")
    parser.add_argument("--topics", nargs="*", default=[])
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--drain", type=float, default=0, help="consumers: seconds to go on reading after --duration")
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--acks", default="all")
    parser.add_argument("--idempotence", type=lambda v: v == "true", default=False)
    parser.add_argument("--max-in-flight", type=int, default=5)
    parser.add_argument("--retries", type=int, default=2147483647)
    parser.add_argument("--delivery-timeout-ms", type=int, default=30000)
    parser.add_argument("--request-timeout-ms", type=int, default=10000)
    parser.add_argument("--linger-ms", type=int, default=5)
    parser.add_argument("--compression", choices=["none", "gzip", "snappy", "lz4", "zstd"], default="none")
    parser.add_argument("--rate", type=float, default=0)
    parser.add_argument("--keys", type=int, default=0)
    parser.add_argument("--value-size", type=int, default=32)
    parser.add_argument("--partition", type=int, default=-1)
    parser.add_argument("--group")
    parser.add_argument("--assign", type=int, nargs="*", default=[])
    parser.add_argument("--commit", choices=["sync", "async", "auto", "none"], default="sync")
    parser.add_argument("--commit-timeout", type=float, default=5, help="consumers: seconds a synchronous commit (or close) may take")
    parser.add_argument("--session-timeout-ms", type=int, default=6000)
    parser.add_argument("--flush-timeout", type=float, default=30)
    parser.add_argument("--values-file", help="producers: send these values, one per line, instead of generated ones")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    history = History(args.history, args.process)
    try:
        if args.role == "producer":
            code = run_producer(args, history)
        elif args.role == "consumer":
            code = run_consumer(args, history)
        else:
            code = run_final_reader(args, history)
    finally:
        history.close()
    sys.exit(code)


if __name__ == "__main__":
    main()
