"""The turn engine with fake engines and a fake dialogue: the events it publishes, in order,
for spoken and typed turns alike."""

from __future__ import annotations

from typing import Any

from assistant.events import (
    EventType,
    IntentParsed,
    PartialTranscript,
    Reply,
    ReplyReady,
    TranscriptReady,
)
from assistant.readings import best_reading
from assistant.turns import NOTHING_HEARD, TIMINGS, EventBus, TurnEngine
from audio import formats
from audio.base import Expect, Transcript
from audio.fakes import FixedTranscriber, RecordingSpeaker


class FakeConversation:
    """Answers every turn with fixed replies; asks for a PIN after "checkout"."""

    def __init__(self, understood: dict[str, float] | None = None) -> None:
        self.expecting_pin = False
        self.sent: list[str] = []
        self.understood = understood or {}  # intent confidence of the texts it knows
        self.parsed: list[str] = []

    def parse(self, text: str) -> dict[str, Any]:
        self.parsed.append(text)
        return {"text": text, "intent": {"name": "x", "confidence": self.understood.get(text)}}

    def reading(self, transcript: Transcript) -> str:
        if self.expecting_pin:
            return transcript.text
        return best_reading(transcript, self.parse)

    def exchange(
        self, text: str, extra: dict[str, Any] | None = None
    ) -> tuple[str, IntentParsed, ReplyReady]:
        self.sent.append(text)
        if self.expecting_pin:
            self.expecting_pin = False
            return (
                "[PIN]",
                IntentParsed("[PIN]", "provide_pin", 1.0),
                ReplyReady((Reply("Order 7 is placed.", "utter_order_placed"),)),
            )
        if text == "checkout":
            self.expecting_pin = True
            reply = ReplyReady((Reply("Please say your PIN.", "utter_ask_pin", {"expect": "pin"}),))
            return text, IntentParsed(text, "checkout", 0.99), reply
        return (
            text,
            IntentParsed(text, "add_to_basket", 0.98),
            ReplyReady((Reply("Added milk.", "utter_added_items"), Reply("That's 1 item.", None))),
        )


def audio(ms: int = 200) -> list[Any]:
    return list(formats.split(formats.silence(ms), 20))


def test_a_turn_publishes_every_stage_in_order() -> None:
    bus, seen = EventBus(), list[Any]()
    bus.subscribe(seen.append)
    speaker = RecordingSpeaker()
    conversation = FakeConversation()
    engine = TurnEngine(conversation, speaker, bus, transcriber=FixedTranscriber("add some milk"))
    turn = engine.turn(audio())
    kinds = [e.type for e in seen]
    assert kinds[0] == EventType.LISTENING
    assert EventType.PARTIAL_TRANSCRIPT in kinds
    assert kinds.index(EventType.TRANSCRIPT_READY) < kinds.index(EventType.INTENT_PARSED)
    assert kinds.index(EventType.INTENT_PARSED) < kinds.index(EventType.REPLY_READY)
    assert kinds.index(EventType.REPLY_READY) < kinds.index(EventType.SPEECH_STARTED)
    assert kinds[-1] == EventType.TURN_DONE
    assert conversation.sent == ["add some milk"]
    assert speaker.spoken == ["Added milk.", "That's 1 item."]
    assert turn.intent == "add_to_basket"
    assert turn.responses == ["utter_added_items", None]
    assert tuple(turn.timings_ms) == TIMINGS


def test_a_typed_turn_goes_the_same_way_and_interrupts_the_last_reply() -> None:
    bus, seen = EventBus(), list[Any]()
    bus.subscribe(seen.append)
    speaker = RecordingSpeaker()
    conversation = FakeConversation()
    engine = TurnEngine(conversation, speaker, bus)
    turn = engine.typed("add some milk")
    kinds = [e.type for e in seen]
    assert kinds == [
        EventType.TRANSCRIPT_READY,
        EventType.INTENT_PARSED,
        EventType.REPLY_READY,
        EventType.SPEECH_STARTED,
        EventType.TURN_DONE,
    ]
    assert conversation.sent == ["add some milk"]
    assert speaker.spoken == ["Added milk.", "That's 1 item."]
    assert speaker.stops == 1, "typing again stops what was being said"
    assert turn.engine is None
    assert tuple(turn.timings_ms) == TIMINGS
    assert turn.timings_ms["vad_wait"] == 0.0


