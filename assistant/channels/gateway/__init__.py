"""The voice gateway: many devices (home speakers, store kiosks) stream audio over WebSockets.

Each connection authenticates with a device token (checked by the commerce service's
``/v1/device`` endpoints) and gets a session of its own; its messages are the typed ones of
``channels/protocol.py`` (the README's "Voice gateway" lists them).

- ``server.py``: the ASGI app (kiosk page, ``/v1/stream``), TLS and start-up (``serve``)
- ``admission.py``: who gets a session (places, resumes, failed hellos per address)
- ``session.py``: one device's session on its worker thread: listening, turns, sign-in
- ``listening.py``: what of a device's audio is heard (wake word, follow-up window, mute)
- ``resumable.py``: the state a session resumes from on another gateway process (Redis)
- ``link.py``: a session's side of its connection (bounded inbox, pacing, resume)
- ``kiosk.py``: kiosk screen rules (basket, Confirm / Cancel, pickup slots)
- ``speech.py``: the speech parts sessions share; reply audio streamed to a device
- ``directory.py``: the commerce service's device endpoints
"""
