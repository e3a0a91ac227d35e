#!/usr/bin/env python3
"""Grows a catalog_query_bench.py fill by replication, when filling it through the daemon would take too long on a
loaded machine (100k sequences through raw Flight actions: 20 min at 85 sequences/s idle, hours at load 10+).

The daemon fills DIR/fill for a while (catalog_query_bench.py --fill-only, stopped early: kill it); this keeps the
first --base sequences (run_000000 .. run_<base-1>, each complete: 10 topics, its session finalized; anything else
is deleted) and copies their rows --copies - 1 more times in SQL, renamed run_<i + k*base>: sequences, sessions,
topics (uuids suffixed "-k"), and their rows of the SQLite metadata index. So the rows are the ones the daemon wrote,
ids and names shifted; the maintained counts follow through the count triggers. The pending recover_sequence jobs of
the fill are dropped (as catalog_query_bench's copies drop them). In the store it creates each copy's
sequences/<name>/sessions directory (session_create writes a manifest there) and nothing else. Then it writes
DIR/fill.json, so catalog_query_bench.py and catalog_flat_bench.py take DIR as a filled catalog.

Usage: .venv/bin/python bench/catalog_replicate.py --dir DIR [--base 10000] [--copies 10]
"""
import argparse
import json
import os
import sqlite3
import time

TOPICS = 10


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--base", type=int, default=10_000)
    ap.add_argument("--copies", type=int, default=10)
    args = ap.parse_args()
    fill = os.path.join(args.dir, "fill")
    db = os.path.join(fill, "catalog.db")
    t0 = time.time()
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("BEGIN")
    base_names = [f"run_{i:06d}" for i in range(args.base)]
    con.execute("CREATE TEMP TABLE keep (name TEXT PRIMARY KEY)")
    con.executemany("INSERT INTO keep VALUES (?)", [(n,) for n in base_names])
    complete = con.execute(
        "SELECT count(*) FROM sequences q JOIN keep k ON k.name = q.name WHERE "
        f"(SELECT count(*) FROM topics t WHERE t.sequence_id = q.id) = {TOPICS} AND "
        "NOT EXISTS (SELECT 1 FROM sessions s WHERE s.sequence_id = q.id AND NOT s.locked) AND "
        "EXISTS (SELECT 1 FROM sessions s WHERE s.sequence_id = q.id)").fetchone()[0]
    if complete != args.base:
        raise SystemExit(f"only {complete} of the first {args.base} sequences are complete: fill longer")
    dropped = con.execute("DELETE FROM sequences WHERE name NOT IN (SELECT name FROM keep)").rowcount
    con.execute("DELETE FROM jobs WHERE kind = 'recover_sequence' AND state = 'pending'")
    so, ss, to = (con.execute(f"SELECT max(id) FROM {t}").fetchone()[0] for t in ("sequences", "sessions", "topics"))
    print(f"kept {args.base} sequences (dropped {dropped} beyond or incomplete); max ids {so}/{ss}/{to}", flush=True)
    for k in range(1, args.copies):
        con.execute("INSERT INTO sequences (id, name, user_metadata, created_at_ns) "
                    f"SELECT id + {k * so}, printf('run_%06d', CAST(substr(name, 5) AS INTEGER) + {k * args.base}), "
                    f"user_metadata, created_at_ns FROM sequences WHERE id <= {so} ORDER BY id")
        con.execute("INSERT INTO sessions (id, sequence_id, session_key, uuid, created_at_ns, completed_at_ns, locked) "
                    f"SELECT id + {k * ss}, sequence_id + {k * so}, session_key, uuid || '-{k}', created_at_ns, "
                    f"completed_at_ns, locked FROM sessions WHERE id <= {ss} ORDER BY id")
        con.execute("INSERT INTO topics (id, sequence_id, session_id, name, uuid, ontology_tag, serialization_format, "
                    "user_metadata, created_at_ns, completed_at_ns, locked, schema_ipc, upload_id) "
                    f"SELECT id + {k * to}, sequence_id + {k * so}, session_id + {k * ss}, name, uuid || '-{k}', "
                    "ontology_tag, serialization_format, user_metadata, created_at_ns, completed_at_ns, locked, "
                    f"schema_ipc, upload_id FROM topics WHERE id <= {to} ORDER BY id")
        con.execute("INSERT INTO sequence_metadata_index (sequence_id, path_id, kind, value) "
                    f"SELECT sequence_id + {k * so}, path_id, kind, value FROM sequence_metadata_index "
                    f"WHERE sequence_id <= {so}")
        con.execute("INSERT INTO topic_metadata_index (topic_id, path_id, kind, value) "
                    f"SELECT topic_id + {k * to}, path_id, kind, value FROM topic_metadata_index WHERE topic_id <= {to}")
        print(f"copy {k}/{args.copies - 1} done ({time.time() - t0:.0f} s)", flush=True)
    con.execute("COMMIT")
    n = con.execute("SELECT count(*) FROM sequences").fetchone()[0]
    nt = con.execute("SELECT count(*) FROM topics").fetchone()[0]
    counts = dict(con.execute("SELECT name, value FROM catalog_counts"))
    assert n == args.base * args.copies and nt == n * TOPICS, (n, nt)
    assert counts.get("sequences") == n and counts.get("topics") == nt, counts
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    for i in range(args.base, args.base * args.copies):
        os.makedirs(os.path.join(fill, "store", "sequences", f"run_{i:06d}", "sessions"), exist_ok=True)
    json.dump({"sequences": n, "topics_per_sequence": TOPICS, "seconds": None, "replicated_from": args.base,
               "copies": args.copies, "catalog_bytes": os.path.getsize(db)}, open(os.path.join(args.dir, "fill.json"), "w"))
    print(f"{n} sequences, {nt} topics in {time.time() - t0:.0f} s; catalog {os.path.getsize(db) / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
