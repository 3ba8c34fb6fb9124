"""Dispatch rooms (联勤联动): history in the database, live fan-out over WebSocket."""
