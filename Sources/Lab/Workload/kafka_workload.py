"""Samsa's workload process: a real Kafka client (confluent-kafka, librdkafka) that produces or
consumes and writes every operation to a JSONL history, as the lab's checkers read it.

Each line: {"index", "time_ns", "process", "type": invoke|ok|fail|info, "f", "value", "error", "op_id"}.
A send whose outcome is unknown (a timeout, a lost connection, any retriable error left after retries)
is "info": the checkers count it as written only if some read saw it. Values are unique per run:
"<process>-<sequence>", padded to the value size.

Roles: producer (plain, or transactional with --transactional-id), consumer (group subscribe or assign,
at the --isolation level it is given), transform (consume-transform-produce: read_committed input, output
and input offsets committed in one transaction), final-reader (assigns every partition of the topics and
reads from the start to the high watermark, read_committed).

Producer epoch bumps: an idempotent producer's librdkafka may bump its producer epoch on its own (after a
sequence gap, a timeout in flight) and then re-send, under the new epoch, messages it had sent before;
the broker cannot deduplicate across epochs. Each bump is recorded as an "epoch_bump" operation (invoke and
ok, a negative op_id) with {"producer_id", "epoch", "reason"}, so the duplicate checker can tell a client's
re-send from a broker that failed to deduplicate.

Transactions: "txn_begin", "txn_commit" and "txn_abort" operations, each with {"txn": id}; the commit's
and abort's completion adds "writes" (every record the transaction produced: value, topic, partition,
offset) and "inputs" (the input offsets a transform consumed in it). A commit or abort is "ok" when the
client said it took effect, "fail" when it certainly did not, "info" when unknown (a timeout). The sends
of a transaction carry "txn" and complete "info": a delivered record is visible only if its transaction
commits, which only the transaction checkers can judge. Reads carry the consumer's "isolation". Every loop is bounded by --duration and/or
--count; SIGTERM stops the process cleanly (producers flush for at most --flush-timeout seconds).
"""
import argparse
import contextlib
import json
import logging
import os
import random
import re
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


class ClientLog(logging.Handler):
    """librdkafka's log lines (served by poll/flush): written to stderr as librdkafka prints them, and
    each producer epoch bump recorded in the history (see the module docstring)."""

    BUMPED = re.compile(r"bumped epoch to PID\{Id:(\d+),Epoch:(\d+)\}")
    REASON = re.compile(r"epoch bump for \d+ partition\(s\)(?: with in-flight requests)?: (.*)$")

    def __init__(self, history: History):
        super().__init__(logging.DEBUG)
        self.history = history
        self.reason = None
        self.bumps = 0

    def emit(self, record):
        try:
            line = record.getMessage()
            print(f"%{record.levelno}|{time.time():.3f}|{line}", file=sys.stderr, flush=True)
            reason = self.REASON.search(line)
            if reason:
                self.reason = reason.group(1).strip()
            bumped = self.BUMPED.search(line)
            if bumped:
                self.bumps += 1
                value = {"producer_id": int(bumped.group(1)), "epoch": int(bumped.group(2)), "reason": self.reason}
                self.history.write("invoke", "epoch_bump", value, op_id=-self.bumps)
                self.history.write("ok", "epoch_bump", value, op_id=-self.bumps)
                self.reason = None
        except Exception:  # a log line must never stop the workload
            self.handleError(record)


def client_logger(process: str, history: History) -> logging.Logger:
    logger = logging.getLogger(f"rdkafka.{process}")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(ClientLog(history))
    return logger


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
    if args.transactional_id:
        return run_txn_producer(args, history)
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
    if args.idempotence:
        # librdkafka's "eos" debug context logs its producer-id and epoch changes (a few lines a run).
        config["debug"] = "eos"
        config["logger"] = client_logger(args.process, history)
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


# Transactions ---------------------------------------------------------------------------------------

