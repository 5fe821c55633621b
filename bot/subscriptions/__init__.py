"""Subscriptions: the options people type, the schedules they set, and the desk that
changes them."""
