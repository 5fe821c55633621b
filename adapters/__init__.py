"""Adapters: each one renders the core's replies for one place people read (chat, terminal)."""
