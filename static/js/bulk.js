// Selecting items of the problem list for a bulk change (批量操作). The checkboxes post
// with the bulk bar's form (form="bulk-form"); this only makes picking quicker: a range
// with shift-click, all on the page, and the twin of each row (the table on laptops, the
// cards on phones) kept in step so the count is right whichever one shows.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("bulk-form");
  if (!form) return;
  const boxes = Array.from(document.querySelectorAll("input[data-bulk-item]"));
  const badge = form.querySelector("[data-bulk-count]");
  // The fields show once something is picked: until then the bar is one line.
  const fields = form.querySelector("[data-bulk-fields]");
  const nothing = badge.textContent;
  const scope = document.querySelector("input[data-bulk-scope]");
  const allBox = document.querySelector("input[data-bulk-all]");
  const groupOf = (box) => (box.closest(".issue-cards") ? "cards" : "table");
  const inGroup = (group) => boxes.filter((box) => groupOf(box) === group);
  const last = {};

  const setItem = (id, checked) => {
    boxes
      .filter((box) => box.dataset.bulkItem === id)
      .forEach((box) => {
        box.checked = checked;
      });
  };

  const update = () => {
    const ids = new Set(boxes.filter((box) => box.checked).map((box) => box.dataset.bulkItem));
    if (scope && scope.checked) {
      badge.textContent = scope.labels[0].textContent.trim();
    } else if (ids.size) {
      badge.textContent = badge.dataset.template.replace("__N__", ids.size);
    } else {
      badge.textContent = nothing;
    }
    const picked = ids.size > 0 || Boolean(scope && scope.checked);
    if (fields) fields.hidden = !picked && !form.querySelector(".is-invalid");
    badge.classList.toggle("text-bg-primary", picked);
    badge.classList.toggle("text-bg-secondary", !(ids.size > 0 || (scope && scope.checked)));
    if (allBox) {
      const table = inGroup("table");
      const ticked = table.filter((box) => box.checked).length;
      allBox.checked = ticked > 0 && ticked === table.length;
      allBox.indeterminate = ticked > 0 && ticked < table.length;
    }
  };

  boxes.forEach((box) => {
    box.addEventListener("click", (event) => {
      const group = inGroup(groupOf(box));
      const here = group.indexOf(box);
      const before = last[groupOf(box)];
      if (event.shiftKey && before !== undefined && before !== here) {
        const [from, to] = before < here ? [before, here] : [here, before];
        group.slice(from, to + 1).forEach((other) => setItem(other.dataset.bulkItem, box.checked));
      } else {
        setItem(box.dataset.bulkItem, box.checked);
      }
      last[groupOf(box)] = here;
      update();
    });
  });

  if (allBox) {
    allBox.addEventListener("change", () => {
      inGroup("table").forEach((box) => setItem(box.dataset.bulkItem, allBox.checked));
      update();
    });
  }
  const allCards = document.querySelector("[data-bulk-all-cards]");
  if (allCards) {
    allCards.addEventListener("click", () => {
      const cards = inGroup("cards");
      const every = cards.every((box) => box.checked);
      cards.forEach((box) => setItem(box.dataset.bulkItem, !every));
      update();
    });
  }
  if (scope) scope.addEventListener("change", update);

  form.addEventListener("submit", (event) => {
    const any = boxes.some((box) => box.checked) || (scope && scope.checked);
    if (!any) {
      event.preventDefault();
      badge.classList.add("text-bg-warning");
    }
  });
  update();
});
