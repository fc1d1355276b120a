/* The in-store kiosk: one store's screen on the voice gateway (protocol in the README,
 * "Voice gateway and kiosk"). The device token comes in the URL fragment (#token=dev_…), which
 * browsers never send to a server, and goes to the gateway only inside the hello message.
 *
 * Microphone: getUserMedia -> AudioWorklet (capture-worklet.js) -> 16 kHz mono 16-bit PCM in
 * 50 ms binary frames, only while the Talk button is on (or a spoken PIN is awaited).
 * Replies: binary frames between audio_start and audio_end, played through Web Audio.
 * Listening indicator: on while the microphone streams (Talk, a spoken PIN) and as the
 * gateway's `listening` messages say (a wake word, a follow-up window), off when either ends.
 */
"use strict";

(() => {
  const RATE = 16000;
  const FRAME_SAMPLES = RATE / 20; // 50 ms
  const PIN_SHOWN = "[PIN]";
  const TOUCHES = { "[Confirm]": "Pressed Confirm", "[Cancel]": "Pressed Cancel" };
  const NO_SPEECH_MS = 10000; // Talk turns itself off when nobody speaks this long
  const MAX_LISTEN_MS = 30000;
  const MONEY = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP" });
  const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];
  const SIGN_IN_FAILED = {
    "sign-in-failed": "That number and PIN do not match. Please try again.",
    "pin-locked": "Too many wrong PINs. Please ask a member of staff to unlock your account.",
  };
  // What the screen says for each error code: never the gateway's own message, which may be
  // technical (an exception's text). Codes not listed get the general line.
  const ERRORS = {
    "sign-in-invalid": "Please enter a loyalty number or a phone number.",
    "text-empty": "Please type something first.",
    "kiosk-only": "This screen cannot do that.",
    "date-invalid": "That day could not be shown. Please pick another.",
    "malformed-json": "Something went wrong. Please try again.",
    "message-unknown": "Something went wrong. Please try again.",
    "session-failed": "Sorry, something went wrong. Starting again…",
    "session-resumed": "This kiosk is open on another screen.",
    "gateway-full": "The assistant is busy. Trying again in a moment…",
    "device-busy": "This kiosk is already connected elsewhere.",
    "rate-limited": "Too many attempts. Please wait a minute.",
    "hello-expected": "The kiosk could not connect. Trying again…",
    "audio-format": "The microphone sound could not be used. Please type instead.",
    "frame-invalid": "The microphone sound could not be used. Please type instead.",
    "stt-failed": "Sorry, I could not hear that. Please try again or type.",
    "stt-model-missing": "Speech is not available right now. Please type instead.",
    "tts-failed": "Sorry, I cannot speak right now; the answer is on the screen.",
    "tts-unavailable": "Sorry, I cannot speak right now; the answer is on the screen.",
    "synthesis-failed": "Sorry, I cannot speak right now; the answer is on the screen.",
    "service-unavailable": "The shop is not answering right now. Please try again in a moment.",
    "rasa-unreachable": "Sorry, I'm having trouble right now. Please try again in a moment.",
    "rasa-error": "Sorry, I'm having trouble right now. Please try again in a moment.",
  };
  const ERROR_GENERAL = "Sorry, something went wrong. Please try again.";
  const SIGNED_OUT = {
    goodbye: "Thank you for shopping with us. Goodbye!",
    idle: "You were signed out after a while without activity.",
    button: "You are signed out.",
  };

  const $ = (id) => document.getElementById(id);
  const ui = {
    storeName: $("store-name"), connection: $("connection"), alert: $("alert"),
    listening: $("listening"),
    who: $("who"), customerName: $("customer-name"), signOut: $("sign-out"),
    welcome: $("welcome"), signInForm: $("sign-in-form"), account: $("account"), pin: $("pin"),
    sayPin: $("say-pin"), signInStatus: $("sign-in-status"), guest: $("guest"),
    shop: $("shop"), conversation: $("conversation"), partial: $("partial"),
    mic: $("mic"), micLabel: $("mic-label"), level: document.querySelector("#level span"),
    textForm: $("text-form"), text: $("text"), textLabel: $("text-label"),
    basketLines: $("basket-lines"), basketTotal: $("basket-total"), basketEmpty: $("basket-empty"),
    itemCount: $("item-count"), confirmPanel: $("confirm-panel"), confirm: $("confirm"),
    cancel: $("cancel"), slotDays: $("slot-days"), showSlots: $("show-slots"),
  };

  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  const state = {
    ws: null, sessionId: null, retryMs: 1000, customer: null,
    audio: null, // AudioContext, made on the first touch (browsers need a gesture)
    worklet: null, // Promise of the worklet module
    mic: null, // {stream, source, node, sink, timers}
    listening: false, heardSpeech: false,
    play: { format: null, nextTime: 0, sources: new Set() },
    slots: new Map(), // date -> slots
    alertTimer: null,
  };
  // what tests (and staff with devtools) can read: turns finished, reply audio scheduled
  document.body.dataset.turns = "0";
  document.body.dataset.audioMs = "0";

  // -- connection ------------------------------------------------------------------------
  function connect() {
    if (!token) {
      setConnection("No device token: open this page as /#token=dev_…", true);
      return;
    }
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/v1/stream`);
    ws.binaryType = "arraybuffer";
    state.ws = ws;
    ws.addEventListener("open", () => {
      const hello = { type: "hello", token, audio: { rate: RATE, width: 2, channels: 1 } };
      if (state.sessionId) hello.resume = state.sessionId;
      ws.send(JSON.stringify(hello));
    });
    ws.addEventListener("message", (event) => {
      if (typeof event.data === "string") {
        let message;
        try {
          message = JSON.parse(event.data);
        } catch {
          return;
        }
        handle(message);
      } else {
        playFrame(event.data);
      }
    });
    ws.addEventListener("close", (event) => {
      if (state.ws !== ws) return;
      state.ws = null;
      stopListening(false);
      if (event.code === 4401) {
        setConnection("This kiosk's device token is not valid. Ask staff to register it.", true);
        return;
      }
      if (event.code === 4409) {
        // another screen resumed this session: taking it back would start a tug of war
        setConnection(ERRORS["session-resumed"], true);
        return;
      }
      if (event.code === 4400) state.sessionId = null; // a bad stream: start afresh
      setConnection("Offline — reconnecting…", true);
      setTimeout(connect, state.retryMs);
      state.retryMs = Math.min(state.retryMs * 2, 15000);
    });
  }

  // No application-level pings: the gateway counts every message as activity, and a ping would
  // keep a customer who walked away signed in (uvicorn pings at the WebSocket level anyway).
  function send(message) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) {
      state.ws.send(JSON.stringify(message));
      return true;
    }
    showAlert("The kiosk is offline. Please wait a moment.");
    return false;
  }

  function setConnection(text, offline) {
    ui.connection.textContent = text;
    ui.connection.classList.toggle("offline", Boolean(offline));
  }

  // -- what the gateway says --------------------------------------------------------------
  function handle(m) {
    switch (m.type) {
      case "ready":
        state.sessionId = m.session_id;
        state.retryMs = 1000;
        ui.storeName.textContent = m.store_name || "Store assistant";
        document.title = `${m.store_name || "Store"} — assistant`;
        setConnection(m.kind === "kiosk" ? "Ready" : "Connected (this token is not a kiosk's)");
        if (m.customer) signedIn(m.customer);
        else forgetCustomer();
        break;
      case "listening":
        showListening(m.listening, m.reason);
        break;
      case "speech_started":
        state.heardSpeech = true;
        stopPlayback(); // the customer talks over the reply
        ui.partial.textContent = "…";
        break;
      case "partial":
        ui.partial.textContent = m.text ? `${m.text}…` : "…";
        break;
      case "transcript":
        ui.partial.textContent = "";
        if (state.listening) stopListening(false); // one utterance per tap of Talk
        if (!state.customer) { // a PIN said at sign-in: nothing of it goes on screen
          ui.signInStatus.textContent = "Checking…";
          break;
        }
        startTurn();
        addLine("customer", shownText(m.text));
        break;
      case "reply":
        if (m.text) addLine("assistant", m.text, m.response);
        expectPin(m.expect === "pin");
        break;
      case "audio_start":
        state.play.format = { rate: m.rate, width: m.width, channels: m.channels };
        break;
      case "audio_end":
        if (m.interrupted) stopPlayback();
        state.play.format = null;
        break;
      case "turn_done":
        document.body.dataset.turns = String(Number(document.body.dataset.turns) + 1);
        ui.partial.textContent = "";
        ui.conversation.removeAttribute("aria-busy");
        if (m.nothing_heard && state.customer) addLine("note", "I didn't hear anything. Tap Talk and try again.");
        else if (m.nothing_heard) ui.signInStatus.textContent = "I didn't hear a PIN. Please type it instead.";
        break;
      case "basket":
        renderBasket(m);
        break;
      case "slots":
        state.slots.set(m.date, m.slots || []);
        renderSlots();
        break;
      case "confirm_needed":
        ui.confirmPanel.hidden = false;
        ui.confirm.focus({ preventScroll: false });
        break;
      case "pin_needed":
        ui.signInStatus.textContent = "Say your PIN now — listening…";
        startListening();
        break;
      case "signed_in":
        signedIn(m.customer);
        break;
      case "sign_in_failed":
        stopListening(false);
        ui.pin.value = "";
        ui.signInStatus.textContent = SIGN_IN_FAILED[m.code] || "Sign-in did not work. Please try again.";
        break;
      case "signed_out":
        forgetCustomer();
        if (SIGNED_OUT[m.reason]) ui.signInStatus.textContent = SIGNED_OUT[m.reason];
        break;
      case "error":
        handleError(m);
        break;
      default:
        break; // intent, pong, and anything newer
    }
  }

  function handleError(m) {
    ui.conversation.removeAttribute("aria-busy");
    ui.partial.textContent = "";
    if (m.code === "sign-in-needed") {
      forgetCustomer();
      ui.signInStatus.textContent = "Please sign in, or shop as a guest.";
      return;
    }
    if (m.code === "session-failed") {
      // the session's worker is gone: start a new one
      state.sessionId = null;
      if (state.ws) state.ws.close();
    }
    showAlert(ERRORS[m.code] || ERROR_GENERAL);
  }

  function shownText(text) {
    if (text === PIN_SHOWN) return "PIN (hidden)";
    return TOUCHES[text] || text;
  }

  // -- customers --------------------------------------------------------------------------
  function signedIn(customer) {
    stopListening(false); // e.g. the PIN was typed while the microphone waited for it
    state.customer = customer;
    ui.customerName.textContent = customer ? customer.name : "";
    ui.who.hidden = false;
    ui.welcome.hidden = true;
    ui.shop.hidden = false;
    ui.account.value = "";
    ui.pin.value = "";
    ui.signInStatus.textContent = "";
  }

  /** Everything of the customer leaves the screen: words, basket, slots, inputs, audio. */
  function forgetCustomer() {
    state.customer = null;
    stopListening(false);
    stopPlayback();
    state.play.format = null;
    ui.conversation.replaceChildren();
    ui.conversation.removeAttribute("aria-busy");
    ui.partial.textContent = "";
    ui.text.value = "";
    expectPin(false);
    ui.account.value = "";
    ui.pin.value = "";
    ui.signInStatus.textContent = "";
    renderBasket({ items: [], item_count: 0, total: 0 });
    state.slots.clear();
    renderSlots();
    ui.confirmPanel.hidden = true;
    ui.customerName.textContent = "";
    ui.who.hidden = true;
    ui.shop.hidden = true;
    ui.welcome.hidden = false;
    hideAlert();
  }

  ui.signInForm.addEventListener("submit", (event) => {
    event.preventDefault();
    touched();
    const who = account();
    if (!who) return;
    const pin = ui.pin.value.replace(/\s+/g, "");
    ui.pin.value = "";
    if (!pin) {
      ui.signInStatus.textContent = "Type your PIN, or tap “Say my PIN instead”.";
      ui.pin.focus();
      return;
    }
    if (send({ type: "sign_in", ...who, pin })) ui.signInStatus.textContent = "Signing in…";
  });

  ui.sayPin.addEventListener("click", () => {
    touched();
    const who = account();
    if (!who) return;
    ui.pin.value = "";
    if (send({ type: "sign_in", ...who })) ui.signInStatus.textContent = "One moment…";
  });

  ui.guest.addEventListener("click", () => {
    touched();
    send({ type: "guest" });
  });

  ui.signOut.addEventListener("click", () => {
    touched();
    send({ type: "sign_out" });
    forgetCustomer(); // at once, even if the gateway had nobody signed in
    ui.signInStatus.textContent = SIGNED_OUT.button;
  });

  /** {loyalty_number} or {phone} from the one account field, or null (and a hint). */
  function account() {
    const value = ui.account.value.trim();
    if (!value) {
      ui.signInStatus.textContent = "Type your loyalty number or phone number first.";
      ui.account.focus();
      return null;
    }
    return /^[+\d][\d\s()-]*$/.test(value) ? { phone: value } : { loyalty_number: value };
  }

  // -- conversation -----------------------------------------------------------------------
  function startTurn() {
    // a new turn: what the last one offered (Confirm, slots) no longer stands
    ui.confirmPanel.hidden = true;
    state.slots.clear();
    renderSlots();
    ui.conversation.setAttribute("aria-busy", "true");
    hideAlert();
  }

  function addLine(kind, text, response) {
    const li = document.createElement("li");
    li.className = kind;
    if (response) li.dataset.response = response;
    if (kind !== "note") {
      const label = document.createElement("span");
      label.className = "who-said";
      label.textContent = kind === "customer" ? "You" : "Assistant";
      li.append(label);
    }
    const said = document.createElement("span");
    said.className = "said";
    said.textContent = text;
    li.append(said);
    ui.conversation.append(li);
    li.scrollIntoView({ block: "end" });
  }

  function expectPin(on) {
    ui.text.type = on ? "password" : "text";
    ui.text.inputMode = on ? "numeric" : "text";
    ui.textLabel.textContent = on ? "Type your PIN" : "Type your request";
    ui.text.placeholder = on ? "Type your PIN, or tap Talk and say it" : "Or type here, e.g. add two pints of milk";
  }

  ui.textForm.addEventListener("submit", (event) => {
    event.preventDefault();
    touched();
    const text = ui.text.value.trim();
    if (!text) return;
    if (send({ type: "text", text })) {
      ui.text.value = "";
      expectPin(false);
    }
  });

  ui.confirm.addEventListener("click", () => {
    touched();
    ui.confirmPanel.hidden = true; // one press places one order
    send({ type: "confirm" });
  });

  ui.cancel.addEventListener("click", () => {
    touched();
    ui.confirmPanel.hidden = true;
    send({ type: "cancel" });
  });

  // -- basket -----------------------------------------------------------------------------
  function renderBasket(basket) {
    const rows = (basket.items || []).map((item) => {
      const tr = document.createElement("tr");
      tr.dataset.sku = item.sku;
      tr.dataset.quantity = String(item.quantity);
      const name = document.createElement("td");
      name.textContent = item.name;
      const quantity = document.createElement("td");
      quantity.className = "num";
      quantity.textContent = String(item.quantity);
      const total = document.createElement("td");
      total.className = "num";
      total.textContent = MONEY.format(item.line_total);
      tr.append(name, quantity, total);
      return tr;
    });
    ui.basketLines.replaceChildren(...rows);
    ui.basketTotal.textContent = MONEY.format(basket.total || 0);
    const count = basket.item_count || 0;
    ui.itemCount.textContent = count ? `(${count} item${count === 1 ? "" : "s"})` : "";
    ui.basketEmpty.hidden = rows.length > 0;
  }

  // -- pickup slots -----------------------------------------------------------------------
  ui.showSlots.addEventListener("click", () => {
    touched();
    send({ type: "slots" });
  });

  function renderSlots() {
    const days = [...state.slots.keys()].sort();
    const groups = [];
    for (const day of days) {
      const slots = state.slots.get(day).filter((s) => s.available > 0 && parseStart(s.start));
      const group = document.createElement("div");
      group.className = "slot-day";
      const heading = document.createElement("h3");
      // the slot's own clock (the store's zone); a day with none left: this screen's clock
      const first = slots.length ? parseStart(slots[0].start) : parseStart(`${day}T00:00`);
      heading.textContent = first ? capitalise(dayWords(first).label) : day;
      group.append(heading);
      if (!slots.length) {
        const none = document.createElement("p");
        none.className = "hint";
        none.textContent = "No free pickup times left.";
        group.append(none);
      } else {
        const grid = document.createElement("div");
        grid.className = "slot-grid";
        for (const slot of slots) grid.append(slotButton(slot));
        group.append(grid);
      }
      groups.push(group);
    }
    ui.slotDays.replaceChildren(...groups);
  }

  function slotButton(slot) {
    const start = parseStart(slot.start);
    const words = slotWords(start);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn slot";
    button.dataset.slotId = String(slot.slot_id);
    button.dataset.say = words.request;
    button.textContent = words.time;
    button.setAttribute("aria-label", `Pick up ${words.when}`);
    button.addEventListener("click", () => {
      touched();
      send({ type: "text", text: words.request });
    });
    return button;
  }

  /** The slot's wall-clock time in the store's zone, read from its ISO string as given. */
  function parseStart(iso) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(iso || "");
    if (!m) return null;
    let offset = -new Date().getTimezoneOffset(); // no zone given: this screen's own
    if (m[6] === "Z") offset = 0;
    if (m[6] && m[6] !== "Z") {
      const sign = m[6][0] === "-" ? -1 : 1;
      offset = sign * (Number(m[6].slice(1, 3)) * 60 + Number(m[6].slice(4, 6)));
    }
    return { y: +m[1], mo: +m[2], d: +m[3], h: +m[4], mi: +m[5], offset };
  }

  function dayWords(t) {
    // "today" / "tomorrow" as the store's clock sees it, else the weekday or the date
    const storeNow = new Date(Date.now() + t.offset * 60000);
    const today = Date.UTC(storeNow.getUTCFullYear(), storeNow.getUTCMonth(), storeNow.getUTCDate());
    const day = Date.UTC(t.y, t.mo - 1, t.d);
    const ahead = Math.round((day - today) / 86400000);
    const weekday = WEEKDAYS[new Date(day).getUTCDay()];
    if (ahead === 0) return { say: "today", label: "today" };
    if (ahead === 1) return { say: "tomorrow", label: "tomorrow" };
    if (ahead > 1 && ahead < 7) return { say: weekday.toLowerCase(), label: weekday };
    const date = `${ordinal(t.d)} of ${MONTHS[t.mo - 1]}`;
    return { say: `on the ${date}`, label: `${weekday} ${t.d} ${MONTHS[t.mo - 1]}` };
  }

  function slotWords(t) {
    const hour12 = t.h % 12 === 0 ? 12 : t.h % 12;
    const time = `${hour12}${t.mi ? `:${String(t.mi).padStart(2, "0")}` : ""} ${t.h < 12 ? "am" : "pm"}`;
    const day = dayWords(t);
    return { time, when: `${day.label} at ${time}`, request: `book a pickup ${day.say} at ${time}` };
  }

  function ordinal(n) {
    const suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th");
    return `${n}${suffix}`;
  }

  function capitalise(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  // -- audio: the context ------------------------------------------------------------------
  /** Called from every touch: browsers let a page start audio only after a gesture. */
  function touched() {
    if (!state.audio) {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      state.audio = new Context({ latencyHint: "interactive" });
      state.worklet = state.audio.audioWorklet
        ? state.audio.audioWorklet.addModule("/kiosk/capture-worklet.js")
        : Promise.reject(new Error("AudioWorklet is not supported"));
      state.worklet.catch(() => {});
    }
    if (state.audio.state === "suspended") state.audio.resume().catch(() => {});
  }

  // -- audio: the microphone ---------------------------------------------------------------
  ui.mic.addEventListener("click", () => {
    touched();
    if (state.listening) stopListening(true);
    else startListening();
  });

  async function startListening() {
    if (state.listening) return;
    touched();
    if (!state.audio || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showAlert("This screen cannot use a microphone here (it needs https or localhost). Please type instead.");
      return;
    }
    stopPlayback(); // tapping Talk interrupts the reply
    state.listening = true;
    state.heardSpeech = false;
    setMicButton(true);
    let stream;
    try {
      await state.worklet;
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: false, autoGainControl: true },
      });
    } catch (err) {
      state.listening = false;
      setMicButton(false);
      showAlert(`The microphone is not available (${err.name || err}). Please type instead.`);
      return;
    }
    if (!state.listening) { // stopped while the browser was asking
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    const ctx = state.audio;
    const source = ctx.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(ctx, "pcm-capture", {
      numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1],
      processorOptions: { rate: RATE, frameSamples: FRAME_SAMPLES },
    });
    const sink = ctx.createGain(); // keeps the node pulled by the graph, silently
    sink.gain.value = 0;
    node.port.onmessage = (event) => {
      if (!state.listening) return;
      const { pcm, level } = event.data;
      ui.level.style.width = `${Math.min(100, Math.round(level * 400))}%`;
      const ws = state.ws;
      if (ws && ws.readyState === WebSocket.OPEN && ws.bufferedAmount < 320000) ws.send(pcm);
    };
    source.connect(node);
    node.connect(sink);
    sink.connect(ctx.destination);
    const timers = [
      setTimeout(() => { if (!state.heardSpeech) stopListening(true); }, NO_SPEECH_MS),
      setTimeout(() => stopListening(true), MAX_LISTEN_MS),
    ];
    state.mic = { stream, source, node, sink, timers };
  }

  /** Stop capturing; with `tellGateway`, the utterance ends now (push-to-talk released). */
  function stopListening(tellGateway) {
    const wasListening = state.listening;
    state.listening = false;
    setMicButton(false);
    const mic = state.mic;
    state.mic = null;
    if (mic) {
      mic.timers.forEach(clearTimeout);
      mic.node.port.onmessage = null;
      mic.source.disconnect();
      mic.node.disconnect();
      mic.sink.disconnect();
      mic.stream.getTracks().forEach((t) => t.stop());
    }
    if (wasListening && tellGateway && state.ws && state.ws.readyState === WebSocket.OPEN) {
      state.ws.send('{"type":"end_of_speech"}');
    }
  }

  function setMicButton(on) {
    ui.mic.setAttribute("aria-pressed", on ? "true" : "false");
    document.body.dataset.listening = on ? "true" : "false";
    ui.micLabel.textContent = on ? "Listening… tap to stop" : "Talk";
    ui.level.style.width = "0";
    showListening(on, "talk");
  }

  const LISTENING_WHY = { follow_up: " for your answer", wake: "", talk: "", reply: "" };

  function showListening(on, reason) {
    ui.listening.dataset.on = on ? "true" : "false";
    ui.listening.dataset.reason = reason || "";
    ui.listening.textContent = on
      ? `● Listening${LISTENING_WHY[reason] || ""}`
      : (reason === "muted" ? "✕ Microphone muted" : "○ Not listening");
  }

  // -- audio: the spoken replies ---------------------------------------------------------
  function playFrame(data) {
    const format = state.play.format;
    const ctx = state.audio;
    if (!format || !ctx || format.width !== 2 || !data.byteLength) return;
    const channels = format.channels || 1;
    const view = new DataView(data);
    const frames = Math.floor(data.byteLength / (2 * channels));
    if (!frames) return;
    const buffer = ctx.createBuffer(channels, frames, format.rate);
    for (let c = 0; c < channels; c++) {
      const out = buffer.getChannelData(c);
      for (let i = 0; i < frames; i++) out[i] = view.getInt16((i * channels + c) * 2, true) / 32768;
    }
    const source = ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(ctx.destination);
    const at = Math.max(ctx.currentTime + 0.05, state.play.nextTime);
    source.start(at);
    state.play.nextTime = at + buffer.duration;
    state.play.sources.add(source);
    source.addEventListener("ended", () => state.play.sources.delete(source));
    const ms = Number(document.body.dataset.audioMs) + buffer.duration * 1000;
    document.body.dataset.audioMs = String(Math.round(ms));
  }

  function stopPlayback() {
    for (const source of state.play.sources) {
      try {
        source.stop();
      } catch {
        /* already stopped */
      }
    }
    state.play.sources.clear();
    state.play.nextTime = 0;
  }

  // -- alerts -------------------------------------------------------------------------------
  function showAlert(text) {
    ui.alert.textContent = text;
    ui.alert.hidden = false;
    clearTimeout(state.alertTimer);
    state.alertTimer = setTimeout(hideAlert, 10000);
  }

  function hideAlert() {
    ui.alert.hidden = true;
    ui.alert.textContent = "";
  }

  forgetCustomer();
  connect();
})();
