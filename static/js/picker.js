/* A searchable person picker: <select multiple data-picker> becomes a filter field, a
   list of checkboxes and the chosen people as removable chips. The select stays in the
   form (hidden) and keeps the selection, so the form posts exactly what it posted
   before; without JavaScript the plain select is shown. No inline script (CSP). */
(function () {
  "use strict";

  var counter = 0;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function fold(text) {
    return (text || "").toLocaleLowerCase().replace(/\s+/g, " ").trim();
  }

  function enhance(select) {
    if (select.dataset.pickerReady) return;
    select.dataset.pickerReady = "1";
    counter += 1;
    var id = select.id || "picker-" + counter;
    var texts = {
      filter: select.dataset.pickerFilter || "Type to filter",
      remove: select.dataset.pickerRemove || "Remove",
      empty: select.dataset.pickerEmpty || "No match",
    };

    var box = el("div", "picker");
    if (select.classList.contains("is-invalid")) box.classList.add("is-invalid", "border-danger");
    box.dataset.pickerFor = id;
    var chips = el("div", "picker-chips");
    chips.setAttribute("aria-live", "polite");
    var filter = el("input", "form-control picker-filter");
    filter.type = "search";
    filter.id = id + "-filter";
    filter.placeholder = texts.filter;
    filter.autocomplete = "off";
    var list = el("ul", "picker-list");
    list.id = id + "-options";
    list.setAttribute("role", "group");
    filter.setAttribute("aria-controls", list.id);
    var empty = el("li", "picker-empty", texts.empty);
    empty.hidden = true;

    var label = document.querySelector('label[for="' + id + '"]');
    if (label) {
      label.htmlFor = filter.id;
      list.setAttribute("aria-label", label.textContent.trim());
    }

    var rows = [];
    Array.prototype.forEach.call(select.options, function (option, index) {
      if (option.value === "") return;
      var item = el("li");
      var row = el("label", "picker-option");
      var box_ = el("input", "form-check-input mt-0");
      box_.type = "checkbox";
      box_.id = id + "-option-" + index;
      box_.value = option.value;
      box_.checked = option.selected;
      row.appendChild(box_);
      row.appendChild(el("span", "", option.textContent));
      item.appendChild(row);
      list.appendChild(item);
      var entry = { option: option, box: box_, item: item, text: fold(option.textContent) };
      rows.push(entry);
      box_.addEventListener("change", function () {
        option.selected = box_.checked;
        select.dispatchEvent(new Event("change", { bubbles: true }));
        drawChips();
      });
    });
    list.appendChild(empty);

    function drawChips() {
      chips.textContent = "";
      rows.forEach(function (entry) {
        if (!entry.option.selected) return;
        var chip = el("span", "picker-chip");
        chip.appendChild(el("span", "", entry.option.textContent));
        var remove = el("button", "", "\u00d7");
        remove.type = "button";
        remove.setAttribute("aria-label", texts.remove + " " + entry.option.textContent);
        remove.addEventListener("click", function () {
          entry.box.checked = false;
          entry.box.dispatchEvent(new Event("change"));
          filter.focus();
        });
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
    }

    function visible() {
      return rows.filter(function (entry) { return !entry.item.hidden; });
    }

    filter.addEventListener("input", function () {
      var query = fold(filter.value);
      rows.forEach(function (entry) {
        entry.item.hidden = query !== "" && entry.text.indexOf(query) === -1;
      });
      empty.hidden = visible().length > 0;
    });
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === "ArrowDown") {
        event.preventDefault(); // Enter here never submits the form
        var shown = visible();
        if (shown.length) shown[0].box.focus();
      }
    });
    list.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      var shown = visible();
      var at = shown.findIndex(function (entry) { return entry.box === document.activeElement; });
      if (at === -1) return;
      event.preventDefault();
      if (event.key === "ArrowUp" && at === 0) { filter.focus(); return; }
      var next = shown[at + (event.key === "ArrowDown" ? 1 : -1)];
      if (next) next.box.focus();
    });
    list.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.type === "checkbox") {
        event.preventDefault(); // Enter ticks, as Space does, and never submits
        event.target.click();
      }
    });

    box.appendChild(chips);
    box.appendChild(filter);
    box.appendChild(list);
    select.hidden = true;
    select.setAttribute("aria-hidden", "true");
    select.tabIndex = -1;
    select.parentNode.insertBefore(box, select.nextSibling);
    drawChips();
  }

  function enhanceAll(root) {
    (root || document).querySelectorAll("select[multiple][data-picker]").forEach(enhance);
  }

  document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  document.addEventListener("htmx:load", function (event) { enhanceAll(event.target); });
})();
