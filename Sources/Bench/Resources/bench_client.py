"""The benchmarks' load generator: a real confluent-kafka (librdkafka) client in its own process.

Every mode prints one JSON object on stdout when it ends. Modes:
  create   --topic T --partitions N --replication R [--config k=v ...]: create, wait for every leader and then
           for every partition's full ISR
  delete   --topic T: delete it and wait until the metadata no longer lists it
  produce  --topic T --count N --size S --acks A: as fast as the broker acknowledges
  consume  --topic T --count N: assign every partition from the start, read N records
  consume  --topic T --share I/M: assign the partitions p with p % M == I from the start and read each
           up to the high watermark it had when the client started
  consume  --topic T --share I/M --expect P:N,...: the same partitions, each read until it has delivered the
           N records its producers had acknowledged (the producers' answers carry them as "partitions")
  With --go F (produce, consume), the client connects, prints "ready" and waits until the file F
  exists before it starts (so several client processes start together); its answer then carries the
  wall times it started and ended at ("started", "ended").
  produce and consume also answer with the client's own load over the timed part: "cpu_seconds" (its
  threads' CPU time) and "runqueue_seconds" (the time its threads were ready to run but waited for a
  CPU, summed over its threads, from /proc/self/task/*/schedstat; absent where that is unreadable).
  On a machine shared with other work, a run-queue wait near the wall time says the figure measured
  the client's share of the CPUs, not the broker.
  latency  --topic T --rate R --seconds D --size S: produce at R/s (acks=all, idempotent, linger.ms=0) with
           the send time in each value while a consumer in a second process (latency-reader) reads from
           the end; end-to-end latencies (microseconds) go to --out, one per line
  probe    --topic T --seconds D --out F: one acks=all record every 5 ms to partition 0; each
           acknowledgement's wall time (ns) and leader epoch go to F, one line each, as they arrive
  leader   --topic T: partition 0's leader and its ISR
  cluster  --partitions N --seconds D: wait until the metadata names N brokers and a controller
"""
import argparse
import json
import os
import subprocess
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def create(args):
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    config = dict(item.split("=", 1) for item in args.config)
    started = time.monotonic()
    futures = admin.create_topics([NewTopic(args.topic, num_partitions=args.partitions, replication_factor=args.replication,
                                            config=config)], request_timeout=120)
    futures[args.topic].result(timeout=300)
    deadline = time.monotonic() + 300
    led = None
    while time.monotonic() < deadline:
        topic = admin.list_topics(args.topic, timeout=30).topics.get(args.topic)
        if topic and len(topic.partitions) == args.partitions and all(p.leader >= 0 for p in topic.partitions.values()):
            led = led or time.monotonic() - started
            # Then every replica in sync: until then the brokers are still catching up, not idle.
            if all(len(p.isrs) == args.replication for p in topic.partitions.values()):
                return {"seconds": led, "isr_seconds": time.monotonic() - started, "partitions": args.partitions}
        time.sleep(0.05 if led is None else 0.5)
    if led is None:
        raise SystemExit(f"{args.topic}: not every partition had a leader within 300 s")
    raise SystemExit(f"{args.topic}: not every partition had its full ISR within 300 s")


def delete(args):
    """Deletes the topic (its data is no longer needed) and waits until the metadata no longer lists it."""
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    started = time.monotonic()
    admin.delete_topics([args.topic], operation_timeout=60, request_timeout=90)[args.topic].result(timeout=120)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if args.topic not in admin.list_topics(timeout=30).topics:
            return {"deleted": args.topic, "seconds": time.monotonic() - started}
        time.sleep(0.1)
    raise SystemExit(f"{args.topic}: still listed 60 s after it was deleted")


def client_load():
    """The CPU time of this process's threads and the time they waited on a run queue, in seconds,
    summed over the threads alive now (the librdkafka threads of a live client among them)."""
    running = waiting = 0
    readable = False
    for task in os.listdir("/proc/self/task") if os.path.isdir("/proc/self/task") else []:
        try:
            with open(f"/proc/self/task/{task}/schedstat") as file:
                on_cpu, queued = file.read().split()[:2]
        except (OSError, ValueError):
            continue  # a thread that ended meanwhile
        running += int(on_cpu)
        waiting += int(queued)
        readable = True
    return (running / 1e9, waiting / 1e9) if readable else None


