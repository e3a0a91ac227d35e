"""Striped writes (issue 13 items 3 and 4): one large topic uploaded over 1, 2, 4, 8 DoPut stripes on loopback.

    .venv/bin/python bench/striped_write_bench.py [--bin build/mosaicod] [--baseline-bin PATH] [--stripes 1,2,4,8]
        [--workloads imu,blob] [--imu-rows 2000000] [--blobs 160] [--blob-kb 1024] [--repeat 3] [--chunk-size-mb 64]
        [--setup loopback|netns] [--rate-mbit 200] [--markdown] [--json FILE]

--setup loopback (default): one daemon (SQLite + local directory, --compact-below-mb 0) on 127.0.0.1.
--setup netns (root, iproute2): the daemon in one network namespace, this script (re-run as a child) in another,
joined by a veth pair; the client side's egress (the DoPut direction) is shaped with tc htb, one class per server
address capped at --rate-mbit, and stripe i connects to server address i (bench/striping_bench.py's namespaces,
under other names so both benches can run): every connection has its own cap, like a per-flow policed WAN link.
The batches are generated before any timing. For each workload, modes are measured interleaved (repeat r runs every mode once, the order
rotating), the median of --repeat runs reported:
  unstriped   the plain DoPut (what the SDK sends): the baseline of every ratio
  N stripes   {"stripes": N, "stripe": i}: the batches cut into N contiguous runs (stripe i = the i-th stretch of
              time, as a client splitting a recording would), each sent by its own thread over its own connection
  base        with --baseline-bin: the plain DoPut on that binary (e.g. the commit before striping), a second daemon
The time runs from opening the first stream to the last stripe's reply (the commit included); the topic's create
actions are outside it. Printed per workload and mode: MB/s (Arrow bytes / median wall time) and its ratio to
unstriped; the daemon's CPU seconds per run (/proc/<pid>/stat) as MB per CPU second and its ratio -- steadier than
wall time on a loaded machine; the peak RSS (VmHWM, reset before each run); the load average at start and end.
Each run's sequence is deleted afterwards (disk stays bounded).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import pyarrow as pa
import pyarrow.flight as fl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_daemon import launch  # noqa: E402
from flight_throughput import (action, cpu_seconds, free_port, image_batches, imu_batches, log,  # noqa: E402
                               peak_rss_mb, reset_peak_rss)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin", default="build/mosaicod")
    p.add_argument("--baseline-bin", default=None)
    p.add_argument("--stripes", default="1,2,4,8")
    p.add_argument("--workloads", default="imu,blob")
    p.add_argument("--imu-rows", type=int, default=2_000_000)
    p.add_argument("--blobs", type=int, default=160)
    p.add_argument("--blob-kb", type=int, default=1024)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--chunk-size-mb", type=int, default=64)
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--json", default=None)
    p.add_argument("--setup", default="loopback", choices=["loopback", "netns"])
    p.add_argument("--rate-mbit", type=float, default=200)
    p.add_argument("--connect", default=None, help=argparse.SUPPRESS)  # netns child: server URLs, comma-separated
    p.add_argument("--server-pid", type=int, default=0, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def make_workloads(args):
    out = {}
    for name in args.workloads.split(","):
        if name == "imu":
            schema, batches = imu_batches(args.imu_rows, 65536)
        elif name == "blob":
            schema, batches = image_batches(args.blobs, args.blob_kb << 10, 8)
        else:
            raise SystemExit(f"unknown workload {name!r}")
        out[name] = (schema, batches, sum(b.nbytes for b in batches))
    return out


def split_contiguous(batches, n):
    """n runs of consecutive batches, as equal in count as possible (stripe i = the i-th stretch of time)."""
    k, r = divmod(len(batches), n)
    out, start = [], 0
    for i in range(n):
        end = start + k + (1 if i < r else 0)
        out.append(batches[start:end])
        start = end
    return out


def new_topic(client, tag):
    seq = f"bench_sw_{tag}_{time.time_ns()}"
    action(client, "sequence_create", {"locator": seq, "user_metadata": {}})
    session = action(client, "session_create", {"locator": seq})
    topic = action(client, "topic_create", {"session_uuid": session["uuid"], "locator": f"{seq}/data",
                                            "serialization_format": "default", "ontology_tag": tag,
                                            "user_metadata": {}})
    return seq, topic["uuid"]


def send(url, cmd, schema, batches, replies, i):
    client = fl.FlightClient(url)
    try:
        writer, reader = client.do_put(fl.FlightDescriptor.for_command(json.dumps(cmd)), schema)
        for b in batches:
            writer.write_batch(b)
        writer.done_writing()
        buf = reader.read()
        writer.close()
        replies[i] = json.loads(buf.to_pybytes()) if buf is not None else {}
    except BaseException as e:  # noqa: BLE001 - reported by the caller
        replies[i] = e
    finally:
        client.close()


def run_once(server, schema, batches, stripes):
    """One upload of `batches` to a new topic; stripes 0 = unstriped. Returns (seconds, server CPU seconds)."""
    seq, uuid = new_topic(server.client, "imu" if schema.names[1] == "acceleration" else "blob")
    locator = f"{seq}/data"
    if stripes == 0:
        parts, cmds = [batches], [{"resource_locator": locator, "topic_uuid": uuid}]
    else:
        parts = split_contiguous(batches, stripes)
        cmds = [{"resource_locator": locator, "topic_uuid": uuid, "stripes": stripes, "stripe": i}
                for i in range(stripes)]
    replies = [None] * len(parts)
    threads = [threading.Thread(target=send, args=(server.urls[i % len(server.urls)], cmds[i], schema, parts[i],
                                                   replies, i))
               for i in range(len(parts))]
    reset_peak_rss(server.pid)
    cpu0 = cpu_seconds(server.pid)
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    cpu = cpu_seconds(server.pid) - cpu0
    rss = peak_rss_mb(server.pid)
    for r in replies:
        if isinstance(r, BaseException):
            raise r
    if stripes:
        assert sum(1 for r in replies if r.get("committed")) == 1, replies
    info = server.client.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({"resource_locator": locator})))
    rows = json.loads(info.endpoints[0].app_metadata)["data_info"]["total_row_count"]
    assert rows == sum(b.num_rows for b in batches), (rows, locator)
    action(server.client, "sequence_delete", {"locator": seq})
    return wall, cpu, rss


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Server:
    """What a run needs of a daemon: a client for the actions, the URL of each stripe, its process id."""

    def __init__(self, urls, pid, launched=None):
        self.urls, self.pid, self.launched = urls, pid, launched
        self.client = fl.FlightClient(urls[0])


def main(argv=None):
    args = parse_args(argv)
    if args.setup == "netns" and not args.connect:
        return netns_main(args, argv if argv is not None else sys.argv[1:])
    stripe_counts = [int(s) for s in args.stripes.split(",")]
    workloads = make_workloads(args)
    root = tempfile.mkdtemp(prefix="striped-write-bench-")
    servers = {}
    daemon_args = ["--chunk-size-mb", str(args.chunk_size_mb), "--compact-below-mb", "0", "--log-level", "warn"]
    try:
        if args.connect:
            servers["ours"] = Server(args.connect.split(","), args.server_pid)
        else:
            os.makedirs(os.path.join(root, "ours"))
            d = launch(args.bin, os.path.join(root, "ours"), daemon_args)
            servers["ours"] = Server([d.url], d.proc.pid, d)
        if args.baseline_bin:
            os.makedirs(os.path.join(root, "base"))
            d = launch(args.baseline_bin, os.path.join(root, "base"), daemon_args)
            servers["base"] = Server([d.url], d.proc.pid, d)
        modes = [("unstriped", "ours", 0)] + [(f"{n} stripe" + ("s" if n > 1 else ""), "ours", n)
                                                for n in stripe_counts]
        if args.baseline_bin:
            modes.append(("base unstriped", "base", 0))
        load_start = loadavg()
        log(f"load at start {load_start}; workloads " +
            ", ".join(f"{w} {v[2] / 1e6:.0f} MB in {len(v[1])} batches" for w, v in workloads.items()))
        runs = {w: {m[0]: [] for m in modes} for w in workloads}
        for rep in range(args.repeat):
            for w, (schema, batches, _) in workloads.items():
                order = modes[rep % len(modes):] + modes[:rep % len(modes)]
                for name, server, n in order:
                    wall, cpu, rss = run_once(servers[server], schema, batches, n)
                    runs[w][name].append({"wall": wall, "cpu": cpu, "rss": rss})
                    log(f"run {rep + 1} {w:5s} {name:15s} {wall:6.2f} s  cpu {cpu:6.2f} s  rss {rss:5.0f} MiB  "
                        f"load {loadavg()}")
        load_end = loadavg()
        report(args, workloads, modes, runs, load_start, load_end)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"args": vars(args), "runs": runs, "load_start": load_start, "load_end": load_end}, f,
                          indent=1)
    finally:
        for s in servers.values():
            if s.launched:
                s.launched.proc.terminate()
                s.launched.proc.wait(timeout=30)
                s.launched.log_file.close()
        shutil.rmtree(root, ignore_errors=True)


def netns_main(args, argv):
    """The netns setup: namespaces up, the daemon in the server one, this script re-run in the client one."""
    import striping_bench as sb

    # Names of our own: bench/striping_bench.py may be running with its defaults at the same time.
    sb.NS_SRV, sb.NS_CLI, sb.VETH_SRV, sb.VETH_CLI = "mosaico_wbench_srv", "mosaico_wbench_cli", "mwbench0", "mwbench1"
    work = tempfile.mkdtemp(prefix="striped-write-bench-netns-")
    sb.netns_up(args.rate_mbit)
    try:
        # The DoPut direction: the client's egress, one htb class per server address (= per stripe connection).
        tc = ["ip", "netns", "exec", sb.NS_CLI, "tc"]
        sb.sh(*tc, "qdisc", "add", "dev", sb.VETH_CLI, "root", "handle", "1:", "htb", "default", "1", "r2q", "1000")
        sb.sh(*tc, "class", "add", "dev", sb.VETH_CLI, "parent", "1:", "classid", "1:1", "htb", "rate", "20gbit")
        for i, ip in enumerate(sb.SRV_IPS):
            cls = f"1:{10 + i}"
            sb.sh(*tc, "class", "add", "dev", sb.VETH_CLI, "parent", "1:", "classid", cls, "htb", "rate",
                  f"{args.rate_mbit}mbit", "ceil", f"{args.rate_mbit}mbit", "burst", "256k", "cburst", "256k")
            sb.sh(*tc, "filter", "add", "dev", sb.VETH_CLI, "parent", "1:", "protocol", "ip", "prio", "1", "u32",
                  "match", "ip", "dst", f"{ip}/32", "flowid", cls)
        port = free_port()
        data = os.path.join(work, "data")
        os.makedirs(data)
        proc = sb.launch_in_netns(os.path.abspath(args.bin), data, port)
        try:
            urls = ",".join(f"grpc://{ip}:{port}" for ip in sb.SRV_IPS)
            child = ["ip", "netns", "exec", sb.NS_CLI, sys.executable, os.path.abspath(__file__), *argv,
                     "--connect", urls, "--server-pid", str(proc.pid)]
            log(f"netns: each connection capped at {args.rate_mbit:g} Mbit/s (htb on the client's egress)")
            subprocess.run(child, check=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        sb.netns_down()
        shutil.rmtree(work, ignore_errors=True)


def report(args, workloads, modes, runs, load_start, load_end):
    lines = []
    for w, (_, _, nbytes) in workloads.items():
        base = runs[w]["unstriped"]
        base_mbs = nbytes / 1e6 / statistics.median(r["wall"] for r in base)
        base_eff = nbytes / 1e6 / statistics.median(r["cpu"] for r in base)
        header = f"{w} ({nbytes / 1e6:.0f} MB, median of {args.repeat})"
        rows = []
        for name, _, _ in modes:
            rs = runs[w][name]
            mbs = nbytes / 1e6 / statistics.median(r["wall"] for r in rs)
            eff = nbytes / 1e6 / statistics.median(r["cpu"] for r in rs)
            rows.append((name, f"{mbs:.0f}", f"{mbs / base_mbs:.2f}", f"{eff:.0f}", f"{eff / base_eff:.2f}",
                         f"{max(r['rss'] for r in rs):.0f}"))
        cols = ("mode", "MB/s", "x unstriped", "MB/CPU-s", "x unstriped", "peak RSS MiB")
        if args.markdown:
            lines += [f"**{header}**", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
            lines += ["| " + " | ".join(r) + " |" for r in rows]
        else:
            lines += [header, "  " + "  ".join(f"{c:>14s}" for c in cols)]
            lines += ["  " + "  ".join(f"{v:>14s}" for v in r) for r in rows]
        lines.append("")
    lines.append(f"load average: {load_start} at start, {load_end} at the end; {os.cpu_count()} cores")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
