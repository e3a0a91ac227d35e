#!/usr/bin/env python3
"""After a catalog_scale.py run with --keep: the latency probes on the kept (big) catalog against a fresh small one,
same binary, same topics per sequence, both daemons up at once and probed round by round alternately (catalog_scale's
own per-checkpoint latencies are taken minutes apart, at different machine load); medians and ratios big/small.

Usage: .venv/bin/python bench/catalog_scale_side_by_side.py BIN BIG_DATA_DIR SMALL_DIR N_SMALL TOPICS ROUNDS N_BIG
  e.g. /tmp/x/mosaicod /tmp/x/keep/new /tmp/x/small 1000 10 3 100000  (SMALL_DIR is emptied and filled first)
"""
import os, random, shutil, statistics, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_daemon
from catalog_scale import latencies, topic_names, seq_name
from query_bench import create_recorded_sequence

if len(sys.argv) != 8:
    sys.exit(__doc__)
binary, big_dir, small_dir = sys.argv[1:4]
n_small, topics, rounds, n_big = (int(x) for x in sys.argv[4:8])
shutil.rmtree(small_dir, ignore_errors=True); os.makedirs(small_dir)
big = bench_daemon.launch(binary, big_dir, ["--log-level", "warn"], timeout=300)
small = bench_daemon.launch(binary, small_dir, ["--log-level", "warn"])
names = topic_names(topics)
t = time.time()
for i in range(n_small):
    create_recorded_sequence(small.client, seq_name(i), random.Random(i), i, names)
print(f"small catalog filled: {n_small} x {topics} in {time.time() - t:.0f} s", flush=True)
res = {"big": [], "small": []}
rnd = random.Random(5)
for r in range(rounds):
    for label, d, n in (("big", big, n_big), ("small", small, n_small))[:: 1 if r % 2 == 0 else -1]:
        res[label].append(latencies(d, n, topics, 20, rnd))
    print(f"round {r + 1} done, load {os.getloadavg()[0]:.1f}", flush=True)
print(f"\nmedians of {rounds} interleaved rounds (each a p50 of 20 calls), load at the end {os.getloadavg()[0]:.1f}")
print(f"{'probe':>15} {'1M topics ms':>13} {'small ms':>9} {'ratio':>6}")
for k in ("list_page", "seq_info", "topic_info", "session_create", "list_all"):
    b = statistics.median(x[k] for x in res["big"]) * 1e3
    s = statistics.median(x[k] for x in res["small"]) * 1e3
    print(f"{k:>15} {b:13.2f} {s:9.2f} {b / s:6.2f}")
for d in (big, small):
    d.proc.terminate(); d.proc.wait(60)
