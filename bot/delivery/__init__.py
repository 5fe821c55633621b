"""Delivery: the outbound port, the digests of a slot, and the scheduler that sends them
exactly once."""
