"""`python -m consent_service ...`: the same command as `consent-service`, for processes
started by path-independent means (gunicorn starts the job worker this way)."""

# Absolute: huey re-executes sys.argv (this file as a script) when it gets SIGHUP.
from consent_service.cli import main

main()
