import json
import uuid

import pytest
from django.test import override_settings

from cdn.services import static_publish, static_unhashed_paths
from cdn.storage import StaticStorage, is_hashed_name


@pytest.fixture
def target() -> StaticStorage:
    """A static storage of its own under a fresh prefix, so each test starts from an empty bucket."""
    return StaticStorage(location=f"publish-test-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def source(tmp_path):
    folder = tmp_path / "source"
    (folder / "extra").mkdir(parents=True)
    (folder / "extra" / "note.txt").write_text("first")
    with override_settings(STATICFILES_DIRS=[folder]):
        yield folder


def stored(target: StaticStorage, name: str) -> dict:
    return target.connection.meta.client.head_object(Bucket=target.bucket_name, Key=f"{target.location}/{name}")


def published_manifest(target: StaticStorage) -> dict[str, str]:
    with target.open("staticfiles.json") as manifest:
        return json.loads(manifest.read())["paths"]


def test_a_first_publish_uploads_every_file_with_its_cache_policy(target, source, tmp_path):
    report = static_publish(target=target, build_dir=tmp_path / "build")

    hashed = published_manifest(target)["extra/note.txt"]
    assert report.unchanged == 0
    assert "admin/css/base.css" in report.uploaded
    assert stored(target, hashed)["CacheControl"] == "public, max-age=31536000, immutable"
    assert stored(target, "extra/note.txt")["CacheControl"] == "public, max-age=300"
    assert stored(target, "admin/css/base.css")["ContentType"] == "text/css"


def test_publishing_again_without_changes_uploads_nothing(target, source, tmp_path):
    static_publish(target=target, build_dir=tmp_path / "build")

    report = static_publish(target=target, build_dir=tmp_path / "build")

    assert report.uploaded == []
    assert report.unchanged > 200


def test_a_changed_file_is_uploaded_under_its_new_hashed_name_and_the_old_one_stays(target, source, tmp_path):
    static_publish(target=target, build_dir=tmp_path / "build")
    old = published_manifest(target)["extra/note.txt"]
    (source / "extra" / "note.txt").write_text("second")

    report = static_publish(target=target, build_dir=tmp_path / "build")

    new = published_manifest(target)["extra/note.txt"]
    assert sorted(report.uploaded) == sorted(["extra/note.txt", new, "staticfiles.json"])
    assert report.replaced_in_place == ["extra/note.txt", "staticfiles.json"]
    assert target.open(new).read() == b"second"
    assert target.exists(old)


def test_the_published_manifest_names_only_files_in_the_bucket(target, source, tmp_path):
    static_publish(target=target, build_dir=tmp_path / "build")

    missing = [name for name in published_manifest(target).values() if not target.exists(name)]

    assert missing == []


def test_the_paths_to_invalidate_are_the_unhashed_ones(target, source, tmp_path):
    static_publish(target=target, build_dir=tmp_path / "build")

    paths = static_unhashed_paths(storage=StaticStorage(location=target.location))

    assert f"/{target.location}/extra/note.txt" in paths
    assert f"/{target.location}/staticfiles.json" in paths
    assert len(paths) == len(published_manifest(target)) + 1
    assert [path for path in paths if is_hashed_name(path)] == []
