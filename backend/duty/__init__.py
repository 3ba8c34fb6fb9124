"""Duty rosters (值班值守): who answers for an org right now."""
