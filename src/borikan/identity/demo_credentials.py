"""The password of the demo accounts: local development only (the seed command refuses when DEBUG is off).
Kept free of Django imports so the demo runner can read it before Django is set up."""

DEMO_PASSWORD = "borikan-demo-2569"  # noqa: S105