def load_since(before):
    """The client's load since `before` (a `client_load()`), as answer fields."""
    after = client_load()
    if before is None or after is None:
        return {}
    # A thread that ended meanwhile takes its time with it: never below zero.
    return {"cpu_seconds": round(max(0.0, after[0] - before[0]), 3), "runqueue_seconds": round(max(0.0, after[1] - before[1]), 3)}


def wait_for_go(args):
    """Prints "ready" and waits (at most 300 s) for the go file; returns the wall time it saw it at."""
    if not args.go:
        return time.time()
    print("ready", flush=True)
    deadline = time.monotonic() + 300
    while not os.path.exists(args.go):
        if time.monotonic() > deadline:
            raise SystemExit(f"no go file {args.go} within 300 s")
        time.sleep(0.001)
    return time.time()


def producer_config(args, acks):
    config = {"bootstrap.servers": args.bootstrap, "acks": acks, "linger.ms": 5, "batch.size": 1_000_000,
              "queue.buffering.max.messages": 2_000_000, "queue.buffering.max.kbytes": 2_000_000,
              "compression.type": "none", "message.timeout.ms": 120_000}
    if getattr(args, "batch_records", None):
        # Batches closed by their record count (or batch.size) well before linger.ms: the stored
        # batches then have the same shape on every broker, whatever its answers' pace. With linger.ms
        # alone a broker that answers faster gets smaller batches, which cost its readers more.
        config.update({"batch.num.messages": args.batch_records, "linger.ms": 1_000})
    return config


