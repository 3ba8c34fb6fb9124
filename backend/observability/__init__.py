"""Structured logs with request ids and redaction, and Prometheus metrics (issue 6)."""
