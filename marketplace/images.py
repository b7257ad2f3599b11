"""Product and farmer photos: checking that an upload is a real image within our limits, and the
resized variants the storefront shows.

Variants are made once, when a photo is saved (ProductImage.save; seed_demo for its shared
pictures), and stored beside the original under names derived from it (`products/kale.jpg` ->
`products/kale.thumb.webp`), so a page finds them without a lookup and no request resizes anything.
"""

import io
import posixpath
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 8 * 1024 * 1024
MIN_SIDE = 200
MAX_SIDE = 8000
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
ACCEPTED_TEXT = "a JPEG, PNG or WebP photo"
WEBP_QUALITY = 82


@dataclass(frozen=True)
class Variant:
    name: str
    longest_side: int


THUMBNAIL = Variant("thumb", 400)
LARGE = Variant("large", 1200)
VARIANTS = (THUMBNAIL, LARGE)


def validate_image_upload(upload: File) -> None:
    """Reject anything that is not a JPEG, PNG or WebP photo of sensible size, with a message that
    says what was wrong and what is accepted. Reads only the header for the dimensions; the file
    is left rewound for whoever stores it. A photo already in storage was checked when uploaded."""
    if isinstance(upload, FieldFile) and upload._committed:
        return
    if upload.size > MAX_BYTES:
        raise ValidationError(
            f"This file is {_megabytes(upload.size)}; the largest photo accepted is {_megabytes(MAX_BYTES)}.",
            code="image_too_large",
        )
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            _check_format_and_dimensions(image)
            _check_decodes(image)
    except UnidentifiedImageError:
        raise ValidationError(
            f"This file is not an image we can read; upload {ACCEPTED_TEXT}.", code="not_an_image"
        ) from None
    except Image.DecompressionBombError:
        raise ValidationError(
            f"This photo has too many pixels; {_too_many_pixels_message()}", code="image_too_many_pixels"
        ) from None
    except (OSError, SyntaxError):
        # Pillow reports truncated or corrupt data this way.
        raise ValidationError(
            f"This image is damaged or incomplete; upload {ACCEPTED_TEXT}.", code="damaged_image"
        ) from None
    finally:
        upload.seek(0)


def variant_name(original: str, variant: Variant) -> str:
    root, _extension = posixpath.splitext(original)
    return f"{root}.{variant.name}.webp"


def variant_url(photo: FieldFile, variant: Variant) -> str:
    """The public URL of a variant of a stored photo (CDN domain when configured)."""
    return photo.storage.url(variant_name(photo.name, variant))


def photo_variants_create(*, name: str, storage: Storage, source: File | None = None) -> list[str]:
    """Store every variant of the photo stored as `name` beside it and return their names.

    `source` is the photo's content when the caller still has it (saves a download); otherwise it
    is read back from storage. Re-running replaces the variants, never duplicates them."""
    source = source if source is not None else storage.open(name, "rb")
    source.seek(0)
    names = []
    with Image.open(source) as original:
        # JPEG decoding can scale down by powers of two on the fly: far cheaper for big photos.
        original.draft("RGB", (LARGE.longest_side, LARGE.longest_side))
        upright = ImageOps.exif_transpose(original)
        for variant in VARIANTS:
            stored_as = variant_name(name, variant)
            storage.delete(stored_as)
            storage.save(stored_as, ContentFile(_resized_webp(upright, variant)))
            names.append(stored_as)
    return names


def photo_files_delete(*, name: str, storage: Storage) -> None:
    """Delete a stored photo and its variants; files already gone are no error."""
    for stored_as in (name, *(variant_name(name, variant) for variant in VARIANTS)):
        storage.delete(stored_as)


def photo_variants_exist(*, name: str, storage: Storage) -> bool:
    return all(storage.exists(variant_name(name, variant)) for variant in VARIANTS)


def _check_format_and_dimensions(image: Image.Image) -> None:
    if image.format not in ACCEPTED_FORMATS:
        raise ValidationError(
            f"{image.format or 'This'} images are not accepted; upload {ACCEPTED_TEXT}.", code="image_format"
        )
    width, height = image.size
    if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
        raise ValidationError(
            f"This photo is {width} x {height} pixels; {_too_many_pixels_message()}", code="image_too_many_pixels"
        )
    if min(width, height) < MIN_SIDE:
        raise ValidationError(
            f"This photo is {width} x {height} pixels; it needs at least {MIN_SIDE} pixels on each side.",
            code="image_too_small",
        )


def _check_decodes(image: Image.Image) -> None:
    """PNG carries checksums that verify() checks without decoding; JPEG and WebP have none, so
    decode them (JPEG at reduced scale, which still reads every block)."""
    if image.format == "PNG":
        image.verify()
        return
    image.draft("RGB", (LARGE.longest_side, LARGE.longest_side))
    image.load()


def _resized_webp(image: Image.Image, variant: Variant) -> bytes:
    resized = image.copy()
    resized.thumbnail((variant.longest_side, variant.longest_side), Image.Resampling.LANCZOS)
    has_alpha = resized.mode in ("RGBA", "LA") or "transparency" in resized.info
    resized = resized.convert("RGBA" if has_alpha else "RGB")
    buffer = io.BytesIO()
    resized.save(buffer, format="WEBP", quality=WEBP_QUALITY, method=4)
    return buffer.getvalue()


def _too_many_pixels_message() -> str:
    return f"the largest accepted is {MAX_SIDE} pixels on a side and {MAX_PIXELS // 1_000_000} megapixels."


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
