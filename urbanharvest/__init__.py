"""UrbanHarvest: a marketplace connecting local farmers with shoppers for next-day delivery."""

__version__ = "0.1.0"
