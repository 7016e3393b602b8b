"""opslib: reusable metrics, models and plots for e-commerce operations (电商运营)."""

__version__ = "0.1.0"