TXN_ATTEMPTS = 3
# What a producer hears once a newer one with its transactional.id (or the coordinator's timeout
# abort) has bumped the epoch: its transaction can no longer commit.
FENCED_ERRORS = {"PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH", "_FENCED"}


class TransactionOutcome(Exception):
    """The producer cannot go on: a transaction's outcome is unknown or the client failed fatally."""


def transactional_config(args, transactional_id: str) -> dict:
    return {
        "bootstrap.servers": args.bootstrap,
        "transactional.id": transactional_id,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": args.linger_ms,
        "compression.type": args.compression,
        "message.timeout.ms": args.delivery_timeout_ms,
        "request.timeout.ms": args.request_timeout_ms,
        "transaction.timeout.ms": args.transaction_timeout_ms or max(args.delivery_timeout_ms, int(args.txn_timeout * 1000) * 2, 10000),
        "retry.backoff.ms": 50,
        "retry.backoff.max.ms": 200,
        "reconnect.backoff.max.ms": 200,
        "topic.metadata.refresh.fast.interval.ms": 50,
        "client.id": args.process,
        "error_cb": on_client_error,
    }


class Transactions:
    """A transactional producer whose every transaction is recorded: txn_begin, the sends (with
    "txn"), then txn_commit or txn_abort with the records it wrote and the input offsets it consumed.
    Every client call is bounded by --txn-timeout; a call that keeps failing retriably is retried at
    most TXN_ATTEMPTS times, then its outcome is recorded unknown ("info") and the producer stops."""

    def __init__(self, args, history: History, transactional_id: str):
        self.args = args
        self.history = history
        self.transactional_id = transactional_id
        self.producer = Producer(transactional_config(args, transactional_id))
        self.op = 0
        self.number = 0
        self.sequence = 0
        self.txn = None
        self.writes = []
        self.inputs = []
        self.pending = 0
        self.failed_delivery = None

    def next_op(self) -> int:
        self.op += 1
        return self.op

    def init(self):
        op = self.next_op()
        self.history.write("invoke", "txn_init", None, op_id=op)
        try:
            self.producer.init_transactions(self.args.txn_timeout)
        except KafkaException as error:
            self.history.write("fail", "txn_init", None, error=kafka_error_name(error), op_id=op)
            raise TransactionOutcome(f"init_transactions failed: {kafka_error_name(error)}")
        self.history.write("ok", "txn_init", None, op_id=op)

    def begin(self):
        self.number += 1
        self.txn = f"{self.args.process}-t{self.number}"
        self.writes = []
        self.inputs = []
        self.failed_delivery = None
        op = self.next_op()
        self.history.write("invoke", "txn_begin", {"txn": self.txn}, op_id=op)
        try:
            self.producer.begin_transaction()
        except KafkaException as error:
            self.history.write("fail", "txn_begin", {"txn": self.txn}, error=kafka_error_name(error), op_id=op)
            raise TransactionOutcome(f"begin_transaction failed: {kafka_error_name(error)}")
        self.history.write("ok", "txn_begin", {"txn": self.txn}, op_id=op)

    def send(self, topic: str, value: str, partition: int = -1):
        op = self.next_op()
        txn = self.txn
        invoke = {"topic": topic, "value": value, "txn": txn}
        if partition >= 0:
            invoke["partition"] = partition
        self.history.write("invoke", "send", invoke, op_id=op)

        def delivered(error, message):
            self.pending -= 1
            if error is None:
                record = {"topic": message.topic(), "value": value, "partition": message.partition(), "offset": message.offset(),
                          "txn": txn}
                self.writes.append({"topic": message.topic(), "partition": message.partition(), "offset": message.offset(), "value": value})
                # Written, but visible only if the transaction commits: the send itself stays undecided.
                self.history.write("info", "send", record, error="TRANSACTIONAL", op_id=op)
            else:
                self.failed_delivery = self.failed_delivery or error.name()
                self.writes.append({"topic": topic, "partition": partition if partition >= 0 else None, "offset": None, "value": value,
                                    "error": error.name()})
                self.history.write("info", "send", invoke, error=error.name(), op_id=op)

        kwargs = {"value": value.encode(), "on_delivery": delivered}
        if partition >= 0:
            kwargs["partition"] = partition
        deadline = time.monotonic() + self.args.txn_timeout
        while True:
            try:
                self.producer.produce(topic, **kwargs)
                self.pending += 1
                break
            except BufferError:
                self.producer.poll(0.05)
                if time.monotonic() > deadline:
                    self.writes.append({"topic": topic, "partition": None, "offset": None, "value": value, "error": "local queue full"})
                    self.failed_delivery = "local queue full"
                    self.history.write("fail", "send", invoke, error="local queue full", op_id=op)
                    return
            except KafkaException as error:
                self.failed_delivery = kafka_error_name(error)
                self.history.write("fail", "send", invoke, error=kafka_error_name(error), op_id=op)
                return
        self.producer.poll(0)

    def consumed(self, records):
        self.inputs.extend({"topic": r["topic"], "partition": r["partition"], "offset": r["offset"]} for r in records)

    def finish_value(self) -> dict:
        return {"txn": self.txn, "writes": self.writes, "inputs": self.inputs}

    def flush(self):
        """Delivers every record of the open transaction (bounded); the rest stay without an offset."""
        self.producer.flush(self.args.txn_timeout)

    def commit(self) -> bool:
        """Commits the open transaction; aborts it when the client says the commit needs an abort.
        Returns whether it committed. Raises TransactionOutcome when the outcome is unknown."""
        op = self.next_op()
        self.history.write("invoke", "txn_commit", {"txn": self.txn}, op_id=op)
        try:
            self.flush()
        except KafkaException:
            pass  # the commit below reports what went wrong
        last = None
        for _ in range(TXN_ATTEMPTS):
            try:
                self.producer.commit_transaction(self.args.txn_timeout)
                self.history.write("ok", "txn_commit", self.finish_value(), op_id=op)
                self.txn = None
                return True
            except KafkaException as error:
                last = error.args[0] if error.args else None
                if last is not None and last.txn_requires_abort():
                    # The client refused the commit before it took effect: the transaction must abort.
                    self.history.write("fail", "txn_commit", self.finish_value(), error=last.name(), op_id=op)
                    self.abort()
                    return False
                if last is None or not last.retriable():
                    break
        self.history.write("info", "txn_commit", self.finish_value(), error=last.name() if last is not None else "commit failed", op_id=op)
        self.txn = None
        raise TransactionOutcome(f"commit of a transaction unknown: {last.name() if last is not None else 'error'}")

    def abort(self):
        op = self.next_op()
        self.history.write("invoke", "txn_abort", {"txn": self.txn}, op_id=op)
        last = None
        for _ in range(TXN_ATTEMPTS):
            try:
                self.producer.abort_transaction(self.args.txn_timeout)
                self.history.write("ok", "txn_abort", self.finish_value(), op_id=op)
                self.txn = None
                return
            except KafkaException as error:
                last = error.args[0] if error.args else None
                if last is None or not last.retriable():
                    break
        self.history.write("info", "txn_abort", self.finish_value(), error=last.name() if last is not None else "abort failed", op_id=op)
        self.txn = None
        raise TransactionOutcome(f"abort of a transaction unknown: {last.name() if last is not None else 'error'}")

    def end(self, abort: bool) -> bool:
        """Ends the open transaction: a deliberate abort (its records are flushed first, so they are
        in the log when the abort marker follows them) or a commit. Returns whether it committed."""
        if abort or self.failed_delivery is not None:
            try:
                self.flush()
            except KafkaException:
                pass
            self.abort()
            return False
        return self.commit()

    def replace_producer(self, reason: str):
        """For a client call that never returned: librdkafka's send_offsets_to_transaction waits
        without bound for a group coordinator whose broker left the metadata (librdkafka issues
        5456 and 5511), and the producer refuses every other transactional call meanwhile. The open
        transaction is recorded unknown ("info": its EndTxn was never sent, so the coordinator
        aborts it at its timeout, but the checkers are not told more than the client knows), the
        producer is abandoned and never used again, and a new one with the same transactional.id
        starts: its init_transactions fences the old one, as an application restarting would."""
        op = self.next_op()
        self.history.write("invoke", "txn_abort", {"txn": self.txn}, op_id=op)
        self.history.write("info", "txn_abort", self.finish_value(), error=reason, op_id=op)
        self.txn = None
        ABANDONED_CLIENTS.append(self.producer)
        self.producer = Producer(transactional_config(self.args, self.transactional_id))
        self.init()

    def set_aside(self):
        """The open transaction and its producer as they are (its records flushed): a zombie. A new
        producer with the same transactional.id, not yet initialised, takes their place."""
        self.flush()
        zombie = (self.producer, self.txn, self.writes, self.inputs, self.failed_delivery)
        ABANDONED_CLIENTS.append(self.producer)  # never closed: the process ends without waiting for it
        self.producer = Producer(transactional_config(self.args, self.transactional_id))
        self.txn, self.writes, self.inputs, self.failed_delivery = None, [], [], None
        return zombie

    def resume_zombie(self, zombie):
        """The set-aside producer wakes up and commits its transaction, as a producer back from a long
        pause would. Its transaction timed out and its replacement's init_transactions fenced it, so a
        cluster that keeps Kafka's guarantee refuses: the commit is recorded `fail` when the client says
        it was fenced (the transaction cannot commit), `info` for any other error, and `ok` if the
        cluster let it commit — which the fenced-commit check reports. The zombie is never used again."""
        current = (self.producer, self.txn, self.writes, self.inputs, self.failed_delivery)
        self.producer, self.txn, self.writes, self.inputs, self.failed_delivery = zombie
        op = self.next_op()
        self.history.write("invoke", "txn_commit", {"txn": self.txn, "zombie": True}, op_id=op)
        try:
            returned = bounded(lambda: self.producer.commit_transaction(self.args.txn_timeout), self.args.txn_timeout + 5)
            if returned:
                self.history.write("ok", "txn_commit", self.finish_value(), op_id=op)
            else:
                self.history.write("info", "txn_commit", self.finish_value(), error="commit_transaction did not return", op_id=op)
        except KafkaException as error:
            inner = error.args[0] if error.args else None
            fenced = inner is not None and (inner.name() in FENCED_ERRORS or (inner.fatal() and "fenced" in inner.str().lower()))
            self.history.write("fail" if fenced else "info", "txn_commit", self.finish_value(), error=kafka_error_name(error), op_id=op)
        finally:
            self.producer, self.txn, self.writes, self.inputs, self.failed_delivery = current

    def close(self):
        """Aborts a transaction left open (the workload stopped inside it)."""
        if self.txn is not None:
            try:
                self.end(abort=True)
            except TransactionOutcome:
                pass


