"""Shim for `gunicorn -c gunicorn.conf.py` in a checkout: the settings live in the package,
consent_service/gunicorn_conf.py (`consent-service serve` uses them from any directory).
Run by path, not imported, so the master does not import the app (see that file)."""

import importlib.util
import os

_path = os.path.join(importlib.util.find_spec("consent_service").submodule_search_locations[0],
                     "gunicorn_conf.py")
with open(_path) as _file:
    exec(compile(_file.read(), _path, "exec"))
