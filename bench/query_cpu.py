#!/usr/bin/env python3
"""CPU per `query` call, for daemons already running on the same machine (issue 12 item 4: what producing and
shipping a large answer costs, measured as CPU because wall times on the shared VM follow its load).

usage: .venv/bin/python bench/query_cpu.py N "QUERY NAME" PORT:PID[:LABEL] ...

QUERY NAME is one of catalog_query_bench.py's QUERIES or "all" (every sequence: {"sequence": {"name": {"$match":
"run_*"}}}). Each daemon gets one warm-up call, then N calls, interleaved (order alternating per round). Printed per
daemon: daemon CPU per call (utime + stime of PID from /proc, 10 ms ticks, so the mean is the figure to read), the
client's CPU for the RPC (receive + to_pybytes), for json.loads of the reply, and the call's wall time (medians).
"""
import json, os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pyarrow.flight as fl
from catalog_query_bench import QUERIES
Q = dict(QUERIES); Q["all"] = {"sequence": {"name": {"$match": "run_*"}}}
n, qname = int(sys.argv[1]), sys.argv[2]
body = json.dumps(Q[qname]).encode()
tick = os.sysconf("SC_CLK_TCK")
def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick
ds = []
for spec in sys.argv[3:]:
    port, pid, label = (spec.split(":") + [""])[:3]
    ds.append((label or port, fl.FlightClient(f"grpc://127.0.0.1:{port}"), int(pid), {"d": [], "rpc": [], "parse": [], "wall": []}))
for label, c, pid, r in ds:  # warm-up
    list(c.do_action(fl.Action("query", body)))
for i in range(n):
    for label, c, pid, r in (ds if i % 2 == 0 else ds[::-1]):
        c0 = cpu(pid); w0 = time.perf_counter(); p0 = time.process_time()
        bufs = [x.body.to_pybytes() for x in c.do_action(fl.Action("query", body))]
        p1 = time.process_time(); w1 = time.perf_counter()
        c1 = cpu(pid)
        [json.loads(b) for b in bufs]
        p2 = time.process_time()
        r["d"].append((c1 - c0) * 1e3); r["rpc"].append((p1 - p0) * 1e3); r["parse"].append((p2 - p1) * 1e3)
        r["wall"].append((w1 - w0) * 1e3)
med = lambda v: sorted(v)[len(v) // 2]
print(f"{qname}: n={n} load {os.getloadavg()[0]:.1f}; medians ms")
for label, c, pid, r in ds:
    print(f"  {label:8} daemon CPU mean {sum(r['d'])/len(r['d']):7.1f} median {med(r['d']):7.1f}  client rpc CPU {med(r['rpc']):7.1f}  client json.loads CPU {med(r['parse']):7.1f}  wall (rpc) {med(r['wall']):7.1f}")