@contextlib.contextmanager
def transaction_run(txns: "Transactions"):
    """The end every transactional process shares: a transaction that cannot go on stops the loop with
    its reason on stderr, a fatal client error is noted for the exit code, and the producer closes
    (which aborts an open transaction) unless the client is already fatal."""
    try:
        yield
    except TransactionOutcome as reason:
        print(f"transactions stopped: {reason}", file=sys.stderr, flush=True)
    except KafkaException as error:
        note_fatal(error)
    finally:
        if FATAL is None:
            try:
                txns.close()
            except KafkaException as error:
                note_fatal(error)


def kafka_error_name(error: "KafkaException") -> str:
    inner = error.args[0] if error.args else None
    return inner.name() if inner is not None and hasattr(inner, "name") else str(error)


def run_txn_producer(args, history: History):
    """--txn-records records per transaction, spread over the topic's partitions by the client (or to
    --partition), committed, or aborted with probability --abort-rate (seeded by the process name).

    With --zombie-after S: S seconds in, the open transaction's producer is set aside mid-transaction
    and stays silent past the transaction timeout (+2 s), as a producer in a long GC pause or a
    SIGSTOP; then a replacement with the same transactional.id inits, and during the replacement's
    first transaction the zombie wakes and tries to commit (see Transactions.resume_zombie)."""
    txns = Transactions(args, history, args.transactional_id)
    choice = random.Random(args.process)
    start = time.monotonic()
    deadline = start + args.duration
    interval = 1.0 / args.rate if args.rate > 0 else 0.0
    sent = 0
    zombie, zombie_due = None, args.zombie_after > 0
    with transaction_run(txns):
        txns.init()
        while not STOP and time.monotonic() < deadline and (args.count <= 0 or sent < args.count):
            if zombie is not None:
                # The replacement's first transaction is open with a record written: the zombie wakes.
                txns.begin()
                txns.send(args.topic, next_value(args, txns), args.partition)
                sent += 1
                txns.flush()
                txns.resume_zombie(zombie)
                zombie = None
                txns.end(abort=False)
                continue
            txns.begin()
            for _ in range(args.txn_records):
                if STOP or (args.count > 0 and sent >= args.count):
                    break
                txns.send(args.topic, next_value(args, txns), args.partition)
                sent += 1
                if interval:
                    time.sleep(interval)
            if zombie_due and time.monotonic() - start >= args.zombie_after:
                zombie_due = False
                zombie = txns.set_aside()
                pause = transactional_config(args, txns.transactional_id)["transaction.timeout.ms"] / 1000 + 2
                print(f"zombie: {zombie[1]} set aside open for {pause:.0f} s; a new producer replaces it", file=sys.stderr, flush=True)
                pause_end = time.monotonic() + pause
                while not STOP and time.monotonic() < pause_end:
                    time.sleep(0.1)
                txns.init()
                continue
            txns.end(abort=choice.random() < args.abort_rate)
    return FATAL_EXIT if FATAL else 0


