/*
 * The work sheet builder: an Alpine.js component that edits a sheet's groups and fields, shows a
 * live preview, and keeps the whole definition as JSON in the form's hidden "definition" input.
 *
 * The server checks every definition completely (dialcrm.campaigns.worksheets); the hints shown
 * here only save a round trip. The shape sent is the one validate_definition expects:
 *   {"groups": [{"title", "fields": [{"key", "label", "kind", "required", "help",
 *                                     ...kind settings: max_length, pattern, min, max, choices}]}]}
 *
 * Usage: x-data="worksheetBuilder('<id of a json_script with definition, kinds, texts>')".
 */
(function () {
  "use strict";

  var MAX_KEY_LENGTH = 50;
  var KEY_PATTERN = /^[a-z][a-z0-9_]*$/;
  var TEXT_LIMITS = { text: 1000, long_text: 10000 };
  var INPUT_TYPES = { text: "text", number: "number", date: "date", phone: "tel", email: "email" };
  var nextUid = 1;

  function textOf(value) {
    if (typeof value === "string") return value;
    return value === null || value === undefined ? "" : String(value);
  }

  /* The same rule as worksheets.key_from_label on the server: "Număr de telefon" -> "numar_de_telefon". */
  function keyFromLabel(label) {
    var key = textOf(label)
      .normalize("NFKD")
      .replace(/[^\x00-\x7f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "");
    if (!key || !/^[a-z]/.test(key)) key = ("field_" + key).replace(/_+$/, "");
    return key.slice(0, MAX_KEY_LENGTH).replace(/_+$/, "");
  }

  function uniqueKey(key, taken) {
    if (!taken.has(key)) return key;
    for (var number = 2; ; number++) {
      var suffix = "_" + number;
      var candidate = key.slice(0, MAX_KEY_LENGTH - suffix.length) + suffix;
      if (!taken.has(candidate)) return candidate;
    }
  }

  /* A number typed in a settings input: null when empty, the text itself when not a number (the
   * server then says what is wrong). */
  function numberOrNull(value) {
    var text = textOf(value).trim();
    if (text === "") return null;
    var number = Number(text);
    return Number.isFinite(number) ? number : text;
  }

  function fieldState(item) {
    item = item && typeof item === "object" ? item : {};
    var key = textOf(item.key);
    return {
      uid: nextUid++,
      key: key,
      keyTouched: key !== "",
      label: textOf(item.label),
      kind: textOf(item.kind) || "text",
      required: item.required === true,
      help: textOf(item.help),
      maxLength: textOf(item.max_length),
      pattern: textOf(item.pattern),
      min: textOf(item.min),
      max: textOf(item.max),
      choicesText: Array.isArray(item.choices) ? item.choices.map(textOf).join("\n") : "",
    };
  }

  function groupState(group) {
    group = group && typeof group === "object" ? group : {};
    return {
      uid: nextUid++,
      title: textOf(group.title),
      fields: Array.isArray(group.fields) ? group.fields.map(fieldState) : [],
    };
  }

  function choicesOf(field) {
    return field.choicesText
      .split("\n")
      .map(function (line) { return line.trim(); })
      .filter(function (line) { return line !== ""; });
  }

  function fieldDefinition(field) {
    var item = {
      key: field.key.trim(),
      label: field.label.trim(),
      kind: field.kind,
      required: Boolean(field.required),
      help: field.help.trim(),
    };
    if (field.kind === "text" || field.kind === "long_text") item.max_length = numberOrNull(field.maxLength);
    if (field.kind === "text") item.pattern = field.pattern.trim();
    if (field.kind === "number") {
      item.min = numberOrNull(field.min);
      item.max = numberOrNull(field.max);
    }
    if (field.kind === "choice" || field.kind === "multi_choice") item.choices = choicesOf(field);
    return item;
  }

  function builder(configId) {
    var config = JSON.parse(document.getElementById(configId).textContent);
    var definition = config.definition || {};
    return {
      kinds: config.kinds,
      texts: config.texts,
      maxFields: config.maxFields,
      groups: Array.isArray(definition.groups) ? definition.groups.map(groupState) : [],
      open: null,

      get serialized() {
        return JSON.stringify({
          groups: this.groups.map(function (group) {
            return { title: group.title.trim(), fields: group.fields.map(fieldDefinition) };
          }),
        });
      },

      get fieldCount() {
        return this.groups.reduce(function (count, group) { return count + group.fields.length; }, 0);
      },

      kindLabel: function (kind) {
        var found = this.kinds.find(function (pair) { return pair[0] === kind; });
        return found ? found[1] : kind;
      },
      labelOf: function (field) { return field.label.trim() || this.texts.noLabel; },
      isText: function (field) { return field.kind === "text" || field.kind === "long_text"; },
      isChoice: function (field) { return field.kind === "choice" || field.kind === "multi_choice"; },
      inputType: function (field) { return INPUT_TYPES[field.kind] || ""; },
      choicesOf: choicesOf,
      textLimit: function (field) {
        var limit = parseInt(field.maxLength, 10);
        return limit > 0 ? limit : TEXT_LIMITS[field.kind] || TEXT_LIMITS.text;
      },

      focus: function (id) {
        this.$nextTick(function () {
          var input = document.getElementById(id);
          if (input) input.focus();
        });
      },

      addGroup: function () {
        var group = groupState({});
        this.groups.push(group);
        this.focus("group_" + group.uid);
      },
      removeGroup: function (groupIndex) {
        this.groups.splice(groupIndex, 1);
      },
      moveGroup: function (groupIndex, step) {
        var target = groupIndex + step;
        if (target < 0 || target >= this.groups.length) return;
        var moved = this.groups.splice(groupIndex, 1)[0];
        this.groups.splice(target, 0, moved);
      },

      addField: function (groupIndex) {
        if (this.fieldCount >= this.maxFields) return;
        var field = fieldState({ kind: "text" });
        this.groups[groupIndex].fields.push(field);
        this.open = field.uid;
        this.focus("label_" + field.uid);
      },
      removeField: function (groupIndex, fieldIndex) {
        this.groups[groupIndex].fields.splice(fieldIndex, 1);
      },
      /* Up and down within a group; past its first or last field, into the neighbouring group. */
      moveField: function (groupIndex, fieldIndex, step) {
        var fields = this.groups[groupIndex].fields;
        var target = fieldIndex + step;
        if (target >= 0 && target < fields.length) {
          var moved = fields.splice(fieldIndex, 1)[0];
          fields.splice(target, 0, moved);
          return;
        }
        var neighbour = this.groups[groupIndex + step];
        if (!neighbour) return;
        var field = fields.splice(fieldIndex, 1)[0];
        if (step < 0) neighbour.fields.push(field);
        else neighbour.fields.unshift(field);
      },
      toggle: function (field) {
        this.open = this.open === field.uid ? null : field.uid;
      },

      keysBesides: function (field) {
        var taken = new Set();
        this.groups.forEach(function (group) {
          group.fields.forEach(function (other) {
            if (other !== field && other.key) taken.add(other.key);
          });
        });
        return taken;
      },
      labelChanged: function (field) {
        if (field.keyTouched) return;
        field.key = field.label.trim() ? uniqueKey(keyFromLabel(field.label), this.keysBesides(field)) : "";
      },
      keyChanged: function (field) {
        field.keyTouched = field.key !== "";
      },

      /* Hints only: the server decides. */
      problems: function (field) {
        var found = [];
        if (field.key && (!KEY_PATTERN.test(field.key) || field.key.length > MAX_KEY_LENGTH)) {
          found.push(this.texts.badKey);
        } else if (field.key && this.keysBesides(field).has(field.key)) {
          found.push(this.texts.duplicateKey);
        }
        if (this.isChoice(field) && !choicesOf(field).length) found.push(this.texts.noChoices);
        if (field.kind === "number") {
          var low = numberOrNull(field.min);
          var high = numberOrNull(field.max);
          if (typeof low === "number" && typeof high === "number" && low > high) {
            found.push(this.texts.minAboveMax);
          }
        }
        return found;
      },
    };
  }

  document.addEventListener("alpine:init", function () {
    window.Alpine.data("worksheetBuilder", builder);
  });
})();
