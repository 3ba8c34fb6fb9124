"""Notifications: the in-app centre, devices, and the push outbox relay."""
