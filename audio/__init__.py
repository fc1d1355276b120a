"""Speech I/O: audio formats, capture, endpointing, speech-to-text engines, shop grammar, TTS.

What the voice pipeline uses (everything is built from the one ``Settings`` object)::

    from audio.factory import build_transcriber, build_endpointer, build_speaker
    from audio.devices import MicrophoneSource
    from audio.vad import listen, UtteranceTranscribed

    transcriber = build_transcriber(settings)     # pocketsphinx (default) or vosk, shop LM,
                                                  # catalog correction; a ``Transcriber``
    endpointer = build_endpointer(settings)       # webrtcvad, speech.vad_silence_ms
    for event in listen(MicrophoneSource().chunks(), transcriber, endpointer):
        ...  # SpeechStarted, PartialTranscript, SpeechEnded, UtteranceTranscribed

    speaker = build_speaker(settings)             # pyttsx3 -> espeak-ng -> sound device
    speaker.speak(reply); speaker.stop()          # barge-in drops the queue
    for chunk in speaker.stream(reply): ...       # reply audio as AudioChunks, per sentence

Modules: ``base`` (interfaces), ``formats`` (WAV, conversion, refusal), ``fakes`` (for
pipeline tests), ``stt_pocketsphinx``, ``stt_vosk``, ``models`` (vosk model registry and
download), ``shop_lm`` + ``arpa`` + ``g2p`` (the shop language model), ``correction``,
``vad``, ``tts``, ``devices`` (sounddevice), ``synthetic`` (test audio), ``cli``.
"""
