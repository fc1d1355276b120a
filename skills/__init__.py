"""Rasa custom actions — the assistant's skills. The action server imports this package.

One module per skill; each reaches the catalog & order service through ``skills.client``.
Nothing here does I/O at import time: one failed import stops the whole action server.
Code in this package runs in Rasa's environment and must stay valid on Python 3.10.
"""