def next_value(args, txns: "Transactions") -> str:
    value = f"{args.process}-{txns.sequence}"
    txns.sequence += 1
    return value + "." * (args.value_size - len(value)) if len(value) < args.value_size else value


def run_transform(args, history: History):
    """Consume-transform-produce: reads --topic read_committed in group --group, writes one record to
    --output per record read, and commits the output and the input offsets in one transaction (or
    aborts it with probability --abort-rate, then rewinds to the transaction's first input offsets so
    they are processed again). consume() runs under a bound, as the plain consumer's does: when it does
    not return, that consumer is abandoned and a new one in the group resumes from the offsets the
    committed transactions hold (no transaction is open while it polls)."""
    config = {
        "bootstrap.servers": args.bootstrap,
        "group.id": args.group,
        "isolation.level": "read_committed",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": args.session_timeout_ms,
        "heartbeat.interval.ms": max(100, args.session_timeout_ms // 10),
        "client.id": args.process,
        "topic.metadata.refresh.fast.interval.ms": 50,
        "reconnect.backoff.max.ms": 200,
        "error_cb": on_client_error,
    }
    consumer = None
    poll_bound = args.session_timeout_ms / 1000 + 10
    txns = Transactions(args, history, args.transactional_id)
    txns.op = 1 << 40  # the consumer's operations and the producer's share one process: separate op_id ranges
    choice = random.Random(args.process)
    op = 0

    def assigned(value):
        nonlocal op
        history.write("invoke", "assign", value, op_id=op)
        history.write("ok", "assign", value, op_id=op)
        op += 1

    def on_assign(c, partitions):
        if c is consumer:  # an abandoned consumer's late callbacks are not this process's history
            assigned({"partitions": [{"topic": p.topic, "partition": p.partition} for p in partitions]})

    def on_revoke(c, partitions):
        if c is consumer:
            assigned({"partitions": []})

    def start():
        nonlocal consumer
        consumer = Consumer(config)
        consumer.subscribe([args.topic], on_assign=on_assign, on_revoke=on_revoke)

    def rewind(records):
        """After an abort the inputs go back to be read again, from the transaction's first offsets."""
        firsts = {}
        for record in records:
            key = (record["topic"], record["partition"])
            firsts[key] = min(firsts.get(key, record["offset"]), record["offset"])
        for (topic, partition), offset in firsts.items():
            consumer.seek(TopicPartition(topic, partition, offset))
        # The position moved back: an assignment, as the order checkers read it.
        assigned({"partitions": [{"topic": p.topic, "partition": p.partition} for p in consumer.assignment()]})

    start()
    deadline = time.monotonic() + args.duration
    drain_deadline = deadline + args.drain
    try:
        with transaction_run(txns):
            txns.init()
            while not STOP and time.monotonic() < drain_deadline:
                poll_id = op
                op += 1
                history.write("invoke", "poll", None, op_id=poll_id)
                current, outcome = consumer, {}
                bound = min(poll_bound, max(2.0, drain_deadline - time.monotonic()))
                if not bounded(lambda: outcome.setdefault("messages", current.consume(num_messages=max(1, args.txn_records), timeout=0.2)), bound):
                    reason = f"consume() did not return within {bound:g} s"
                    history.write("info", "poll", None, error=reason, op_id=poll_id)
                    ABANDONED_CLIENTS.append(current)
                    if time.monotonic() >= drain_deadline:
                        print(f"{reason}: the drain is over, the consumer is left", file=sys.stderr, flush=True)
                        consumer = None
                        break
                    print(f"{reason}: a new consumer replaces this one", file=sys.stderr, flush=True)
                    start()
                    continue
                messages = outcome["messages"]
                records = read_records(messages)
                history.write("ok", "poll", {"records": records, "isolation": "read_committed"}, op_id=poll_id)
                if not records:
                    if time.monotonic() > deadline and caught_up(consumer):
                        break
                    continue
                txns.begin()
                txns.consumed(records)
                for record in records:
                    value = f"{args.process}-{txns.sequence}"
                    txns.sequence += 1
                    if len(value) < args.value_size:
                        value = value + "." * (args.value_size - len(value))
                    txns.send(args.output, value)
                offsets = {}
                for record in records:
                    key = (record["topic"], record["partition"])
                    offsets[key] = max(offsets.get(key, 0), record["offset"] + 1)
                producer, metadata = txns.producer, consumer.consumer_group_metadata()
                positions = [TopicPartition(t, p, o) for (t, p), o in offsets.items()]
                try:
                    offered = lambda: producer.send_offsets_to_transaction(positions, metadata, args.txn_timeout)
                    returned = bounded(offered, args.txn_timeout + 5)
                    failed_offsets = False
                except KafkaException as error:
                    print(f"send_offsets_to_transaction: {kafka_error_name(error)}", file=sys.stderr, flush=True)
                    returned, failed_offsets = True, True
                if not returned:
                    reason = f"send_offsets_to_transaction did not return within {args.txn_timeout + 5:.0f} s"
                    print(f"{reason}: a new producer replaces this one", file=sys.stderr, flush=True)
                    txns.replace_producer(reason)
                    rewind(records)
                elif not txns.end(abort=failed_offsets or choice.random() < args.abort_rate):
                    rewind(records)
    finally:
        try:
            if consumer is not None:
                bounded(consumer.close, args.commit_timeout)
        except Exception:
            pass
    return FATAL_EXIT if FATAL else 0


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


# Clients given up on while one of their calls never returned (Transactions.replace_producer).
ABANDONED_CLIENTS = []


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
        # Always explicit: librdkafka's default (read_committed) would hide a broker's read_uncommitted path.
        "isolation.level": args.isolation,
        "enable.auto.commit": args.commit == "auto",
        "session.timeout.ms": args.session_timeout_ms,
        "heartbeat.interval.ms": max(100, args.session_timeout_ms // 10),
        "client.id": args.process,
        "topic.metadata.refresh.fast.interval.ms": 50,
        "reconnect.backoff.max.ms": 200,
        "error_cb": on_client_error,
    }
    consumer = None
    commits = None
    op = 0
    # consume() runs under this bound: librdkafka can block in it without one while a group
    # coordinator request waits for a broker dropped from the metadata (librdkafka 5456/5511).
    poll_bound = args.session_timeout_ms / 1000 + 10

    def on_assign(c, partitions):
        nonlocal op
        if c is not consumer:
            return  # an abandoned consumer's late callback: its history ended when it was given up
        value = {"partitions": [{"topic": p.topic, "partition": p.partition} for p in partitions]}
        history.write("invoke", "assign", value, op_id=op)
        history.write("ok", "assign", value, op_id=op)
        op += 1

    def on_revoke(c, partitions):
        nonlocal op
        if c is not consumer:
            return
        history.write("invoke", "assign", {"partitions": []}, op_id=op)
        history.write("ok", "assign", {"partitions": []}, op_id=op)
        op += 1

    def start():
        """A consumer in the group (or on its assigned partitions); a replacement resumes from the
        group's committed offsets, and its assignment is recorded as any other."""
        nonlocal consumer, commits
        consumer = Consumer(config)
        commits = BoundedCommits(consumer)
        if args.group:
            consumer.subscribe([args.topic], on_assign=on_assign, on_revoke=on_revoke)
        else:
            partitions = [TopicPartition(args.topic, p, OFFSET_BEGINNING) for p in args.assign]
            consumer.assign(partitions)
            on_assign(consumer, partitions)

    start()

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
        nonlocal op, consumer
        # The id is taken before consume(): rebalance callbacks run inside it and record their own
        # assign operations, which must not reuse the open poll's id.
        poll_id = op
        op += 1
        history.write("invoke", "poll", None, op_id=poll_id)
        # With --count, never more than the records still wanted: consume() moves the position past
        # what it returns, and the commit after it would claim records nobody was shown.
        wanted = 500 if args.count <= 0 else max(1, min(500, args.count - consumed))
        current, outcome = consumer, {}
        # Never past the end of the drain (by more than a short floor): a poll that hangs there does
        # not hold the process beyond its time.
        bound = min(poll_bound, max(2.0, end_by - time.monotonic()))
        if not bounded(lambda: outcome.setdefault("messages", current.consume(num_messages=wanted, timeout=0.2)), bound):
            # Given up: what that poll may yet return is never seen (not a read), the consumer is
            # abandoned and a new one in the same group goes on from the committed offsets (none
            # when the drain is over: the process ends).
            reason = f"consume() did not return within {bound:g} s"
            history.write("info", "poll", None, error=reason, op_id=poll_id)
            ABANDONED_CLIENTS.append(current)
            if time.monotonic() < end_by:
                print(f"{reason}: a new consumer replaces this one", file=sys.stderr, flush=True)
                start()
            else:
                print(f"{reason}: the drain is over, the consumer is left", file=sys.stderr, flush=True)
                consumer = None
            return 0
        messages = outcome["messages"]
        records = read_records(messages)
        errors = [m.error() for m in messages if m.error() is not None and m.error().code() != KafkaError._PARTITION_EOF]
        value = {"records": records, "isolation": args.isolation}
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
    # The drain: the producers stop with the workload, the consumers read (and commit) what is left
    # until their position reaches the high watermark of every assigned partition, within --drain
    # seconds after the workload's end (a moving leader or coordinator can hold records back for a
    # while). The end is fixed here, so a poll given up on late does not push it out.
    end_by = deadline + args.drain
    while not STOP and time.monotonic() < deadline and consumer is not None and (args.count <= 0 or consumed < args.count):
        consumed += poll_once()
    while not STOP and time.monotonic() < end_by and consumer is not None and (args.count <= 0 or consumed < args.count):
        read = poll_once()
        consumed += read
        if read == 0 and consumer is not None and caught_up(consumer):
            break
    if consumer is not None:
        try:
            bounded(consumer.close, args.commit_timeout)
        except Exception:  # leaving the group failed: the group outlives us by a session, nothing is lost
            pass
    return FATAL_EXIT if FATAL else 0


def run_final_reader(args, history: History):
    """Reads every partition of every topic from the start to its high watermark."""
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": f"{args.process}-final", "enable.auto.commit": False,
                         "isolation.level": "read_committed", "client.id": args.process, "reconnect.backoff.max.ms": 200})
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
        # A transaction's control record (and an aborted transaction's records) end a partition without
        # a record to show for them: the consumer's position has moved past them.
        try:
            for tp in consumer.position(targets):
                key = (tp.topic, tp.partition)
                if tp.offset is not None and tp.offset >= 0:
                    positions[key] = max(positions.get(key, 0), tp.offset)
        except Exception:  # the position is unknown for now: the records say how far the read got
            pass
        history.write("ok", "final_read", {"records": records, "isolation": "read_committed"}, op_id=op)
        op += 1
    incomplete = {f"{t}/{p}": [positions.get((t, p), 0), end] for (t, p), end in ends.items() if end is None or positions.get((t, p), 0) < end}
    consumer.close()
    if incomplete:
        history.write("info", "final_read", {"records": []}, error=f"incomplete final read: {json.dumps(incomplete)}", op_id=op)
        return 3
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["producer", "consumer", "transform", "final-reader"], required=True)
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
    parser.add_argument("--isolation", choices=["read_committed", "read_uncommitted"], default="read_uncommitted",
                        help="consumers: the isolation.level given to the client")
    parser.add_argument("--transactional-id", help="producers and transforms: the transactional.id (producers: transactional mode)")
    parser.add_argument("--txn-records", type=int, default=10, help="records per transaction (transforms: at most)")
    parser.add_argument("--abort-rate", type=float, default=0.0, help="the fraction of transactions deliberately aborted")
    parser.add_argument("--transaction-timeout-ms", type=int, default=0,
                        help="transactional producers: transaction.timeout.ms (0: the delivery timeout, at least twice --txn-timeout)")
    parser.add_argument("--zombie-after", type=float, default=0.0,
                        help="transactional producers: seconds until the producer is set aside mid-transaction past its timeout, replaced, "
                             "then woken to commit (0: never)")
    parser.add_argument("--txn-timeout", type=float, default=10, help="seconds each transactional call may take")
    parser.add_argument("--output", help="transforms: the topic written to")
    args = parser.parse_args()
    if args.role == "transform" and not (args.output and args.group and args.transactional_id):
        parser.error("--role transform needs --output, --group and --transactional-id")
    if not 0 <= args.abort_rate <= 1:
        parser.error("--abort-rate must be between 0 and 1")
    if args.txn_records < 1:
        parser.error("--txn-records must be at least 1")
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    history = History(args.history, args.process)
    try:
        if args.role == "producer":
            code = run_producer(args, history)
        elif args.role == "consumer":
            code = run_consumer(args, history)
        elif args.role == "transform":
            code = run_transform(args, history)
        else:
            code = run_final_reader(args, history)
    finally:
        history.close()
    # The history is closed and fsynced: the process ends without the interpreter's teardown, where
    # a client destroys itself and librdkafka can wait without a bound — for an abandoned client
    # whose call never returned, or a consumer whose close gave up waiting for its coordinator.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
