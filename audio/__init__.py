"""Speech I/O: audio formats, capture, endpointing, speech-to-text engines, shop grammar, TTS.

A library of speech parts: it imports neither ``assistant`` nor ``commerce``. It takes its
own settings (``audio.settings.SpeechSettings``; ``SpeechSetup`` adds the project folder, the
NLU sentences and the catalog's names) and raises its own coded errors (``audio.errors``).
What the voice pipeline uses (everything is built from one ``SpeechSetup``; the assistant's
``assistant.speech`` makes it from its settings)::

    from audio.factory import build_transcriber, build_endpointer, build_speaker
    from audio.devices import MicrophoneSource
    from audio.vad import listen, UtteranceTranscribed

    transcriber = build_transcriber(setup)        # Whisper (default), pocketsphinx or vosk,
                                                  # shop words, catalog correction
    endpointer = build_endpointer(setup)          # webrtcvad, speech.vad_silence_ms
    for event in listen(MicrophoneSource().chunks(), transcriber, endpointer):
        ...  # SpeechStarted, PartialTranscript, SpeechEnded, UtteranceTranscribed

    speaker = build_speaker(setup)                # pyttsx3 -> espeak-ng -> sound device
    speaker.speak(reply); speaker.stop()          # barge-in drops the queue
    for chunk in speaker.stream(reply): ...       # reply audio as AudioChunks, per sentence

Modules: ``base`` (interfaces), ``errors``, ``settings``, ``factory``, ``formats`` (WAV,
conversion, refusal), ``fakes`` (for pipeline tests), ``stt_whisper``, ``stt_pocketsphinx``,
``stt_vosk``, ``stt_processes``, ``models`` (vosk model registry and download), ``shop_lm`` +
``arpa`` + ``g2p`` (the shop language model), ``correction``, ``vad``, ``tts``, ``devices``
(sounddevice), ``synthetic`` (test audio), ``cli``.
"""
