"""Pure clinical and record-keeping rules.

Nothing in this package imports Django, reads settings, touches a database or the clock:
plain values in, plain values out. `tests/test_architecture.py` enforces it.
"""
