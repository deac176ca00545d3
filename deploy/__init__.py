"""The deployment test (``make test-deployment``): a real multi-worker Airflow with the provider's wheel.

See ``python -m deploy --help`` and docs/scale.md. Nothing in the provider or its tests imports this.
"""