def test_a_typed_pin_is_shown_as_the_dialogue_shows_it() -> None:
    bus, seen = EventBus(), list[Any]()
    bus.subscribe(seen.append)
    conversation = FakeConversation()
    engine = TurnEngine(conversation, bus=bus)  # no speaker: replies are only published
    engine.typed("checkout")
    seen.clear()
    turn = engine.typed("4321")
    assert turn.transcript == "[PIN]"
    assert [e.text for e in seen if isinstance(e, TranscriptReady)] == ["[PIN]"]
    assert not any("4321" in repr(e) for e in seen)


def test_the_wait_counts_from_the_end_of_speech_with_the_endpointers_wait() -> None:
    ticks = iter([10.0, 10.2, 10.5, 10.9])  # heard, answered, (speak) first audio, spare
    engine = TurnEngine(FakeConversation(), RecordingSpeaker(), clock=lambda: next(ticks))
    turn = engine.spoken(Transcript("add milk", "fake"), end_of_speech=9.9, vad_wait_ms=300.0)
    assert turn.timings_ms == {
        "vad_wait": 300.0,
        "decode_tail": 100.0,
        "dialogue": 200.0,
        "end_of_speech_to_first_audio": 300.0 + 600.0,
    }


def test_of_several_readings_the_one_the_dialogue_understands_best_is_answered() -> None:
    conversation = FakeConversation({"at my last order": 0.41, "repeat my last order": 0.93})
    transcriber = FixedTranscriber("at my last order", alternatives=("repeat my last order",))
    bus, seen = EventBus(), list[Any]()
    bus.subscribe(seen.append)
    turn = TurnEngine(conversation, RecordingSpeaker(), bus, transcriber=transcriber).turn(audio())
    assert conversation.sent == ["repeat my last order"]
    assert turn.transcript == "repeat my last order"
    ready = [e for e in seen if e.type == EventType.TRANSCRIPT_READY]
    assert [e.text for e in ready] == ["repeat my last order"]


def test_a_pin_is_never_published_or_kept() -> None:
    bus, seen = EventBus(), list[Any]()
    bus.subscribe(seen.append)
    conversation = FakeConversation()
    transcriber = FixedTranscriber("checkout", "four three two one")
    engine = TurnEngine(conversation, RecordingSpeaker(), bus, transcriber=transcriber)
    engine.turn(audio())
    assert conversation.expecting_pin
    seen.clear()
    turn = engine.turn(audio())
    assert conversation.sent[-1] == "four three two one", "the PIN goes to the dialogue's PIN step"
    assert turn.transcript == "[PIN]"
    texts = [e.text for e in seen if isinstance(e, (TranscriptReady, PartialTranscript))]
    assert texts == ["[PIN]"], "no partials, and the final transcript is masked"
    assert not any("four" in repr(e) for e in seen)


def test_nothing_heard_asks_the_dialogue_to_have_it_repeated() -> None:
    conversation = FakeConversation()
    engine = TurnEngine(conversation, RecordingSpeaker(), transcriber=FixedTranscriber(" "))
    turn = engine.turn(audio())
    assert conversation.sent == [NOTHING_HEARD]
    assert turn.transcript == ""


def test_a_failing_subscriber_does_not_break_the_turn() -> None:
    bus = EventBus()

    def broken(event: Any) -> None:
        raise RuntimeError("display fell over")

    bus.subscribe(broken)
    speaker = RecordingSpeaker()
    engine = TurnEngine(FakeConversation(), speaker, bus, transcriber=FixedTranscriber("add milk"))
    assert engine.turn(audio()).intent == "add_to_basket"
    assert speaker.spoken


def test_barge_in_stops_the_speaker() -> None:
    speaker = RecordingSpeaker()
    engine = TurnEngine(FakeConversation(), speaker, transcriber=FixedTranscriber("add milk"))
    engine.turn(audio())
    engine.barge_in()
    assert speaker.stops == 1


def test_a_pin_turn_asks_the_recogniser_for_digits_and_others_for_speech() -> None:
    conversation = FakeConversation()
    transcriber = FixedTranscriber("add milk", "4321")
    engine = TurnEngine(conversation, RecordingSpeaker(), transcriber=transcriber)
    engine.turn(audio())
    conversation.expecting_pin = True
    engine.turn(audio())
    assert transcriber.expected == [Expect.SPEECH, Expect.PIN]


def test_warm_up_decodes_once_before_the_customer_speaks() -> None:
    from assistant.voice import warm_up

    transcriber = FixedTranscriber("")
    timings = warm_up(transcriber, FakeConversation())
    assert len(transcriber.utterances) == 1
    assert transcriber.utterances[0].duration_s > 1.0
    assert "recogniser" in timings
