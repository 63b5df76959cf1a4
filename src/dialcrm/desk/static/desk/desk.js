/*
 * The agent's desk: an Alpine.js component on a WebSocket (/ws/desk/) and the desk's JSON API
 * (/api/desk/).
 *
 * The socket brings the engine's messages (state changes, a call put through with the lead's
 * card, a lead previewed, a call held, transferred or ended, a colleague consulted) and a snapshot on every (re)connection: the state, the
 * current call and its draft, so a reload or a dropped network loses nothing. It reconnects by
 * itself with a growing, jittered delay. What the agent types is kept in this browser at once
 * and saved as a draft on the server shortly after; a draft not saved yet is sent again on
 * reconnection. The status is submitted with a key made once per call, so a double click or a
 * retry records once.
 *
 * Usage: x-data="desk('<id of a json_script with agent_id, session, csrf, texts>')".
 */
(function () {
  "use strict";

  var clock = window.dialcrmLive.clock;
  var format = window.dialcrmLive.format;
  var stateBadge = window.dialcrmLive.stateClass;
  var API = "/api/desk/";
  var SOCKET_PATH = "/ws/desk/";
  var PING_EVERY_MS = 20000;
  var PONG_WITHIN_MS = 10000;
  var MAX_RETRY_MS = 10000;
  var FIGURES_EVERY_MS = 60000;
  var STORE_PREFIX = "dialcrm-desk-draft-";
  var DESKTOP_WIDTH = 992;
  var DRAFT_PAUSE_MS = 500;

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (byte) {
        return byte.toString(16).padStart(2, "0");
      })
      .join("");
  }

  function readLocal(callId) {
    try {
      return JSON.parse(window.localStorage.getItem(STORE_PREFIX + callId) || "null");
    } catch (error) {
      return null;
    }
  }

  function writeLocal(callId, value) {
    try {
      window.localStorage.setItem(STORE_PREFIX + callId, JSON.stringify(value));
    } catch (error) {
      /* private mode or full: the server draft still works */
    }
  }

  function forgetLocal(callId) {
    try {
      window.localStorage.removeItem(STORE_PREFIX + callId);
    } catch (error) {
      /* nothing to forget */
    }
  }

  function emptyForm(goReady) {
    return {
      status: "",
      products: [],
      note: "",
      callback_at: "",
      callback_for: "me",
      go_ready: goReady,
      pause_reason: "break",
      key: newKey(),
    };
  }

  function desk(configId) {
    var config = JSON.parse(document.getElementById(configId).textContent);
    var texts = config.texts;
    var session = config.session || {};
    return {
      texts: texts,
      session: session,
      mode: session.mode || "",
      connected: false,
      connectionText: texts.connecting,
      leaving: false,
      state: "",
      reason: "",
      stateStarted: Date.now(),
      card: null,
      phase: "",
      callStarted: Date.now(),
      callEnded: null,
      form: emptyForm(session.auto_ready !== false),
      errors: {},
      notice: { text: "", kind: "info" },
      draftText: "",
      submitting: false,
      figures: { mine: {}, team: {} },
      now: Date.now(),
      dialInput: "",
      onHold: false,
      targets: null,
      // A consultation this desk is in: {call_id, role: "consulting" | "consulted", name,
      // lead, number, is_conference}; null otherwise.
      consultation: null,
      skipReason: "not_now",
      socket: null,
      retries: 0,
      lastPong: Date.now(),
      submitPromise: null,
      draftChain: Promise.resolve(),
      noticeTimer: null,
      draftTimer: null,

      init: function () {
        var self = this;
        this.connect();
        window.setInterval(function () {
          self.now = Date.now();
        }, 1000);
        window.setInterval(function () {
          self.heartbeat();
        }, PING_EVERY_MS);
        window.addEventListener("online", function () {
          if (!self.connected) self.reconnectNow();
        });
        this.loadFigures();
        window.setInterval(function () {
          self.loadFigures();
        }, FIGURES_EVERY_MS);
        window.dialcrmDesk = this; // for the browser tests and the latency benchmark
        window.deskTimings = window.deskTimings || [];
      },

      // --- the socket -------------------------------------------------------------------------

      connect: function () {
        var self = this;
        var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
        var socket = new WebSocket(scheme + window.location.host + SOCKET_PATH);
        this.socket = socket;
        socket.onopen = function () {
          self.connected = true;
          self.retries = 0;
          self.lastPong = Date.now();
          self.connectionText = texts.connected;
        };
        socket.onmessage = function (event) {
          var message;
          try {
            message = JSON.parse(event.data);
          } catch (error) {
            return;
          }
          self.receive(message);
        };
        socket.onclose = function (event) {
          if (self.socket !== socket) return;
          self.connected = false;
          if (self.leaving) return;
          if (event.code === 4403) {
            // The session is over (signed out, expired): the page takes the person to sign in.
            window.location.reload();
            return;
          }
          self.connectionText = texts.reconnecting;
          var delay = Math.min(MAX_RETRY_MS, 500 * Math.pow(2, self.retries));
          self.retries += 1;
          window.setTimeout(function () {
            if (self.socket === socket) self.connect();
          }, delay * (0.5 + Math.random() / 2));
        };
      },

      reconnectNow: function () {
        var socket = this.socket;
        this.socket = null;
        if (socket) socket.close();
        this.connect();
      },

      heartbeat: function () {
        if (!this.connected) return;
        if (Date.now() - this.lastPong > PING_EVERY_MS + PONG_WITHIN_MS) {
          this.reconnectNow(); // a silent connection (a sleeping laptop, a dead proxy)
          return;
        }
        this.send({ action: "ping" }, true);
      },

      send: function (message, quiet) {
        if (this.socket && this.socket.readyState === WebSocket.OPEN) {
          this.socket.send(JSON.stringify(message));
          return true;
        }
        if (!quiet) this.show(texts.failed, "danger");
        return false;
      },

      receive: function (message) {
        var type = message.type;
        if (type === "desk.snapshot") this.restore(message);
        else if (type === "agent.state") this.stateChanged(message);
        else if (type === "call.offered") this.offered(message);
        else if (type === "call.dialing") this.dialing(message);
        else if (type === "lead.previewed") this.previewed(message);
        else if (type === "call.ended") this.ended(message);
        else if (type === "call.hold") this.held(message);
        else if (type === "call.transferred") this.transferred(message);
        else if (type === "consult.started") this.consultStarted(message);
        else if (type === "consult.conference") this.consultConference(message);
        else if (type === "consult.ended") this.consultEnded(message);
        else if (type === "command.refused") this.refused(message);
        else if (type === "campaign.stopped") this.show(message.label, "warning");
        else if (type === "desk.error") this.show(message.reason, "danger");
        else if (type === "desk.pong") this.lastPong = Date.now();
      },

      restore: function (snapshot) {
        if (!snapshot.session) {
          window.location.reload(); // the work session ended elsewhere: back to the start
          return;
        }
        this.session = snapshot.session;
        this.mode = snapshot.session.mode;
        this.setState(snapshot.state.state, snapshot.state.reason, snapshot.state.elapsed_s);
        var call = snapshot.call;
        if (call) {
          if (this.card && this.card.call_id === call.call_id) {
            this.phase = call.is_ended ? "ended" : "talking";
            if (call.is_ended && !this.callEnded) this.callEnded = Date.now();
          } else {
            this.open(call, call.is_ended ? "ended" : "talking");
          }
          this.flushDraft();
        } else if (this.card && (this.phase === "talking" || this.phase === "ended")) {
          this.close(); // the call got its status meanwhile
        }
      },

      stateChanged: function (message) {
        this.setState(message.state, message.reason, 0);
        if (message.state === "logged_out" && !this.leaving) {
          // Logged out (by the agent elsewhere, or by the team leader): the work session is over.
          this.show(texts.logged_out, "info");
          window.setTimeout(function () {
            window.location.reload();
          }, 1500);
        }
      },

      setState: function (state, reason, elapsed) {
        if (state !== this.state || reason !== this.reason) {
          this.stateStarted = Date.now() - (elapsed || 0) * 1000;
        }
        this.state = state;
        this.reason = reason || "";
        // A previewed lead is given back (skipped, or left for a pause) when the agent is no
        // longer reserved for it.
        if (this.card && this.phase === "preview" && state !== "reserved") this.close();
      },

      offered: function (message) {
        var receivedAt = performance.timeOrigin + performance.now();
        if (this.card && this.card.call_id === message.call_id) {
          this.phase = "talking";
          this.callStarted = Date.now();
        } else {
          this.open(message.card || this.bareCard(message), "talking");
        }
        if (message.transferred_from) {
          this.show(format(texts.transferred_to_you, { name: message.transferred_from_name || "" }), "info");
        }
        // Epoch milliseconds, for the answer-to-screen benchmark (bench/desk.py).
        var timing = {
          call_id: message.call_id,
          card_ms: message.card_ms,
          answered_at: message.answered_at,
          received: receivedAt,
        };
        window.deskTimings.push(timing);
        this.$nextTick(function () {
          window.requestAnimationFrame(function () {
            // The frame with the card is being painted: the next task runs after it.
            window.setTimeout(function () {
              timing.painted = performance.timeOrigin + performance.now();
            }, 0);
          });
        });
      },

      dialing: function (message) {
        if (this.card && this.card.lead_id === message.lead_id && !this.card.call_id) {
          this.card.call_id = message.call_id;
          this.card.number = message.number;
          this.phase = "ringing";
          this.callStarted = Date.now();
          this.storeLocal(false);
        } else {
          this.open(message.card || this.bareCard(message), "ringing");
        }
      },

      previewed: function (message) {
        this.open(message.card || this.bareCard(message), "preview");
      },

      ended: function (message) {
        if (!this.card || this.card.call_id !== message.call_id) return;
        if (this.phase === "ringing") {
          this.show(format(texts.not_answered, { cause: message.cause }), "warning");
          forgetLocal(message.call_id);
          this.close();
          return;
        }
        this.phase = "ended";
        this.callEnded = Date.now();
      },

      refused: function (message) {
        // The engine's reason, worded in the agent's language by their socket.
        this.show(String(message.reason || message.code || ""), "warning");
        if (message.code === "not_logged_in") this.setState("logged_out", "", 0);
        var stillConsulting = message.code === "in_consultation" || message.code === "already_consulting";
        if (stillConsulting && this.card && !this.consultation && this.phase === "talking") {
          // A reloaded desk does not know its consultation goes on: give back its buttons.
          this.consultation = { call_id: this.card.call_id, role: "consulting", name: "", is_conference: false };
        }
      },

      held: function (message) {
        if (this.card && this.card.call_id === message.call_id) this.onHold = Boolean(message.on_hold);
      },

      transferred: function (message) {
        if (!this.card || this.card.call_id !== message.call_id) return;
        var target = (this.targets || []).find(function (person) {
          return person.id === message.to_agent_id;
        });
        forgetLocal(message.call_id); // the draft goes with the call: it is on the server
        this.close();
        this.show(format(texts.transferred, { name: target ? target.name : "" }), "success");
      },

      toggleHold: function () {
        if (this.phase === "talking") this.send({ action: this.onHold ? "unhold" : "hold" });
      },

      loadTargets: function () {
        var self = this;
        this.targets = null;
        this.saveDraft(); // the colleague opens the call with what was typed so far
        return this.api("GET", "transfer-targets").then(function (reply) {
          self.targets = reply.status === 200 ? reply.data : [];
        });
      },

      transferTo: function (agentId) {
        if (this.phase === "talking") this.send({ action: "transfer", to_agent_id: agentId });
      },

      // --- consulting a colleague (warm transfer) and the conference ------------------------------

      consultWith: function (agentId) {
        if (this.phase === "talking" && !this.consultation) this.send({ action: "consult", to_agent_id: agentId });
      },

      consultStarted: function (message) {
        if (message.role === "consulting") {
          this.consultation = {
            call_id: message.call_id,
            role: "consulting",
            name: message.colleague_name || "",
            is_conference: false,
          };
          this.onHold = true;
        } else {
          this.consultation = {
            call_id: message.call_id,
            role: "consulted",
            name: message.consulting_agent_name || "",
            lead: message.lead || "",
            number: message.number || "",
            is_conference: false,
          };
        }
      },

      consultConference: function (message) {
        if (!this.consultation || this.consultation.call_id !== message.call_id) return;
        this.consultation.is_conference = true;
        this.onHold = false;
      },

      consultEnded: function (message) {
        var consultation = this.consultation;
        if (!consultation || consultation.call_id !== message.call_id) return;
        this.consultation = null;
        if (message.reason === "transferred") return; // the call's own message follows
        var words = texts.consult;
        if (message.reason === "customer_hung_up") this.show(words.customer_hung_up, "warning");
        else if (consultation.role === "consulted") this.show(words.ended, "info");
        else if (message.reason === "failed") this.show(words.failed, "warning");
        else if (message.reason === "cancelled") this.show(words.cancelled, "info");
      },

      consultText: function () {
        var consultation = this.consultation;
        if (!consultation) return "";
        var words = texts.consult;
        var key = consultation.role === "consulted" ? "consulted" : "consulting";
        if (consultation.is_conference) key = consultation.role === "consulted" ? "consulted_conference" : "conference";
        return format(words[key], { name: consultation.name, lead: consultation.lead, number: consultation.number });
      },

      isConsulting: function () {
        return Boolean(this.consultation && this.consultation.role === "consulting" && this.phase === "talking");
      },

      isConsulted: function () {
        return Boolean(this.consultation && this.consultation.role === "consulted");
      },

      completeConsultation: function () {
        if (this.isConsulting()) {
          this.saveDraft(); // the colleague opens the call with what was typed so far
          this.send({ action: "consult_transfer" });
        }
      },

      joinConference: function () {
        if (this.isConsulting() && !this.consultation.is_conference) this.send({ action: "consult_conference" });
      },

      cancelConsultation: function () {
        if (this.consultation) this.send({ action: "consult_cancel" });
      },

      openConsultMenu: function () {
        var button = document.querySelector('[data-testid="consult"]');
        if (button && window.bootstrap) window.bootstrap.Dropdown.getOrCreateInstance(button).show();
        this.loadTargets();
      },

      bareCard: function (message) {
        return {
          call_id: message.call_id || "",
          lead_id: message.lead_id,
          number: message.number,
          lead: { name: message.number, fields: [] },
          phones: [],
          history: [],
          callbacks: [],
          sales: [],
          statuses: [],
          products: [],
          calling_hours: [],
          sheet: { version: null, html: "" },
          draft: {},
          script: "",
          time_zone: "",
          local_time: "",
        };
      },

      // --- the call on screen ------------------------------------------------------------------

      open: function (card, phase) {
        var self = this;
        var local = card.call_id ? readLocal(card.call_id) : null;
        var draft = local && local.unsaved ? local.data : card.draft || {};
        if (!draft.key && local && local.data) draft.key = local.data.key;
        this.card = card;
        this.phase = phase;
        this.errors = {};
        this.callStarted = Date.now() - (card.elapsed_s || 0) * 1000;
        this.callEnded = phase === "ended" ? Date.now() : null;
        this.onHold = false;
        this.form = emptyForm(this.session.auto_ready !== false);
        this.form.status = draft.status || "";
        this.form.products = Array.isArray(draft.products) ? draft.products : [];
        this.form.note = draft.note || "";
        this.form.callback_at = draft.callback_at || "";
        this.form.callback_for = draft.callback_for || "me";
        if (typeof draft.go_ready === "boolean") this.form.go_ready = draft.go_ready;
        if (draft.pause_reason) this.form.pause_reason = draft.pause_reason;
        if (draft.key) this.form.key = draft.key;
        this.draftText = "";
        this.$refs.sheet.innerHTML = card.sheet ? card.sheet.html : "";
        if (local && local.unsaved) this.applyAnswers(local.data.answers || {});
        if (card.call_id) {
          this.storeLocal(Boolean(local && local.unsaved));
          if (local && local.unsaved) this.$nextTick(function () { self.saveDraft(); });
        }
      },

      close: function () {
        if (this.consultation && this.consultation.role === "consulting") this.consultation = null;
        this.card = null;
        this.phase = "";
        this.onHold = false;
        this.callEnded = null;
        this.errors = {};
        this.draftText = "";
        if (this.$refs.sheet) this.$refs.sheet.innerHTML = "";
      },

      phaseLabel: function () {
        if (this.isConsulting()) return this.consultText();
        if (this.phase === "talking" && this.onHold) return texts.on_hold;
        return texts.phases[this.phase] || "";
      },

      waitingText: function () {
        return texts.waiting[this.state] || "";
      },

      stateLabel: function () {
        if (!this.state) return texts.connecting;
        var label = texts.states[this.state] || this.state;
        if (this.state === "paused" && this.reason) {
          label += " · " + (texts.pause_reasons[this.reason] || this.reason);
        }
        return label;
      },

      stateClass: function () {
        return stateBadge(this.state);
      },

      canReady: function () {
        return this.state === "paused";
      },

      since: function (start, end) {
        return clock(((end || this.now) - start) / 1000);
      },

      duration: function (seconds) {
        return seconds === undefined || seconds === null ? "" : clock(seconds);
      },

      wrapUpLeft: function () {
        // The agent's own wrap-up time (0: the campaign's limit); past it the engine pauses them.
        var limit = this.session.wrap_up_s || this.session.max_wrap_up_s || 0;
        if (!this.callEnded) return limit;
        return limit - (this.now - this.callEnded) / 1000;
      },

      wrapUpText: function () {
        var left = this.wrapUpLeft();
        return left >= 0
          ? format(texts.wrap_up_left, { time: clock(left) })
          : format(texts.wrap_up_over, { time: clock(-left) });
      },

      isSale: function () {
        return this.statusCategory() === "sale";
      },

      isCallback: function () {
        return this.statusCategory() === "callback";
      },

      statusCategory: function () {
        var code = this.form.status;
        var found = ((this.card && this.card.statuses) || []).find(function (status) {
          return status.code === code;
        });
        return found ? found.category : "";
      },

      dialNumber: function () {
        if (this.send({ action: "dial", number: this.dialInput.trim() })) this.dialInput = "";
      },

      show: function (text, kind) {
        var self = this;
        this.notice = { text: text, kind: kind || "info" };
        window.clearTimeout(this.noticeTimer);
        this.noticeTimer = window.setTimeout(function () {
          self.notice = { text: "", kind: "info" };
        }, 8000);
      },

      // --- the sheet and the draft ----------------------------------------------------------------

      answers: function () {
        var answers = {};
        var inputs = this.$refs.sheet.querySelectorAll('[name^="ws_"]');
        Array.prototype.forEach.call(inputs, function (input) {
          var key = input.name.slice(3);
          if (input.type === "checkbox") {
            answers[key] = answers[key] || [];
            if (input.checked) answers[key].push(input.value);
          } else if (input.type === "radio") {
            if (!(key in answers)) answers[key] = "";
            if (input.checked) answers[key] = input.value;
          } else {
            answers[key] = input.value;
          }
        });
        return answers;
      },

      applyAnswers: function (answers) {
        var inputs = this.$refs.sheet.querySelectorAll('[name^="ws_"]');
        Array.prototype.forEach.call(inputs, function (input) {
          var key = input.name.slice(3);
          if (!(key in answers)) return;
          var value = answers[key];
          if (input.type === "checkbox") input.checked = Array.isArray(value) && value.indexOf(input.value) >= 0;
          else if (input.type === "radio") input.checked = value === input.value;
          else input.value = value === null || value === undefined ? "" : value;
        });
      },

      draftData: function () {
        return {
          answers: this.answers(),
          status: this.form.status,
          products: this.form.products,
          note: this.form.note,
          callback_at: this.form.callback_at,
          callback_for: this.form.callback_for,
          go_ready: this.form.go_ready,
          pause_reason: this.form.pause_reason,
          key: this.form.key,
        };
      },

      storeLocal: function (unsaved) {
        if (!this.card || !this.card.call_id) return;
        writeLocal(this.card.call_id, { data: this.draftData(), unsaved: unsaved });
      },

      typed: function () {
        // Kept in this browser at once (a reload right after a keystroke loses nothing); saved on
        // the server once the typing pauses.
        var self = this;
        this.storeLocal(true);
        window.clearTimeout(this.draftTimer);
        this.draftTimer = window.setTimeout(function () {
          self.saveDraft();
        }, DRAFT_PAUSE_MS);
      },

      leave: function () {
        // The page goes away (a reload, a closed tab): what is not saved yet leaves with it.
        if (!this.card || !this.card.call_id) return;
        var local = readLocal(this.card.call_id);
        if (!local || !local.unsaved) return;
        window.fetch(API + "calls/" + this.card.call_id + "/draft", {
          method: "PUT",
          keepalive: true,
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrf },
          body: JSON.stringify({ data: local.data }),
        });
      },

      saveDraft: function () {
        if (!this.card || !this.card.call_id || this.submitPromise) return;
        var self = this;
        var callId = this.card.call_id;
        var data = this.draftData();
        writeLocal(callId, { data: data, unsaved: true });
        this.draftText = texts.saving;
        this.draftChain = this.draftChain.then(function () {
          return self.api("PUT", "calls/" + callId + "/draft", { data: data }).then(function (reply) {
            if (reply.status === 200) {
              var local = readLocal(callId);
              if (local && JSON.stringify(local.data) === JSON.stringify(data)) {
                writeLocal(callId, { data: data, unsaved: false });
              }
              if (self.card && self.card.call_id === callId) self.draftText = texts.saved;
            } else if (self.card && self.card.call_id === callId) {
              self.draftText = reply.status === 409 ? "" : texts.not_saved;
            }
          });
        });
        return this.draftChain;
      },

      flushDraft: function () {
        if (!this.card || !this.card.call_id) return;
        var local = readLocal(this.card.call_id);
        if (local && local.unsaved) this.saveDraft();
      },

      // --- closing the call ---------------------------------------------------------------------

      submitStatus: function () {
        var self = this;
        if (this.submitPromise) return this.submitPromise; // a double click sends once
        this.submitting = true;
        this.submitPromise = this.submit().finally(function () {
          self.submitPromise = null;
          self.submitting = false;
        });
        return this.submitPromise;
      },

      submit: function () {
        var self = this;
        var card = this.card;
        if (!card || !card.call_id) return Promise.resolve();
        this.clearErrors();
        if (!this.form.status) {
          this.errors = { status: texts.choose_status };
          return Promise.resolve();
        }
        var callId = card.call_id;
        var body = {
          idempotency_key: this.form.key,
          status: this.form.status,
          answers: this.answers(),
          products: this.isSale()
            ? this.form.products
                .filter(function (line) {
                  return line.product_id;
                })
                .map(function (line) {
                  return { product_id: Number(line.product_id), quantity: Number(line.quantity) };
                })
            : [],
          note: this.form.note,
          callback_at: this.isCallback() && this.form.callback_at ? this.form.callback_at : null,
          callback_for_me: this.form.callback_for === "me",
          go_ready: this.form.go_ready,
          pause_reason: this.form.go_ready ? "" : this.form.pause_reason,
          sheet_version: card.sheet ? card.sheet.version : null,
        };
        this.storeLocal(true);
        return this.api("POST", "calls/" + callId + "/disposition", body).then(function (reply) {
          if (reply.status === 200 || reply.status === 201) {
            forgetLocal(callId);
            if (self.card && self.card.call_id === callId) self.close();
            self.show(texts.recorded, "success"); // a repeat (200) recorded nothing more
            window.setTimeout(function () {
              self.loadFigures();
            }, 1000);
          } else if (reply.status === 422) {
            self.showErrors((reply.data && reply.data.detail) || []);
          } else if (reply.status === 409 || reply.status === 404) {
            forgetLocal(callId);
            if (self.card && self.card.call_id === callId) self.close();
            self.show(reply.data && reply.data.detail ? String(reply.data.detail) : texts.failed, "warning");
          } else {
            self.show(texts.failed, "danger");
          }
        });
      },

      clearErrors: function () {
        this.errors = {};
        var sheet = this.$refs.sheet;
        Array.prototype.forEach.call(sheet.querySelectorAll(".desk-error"), function (node) {
          node.remove();
        });
        Array.prototype.forEach.call(sheet.querySelectorAll(".is-invalid"), function (node) {
          node.classList.remove("is-invalid");
        });
      },

      showErrors: function (details) {
        var self = this;
        var errors = {};
        var first = null;
        details.forEach(function (item) {
          var field = item.field || "";
          if (field.indexOf("answers.") === 0) {
            var key = field.slice(8);
            var box = self.$refs.sheet.querySelector('[data-field-key="' + CSS.escape(key) + '"]');
            if (box) {
              var message = document.createElement("div");
              message.className = "invalid-feedback d-block desk-error";
              message.dataset.field = key;
              message.textContent = item.message;
              box.appendChild(message);
              Array.prototype.forEach.call(box.querySelectorAll("input, select, textarea"), function (input) {
                input.classList.add("is-invalid");
              });
              first = first || box;
              return;
            }
          }
          var name = field.split(".")[0] || "status";
          if (["status", "products", "callback_at", "callback_agent", "note"].indexOf(name) < 0) name = "status";
          errors[name] = errors[name] ? errors[name] + " " + item.message : item.message;
        });
        if (errors.callback_agent) errors.callback_at = (errors.callback_at || "") + " " + errors.callback_agent;
        this.errors = errors;
        this.show(texts.fix_errors, "danger");
        if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
      },

      // --- the API and the figures ------------------------------------------------------------------

      api: function (method, path, body) {
        return window
          .fetch(API + path, {
            method: method,
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrf },
            body: body === undefined ? undefined : JSON.stringify(body),
          })
          .then(
            function (response) {
              return response
                .json()
                .catch(function () {
                  return null;
                })
                .then(function (data) {
                  return { status: response.status, data: data };
                });
            },
            function () {
              return { status: 0, data: null };
            }
          );
      },

      loadFigures: function () {
        var self = this;
        return this.api("GET", "figures").then(function (reply) {
          if (reply.status === 200) self.figures = reply.data;
        });
      },

      // --- keys ----------------------------------------------------------------------------------------

      shortcut: function (event) {
        if (window.innerWidth < DESKTOP_WIDTH) return;
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          if (this.card && this.card.call_id) {
            event.preventDefault();
            this.submitStatus();
          }
          return;
        }
        var target = event.target;
        if (target && target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
        if (event.ctrlKey || event.metaKey || event.altKey) return;
        var key = (event.key || "").toLowerCase();
        if (key === "r" && this.canReady()) this.send({ action: "ready" });
        else if (key === "p" && this.state !== "logged_out") this.openPauseMenu();
        else if (key === "h" && (this.phase === "talking" || this.phase === "ringing")) this.send({ action: "hang_up" });
        else if (key === "o" && this.phase === "talking" && !this.consultation) this.toggleHold();
        else if (key === "t" && this.isConsulting()) this.completeConsultation();
        else if (key === "t" && this.phase === "talking" && !this.consultation) this.openTransferMenu();
        else if (key === "c" && this.phase === "talking" && !this.consultation) this.openConsultMenu();
        else if (key === "j" && this.isConsulting()) this.joinConference();
        else if (key === "x" && this.consultation) this.cancelConsultation();
        else if (key === "n" && this.mode === "preview" && !this.card) this.send({ action: "preview_next" });
        else if (key === "d" && this.phase === "preview") this.send({ action: "dial" });
        else return;
        event.preventDefault();
      },

      openTransferMenu: function () {
        var button = document.querySelector('[data-testid="transfer"]');
        if (button && window.bootstrap) window.bootstrap.Dropdown.getOrCreateInstance(button).show();
        this.loadTargets();
      },

      openPauseMenu: function () {
        var button = document.querySelector('[data-testid="pause"]');
        if (button && window.bootstrap) window.bootstrap.Dropdown.getOrCreateInstance(button).show();
        var first = this.$refs.pauseMenu && this.$refs.pauseMenu.querySelector("button");
        if (first) first.focus();
      },
    };
  }

  document.addEventListener("alpine:init", function () {
    window.Alpine.data("desk", desk);
  });
})();
