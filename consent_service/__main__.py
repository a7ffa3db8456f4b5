"""`python -m consent_service ...`: the same command as `consent-service`, for processes
started by path-independent means (gunicorn starts the job worker this way)."""

from .cli import main

main()