def produce(args):
    producer = Producer(producer_config(args, args.acks))
    payload = b"x" * args.size
    outcome = {"acked": 0, "failed": 0}
    # Acknowledged records by partition, the untimed first one included: what a reader must get back.
    acknowledged = {}

    def delivered(error, message):
        outcome["failed" if error else "acked"] += 1
        if not error:
            acknowledged[message.partition()] = acknowledged.get(message.partition(), 0) + 1

    producer.produce(args.topic, payload, on_delivery=delivered)  # metadata and connections first
    producer.flush(60)
    outcome["acked"] = 0
    # With --batch-records the records go to the partitions in turn, so that each partition's batches
    # fill to the record count (librdkafka's sticky partitioner would put a whole linger.ms of records
    # into one partition).
    partitions = sorted(producer.list_topics(args.topic, timeout=30).topics[args.topic].partitions) if args.batch_records else []
    wall_started = wait_for_go(args)
    load = client_load()
    started = time.monotonic()
    for number in range(args.count):
        while True:
            try:
                if partitions:
                    producer.produce(args.topic, payload, partition=partitions[number % len(partitions)], on_delivery=delivered)
                else:
                    producer.produce(args.topic, payload, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
    left = producer.flush(300)
    seconds = time.monotonic() - started
    return {"records": args.count, "acked": outcome["acked"], "failed": outcome["failed"] + left, "seconds": seconds,
            "bytes": args.count * args.size, "started": wall_started, "ended": wall_started + seconds,
            "partitions": {str(p): n for p, n in sorted(acknowledged.items())}, **load_since(load)}


def consume(args):
    # librdkafka's default fetch sizes (1 MiB a partition, 50 MiB a response). Samsa answers a backlog
    # in 1 MiB steps per partition as Kafka does; Tansu 0.6 answers all of a partition at once (4.8 MB
    # when asked for 1 MiB, in librdkafka's fetch log). Asking both for 10 MiB a partition made samsa's
    # answers 10 MB and its figure lower (0.73x instead of 0.90x Tansu at 100 B): the client parses
    # one answer before it sends the next fetch, so the size of an answer sets how much of the reading
    # overlaps with the fetching.
    # A response that fills librdkafka's local queue past queued.min.messages (100,000 records) makes
    # it stop fetching for fetch.queue.backoff.ms, 1 s by default, however soon the application drains
    # the queue: a broker that answers fast was measured by that pause (a 0.5 s read took 1.4-2.3 s).
    # 10 ms keeps the queue's bound and removes the pause.
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": f"bench-{time.time_ns()}", "enable.auto.commit": False,
                         "fetch.max.bytes": 52_428_800, "max.partition.fetch.bytes": 1_048_576, "fetch.wait.max.ms": 100,
                         "fetch.queue.backoff.ms": 10})
    metadata = consumer.list_topics(args.topic, timeout=30)
    numbers = sorted(metadata.topics[args.topic].partitions)
    ends = None
    expected = None
    if args.share:
        index, count = (int(part) for part in args.share.split("/"))
        numbers = [p for p in numbers if p % count == index]
        if args.expect is not None:
            # Each partition until it has delivered every record its producers had acknowledged: the
            # same records of every broker, whatever high watermark the broker reports.
            given = dict((int(p), int(n)) for p, n in (pair.split(":") for pair in args.expect.split(",") if pair))
            expected = {p: given.get(p, 0) for p in numbers}
            numbers = [p for p in numbers if expected[p] > 0]
        else:
            # Each partition up to the high watermark it has now (the producers have finished).
            ends = {p: consumer.get_watermark_offsets(TopicPartition(args.topic, p), timeout=30)[1] for p in numbers}
            numbers = [p for p in numbers if ends[p] > 0]
    wall_started = wait_for_go(args)
    load = client_load()
    started = time.monotonic()
    if numbers:
        consumer.assign([TopicPartition(args.topic, p, 0) for p in numbers])
    count = size = 0
    deadline = started + 600
    positions = {p: 0 for p in numbers}
    received = {p: 0 for p in numbers}

    def finished():
        if expected is not None:
            return all(received[p] >= expected[p] for p in numbers)
        if ends is None:
            return count >= args.count
        return all(positions[p] >= ends[p] for p in numbers)

    def left():
        """Records still to receive, offsets still to read to the end, or records to the count."""
        if expected is not None:
            return sum(max(0, expected[p] - received[p]) for p in numbers)
        if ends is None:
            return args.count - count
        return sum(max(0, ends[p] - positions[p]) for p in numbers)

    def wanted():
        """What the next consume() call asks for: (num_messages, timeout)."""
        if expected is not None:
            # The records left are known, so the call asks for exactly them (at most 10,000) and returns
            # as soon as they are there; it never waits for records that do not exist.
            return max(1, min(10_000, left())), 1.0
        return 10_000, 1.0 if left() >= 10_000 else 0.05

    # A broker that lost acknowledged records never delivers them: the read stops when nothing new
    # has arrived for 30 s, and says which partitions fell short.
    progressed = started
    while not finished() and time.monotonic() < deadline and time.monotonic() - progressed < 30:
        # consume() returns when it has num_messages or at its timeout. Read to a high watermark, the
        # records left are not known (a broker's reported high watermark can lag its log), so near the
        # end a call still takes up to 10,000 records and waits at most 50 ms for them; with --expect
        # a call asks for no more than are left.
        num_messages, timeout = wanted()
        for message in consumer.consume(num_messages=num_messages, timeout=timeout):
            if message.error():
                continue
            progressed = time.monotonic()
            count += 1
            size += len(message.value() or b"")
            positions[message.partition()] = message.offset() + 1
            received[message.partition()] = received.get(message.partition(), 0) + 1
    seconds = time.monotonic() - started
    measured = load_since(load)  # before close(), while librdkafka's threads are still alive
    consumer.close()
    if not finished():
        if expected is not None:
            short = ", ".join(f"{p}: {received[p]} of {expected[p]}" for p in numbers if received[p] < expected[p])
            raise SystemExit(f"consume: read {count} records in {seconds:.0f} s; partitions short of the acknowledged records ({short})")
        raise SystemExit(f"consume: read {count} records in {seconds:.0f} s without reaching the end of every partition")
    return {"records": count, "bytes": size, "seconds": seconds, "started": wall_started, "ended": wall_started + seconds, **measured}


def latency(args):
    """The producer here, the consumer in a second process (latency-reader), so neither waits on the
    other's interpreter lock; both on this machine's clock."""
    reader = subprocess.Popen([sys.executable, __file__, "latency-reader", "--bootstrap", args.bootstrap, "--topic", args.topic,
                               "--seconds", str(args.seconds + 60), "--out", args.out], stdout=subprocess.PIPE, text=True)
    try:
        if reader.stdout.readline().strip() != "ready":
            raise SystemExit("latency: the reader did not start")
        producer = Producer({**producer_config(args, "all"), "linger.ms": 0, "enable.idempotence": True})
        producer.produce(args.topic, b"warm")
        producer.flush(30)
        sent = 0
        interval = 1.0 / args.rate
        next_send = time.monotonic()
        end = next_send + args.seconds
        filler = b"x" * max(0, args.size - 20)
        while time.monotonic() < end:
            now = time.monotonic()
            if now < next_send:
                producer.poll(min(next_send - now, 0.001))
                continue
            producer.produce(args.topic, str(time.time_ns()).encode().ljust(20, b" ") + filler)
            sent += 1
            next_send += interval
            producer.poll(0)
        producer.flush(60)
        partitions = len(producer.list_topics(args.topic, timeout=30).topics[args.topic].partitions)
        for partition in range(partitions):
            producer.produce(args.topic, b"stop", partition=partition)
        producer.flush(60)
        result = json.loads(reader.communicate(timeout=args.seconds + 90)[0].strip().splitlines()[-1])
        return {"sent": sent, "received": result["received"]}
    finally:
        if reader.poll() is None:
            reader.kill()


