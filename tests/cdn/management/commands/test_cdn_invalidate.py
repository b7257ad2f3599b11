import time

import boto3
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from cdn.storage import is_hashed_name


@pytest.fixture
def cloudfront():
    return boto3.client("cloudfront", endpoint_url=settings.AWS_S3_ENDPOINT_URL)


@pytest.fixture
def distribution_id(cloudfront) -> str:
    """A distribution on moto's CloudFront (the same moto server as the stack's S3)."""
    origin = {"Id": "s3", "DomainName": "urbanharvest.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}
    config = {
        "CallerReference": f"test-{time.time_ns()}",
        "Comment": "UrbanHarvest test",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "s3",
            "ViewerProtocolPolicy": "redirect-to-https",
            "TrustedSigners": {"Enabled": False, "Quantity": 0},
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "MinTTL": 0,
        },
    }
    distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    with override_settings(
        CLOUDFRONT_DISTRIBUTION_ID=distribution["Id"], AWS_CLOUDFRONT_ENDPOINT_URL=settings.AWS_S3_ENDPOINT_URL
    ):
        yield distribution["Id"]


def invalidated_paths(cloudfront, distribution_id: str) -> list[list[str]]:
    listing = cloudfront.list_invalidations(DistributionId=distribution_id)["InvalidationList"]
    batches = [
        cloudfront.get_invalidation(DistributionId=distribution_id, Id=item["Id"]) for item in listing.get("Items", [])
    ]
    return [batch["Invalidation"]["InvalidationBatch"]["Paths"]["Items"] for batch in batches]


def test_the_given_unhashed_paths_are_invalidated_and_hashed_ones_skipped(cloudfront, distribution_id, capsys):
    call_command("cdn_invalidate", "static/robots.txt", "/static/marketplace/site.9cc83bdc3512.css", "/media/*")

    assert invalidated_paths(cloudfront, distribution_id) == [["/static/robots.txt", "/media/*"]]
    output = capsys.readouterr().out
    assert "skipped /static/marketplace/site.9cc83bdc3512.css: hashed names never change" in output
    assert f"created on {distribution_id} for 2 path(s)" in output


def test_without_paths_every_unhashed_static_path_is_invalidated(cloudfront, distribution_id):
    call_command("cdn_invalidate")

    [paths] = invalidated_paths(cloudfront, distribution_id)
    assert "/static/marketplace/site.css" in paths
    assert "/static/staticfiles.json" in paths
    assert [path for path in paths if is_hashed_name(path)] == []


@override_settings(CLOUDFRONT_DISTRIBUTION_ID="")
def test_without_a_distribution_it_says_so_and_succeeds(capsys):
    call_command("cdn_invalidate", "/static/robots.txt")

    assert "No CloudFront distribution configured" in capsys.readouterr().out


def test_an_unknown_distribution_is_a_clear_error(distribution_id):
    with (
        override_settings(CLOUDFRONT_DISTRIBUTION_ID="E0NOSUCHTHING"),
        pytest.raises(CommandError, match="E0NOSUCHTHING"),
    ):
        call_command("cdn_invalidate", "/static/robots.txt")
