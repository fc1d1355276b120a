/* The kiosk's microphone tap: an AudioWorklet that turns the context's audio (any rate, any
 * channel count) into 16 kHz mono 16-bit little-endian PCM frames of ~50 ms for the gateway.
 *
 * Resampling: a windowed-sinc low-pass FIR (cut-off below the new Nyquist, so nothing above
 * 8 kHz folds back into speech), evaluated only where output samples fall, with linear
 * interpolation between the two filtered neighbours for non-integer ratios (44.1 kHz).
 */
/* global sampleRate, registerProcessor, AudioWorkletProcessor */
"use strict";

const HALF_TAPS = 48; // 97 taps: a ~2.7 kHz transition band at 48 kHz

function lowPass(cutoff, half) {
  // cutoff as a fraction of the input rate; Blackman window; unity gain at DC
  const taps = new Float32Array(2 * half + 1);
  let sum = 0;
  for (let k = -half; k <= half; k++) {
    const sinc = k === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * k) / (Math.PI * k);
    const n = k + half;
    const N = 2 * half;
    const w = 0.42 - 0.5 * Math.cos((2 * Math.PI * n) / N) + 0.08 * Math.cos((4 * Math.PI * n) / N);
    taps[n] = sinc * w;
    sum += taps[n];
  }
  for (let i = 0; i < taps.length; i++) taps[i] /= sum;
  return taps;
}

class PcmCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = (options && options.processorOptions) || {};
    this.outRate = o.rate || 16000;
    this.frameSamples = o.frameSamples || Math.round(this.outRate / 20);
    this.step = sampleRate / this.outRate;
    this.half = this.step > 1 ? HALF_TAPS : 0;
    this.taps = this.step > 1 ? lowPass(Math.min(7000, 0.44 * this.outRate) / sampleRate, this.half) : Float32Array.of(1);
    this.buf = new Float32Array(16384);
    this.len = this.half; // starts with `half` samples of silence as filter history
    this.pos = this.half; // where the next output sample falls, in `buf` coordinates
    this.frame = new Int16Array(this.frameSamples);
    this.filled = 0;
    this.energy = 0;
  }

  filtered(i) {
    const taps = this.taps;
    const buf = this.buf;
    const start = i - this.half;
    let acc = 0;
    for (let k = 0; k < taps.length; k++) acc += taps[k] * buf[start + k];
    return acc;
  }

  append(input) {
    const channels = input.length;
    const n = input[0].length;
    if (this.len + n > this.buf.length) {
      const bigger = new Float32Array(Math.max(this.buf.length * 2, this.len + n));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < channels; c++) s += input[c][i];
      this.buf[this.len + i] = s / channels;
    }
    this.len += n;
  }

  emit(value) {
    const clipped = Math.max(-1, Math.min(1, value));
    this.frame[this.filled++] = clipped < 0 ? clipped * 0x8000 : clipped * 0x7fff;
    this.energy += clipped * clipped;
    if (this.filled === this.frameSamples) {
      const pcm = this.frame.buffer;
      const level = Math.sqrt(this.energy / this.frameSamples);
      this.port.postMessage({ pcm, level }, [pcm]);
      this.frame = new Int16Array(this.frameSamples);
      this.filled = 0;
      this.energy = 0;
    }
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0 || input[0].length === 0) return true;
    this.append(input);
    // an output sample needs `half` input samples after it (and one more to interpolate)
    while (this.pos + this.half + 1 < this.len) {
      const i = Math.floor(this.pos);
      const frac = this.pos - i;
      const a = this.filtered(i);
      this.emit(frac > 1e-9 ? a + (this.filtered(i + 1) - a) * frac : a);
      this.pos += this.step;
    }
    // drop what no later output sample can reach
    const drop = Math.floor(this.pos) - this.half;
    if (drop > 4096) {
      this.buf.copyWithin(0, drop, this.len);
      this.len -= drop;
      this.pos -= drop;
    }
    return true;
  }
}

registerProcessor("pcm-capture", PcmCapture);