def latency_reader(args):
    """Reads from the end of every partition until each has delivered its stop record; writes
    receive - send in microseconds, one per line."""
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": f"bench-{time.time_ns()}", "enable.auto.commit": False,
                         "fetch.wait.max.ms": 5, "fetch.min.bytes": 1})
    metadata = consumer.list_topics(args.topic, timeout=30)
    partitions = list(metadata.topics[args.topic].partitions)
    consumer.assign([TopicPartition(args.topic, p, -1) for p in partitions])
    consumer.consume(num_messages=1, timeout=2.0)  # joins the partitions at their end
    print("ready", flush=True)
    samples = []
    stopped = set()
    deadline = time.monotonic() + args.seconds
    while len(stopped) < len(partitions) and time.monotonic() < deadline:
        # poll() returns with the first record; consume() with a timeout would hold records until it
        # has num_messages of them or the timeout passed, adding that wait to every latency.
        first = consumer.poll(0.05)
        for message in ([first] if first is not None else []) + consumer.consume(num_messages=1000, timeout=0):
            if message.error() or not message.value() or message.value() == b"warm":
                continue
            received = time.time_ns()
            if message.value() == b"stop":
                stopped.add(message.partition())
                continue
            samples.append((received - int(message.value()[:20])) // 1000)
    consumer.close()
    with open(args.out, "w") as out:
        out.write("\n".join(str(s) for s in samples) + "\n")
    return {"received": len(samples)}


def probe(args):
    producer = Producer({"bootstrap.servers": args.bootstrap, "acks": "all", "linger.ms": 0, "message.timeout.ms": 60_000,
                         "retry.backoff.ms": 20, "retry.backoff.max.ms": 100, "topic.metadata.refresh.fast.interval.ms": 20,
                         "reconnect.backoff.ms": 20, "reconnect.backoff.max.ms": 100})
    out = open(args.out, "a", buffering=1)

    def delivered(error, message):
        if error is None:
            epoch = message.leader_epoch() if hasattr(message, "leader_epoch") else None
            out.write(f"{time.time_ns()} {epoch if epoch is not None else -1}\n")

    end = time.monotonic() + args.seconds
    sent = 0
    while time.monotonic() < end:
        producer.produce(args.topic, b"probe", partition=0, on_delivery=delivered)
        sent += 1
        producer.poll(0.005)
    producer.flush(30)
    return {"sent": sent}


def cluster(args):
    """Waits (at most --seconds) until the cluster's metadata names --partitions brokers and a controller."""
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    deadline = time.monotonic() + args.seconds
    seen = None
    while time.monotonic() < deadline:
        try:
            metadata = admin.list_topics(timeout=5)
            seen = (sorted(metadata.brokers), metadata.controller_id)
            if len(metadata.brokers) >= args.partitions and metadata.controller_id >= 0:
                return {"brokers": seen[0], "controller": seen[1]}
        except Exception:  # the brokers are still starting: ask again
            pass
        time.sleep(0.1)
    raise SystemExit(f"cluster: no {args.partitions} brokers and a controller within {args.seconds:.0f} s (last seen: {seen})")


def leader(args):
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    partition = admin.list_topics(args.topic, timeout=10).topics[args.topic].partitions[0]
    return {"leader": partition.leader, "isr": list(partition.isrs), "replicas": list(partition.replicas)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["create", "delete", "produce", "consume", "latency", "latency-reader", "probe", "leader", "cluster"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--partitions", type=int, default=1)
    parser.add_argument("--replication", type=int, default=1)
    parser.add_argument("--config", nargs="*", default=[])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--batch-records", type=int)
    parser.add_argument("--acks", default="1")
    parser.add_argument("--rate", type=float, default=5000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--out")
    parser.add_argument("--go")
    parser.add_argument("--share")
    parser.add_argument("--expect")
    args = parser.parse_args()
    result = globals()[args.mode.replace("-", "_")](args)
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
