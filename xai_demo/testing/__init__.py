"""Helpers for testing xai_demo itself (fuzzing the loaders); needs the ``dev`` extra."""
