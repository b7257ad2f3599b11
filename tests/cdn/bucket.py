"""What the test stack's bucket holds, listed with boto3 rather than through the storages under test."""

import boto3
from django.conf import settings


def bucket_keys(prefix: str) -> set[str]:
    client = boto3.client("s3", endpoint_url=settings.AWS_S3_ENDPOINT_URL)
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Prefix=prefix)
    return {entry["Key"] for page in pages for entry in page.get("Contents", ())}


def media_keys(prefix: str) -> set[str]:
    """Names under `media/` (as the default storage and ImageFields spell them) starting with `prefix`."""
    return {key.removeprefix("media/") for key in bucket_keys(f"media/{prefix}")}
