"""The H5 module's pages (web/), built into ``dist/`` and served under ``/app/``."""
