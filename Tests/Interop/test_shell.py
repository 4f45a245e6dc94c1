"""`samsa shell` end to end: the issue's session piped through stdin (with --fail-fast), the same
through a real terminal (tmux send-keys / capture-pane) with tab completion, Ctrl-C and Ctrl-D, and
afterwards no process of the lab left."""
import json
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from conftest import SAMSA, free_port
from labcluster import pick_base_port
from test_launchers import needs_tansu
from test_playbooks import processes_mentioning

# The issue's session. Piped, it runs in about a second: `check` could then read the replicas before
# any broker had checkpointed orders/0's high watermark (every 1 s in the lab), and replica-agreement
# rightly said unknown ("nothing is known to be committed"). So the session checkpoints every 100 ms
# and waits for the healed broker to be back in the ISR before it checks.
SESSION = """cluster up --brokers 3 --config replica.high.watermark.checkpoint.interval.ms=100
topics create orders --partitions 3 --replication-factor 3
produce orders --count 500
crash leader_of orders/0
topics describe orders
heal
await isr orders/0 == 3 --timeout 30s
check
exit
"""


def wait_gone(directory: Path, timeout: float = 30) -> list[str]:
    deadline = time.monotonic() + timeout
    while processes_mentioning(str(directory)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return processes_mentioning(str(directory))


def test_the_issue_session_piped_through_stdin(tmp_path):
    runs = tmp_path / "runs"
    result = subprocess.run([SAMSA, "shell", "--fail-fast", "--runs", str(runs)], input=SESSION, capture_output=True,
                            text=True, timeout=600, cwd=tmp_path)
    out = result.stdout
    assert result.returncode == 0, f"{out[-4000:]}\n{result.stderr[-4000:]}"
    assert "samsa>" not in out, "no prompt without a terminal"
    assert "\x1b[" not in out, "no colour without a terminal"
    assert "created topic orders: 3 partition(s), replication factor 3" in out
    assert "produced to orders: 500 acknowledged, 0 failed, 0 indeterminate of 500 sent (acks=all)" in out
    moved = re.search(r"orders/0: leader (\d) -> (\d), epoch (\d+), ISR ([\d,]+)", out)
    assert moved, out
    old, new = moved.group(1), moved.group(2)
    assert old != new and old not in moved.group(4).split(","), "the crashed leader left the ISR"
    row = next(line for line in out.splitlines() if line.startswith("orders  0 "))
    cells = row.split()
    assert cells[2] == new and "(under-replicated)" in row, row
    assert f"broker(s) {old} left the ISR of 2 partition(s) they followed" in out, out
    rows = [line for line in out.splitlines() if line.startswith("orders  ")]
    assert len(rows) == 3 and all("(under-replicated)" in r and old not in r.split()[5] for r in rows), rows
    assert "healed 1 fault(s)" in out
    assert re.search(r"sends: 500 attempted, 500 acknowledged, 0 failed, 0 indeterminate; lost 0, unseen 0, duplicates 0", out), out
    assert "PASS" in out
    lab = next(p for p in runs.iterdir() if p.is_dir())
    assert (lab / "shell" / "history.jsonl").exists()
    assert not wait_gone(lab), "exit stops every process of the lab"


def test_fail_fast_stops_at_the_first_failing_command(tmp_path):
    script = "help produce\ntopics describe orders\nhelp check\n"
    result = subprocess.run([SAMSA, "shell", "--fail-fast", "--runs", str(tmp_path / "runs")], input=script,
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 1
    assert "example: produce orders --count 500" in result.stdout
    assert result.stderr.strip().splitlines() == [
        "error: no cluster (start one with `cluster up --brokers 3` or `attach DIR`)"], result.stderr
    assert "Read every partition back" not in result.stdout, "nothing after the failure runs"
    # Without --fail-fast the script goes on, and the exit code still says something failed.
    result = subprocess.run([SAMSA, "shell"], input="bogus --x\nhelp check\n", capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 1
    assert "error: unknown command 'bogus'" in result.stderr
    assert "Read every partition back" in result.stdout


class Tmux:
    """A real terminal: the shell runs in a detached tmux session, driven with send-keys."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str]):
        self.name = "samsa-" + uuid.uuid4().hex[:8]
        environment = " ".join(f"{k}={v}" for k, v in env.items())
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "200", "-y", "60", "-c", str(cwd),
                        f"env {environment} " + " ".join(command) + "; sleep 30"], check=True)

    def send(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def type(self, line: str) -> None:
        self.send("-l", line)
        self.send("Enter")

    def screen(self, escapes: bool = False) -> str:
        args = ["tmux", "capture-pane", "-p", "-J", "-S", "-3000", "-t", self.name] + (["-e"] if escapes else [])
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout

    def wait_for(self, text: str, timeout: float = 60, after: int = 0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen[after:]:
                return screen
            time.sleep(0.2)
        raise TimeoutError(f"{text!r} not on the screen within {timeout}s:\n{self.screen()[-3000:]}")

    def wait_for_prompt(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = [line for line in self.screen().splitlines() if line.strip()]
            if lines and lines[-1].rstrip().endswith(">"):
                return
            time.sleep(0.2)
        raise TimeoutError(f"no prompt within {timeout}s:\n{self.screen()[-2000:]}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is installed by scripts/setup")
def test_the_session_at_a_terminal_with_completion_ctrl_c_and_exit(tmp_path):
    runs = tmp_path / "runs"
    home = tmp_path / "home"
    home.mkdir()
    term = Tmux([SAMSA, "shell", "--runs", str(runs), "--history", str(home / ".samsa_history")], tmp_path, {"TERM": "xterm"})
    try:
        term.wait_for("samsa> ", 30)
        term.type("cluster up --brokers 3")
        term.wait_for("cluster up: 3 broker(s)", 120)
        term.type("topics create orders --partitions 3 --replication-factor 3")
        term.wait_for("created topic orders", 30)
        # Tab completion from the live state: the command, then the topic name.
        term.send("-l", "topics desc")
        term.send("Tab")
        term.send("-l", "ord")
        term.send("Tab")
        term.wait_for("topics describe orders ", 10)
        term.send("C-u")
        term.type("produce orders --count 500")
        term.wait_for("produced to orders: 500 acknowledged", 60)
        # watch redraws until a key.
        term.type("watch leaders --interval 0.3")
        term.wait_for("watch leaders every 0.3 s", 30)
        time.sleep(1)
        term.send("q")
        term.wait_for_prompt()
        assert term.screen().count("watch leaders every") == 1, "redrawn in place, not appended"
        term.type("crash leader_of orders/0")
        screen = term.wait_for("orders/0: leader", 60)
        moved = re.search(r"orders/0: leader (\d) -> (\d)", screen)
        assert moved, screen
        mark = len(term.screen())
        term.type("topics describe orders")
        screen = term.wait_for("(under-replicated)", 30, after=mark - 200)
        # Ctrl-C interrupts the running command (a tail), not the shell.
        term.type("consume orders")
        term.wait_for("consuming orders from the beginning", 30)
        term.wait_for("  shell-producer-1-", 60)
        term.send("C-c")
        screen = term.wait_for("consumed ", 30)
        assert re.search(r"consumed ([1-9]\d*) record\(s\) from orders", screen), screen
        term.wait_for_prompt()
        mark = len(term.screen())
        term.type("heal")
        term.wait_for("healed 1 fault(s)", 60, after=mark - 200)
        term.type("check")
        screen = term.wait_for("PASS", 120)
        assert "lost 0" in screen
        assert "\x1b[36msamsa(" in term.screen(escapes=True), "the prompt is coloured on a terminal"
        lab = next(p for p in runs.iterdir() if p.is_dir())
        assert processes_mentioning(str(lab)), "the lab runs while the shell does"
        term.wait_for_prompt()
        term.send("C-d")
        term.wait_for("stopping the cluster", 30)
        assert not wait_gone(lab, 60), "Ctrl-D stops every process of the lab"
        history = (home / ".samsa_history").read_text()
        assert "produce orders --count 500" in history and "crash leader_of orders/0" in history
    finally:
        term.close()


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is installed by scripts/setup")
def test_no_colour_with_no_color_and_errors_point_at_the_word(tmp_path):
    term = Tmux([SAMSA, "shell", "--runs", str(tmp_path / "runs"), "--history", str(tmp_path / "h")], tmp_path,
                {"TERM": "xterm", "NO_COLOR": "1"})
    try:
        term.wait_for("samsa> ", 30)
        term.type("topics create bad/name")
        screen = term.wait_for("error: invalid topic name 'bad/name'", 10)
        assert "                ^" in screen, screen
        assert "\x1b[" not in term.screen(escapes=True).replace("\x1b[0m", "").replace("\x1b[39m", "").replace("\x1b[49m", ""), \
            "NO_COLOR: no colour codes"
        term.type("exit")
        deadline = time.monotonic() + 10
        while "samsa" in subprocess.run(["tmux", "list-panes", "-t", term.name, "-F", "#{pane_current_command}"],
                                        capture_output=True, text=True).stdout and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        term.close()


def test_exit_keep_leaves_the_lab_running_and_attach_drives_it(tmp_path):
    lab = tmp_path / "lab"
    base = pick_base_port(1)
    # --launcher samsa: the built-in spec, named as `samsa cluster up --launcher` names it.
    result = subprocess.run([SAMSA, "shell", "--fail-fast"],
                            input=f"cluster up --brokers 1 --dir {lab} --base-port {base} --launcher samsa\nexit --keep\n",
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"cluster up: 1 broker(s), bootstrap 127.0.0.1:{base}" in result.stdout
        assert f"samsa cluster down --dir {lab}" in result.stdout
        time.sleep(1)
        assert processes_mentioning(str(lab)), "exit --keep leaves the lab running after the shell is gone"
        script = f"attach {lab}\ntopics create kept --partitions 1 --replication-factor 1\nproduce kept --count 5\nslow 1 --latency 20ms\nheal\ncheck\nexit\n"
        result = subprocess.run([SAMSA, "shell", "--fail-fast"], input=script, capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"attached to {lab}: 1 broker(s)" in result.stdout
        assert "produced to kept: 5 acknowledged" in result.stdout
        assert "PASS" in result.stdout
        assert f"detached from {lab}" in result.stdout
        assert processes_mentioning(str(lab)), "a lab started elsewhere keeps running after the attached shell exits"
    finally:
        down = subprocess.run([SAMSA, "cluster", "down", "--dir", str(lab)], capture_output=True, text=True, timeout=90)
    assert down.returncode == 0, down.stderr
    assert f"stopped the lab in {lab}" in down.stdout
    assert not processes_mentioning(str(lab)), "cluster down returns only once the lab's processes are gone"


def test_cluster_up_refuses_what_its_launcher_cannot_run_before_anything_starts(tmp_path):
    """`cluster up --launcher` reads the launcher as `samsa cluster up --launcher` does, and refuses
    in the CLI's words; nothing is started for a refused line."""
    bad_spec = tmp_path / "broken.yaml"
    bad_spec.write_text("launcher: broken\nexecutable: /bin/true\nmax_brokerz: 2\n")
    script = f"""cluster up --launcher nosuch
cluster up --launcher {tmp_path}/missing.yaml
cluster up --launcher {bad_spec}
cluster up --launcher tansu --brokers 3
cluster up --launcher tansu --config min.insync.replicas=2
cluster up --launcher tansu --track-durability
cluster status
help cluster
"""
    result = subprocess.run([SAMSA, "shell", "--runs", str(tmp_path / "runs")], input=script, capture_output=True, text=True,
                            timeout=60, cwd=tmp_path)
    err = result.stderr
    assert result.returncode == 1, result.stdout + err
    assert ("error: --launcher nosuch: nosuch: no launcher named 'nosuch' (built in: samsa, tansu; or give a spec file's path)"
            in err), err
    assert f"error: --launcher {tmp_path}/missing.yaml: {tmp_path}/missing.yaml: cannot read the launcher spec" in err, err
    assert re.search(rf"error: --launcher {re.escape(str(bad_spec))}: {re.escape(str(bad_spec))}:3:1: .*max_brokerz", err), err
    assert "error: --brokers 3: the tansu launcher supports at most 1 broker, not 3" in err, err
    assert "error: --config: the tansu launcher takes no broker properties" in err, err
    assert "error: --track-durability: the tansu launcher cannot track durability" in err, err
    assert "error: no cluster" in err, "no refused line started a lab"
    assert "--launcher NAME|FILE" in result.stdout, "help shows the option"
    assert "starting" not in result.stdout
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir()), "no lab directory was made"


@needs_tansu
def test_a_tansu_lab_from_the_shell_is_judged_without_samsas_evidence(tmp_path):
    """`cluster up --launcher tansu` (no --brokers: the launcher's one) runs a real Tansu broker;
    `check` marks the checks a Tansu broker leaves no evidence for unknown, as `samsa run` does."""
    runs = tmp_path / "runs"
    script = f"""cluster up --launcher tansu --base-port {pick_base_port(1)}
topics create t --partitions 1 --replication-factor 1
produce t --count 20
check
exit
"""
    result = subprocess.run([SAMSA, "shell", "--fail-fast", "--runs", str(runs)], input=script, capture_output=True, text=True,
                            timeout=300, cwd=tmp_path)
    out = result.stdout
    assert result.returncode == 0, f"{out[-4000:]}\n{result.stderr[-4000:]}"
    assert "starting 1 tansu broker(s) in" in out and "cluster up: 1 broker(s)" in out, out
    assert "produced to t: 20 acknowledged" in out, out
    assert "checks: expected every check valid except those not available from a tansu broker (single-leader," in out, out
    assert "single-leader unknown" in out and "replica-agreement unknown" in out, out
    assert re.search(r"^PASS\s", out, re.M), out
    lab = next(p for p in runs.iterdir() if p.is_dir())
    assert not wait_gone(lab), "exit stops the Tansu broker"


def test_a_killed_shell_takes_its_lab_down(tmp_path):
    lab = tmp_path / "lab"
    shell = subprocess.Popen([SAMSA, "shell"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, cwd=tmp_path)
    try:
        shell.stdin.write(f"cluster up --brokers 1 --dir {lab}\n")
        shell.stdin.flush()
        deadline = time.monotonic() + 120
        seen = ""
        while "cluster up:" not in seen and time.monotonic() < deadline:
            seen += shell.stdout.readline()
        assert "cluster up:" in seen, seen
        assert processes_mentioning(str(lab))
        shell.kill()
        shell.wait(timeout=10)
        assert not wait_gone(lab, 60), "the lab stops when the shell that started it dies"
    finally:
        if shell.poll() is None:
            shell.kill()
        subprocess.run([SAMSA, "cluster", "down", "--dir", str(lab)], capture_output=True, timeout=60)


def test_groups_watch_report_source_and_typed_records_through_stdin(tmp_path):
    (tmp_path / "more.txt").write_text("# sourced\ntopics list\ngroups list\n")
    report = tmp_path / "report"
    script = f"""cluster up --brokers 3 --config min.insync.replicas=2
topics create audit --partitions 2
produce audit
first typed record
second typed record
.
produce audit --count 100 --acks 1 --partition 0
produce audit --count 100 --keys 4 --compression zstd
consume audit --group billing --count 202 --timeout 60
groups describe billing
consume audit --group five --count 5 --timeout 60
groups describe five
watch isr
watch leaders
source more.txt
slow 2 --latency 100ms
cluster status
heal
check
report {report}
exit
"""
    result = subprocess.run([SAMSA, "shell", "--fail-fast", "--runs", str(tmp_path / "runs")], input=script, capture_output=True,
                            text=True, timeout=600, cwd=tmp_path)
    out = result.stdout
    assert result.returncode == 0, f"{out[-4000:]}\n{result.stderr[-4000:]}"
    assert "produced to audit: 2 acknowledged, 0 failed, 0 indeterminate of 2 sent (acks=all)" in out
    assert "produced to audit: 100 acknowledged, 0 failed, 0 indeterminate of 100 sent (acks=1)" in out
    assert "produced to audit: 100 acknowledged, 0 failed, 0 indeterminate of 100 sent (acks=all)" in out
    assert "  first typed record" in out and "  second typed record" in out, "consume prints the typed values"
    assert "consumed 202 record(s) from audit as group billing" in out
    lag = [line for line in out.splitlines() if line.startswith("billing  audit")]
    assert len(lag) == 2, out
    assert re.search(r"^GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+CONSUMER-ID\s+HOST\s+CLIENT-ID$", out, re.M), \
        "the shell's columns are kafka-consumer-groups' (and samsa groups describe's)"
    five = [row for row in (line.split() for line in out.splitlines()) if row[:2] == ["five", "audit"]]
    assert sum(int(row[3]) for row in five if row[3] != "-") == 5, f"--count 5 commits 5 records, no more: {five}"
    assert re.search(r"^TOPIC\s+PARTITION\s+LEADER\s+EPOCH\s+REPLICAS\s+ISR\s+HW$", out, re.M), out
    assert re.search(r"^BROKER\s+LEADS\s+PARTITIONS", out, re.M), out
    assert re.search(r"^audit$", out, re.M), "source ran topics list"
    assert "slow: 6 link(s) changed (fault 1)" in out, "broker 2's links to 1, 3, ZooKeeper and the clients, both ways"
    assert re.search(r"^1\s+slow 2 --latency 100ms\s+2\s+6$", out, re.M), "cluster status lists the active fault"
    assert re.search(r"^PROCESS\s+PID\s+STATE", out, re.M), out
    assert "PASS" in out
    for name in ("report.json", "report.md", "report.html", "junit.xml"):
        assert (report / name).exists(), name
    lab = next(p for p in (tmp_path / "runs").iterdir() if p.is_dir())
    assert not wait_gone(lab)
    assert 4 in stored_codecs(lab, "audit"), "the --compression zstd batches are stored as zstd"


def stored_codecs(lab: Path, topic: str) -> set[int]:
    """The codec bits of every batch of `topic` in the lab's brokers' segment files."""
    codecs = set()
    for segment in lab.glob(f"**/{topic}-*/*.log"):
        data = segment.read_bytes()
        position = 0
        while position + 61 <= len(data):
            codecs.add(int.from_bytes(data[position + 21:position + 23], "big") & 0x07)
            position += 12 + int.from_bytes(data[position + 8:position + 12], "big", signed=True)
    return codecs


def test_produce_to_a_mistyped_topic_creates_nothing(tmp_path):
    script = "cluster up --brokers 1\ntopics create orders --partitions 1 --replication-factor 1\nproduce ordres --count 3\ntopics list\nexit\n"
    result = subprocess.run([SAMSA, "shell", "--runs", str(tmp_path / "runs")], input=script, capture_output=True,
                            text=True, timeout=300, cwd=tmp_path)
    assert "unknown topic 'ordres'" in result.stdout + result.stderr
    assert re.search(r"^orders$", result.stdout, re.M), result.stdout
    assert not re.search(r"^ordres$", result.stdout, re.M), "the shell's producer must not auto-create the topic"


def test_attach_bootstrap_drives_an_existing_broker_and_refuses_lab_commands(tmp_path, broker):
    # Without --fail-fast: every line runs, the refusals fail their line and the exit status is 1.
    script = """topics create attached --partitions 2 --replication-factor 1
topics describe attached
produce attached --count 40 --acks 1
consume attached --group readers --count 40 --timeout 60
groups describe readers
watch leaders
crash 1
cluster down
topics list
check
report {report}
exit
""".format(report=tmp_path / "report")
    result = subprocess.run([SAMSA, "shell", "attach", "--bootstrap", broker.bootstrap, "--runs", str(tmp_path / "runs")], input=script,
                            capture_output=True, text=True, timeout=180, cwd=tmp_path)
    out, err = result.stdout, result.stderr
    assert f"attached to the cluster at {broker.bootstrap}: broker(s) 1" in out, out + err
    assert "produced to attached: 40 acknowledged, 0 failed, 0 indeterminate of 40 sent (acks=1)" in out, out + err
    assert "consumed 40 record(s) from attached as group readers" in out, out + err
    assert re.search(r"^TOPIC\s+PARTITION\s+LEADER\s+EPOCH\s+REPLICAS\s+ISR\s+HW$", out, re.M), out
    assert re.search(r"^BROKER\s+LEADS\s+PARTITIONS", out, re.M), out
    assert re.search(r"^attached$", out, re.M), "topics list ran after the refusals"
    for refused in ("crash", "cluster down"):
        assert f"error: '{refused}' needs a Samsa lab; this shell is attached to the existing cluster at {broker.bootstrap}" in err, err
    # check judges the history as `samsa run` on an external cluster does: the lab-only checks are
    # unknown with the same note, the session passes on the others.
    lab_only = ["single-leader", "replica-agreement", "stale-leader", "hw-monotonic", "unclean-election", "leader-outside-isr",
                "acks-under-min-isr", "stalled-follower-in-isr", "poll-above-hw", "brokers"]
    assert "'check' needs" not in err and "'report' needs" not in err, err
    assert re.search(r"^PASS\s+shell-attach-", out, re.M), out
    assert f"checks: expected every check valid except those not available on an external cluster ({', '.join(lab_only)}), observed all" in out, out
    assert "sends: 40 attempted, 40 acknowledged, 0 failed, 0 indeterminate; lost 0, unseen 0, duplicates 0" in out, out
    assert "reports: " in out, out
    checks = json.loads((tmp_path / "report" / "report.json").read_text())["checks"]
    for name in lab_only:
        check = checks[name.replace("-", "_")]
        assert check["verdict"] == "unknown", (name, check)
        assert any(note.startswith("not available on an external cluster: ") for note in check["notes"]), (name, check)
    for name in ("lost_write", "duplicate", "unseen"):
        assert checks[name]["verdict"] == "valid", (name, checks[name])
    assert result.returncode == 1, "the refused lines failed"
    assert f"detached from the cluster at {broker.bootstrap}" in out
    assert broker.process.poll() is None, "the broker the shell attached to keeps running"


def test_attach_needs_a_reachable_bootstrap(tmp_path):
    bad = subprocess.run([SAMSA, "shell", "attach", "--bootstrap", "nohostport"], input="exit\n", capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "'nohostport' is not host:port" in bad.stderr, bad.stderr
    missing = subprocess.run([SAMSA, "shell", "attach"], input="exit\n", capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "needs --bootstrap" in missing.stderr, missing.stderr
    closed = subprocess.run([SAMSA, "shell", "attach", "--bootstrap", f"127.0.0.1:{free_port()}"], input="exit\n", capture_output=True,
                            text=True, timeout=60)
    assert closed.returncode == 1 and "cannot reach the cluster at 127.0.0.1:" in closed.stderr, closed.stderr


def test_a_transactional_session_is_judged_by_the_transaction_checks(tmp_path):
    """The shell's produce --transactional and consume --isolation-level read_committed feed `check`,
    which then judges the session's transactions (not 'not applicable')."""
    report = tmp_path / "report"
    script = f"""cluster up --brokers 1
topics create ledger --partitions 2
produce ledger --count 60 --transactional --txn-records 5 --abort-rate 0.3
consume ledger --isolation-level read_committed --timeout 8
check
report {report}
exit
"""
    result = subprocess.run([SAMSA, "shell", "--fail-fast", "--runs", str(tmp_path / "runs")], input=script, capture_output=True,
                            text=True, timeout=600, cwd=tmp_path)
    out = result.stdout
    assert result.returncode == 0, f"{out[-4000:]}\n{result.stderr[-4000:]}"
    produced = re.search(r"produced to ledger: 60 sent in 12 transaction\(s\): (\d+) committed \((\d+) records\), "
                         r"(\d+) aborted on purpose \((\d+) records\), 0 unknown \(0 records\); 0 send\(s\) failed", out)
    assert produced, out
    commits, committed_records, aborts, aborted_records = (int(g) for g in produced.groups())
    assert commits + aborts == 12 and commits > 0 and aborts > 0 and committed_records + aborted_records == 60, out
    consumed = re.search(r"consumed (\d+) record\(s\) from ledger", out)
    assert consumed and int(consumed.group(1)) == committed_records, f"read_committed sees only the committed transactions' records: {out}"
    assert "60 in transactions: " in out and "PASS" in out, out
    verdicts = {name: check["verdict"] for name, check in json.loads((report / "report.json").read_text())["checks"].items()}
    for check in ("txn_aborted_read", "txn_lost_write", "torn_transaction", "txn_g0", "txn_g1c"):
        assert verdicts[check] == "valid", f"{check} judged the session's transactions: {verdicts}"
    lab = next(p for p in (tmp_path / "runs").iterdir() if p.is_dir())
    assert not wait_gone(lab)
