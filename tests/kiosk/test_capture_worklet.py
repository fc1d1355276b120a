"""The kiosk's microphone worklet in Chromium: any context rate in, 16 kHz mono 16-bit PCM in
50 ms frames out, with what lies above 8 kHz filtered away instead of folded into speech."""

from __future__ import annotations

from typing import Any

import pytest

# Renders one second of a tone through the worklet, offline (as fast as the CPU allows).
RENDER = """
async ([rate, frequency]) => {
  const context = new OfflineAudioContext(2, rate, rate);
  await context.audioWorklet.addModule("/kiosk/capture-worklet.js");
  const tone = new OscillatorNode(context, {frequency});
  const node = new AudioWorkletNode(context, "pcm-capture", {
    processorOptions: {rate: 16000, frameSamples: 800},
  });
  const frames = [];
  node.port.onmessage = (event) => frames.push(new Int16Array(event.data.pcm));
  tone.connect(node);
  node.connect(context.destination);
  tone.start();
  await context.startRendering();
  await new Promise((done) => setTimeout(done, 300));  // the last frames' messages
  const samples = frames.flatMap((f) => Array.from(f)).slice(1600);  // past the filter's start
  const power = samples.reduce((sum, v) => sum + v * v, 0) / samples.length;
  return {sizes: frames.map((f) => f.byteLength), rms: Math.sqrt(power) / 32768};
}
"""


@pytest.mark.parametrize("rate", [48000, 44100, 16000])
def test_the_worklet_makes_50_ms_frames_of_16_khz_pcm(
    browser: Any, kiosk_files: str, rate: int
) -> None:
    page = browser.new_page()
    page.goto(f"{kiosk_files}/#token=dev_none")
    out = page.evaluate(RENDER, [rate, 1000])
    assert set(out["sizes"]) == {1600}  # 800 samples of 16 bits: 50 ms at 16 kHz
    assert 18 <= len(out["sizes"]) <= 20  # one second, less the filter's delay
    assert out["rms"] == pytest.approx(0.707, abs=0.03)  # a full-scale sine, unchanged


@pytest.mark.parametrize("rate", [48000, 44100])
def test_the_worklet_keeps_out_what_would_fold_into_speech(
    browser: Any, kiosk_files: str, rate: int
) -> None:
    page = browser.new_page()
    page.goto(f"{kiosk_files}/#token=dev_none")
    speech_band = page.evaluate(RENDER, [rate, 6000])["rms"]
    above = page.evaluate(RENDER, [rate, 10000])["rms"]  # would alias to 6 kHz
    assert speech_band > 0.6
    assert above < 0.005, above  # at least 43 dB down
