"""The POST data Django's admin expects for a product form (with its image inline)."""

from marketplace.models import Product


def product_form_data(product: Product | None = None, **changes) -> dict:
    data = {
        "name": "Rainbow Carrots",
        "slug": "rainbow-carrots",
        "description": "Sweet roots.",
        "unit": "bunch",
        "price": "3.50",
        "stock": "10",
        "is_active": "on",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
    }
    if product is not None:
        data |= {
            "name": product.name,
            "slug": product.slug,
            "description": product.description,
            "unit": product.unit,
            "price": str(product.price),
            "category": str(product.category_id),
        }
    return data | {key: str(value) for key, value in changes.items()}
