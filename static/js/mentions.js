/* The @mention picker of a comment box: typing "@" and a few letters of a name, or of
   its pinyin ("ly", "liu" for 刘洋), lists the task force's members; choosing one writes
   "@刘洋 " into the text. The people come with the page (data-mention-people: name,
   "name · unit" and the pinyin keys the server computed). Without JavaScript one types
   "@刘洋" by hand. No inline script (CSP). */
(function () {
  "use strict";

  var counter = 0;

  function fold(text) {
    return (text || "").toLocaleLowerCase().trim();
  }

  function matches(person, query) {
    if (!query) return true;
    if (fold(person.name).indexOf(query) !== -1) return true;
    return (person.keys || "").split(" ").some(function (key) {
      return key.indexOf(query) === 0;
    });
  }

  /* The "@query" just before the caret, or null. */
  function pending(area) {
    var before = area.value.slice(0, area.selectionStart);
    var at = before.lastIndexOf("@");
    if (at === -1) return null;
    var prior = at > 0 ? before.charAt(at - 1) : "";
    if (/[A-Za-z0-9]/.test(prior)) return null; // an address, not a mention
    var query = before.slice(at + 1);
    if (query.length > 12 || /[\s@]/.test(query)) return null;
    return { start: at, query: fold(query) };
  }

  function enhance(area) {
    if (area.dataset.mentionReady) return;
    var people;
    try {
      people = JSON.parse(area.dataset.mentionPeople || "[]");
    } catch (error) {
      people = [];
    }
    if (!people.length) return;
    area.dataset.mentionReady = "1";
    counter += 1;
    var list = document.createElement("ul");
    list.className = "mention-list list-group shadow-sm";
    list.id = "mention-list-" + counter;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", area.dataset.mentionLabel || "Members");
    list.hidden = true;
    area.parentNode.appendChild(list);
    area.setAttribute("aria-controls", list.id);
    area.setAttribute("aria-autocomplete", "list");
    var shown = [];
    var active = 0;

    function close() {
      list.hidden = true;
      shown = [];
      area.removeAttribute("aria-activedescendant");
    }

    function choose(person) {
      var found = pending(area);
      if (!found) return close();
      var text = area.value;
      var caret = area.selectionStart;
      var insert = "@" + person.name + " ";
      area.value = text.slice(0, found.start) + insert + text.slice(caret);
      var at = found.start + insert.length;
      area.setSelectionRange(at, at);
      close();
      area.focus();
    }

    function draw() {
      list.textContent = "";
      if (!shown.length) {
        var empty = document.createElement("li");
        empty.className = "list-group-item small text-body-secondary";
        empty.textContent = area.dataset.mentionEmpty || "No match";
        list.appendChild(empty);
      }
      shown.forEach(function (person, index) {
        var item = document.createElement("li");
        item.className = "list-group-item list-group-item-action mention-option" + (index === active ? " active" : "");
        item.id = list.id + "-" + index;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", index === active ? "true" : "false");
        item.dataset.personId = person.id;
        item.textContent = person.label;
        item.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus (and the caret) in the text
          choose(person);
        });
        list.appendChild(item);
      });
      if (shown.length) area.setAttribute("aria-activedescendant", list.id + "-" + active);
      list.hidden = false;
    }

    function update() {
      var found = pending(area);
      if (!found) return close();
      shown = people.filter(function (person) { return matches(person, found.query); }).slice(0, 8);
      active = 0;
      draw();
    }

    area.addEventListener("input", update);
    area.addEventListener("click", update);
    area.addEventListener("blur", function () { window.setTimeout(close, 150); });
    area.addEventListener("keydown", function (event) {
      if (list.hidden || !shown.length) {
        if (event.key === "Escape") close();
        return;
      }
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        active = (active + (event.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
        draw();
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        choose(shown[active]);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-mention-people]"), enhance);
  }

  /* The thread arrives after the page (htmx): enhance its boxes, ask before a delete
     (app.js binds the forms that were there at first), and go to the comment the
     address names (a link from a message: "#comment-34"). */
  var arrived = false;
  function settle() {
    start();
    Array.prototype.forEach.call(document.querySelectorAll("#discussion form[data-confirm]"), function (form) {
      if (form.dataset.confirmReady) return;
      form.dataset.confirmReady = "1";
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
    var hash = window.location.hash;
    if (!arrived && hash.length > 1 && document.querySelector("[data-thread]")) {
      arrived = true;
      var target = document.getElementById(decodeURIComponent(hash.slice(1)));
      if (target) target.scrollIntoView();
    }
  }

  document.addEventListener("htmx:afterSettle", settle);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
