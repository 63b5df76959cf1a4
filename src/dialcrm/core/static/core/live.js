/*
 * What the live screens (the agent's desk, the team view, the wallboard) show alike: an agent
 * state's badge class, a time as a clock, a translated text's %(name)s filled in.
 *
 * Usage: load before the screen's own script; it reads window.dialcrmLive.
 */
(function () {
  "use strict";

  var STATE_CLASSES = {
    ready: "text-bg-success",
    reserved: "text-bg-primary",
    on_call: "text-bg-primary",
    wrap_up: "text-bg-info",
    paused: "text-bg-warning",
    logged_out: "text-bg-secondary",
  };

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = String(seconds % 60).padStart(2, "0");
    return hours ? hours + ":" + String(minutes).padStart(2, "0") + ":" + rest : minutes + ":" + rest;
  }

  function format(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (_match, name) {
      return values[name] === undefined ? "" : values[name];
    });
  }

  function stateClass(state) {
    return STATE_CLASSES[state] || "text-bg-secondary";
  }

  window.dialcrmLive = { clock: clock, format: format, stateClass: stateClass };
})();
