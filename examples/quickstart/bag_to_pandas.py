"""Reads a sequence back into one pandas DataFrame with the SDK's DataFrameExtractor: every topic on one time axis,
nested fields flattened (`imu.acceleration.x`), NaN where a topic has no sample at a timestamp.

    python examples/quickstart/bag_to_pandas.py SEQUENCE [--host 127.0.0.1] [--port 6726]
"""

from __future__ import annotations

import argparse

import pandas as pd
from mosaicolabs import MosaicoClient
from mosaicolabs.ml import DataFrameExtractor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sequence")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6726)
    args = parser.parse_args()
    with MosaicoClient.connect(args.host, args.port) as client:
        handler = client.sequence_handler(args.sequence)
        if handler is None:
            raise SystemExit(f"no sequence {args.sequence!r} on {args.host}:{args.port}")
        df = pd.concat(DataFrameExtractor(handler).to_pandas_chunks(window_sec=60.0))
    print(f"{args.sequence}: {len(df)} rows x {len(df.columns)} columns; topics {sorted(handler.topics)}")
    shown = ["timestamp_ns"] + [c for c in df.columns if c.endswith(("acceleration.x", "acceleration.z", "latitude"))]
    print(df[shown].head(8).to_string())


if __name__ == "__main__":
    main()
