"""The CLI speaks the flags of the tools people know: -b/--bootstrap-server and $SAMSA_BOOTSTRAP, a
positional topic for `topics describe`, kcat's -f format with escapes and %h, --version, and an
unknown group named as such."""
import os
import subprocess

from conftest import SAMSA, unique_topic
from test_confluent_kafka import create_topic, produce


def samsa(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([SAMSA, *args], capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})})


def test_version():
    result = samsa("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("samsa ") and result.stdout.strip().split()[1][0].isdigit()


def test_bootstrap_by_short_flag_kafka_flag_and_environment(broker):
    topic = unique_topic("flags")
    create_topic(broker.bootstrap, topic)
    for args, env in ((["-b", broker.bootstrap], None), (["--bootstrap-server", broker.bootstrap], None),
                      (["--bootstrap", broker.bootstrap], None), ([], {"SAMSA_BOOTSTRAP": broker.bootstrap})):
        result = samsa("topics", "list", *args, env=env)
        assert result.returncode == 0, (args, env, result.stderr)
        assert topic in result.stdout.split(), (args, env)
    bad = samsa("topics", "list", env={"SAMSA_BOOTSTRAP": "nohostport"})
    assert bad.returncode != 0 and "$SAMSA_BOOTSTRAP 'nohostport' is not host:port" in bad.stderr
    # A flag wins over the environment.
    result = samsa("topics", "list", "-b", broker.bootstrap, env={"SAMSA_BOOTSTRAP": "127.0.0.1:1"})
    assert result.returncode == 0 and topic in result.stdout.split()


def test_topics_describe_takes_the_topic_as_kafka_topics_does(broker):
    topic = unique_topic("desc")
    other = unique_topic("other")
    create_topic(broker.bootstrap, topic)
    create_topic(broker.bootstrap, other)
    result = samsa("topics", "describe", topic, "-b", broker.bootstrap)
    assert result.returncode == 0, result.stderr
    rows = result.stdout.splitlines()[1:]
    assert rows and all(row.split()[0] == topic for row in rows), result.stdout
    both = samsa("topics", "describe", topic, "--topic", other, "-b", broker.bootstrap)
    assert both.returncode != 0 and "two topics given" in both.stderr


def test_consume_format_is_kcats(broker):
    topic = unique_topic("fmt")
    create_topic(broker.bootstrap, topic)
    produce(broker.bootstrap, topic, [(b"k0", b"v0", [("a", b"1"), ("b", b"2")]), (None, b"v1", [])])
    result = samsa("consume", topic, "-b", broker.bootstrap, "-e", "-f", "%p\\t%o %k|%s|%h %K %S\\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "0\t0 k0|v0|a=1,b=2 2 2\n0\t1 |v1| -1 2\n"
    joined = samsa("consume", topic, "-b", broker.bootstrap, "-e", "--format", "%s;")
    assert joined.stdout == "v0;v1;", "nothing is added to the format"
    plain = samsa("consume", topic, "-b", broker.bootstrap, "-e")
    assert plain.stdout == "v0\nv1\n"
    bad = samsa("consume", topic, "-b", broker.bootstrap, "-e", "-f", "%x")
    assert bad.returncode != 0 and "unknown format token '%x'" in bad.stderr


def test_an_unknown_group_is_an_error(broker):
    result = samsa("groups", "describe", "-b", broker.bootstrap, "--group", "nosuch")
    assert result.returncode == 1
    assert "consumer group 'nosuch' does not exist" in result.stderr


def test_produce_to_an_unknown_topic_creates_nothing_unless_asked(broker):
    topic = unique_topic("typo")
    result = samsa("produce", topic, "-b", broker.bootstrap, "--count", "3")
    assert result.returncode == 1
    assert f"unknown topic '{topic}'" in result.stderr and "--create-topic" in result.stderr
    assert topic not in samsa("topics", "list", "-b", broker.bootstrap).stdout.split()
    created = samsa("produce", topic, "-b", broker.bootstrap, "--count", "3", "--create-topic")
    assert created.returncode == 0, created.stderr
    assert topic in samsa("topics", "list", "-b", broker.bootstrap).stdout.split()


def test_help_paragraphs_are_not_broken_mid_sentence():
    result = subprocess.run([SAMSA, "run", "--help"], capture_output=True, text=True, timeout=30, env={**os.environ, "COLUMNS": "400"})
    assert result.returncode == 0
    # ArgumentParser wraps long paragraphs itself; a hard line break in the text would cut this one after "and the".
    assert "The playbook is validated first (every problem as file:line:column). Then ZooKeeper and the brokers start in the run directory" \
        in result.stdout, result.stdout


def test_fault_help_is_help():
    for args in (["--help"], ["-h"], ["help"], ["--dir", "/nonexistent", "--help"], ["crash", "2", "--help"]):
        result = samsa("fault", *args)
        assert result.returncode == 0, (args, result.stderr)
        assert "FAULT is one of:" in result.stdout and "unknown fault" not in result.stderr, args
