/*
 * The softphone of the agent's desk: JsSIP registers the agent's WebRTC endpoint (agent-<staff
 * id>) on Asterisk over a secure WebSocket and answers the dialer's call to it at once. The
 * dialer calls that line once when the agent starts and keeps it in the agent's own bridge;
 * customers are put through to it, so nothing rings on the agent's side during a call.
 *
 * It shows four things, each with a clear way out when it fails: the microphone (blocked,
 * missing, busy), the TURN relay (reachable or not, tested by gathering a relay candidate with
 * the agent's short-lived credentials from /api/telephony/turn), the registration (refused,
 * server unreachable) and the line's audio.
 *
 * Usage: x-data="softphone('<id of a json_script with enabled, endpoint, texts>')".
 */
(function () {
  "use strict";

  var format = window.dialcrmLive.format;
  var TURN_URL = "/api/telephony/turn";
  var SIP_URL = "/api/telephony/sip";
  var TURN_CHECK_MS = 5000;
  var REFUSED_CAUSES = ["Authentication Error", "Rejected", "Forbidden", "Not Found"];

  function microphoneProblem(error) {
    switch (error && error.name) {
      case "NotAllowedError":
      case "SecurityError":
        return "denied";
      case "NotFoundError":
      case "OverconstrainedError":
        return "missing";
      case "NotReadableError":
      case "AbortError":
        return "busy";
      default:
        return "unsupported";
    }
  }

  function softphone(configId) {
    var config = JSON.parse(document.getElementById(configId).textContent);
    // JsSIP's objects and the media stream stay out of Alpine's reactive proxies.
    var line = { stream: null, iceServers: [], ua: null, session: null };

    return {
      texts: config.texts,
      microphone: "asking", // asking, granted, denied, missing, busy, unsupported
      turn: "checking", // checking, reachable, unreachable, unavailable
      registration: "idle", // idle, connecting, registered, refused, unreachable, unavailable, no_library
      audio: "idle", // idle, connected, ended, no_microphone
      muted: false,
      detail: { turn: "", registration: "", cause: "", url: "" },

      init: function () {
        this.start();
      },

      start: async function () {
        var microphone = this.askMicrophone();
        var turn = this.fetchJson(TURN_URL);
        var account = this.fetchJson(SIP_URL);
        await microphone;
        var credentials = await turn;
        if (credentials.ok) {
          line.iceServers = [
            {
              urls: credentials.body.urls,
              username: credentials.body.username,
              credential: credentials.body.credential,
            },
          ];
          this.checkTurn(line.iceServers);
        } else {
          this.turn = "unavailable";
          this.detail.turn = credentials.detail;
        }
        var sip = await account;
        if (!sip.ok) {
          this.registration = "unavailable";
          this.detail.registration = sip.detail;
          return;
        }
        this.register(sip.body);
      },

      stop: function () {
        if (line.ua) {
          line.ua.stop();
          line.ua = null;
        }
        if (line.stream) {
          line.stream.getTracks().forEach(function (track) {
            track.stop();
          });
        }
      },

      askMicrophone: async function () {
        if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
          this.microphone = "unsupported";
          return;
        }
        try {
          line.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
          this.microphone = "granted";
        } catch (error) {
          this.microphone = microphoneProblem(error);
        }
      },

      fetchJson: async function (url) {
        try {
          var response = await fetch(url, {
            credentials: "same-origin",
            headers: { Accept: "application/json" },
            cache: "no-store",
          });
          var body = await response.json().catch(function () {
            return {};
          });
          if (response.ok) {
            return { ok: true, body: body };
          }
          return {
            ok: false,
            detail: body.detail || format(this.texts.failed, { status: response.status }),
          };
        } catch (error) {
          return { ok: false, detail: format(this.texts.failed, { status: String(error) }) };
        }
      },

      // The relay works when the browser obtains a relay candidate from it with the credentials.
      checkTurn: function (iceServers) {
        var self = this;
        var connection;
        try {
          connection = new RTCPeerConnection({ iceServers: iceServers, iceTransportPolicy: "relay" });
        } catch (error) {
          self.turn = "unreachable";
          return;
        }
        var timer = window.setTimeout(function () {
          finish("unreachable");
        }, TURN_CHECK_MS);
        function finish(state) {
          if (self.turn !== "checking") {
            return;
          }
          self.turn = state;
          window.clearTimeout(timer);
          connection.close();
        }
        connection.addEventListener("icecandidate", function (event) {
          if (event.candidate && / typ relay /.test(event.candidate.candidate)) {
            finish("reachable");
          } else if (!event.candidate) {
            finish("unreachable");
          }
        });
        connection.createDataChannel("turn-check");
        connection
          .createOffer()
          .then(function (offer) {
            return connection.setLocalDescription(offer);
          })
          .catch(function () {
            finish("unreachable");
          });
      },

      register: function (account) {
        var self = this;
        if (!window.JsSIP) {
          this.registration = "no_library";
          return;
        }
        this.detail.url = account.ws_url;
        var ua;
        try {
          ua = new window.JsSIP.UA({
            sockets: [new window.JsSIP.WebSocketInterface(account.ws_url)],
            uri: account.uri,
            authorization_user: account.username,
            password: account.password,
            display_name: account.display_name,
            register: true,
            session_timers: false,
            user_agent: "dialcrm softphone",
          });
        } catch (error) {
          this.registration = "unavailable";
          this.detail.registration = String(error.message || error);
          return;
        }
        line.ua = ua;
        ua.on("connecting", function () {
          if (self.registration !== "registered") {
            self.registration = "connecting";
          }
        });
        ua.on("disconnected", function () {
          if (self.registration !== "refused") {
            self.registration = "unreachable";
          }
        });
        ua.on("registered", function () {
          self.registration = "registered";
        });
        ua.on("unregistered", function () {
          if (self.registration === "registered") {
            self.registration = "idle";
          }
        });
        ua.on("registrationFailed", function (event) {
          self.detail.cause = event.cause || "";
          var refused = REFUSED_CAUSES.indexOf(event.cause) >= 0;
          if (event.response && event.response.status_code) {
            self.detail.cause = event.response.status_code + " " + event.response.reason_phrase;
            refused = refused || event.response.status_code >= 400;
          }
          self.registration = refused ? "refused" : "unreachable";
          if (refused) {
            ua.stop();
          }
        });
        ua.on("newRTCSession", function (event) {
          if (event.originator === "remote") {
            self.answer(event.session);
          }
        });
        ua.start();
      },

      // The only calls to this line are the dialer's: answer at once, one line at a time.
      answer: function (session) {
        var self = this;
        if (line.session) {
          session.terminate({ status_code: 486, reason_phrase: "Busy Here" });
          return;
        }
        if (!line.stream) {
          this.audio = "no_microphone";
          session.terminate({ status_code: 480, reason_phrase: "No Microphone" });
          return;
        }
        line.session = session;
        session.on("peerconnection", function (event) {
          event.peerconnection.addEventListener("track", function (track) {
            self.$refs.remote.srcObject = track.streams[0];
          });
        });
        session.on("confirmed", function () {
          self.audio = "connected";
        });
        function ended(event) {
          line.session = null;
          self.muted = false;
          self.detail.cause = (event && event.cause) || "";
          self.audio = "ended";
        }
        session.on("ended", ended);
        session.on("failed", ended);
        session.answer({
          mediaStream: line.stream,
          pcConfig: { iceServers: line.iceServers },
        });
      },

      toggleMute: function () {
        if (!line.session) {
          return;
        }
        if (this.muted) {
          line.session.unmute({ audio: true });
        } else {
          line.session.mute({ audio: true });
        }
        this.muted = !this.muted;
      },

      tone: function (state, good) {
        if (state === good) {
          return "text-success";
        }
        return ["asking", "checking", "idle", "connecting"].indexOf(state) >= 0
          ? "text-muted"
          : "text-danger";
      },

      microphoneText: function () {
        return this.texts.microphone[this.microphone];
      },

      turnText: function () {
        return format(this.texts.turn[this.turn], { detail: this.detail.turn });
      },

      registrationText: function () {
        return format(this.texts.registration[this.registration], {
          detail: this.detail.registration,
          cause: this.detail.cause,
          url: this.detail.url,
        });
      },

      audioText: function () {
        return format(this.texts.audio[this.audio], { cause: this.detail.cause });
      },
    };
  }

  document.addEventListener("alpine:init", function () {
    window.Alpine.data("softphone", softphone);
  });
})();
