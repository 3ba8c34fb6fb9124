"""Incidents (战时): response plans as data, declaring and closing incidents."""
