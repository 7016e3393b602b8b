"""pytest setup for the peer bench: the statsforecast runner needs the bench's own venv, not opslib's."""

collect_ignore = ["run_statsforecast.py"]
