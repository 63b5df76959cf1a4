/*
 * The wallboard: one campaign's live figures, pushed every second by the dialer engine through
 * /ws/wallboard/ (subscribe to the campaign, then `wallboard.figures` messages), drawn as tiles,
 * three Chart.js charts and the agents' table. Times in state are counted from the engine's own
 * clock (the message's `at`), so a browser whose clock is off still shows them right.
 *
 * Usage: x-data="wallboard('<id of a json_script with campaign_id and texts>')".
 */
(function () {
  "use strict";

  var clock = window.dialcrmLive.clock;
  var format = window.dialcrmLive.format;
  var stateBadge = window.dialcrmLive.stateClass;
  var SOCKET_PATH = "/ws/wallboard/";
  var MAX_RETRY_MS = 10000;
  var REFUSED = 4403; // the socket's answer to a session that may not watch
  var STALE_AFTER_MS = 5000;
  var HISTORY_POINTS = 300; // five minutes of one message a second
  var STATE_ORDER = ["ready", "reserved", "on_call", "wrap_up", "paused"];
  var STATE_COLOURS = {
    ready: "#198754",
    reserved: "#6f42c1",
    on_call: "#0d6efd",
    wrap_up: "#0dcaf0",
    paused: "#ffc107",
    logged_out: "#6c757d",
  };

  function hourLabel(epochSeconds) {
    var date = new Date(epochSeconds * 1000);
    return String(date.getHours()).padStart(2, "0") + ":00";
  }

  function wallboard(configId) {
    var config = JSON.parse(document.getElementById(configId).textContent);
    var texts = config.texts;
    // Chart.js objects stay outside Alpine's reactive proxies (they must not be wrapped).
    var charts = {};
    return {
      texts: texts,
      figures: {},
      connected: false,
      notice: "",
      fullScreen: false,
      receivedAt: 0,
      now: Date.now(),
      socket: null,
      retries: 0,

      init: function () {
        var self = this;
        this.makeCharts();
        this.connect();
        window.setInterval(function () {
          self.now = Date.now();
          if (self.connected && self.receivedAt && self.now - self.receivedAt > STALE_AFTER_MS) {
            self.notice = format(texts.stale, { seconds: Math.round((self.now - self.receivedAt) / 1000) });
          }
        }, 1000);
        document.addEventListener("fullscreenchange", function () {
          self.fullScreen = Boolean(document.fullscreenElement);
          document.body.classList.toggle("wallboard-full", self.fullScreen);
        });
      },

      connect: function () {
        var self = this;
        var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
        var socket = new WebSocket(scheme + window.location.host + SOCKET_PATH);
        this.socket = socket;
        socket.onopen = function () {
          self.retries = 0;
          self.connected = true;
          socket.send(JSON.stringify({ action: "subscribe", campaign_id: config.campaign_id }));
        };
        socket.onmessage = function (event) {
          self.receive(JSON.parse(event.data));
        };
        socket.onclose = function (event) {
          self.connected = false;
          if (event.code === REFUSED) {
            // The session ended (signed out, idle too long): a reload leads to the sign-in. A
            // socket refused from the start is not retried (the page would only load again).
            if (self.receivedAt) {
              window.location.reload();
            } else {
              self.notice = texts.refused;
            }
            return;
          }
          var wait = Math.min(MAX_RETRY_MS, 500 * Math.pow(2, self.retries++));
          window.setTimeout(function () {
            self.connect();
          }, wait);
        };
      },

      receive: function (message) {
        if (message.type === "wallboard.subscribed") {
          if (!this.receivedAt) this.notice = texts.waiting;
        } else if (message.type === "wallboard.error") {
          this.notice = message.reason;
        } else if (message.type === "wallboard.figures" && message.campaign_id === config.campaign_id) {
          this.figures = message.figures;
          this.receivedAt = Date.now();
          this.notice = "";
          this.updateCharts(message.figures);
        }
      },

      makeCharts: function () {
        if (!window.Chart) return;
        var stateLabels = STATE_ORDER.map(function (state) {
          return texts.states[state] || state;
        });
        charts.states = new window.Chart(this.$refs.states, {
          type: "doughnut",
          data: {
            labels: stateLabels,
            datasets: [{ data: STATE_ORDER.map(function () { return 0; }), backgroundColor: STATE_ORDER.map(function (state) { return STATE_COLOURS[state]; }) }],
          },
          options: { animation: false, maintainAspectRatio: false, plugins: { legend: { position: "bottom" } } },
        });
        charts.calls = new window.Chart(this.$refs.calls, {
          type: "line",
          data: {
            labels: [],
            datasets: [
              { label: texts.ringing, data: [], borderColor: "#6f42c1", pointRadius: 0, tension: 0.2 },
              { label: texts.waiting_calls, data: [], borderColor: "#fd7e14", pointRadius: 0, tension: 0.2 },
              { label: texts.connected, data: [], borderColor: "#0d6efd", pointRadius: 0, tension: 0.2 },
            ],
          },
          options: {
            animation: false,
            maintainAspectRatio: false,
            scales: { x: { ticks: { maxTicksLimit: 6 } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
            plugins: { legend: { position: "bottom" } },
          },
        });
        charts.hours = new window.Chart(this.$refs.hours, {
          type: "bar",
          data: {
            labels: [],
            datasets: [
              { label: texts.contacts, data: [], backgroundColor: "#0d6efd" },
              { label: texts.sales, data: [], backgroundColor: "#198754" },
            ],
          },
          options: {
            animation: false,
            maintainAspectRatio: false,
            scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
            plugins: { legend: { position: "bottom" } },
          },
        });
      },

      updateCharts: function (figures) {
        if (!charts.states) return;
        var counts = figures.agent_counts || {};
        charts.states.data.datasets[0].data = STATE_ORDER.map(function (state) {
          return counts[state] || 0;
        });
        charts.states.update("none");
        var calls = charts.calls.data;
        calls.labels.push(new Date(figures.at * 1000).toLocaleTimeString());
        calls.datasets[0].data.push(figures.ringing);
        calls.datasets[1].data.push(figures.waiting);
        calls.datasets[2].data.push(figures.connected);
        if (calls.labels.length > HISTORY_POINTS) {
          calls.labels.shift();
          calls.datasets.forEach(function (dataset) {
            dataset.data.shift();
          });
        }
        charts.calls.update("none");
        var hours = figures.hours || [];
        charts.hours.data.labels = hours.map(function (hour) {
          return hourLabel(hour.at);
        });
        charts.hours.data.datasets[0].data = hours.map(function (hour) {
          return hour.contacts;
        });
        charts.hours.data.datasets[1].data = hours.map(function (hour) {
          return hour.sales;
        });
        charts.hours.update("none");
      },

      toggleFullScreen: function () {
        if (document.fullscreenElement) {
          document.exitFullscreen();
        } else if (document.documentElement.requestFullscreen) {
          document.documentElement.requestFullscreen();
        }
      },

      show: function (value) {
        return value === undefined || value === null ? "–" : value;
      },

      percent: function (share) {
        return share === undefined || share === null ? "–" : (share * 100).toFixed(2) + " %";
      },

      abandonClass: function () {
        var rate = this.figures.abandon_rate_today;
        var cap = this.figures.abandon_cap;
        if (rate === undefined || !cap) return "";
        if (rate > cap) return "wallboard-over";
        return rate > cap * 0.8 ? "wallboard-near" : "";
      },

      thisHour: function () {
        var hours = this.figures.hours || [];
        return hours.length ? hours[hours.length - 1] : {};
      },

      today: function (field) {
        var hours = this.figures.hours;
        if (!hours) return undefined;
        return hours.reduce(function (total, hour) {
          return total + hour[field];
        }, 0);
      },

      since: function (since) {
        // The engine's clock at the message, plus the time since it arrived.
        var elapsed = this.figures.at - since + (this.now - this.receivedAt) / 1000;
        return clock(elapsed);
      },

      stateClass: function (state) {
        return stateBadge(state);
      },

      stateLabel: function (agent) {
        var label = texts.states[agent.state] || agent.state;
        if (agent.state === "paused" && agent.reason) {
          label += " · " + (texts.pause_reasons[agent.reason] || agent.reason);
        }
        return label;
      },
    };
  }

  window.wallboard = wallboard;
})();
