from django.conf import settings
from django.core.management import BaseCommand, CommandError

from marketplace.demo import DEFAULT_PRODUCTS, demo_catalog_seed
from routers.replica import reads_from_primary

# Only ever set with DEBUG on: a development machine's demo accounts.
DEV_FARMER_PASSWORD = "harvest-demo"  # noqa: S105


class Command(BaseCommand):
    help = (
        "Load the demo catalog (farms around Chicagoland, their products and generated pictures); "
        "re-running adds only what is missing, including pictures the storage lost."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--products", type=int, default=DEFAULT_PRODUCTS, help="how many products (100000 for benchmarks)"
        )
        parser.add_argument(
            "--farmer-password",
            help=f"password of the demo farmers' admin accounts (default with DEBUG on: {DEV_FARMER_PASSWORD}; "
            "without DEBUG they cannot log in until given one)",
        )

    def handle(self, *args, products: int, farmer_password: str | None, **options) -> None:
        if products < 0:
            raise CommandError("--products must be zero or more")
        password = farmer_password or (DEV_FARMER_PASSWORD if settings.DEBUG else None)
        # Its existence checks must see its own writes, never a lagging replica.
        with reads_from_primary():
            report = demo_catalog_seed(products=products, farmer_password=password)
        self.stdout.write(
            f"demo catalog: {report.farms_created} farms and {report.products_created} products created, "
            f"{report.images_linked} product images linked, {report.files_uploaded} pictures uploaded"
        )
        if password:
            self.stdout.write(
                f"farmers log in at /admin/ as their farm's slug (e.g. miller-family-farm), password {password}"
            )
