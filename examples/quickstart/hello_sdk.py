"""Connects the official SDK (mosaicolabs 0.7.0) to a running mosaicod, writes one second of a 100 Hz IMU as a new
sequence, reads it back and prints what came back.

    python examples/quickstart/hello_sdk.py [--host 127.0.0.1] [--port 6726] [--name hello_mosaicod]
"""

from __future__ import annotations

import argparse
import math
import time

from mosaicolabs import IMU, Message, MosaicoClient, Vector3d


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6726)
    parser.add_argument("--name", default=f"hello_mosaicod_{int(time.time())}")
    args = parser.parse_args()
    t0 = time.time_ns()
    with MosaicoClient.connect(args.host, args.port) as client:
        with client.sequence_create(args.name, {"robot": "demo", "site": "lab"}) as writer:
            imu = writer.topic_create("/imu", {"rate_hz": 100}, IMU)
            for i in range(100):
                acc = Vector3d(x=math.sin(i / 10), y=0.0, z=9.81)
                imu.push(Message(timestamp_ns=t0 + i * 10_000_000,
                                 data=IMU(acceleration=acc, angular_velocity=Vector3d(x=0.0, y=0.0, z=0.0))))
        handler = client.topic_handler(args.name, "/imu")
        messages = list(handler.get_data_streamer())
        print(f"sequence {args.name}: wrote 100 IMU messages, read back {len(messages)}; "
              f"first acceleration.z = {messages[0].get_data(IMU).acceleration.z}")
        if len(messages) != 100:
            raise SystemExit("read back a different number of messages")


if __name__ == "__main__":
    main()
