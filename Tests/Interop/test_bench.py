"""`samsa bench` at tiny sizes (--quick): every benchmark still runs, cleans up and prints well-formed
output. The figures themselves are not judged here (see BENCHMARKS.md)."""
import json
import subprocess

from conftest import SAMSA
from test_playbooks import processes_mentioning

EXPECTED_FIGURES = {
    "startup": ["startup.p50_s", "startup.max_s"],
    # --quick runs the default producer counts (1 and 4) with at most 2 producer processes.
    "produce": ["samsa_standalone.rf1_acks1.100B.records_per_s", "samsa_standalone.rf1_acks1.100B.producers2.records_per_s",
                "samsa_lab.rf3_acksall.100B.records_per_s", "ratio.rf3_vs_rf1.100B", "samsa_lab.rf3_acksall.100B.client_runqueue_s",
                # the brokers' own CPU time over each timed case (a lab's brokers summed)
                "samsa_standalone.rf1_acks1.100B.broker_cpu_s", "samsa_lab.rf3_acksall.1024B.broker_cpu_s",
                # the same cases on three brokers with direct links (no lab proxies)
                "samsa_direct.rf3_acksall.1024B.records_per_s", "ratio.rf3_vs_rf1_direct.1024B", "samsa_direct.rf1_acks1.100B.broker_cpu_s"],
    "consume": ["samsa_standalone.rf1_acks1.1024B.records_per_s", "samsa_standalone.rf1_acks1.100B.producers2.records_per_s",
                "samsa_lab.rf3_acksall.1024B.mb_per_s",
                # the timed clients' own load (bench_client.py reads it from /proc/self/task/*/schedstat)
                "samsa_standalone.rf1_acks1.100B.seconds", "samsa_standalone.rf1_acks1.100B.client_cpu_s",
                "samsa_standalone.rf1_acks1.100B.producers2.client_runqueue_s", "samsa_lab.rf1_acks1.100B.broker_cpu_s"],
    "latency": ["latency.p50_ms", "latency.p99_ms", "latency.p999_ms"],
    "failover": ["failover.p50_s", "failover.max_s"],
    "scale": ["scale.create_s", "scale.broker1.idle_cpu_percent", "scale.broker3.rss_mib"],
    "checker": ["checker.operations", "checker.total_s", "checker.peak_rss_mib"],
}


def test_every_benchmark_runs_at_a_tiny_size_and_prints_json(tmp_path):
    work = tmp_path / "bench"
    result = subprocess.run([SAMSA, "bench", "all", "--quick", "--json", "--dir", str(work)], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    objects = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [o["name"].split(":")[0] for o in objects] == list(EXPECTED_FIGURES)
    for o in objects:
        name = o["name"].split(":")[0]
        assert o["quick"] is True and o["machine"] and o["rows"], o
        assert all(len(row) == len(o["columns"]) for row in o["rows"]), o
        for figure in EXPECTED_FIGURES[name]:
            assert isinstance(o["figures"].get(figure), (int, float)), (name, figure, o["figures"])
    produce = next(o for o in objects if o["name"].startswith("produce"))
    if "ratio.samsa_vs_tansu.100B" not in produce["figures"]:
        assert any("Tansu not found" in note for note in produce["notes"]), produce["notes"]
    assert not processes_mentioning(str(work)), "every benchmark stops what it started"


def test_rounds_report_medians_with_their_range(tmp_path):
    """--rounds 2: every case runs twice (samsa and the peer alternating) and each figure is the
    rounds' median, the rates and ratios with their range."""
    result = subprocess.run([SAMSA, "bench", "produce", "--quick", "--json", "--rounds", "2", "--producers", "1", "--dir", str(tmp_path / "bench")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    assert result.stderr.count("round 2 of 2") >= 4, result.stderr[-2000:]
    produce = json.loads(result.stdout.splitlines()[-1])
    figures = produce["figures"]
    for case in ["samsa_standalone.rf1_acks1.100B", "samsa_lab.rf3_acksall.1024B"]:
        low, median, high = (figures[f"{case}.records_per_s{s}"] for s in ["_min", "", "_max"])
        assert low <= median <= high, (case, low, median, high)
    assert figures["ratio.rf3_vs_rf1.100B_min"] <= figures["ratio.rf3_vs_rf1.100B"] <= figures["ratio.rf3_vs_rf1.100B_max"]
    assert any("2 rounds" in note for note in produce["notes"]), produce["notes"]
    rf3 = next(row for row in produce["rows"] if row[1] == "RF=3 acks=all" and row[2] == "100 B")
    assert "–" in rf3[6] and "of RF=1" in rf3[-1] and "–" in rf3[-1], rf3


def test_bad_client_counts_are_refused():
    for arguments, message in [(["--producers", "0"], "--producers takes producer counts from 1 to 64"),
                               (["--producers", "1,x"], "--producers takes producer counts from 1 to 64"),
                               (["--consumers", "7"], "--consumers takes 1 to 6"),
                               (["--partitions", "1000,0"], "--partitions takes partition counts from 1 to 20000"),
                               (["--idle-windows", "0"], "--idle-windows takes 1 to 20"),
                               (["--rounds", "0"], "--rounds takes 1 to 20"),
                               (["--broker-config", "no-value"], "--broker-config takes KEY=VALUE, not 'no-value'")]:
        result = subprocess.run([SAMSA, "bench", "consume", *arguments], capture_output=True, text=True, timeout=60)
        assert result.returncode != 0
        assert message in result.stderr, result.stderr


def test_an_unknown_benchmark_is_refused():
    result = subprocess.run([SAMSA, "bench", "speed"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "no benchmark 'speed'; benchmarks: startup, produce, consume, latency, failover, scale, checker, all" in result.stderr
