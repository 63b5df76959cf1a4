/*
 * A team leader's live view: the board from the server, kept moving by the engine's messages to
 * each agent (relayed by /ws/desk/team/), refreshed in full every half minute; pause and log
 * out go through the desk API (/api/desk/team/<agent>/<pause|logout>) and are audited there.
 *
 * Usage: x-data="team('<id of a json_script with board, csrf, texts>')".
 */
(function () {
  "use strict";

  var clock = window.dialcrmLive.clock;
  var format = window.dialcrmLive.format;
  var stateBadge = window.dialcrmLive.stateClass;
  var SOCKET_PATH = "/ws/desk/team/";
  var API = "/api/desk/team/";
  var REFRESH_EVERY_MS = 30000;
  var MAX_RETRY_MS = 10000;

  function team(configId) {
    var config = JSON.parse(document.getElementById(configId).textContent);
    var texts = config.texts;
    return {
      texts: texts,
      agents: [],
      connected: false,
      notice: { text: "", kind: "info" },
      now: Date.now(),
      socket: null,
      retries: 0,

      init: function () {
        var self = this;
        this.load(config.board);
        this.connect();
        window.setInterval(function () {
          self.now = Date.now();
        }, 1000);
        window.setInterval(function () {
          if (self.connected) self.socket.send(JSON.stringify({ action: "refresh" }));
        }, REFRESH_EVERY_MS);
      },

      load: function (board) {
        var now = Date.now();
        this.agents = board.map(function (row) {
          return Object.assign({}, row, {
            since: now - row.elapsed_s * 1000,
            call: row.call ? Object.assign({}, row.call, { since: now - row.call.elapsed_s * 1000 }) : null,
            consult: "", // a consultation seen live (the board itself does not know of them)
          });
        });
      },

      connect: function () {
        var self = this;
        var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
        var socket = new WebSocket(scheme + window.location.host + SOCKET_PATH);
        this.socket = socket;
        socket.onopen = function () {
          self.connected = true;
          self.retries = 0;
        };
        socket.onmessage = function (event) {
          self.receive(JSON.parse(event.data));
        };
        socket.onclose = function (event) {
          self.connected = false;
          if (event.code === 4403) {
            window.location.reload();
            return;
          }
          var delay = Math.min(MAX_RETRY_MS, 500 * Math.pow(2, self.retries));
          self.retries += 1;
          window.setTimeout(function () {
            self.connect();
          }, delay * (0.5 + Math.random() / 2));
        };
      },

      receive: function (message) {
        if (message.type === "team.board") {
          this.load(message.agents);
          return;
        }
        if (message.type !== "team.update") return;
        var agent = this.agents.find(function (row) {
          return row.agent_id === message.agent_id;
        });
        if (!agent) return;
        var event = message.message;
        if (event.type === "agent.state") {
          agent.state = event.state;
          agent.reason = event.reason || "";
          agent.since = Date.now();
          if (event.state !== "on_call" && event.state !== "reserved") agent.call = null;
          if (event.state !== "on_call") agent.consult = "";
        } else if (event.type === "consult.started") {
          agent.consult = event.role; // consulting | consulted
        } else if (event.type === "consult.conference") {
          agent.consult = "conference";
        } else if (event.type === "consult.ended") {
          agent.consult = "";
        } else if (event.type === "call.offered") {
          agent.call = { number: event.number, lead: event.lead || "", since: Date.now() };
        } else if (event.type === "call.hold" && agent.call) {
          agent.call.on_hold = Boolean(event.on_hold);
        } else if ((event.type === "call.ended" || event.type === "call.transferred") && agent.call) {
          agent.call = null;
        }
      },

      stateLabel: function (agent) {
        var label = texts.states[agent.state] || agent.state;
        if (agent.state === "paused" && agent.reason) label += " · " + (texts.pause_reasons[agent.reason] || agent.reason);
        return label;
      },

      stateClass: function (state) {
        return stateBadge(state);
      },

      since: function (start) {
        return clock((this.now - start) / 1000);
      },

      act: function (agent, kind) {
        var self = this;
        if (kind === "logout" && !window.confirm(format(texts.confirm_logout, { name: agent.name }))) return;
        window
          .fetch(API + agent.agent_id + "/" + kind, {
            method: "POST",
            credentials: "same-origin",
            headers: { "X-CSRFToken": config.csrf },
          })
          .then(function (response) {
            self.notice = response.ok
              ? { text: format(kind === "pause" ? texts.done_pause : texts.done_logout, { name: agent.name }), kind: "success" }
              : { text: texts.failed, kind: "danger" };
          })
          .catch(function () {
            self.notice = { text: texts.failed, kind: "danger" };
          });
      },
    };
  }

  document.addEventListener("alpine:init", function () {
    window.Alpine.data("team", team);
  });
})();
