"""Writes a small ROS 2 bag (MCAP storage) with an IMU at 100 Hz and a GPS at 5 Hz for a few seconds: the input of the
README's quick start. Any real .mcap or .db3 bag works the same way.

    python examples/quickstart/make_demo_bag.py OUT_DIR [--seconds 5]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

START_NS = 1_700_000_000_000_000_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="bag directory to create (must not exist)")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    ts = get_typestore(Stores.ROS2_HUMBLE)
    Imu, NavSatFix = ts.types["sensor_msgs/msg/Imu"], ts.types["sensor_msgs/msg/NavSatFix"]
    NavSatStatus = ts.types["sensor_msgs/msg/NavSatStatus"]
    Header, Time = ts.types["std_msgs/msg/Header"], ts.types["builtin_interfaces/msg/Time"]
    Quaternion, Vector3 = ts.types["geometry_msgs/msg/Quaternion"], ts.types["geometry_msgs/msg/Vector3"]
    zeros9 = __import__("numpy").zeros(9)

    def header(t_ns: int, frame: str):
        return Header(stamp=Time(sec=t_ns // 10**9, nanosec=t_ns % 10**9), frame_id=frame)

    with Writer(args.out, version=8, storage_plugin=StoragePlugin.MCAP) as bag:
        imu = bag.add_connection("/imu", Imu.__msgtype__, typestore=ts)
        gps = bag.add_connection("/gps", NavSatFix.__msgtype__, typestore=ts)
        n = int(args.seconds * 100)
        for i in range(n):
            t = START_NS + i * 10_000_000
            msg = Imu(header=header(t, "imu_link"), orientation=Quaternion(x=0.0, y=0.0, z=0.0, w=1.0),
                      orientation_covariance=zeros9,
                      angular_velocity=Vector3(x=0.0, y=0.0, z=0.1 * math.sin(i / 50)),
                      angular_velocity_covariance=zeros9,
                      linear_acceleration=Vector3(x=math.sin(i / 20), y=0.0, z=9.81),
                      linear_acceleration_covariance=zeros9)
            bag.write(imu, t, ts.serialize_cdr(msg, Imu.__msgtype__))
            if i % 20 == 0:
                fix = NavSatFix(header=header(t, "gps"), status=NavSatStatus(status=0, service=1),
                                latitude=45.4642 + i * 1e-6, longitude=9.19 + i * 1e-6, altitude=120.0,
                                position_covariance=zeros9, position_covariance_type=0)
                bag.write(gps, t, ts.serialize_cdr(fix, NavSatFix.__msgtype__))
    print(f"wrote {args.out} ({n} IMU and {n // 20} GPS messages)")


if __name__ == "__main__":
    main()
