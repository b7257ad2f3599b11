"""Real image files for upload tests, made with Pillow."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def photo_bytes(size: tuple[int, int] = (1600, 1200), image_format: str = "JPEG") -> bytes:
    image = Image.new("RGB", size, (120, 170, 60))
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()


def photo_upload(
    name: str = "kale.jpg", size: tuple[int, int] = (1600, 1200), image_format: str = "JPEG"
) -> SimpleUploadedFile:
    content_type = f"image/{image_format.lower()}"
    return SimpleUploadedFile(name, photo_bytes(size, image_format), content_type=content_type)


def oversized_upload(limit: int) -> SimpleUploadedFile:
    """A real JPEG padded past `limit` bytes, as a camera's uncompressed export would be."""
    content = photo_bytes()
    return SimpleUploadedFile("huge.jpg", content + b"\0" * (limit + 1 - len(content)), content_type="image/jpeg")


def truncated_upload() -> SimpleUploadedFile:
    """The first half of a real JPEG, as an interrupted transfer leaves it."""
    content = photo_bytes()
    return SimpleUploadedFile("cut.jpg", content[: len(content) // 2], content_type="image/jpeg")
