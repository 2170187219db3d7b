// The board (看板): drag a card to another column to change the item's status.
// The server decides whether the move is allowed and says why not; this file asks for the
// reason or verification note the workflow needs, and puts the card back when refused.
document.addEventListener("DOMContentLoaded", () => {
  const board = document.querySelector("[data-board]");
  if (!board || !board.hasAttribute("data-movable") || !window.Sortable) return;
  const text = JSON.parse(document.getElementById("board-text").textContent);
  const messages = document.getElementById("board-messages");

  // Mirror of app.issues.service.needs_reason; the server checks it again.
  const FINISHED = ["closed", "dropped"];
  const needsReason = (from, to) =>
    to === "blocked" || to === "dropped" || FINISHED.includes(from) ||
    (from === "verifying" && to === "in_progress");

  const csrfToken = () => {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch {
      return "";
    }
  };

  const notify = (message, kind) => {
    const toast = document.createElement("div");
    toast.className = `toast align-items-center border-0 text-bg-${kind}`;
    toast.setAttribute("role", kind === "danger" ? "alert" : "status");
    const row = document.createElement("div");
    row.className = "d-flex";
    const body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = message;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close btn-close-white me-2 m-auto";
    close.setAttribute("data-bs-dismiss", "toast");
    close.setAttribute("aria-label", text.close);
    row.append(body, close);
    toast.append(row);
    messages.append(toast);
    toast.addEventListener("hidden.bs.toast", () => toast.remove());
    window.bootstrap.Toast.getOrCreateInstance(toast, { delay: kind === "danger" ? 8000 : 4000 }).show();
  };

  const adjustCount = (column, delta) => {
    const badge = column.querySelector(".board-count");
    const shown = Number(badge.dataset.shown) + delta;
    const total = Number(badge.dataset.total) + delta;
    badge.dataset.shown = shown;
    badge.dataset.total = total;
    badge.textContent = shown < total ? `${shown} / ${total}` : `${total}`;
  };

  // The lights the new status settles for certain (see app/issues/lights.py); any other
  // light depends on dates and shows after a reload.
  const settledLight = (status) => (FINISHED.includes(status) ? "grey" : status === "blocked" ? "red" : null);
  const setLight = (card, light) => {
    const dot = card.querySelector(".light-dot");
    card.className = card.className.replace(/\bboard-card-(red|yellow|green|grey)\b/, `board-card-${light}`);
    dot.className = dot.className.replace(/\blight-(red|yellow|green|grey)\b/, `light-${light}`);
  };

  const ask = (question) => {
    const answer = window.prompt(question);
    return answer === null ? null : answer.trim();
  };

  const moveStatus = async (event) => {
    const card = event.item;
    const fromColumn = event.from.closest("[data-column]");
    const toColumn = event.to.closest("[data-column]");
    const putBack = () => event.from.insertBefore(card, event.from.children[event.oldIndex] || null);
    const from = card.dataset.status;
    const to = toColumn.dataset.column;

    const body = new URLSearchParams({ status: to, version: card.dataset.version, reason: "", verification_note: "" });
    if (needsReason(from, to)) {
      const reason = ask(text.reason);
      if (reason === null) return putBack();
      body.set("reason", reason);
    }
    if (to === "closed") {
      const note = ask(text.verification);
      if (note === null) return putBack();
      body.set("verification_note", note);
    }

    const send = async () => {
      try {
        const response = await fetch(card.dataset.statusUrl, {
          method: "POST",
          headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
          body,
          credentials: "same-origin",
        });
        // Anything but JSON (a login page after the session ended, a CSRF error page) is a failure.
        if ((response.headers.get("Content-Type") || "").includes("application/json")) {
          return await response.json();
        }
      } catch {
        // a failure, told below
      }
      return null;
    };

    card.classList.add("is-saving");
    card.setAttribute("aria-busy", "true");
    let result = null;
    try {
      result = await send();
      // The server asks first (closing with open milestones or subtasks): ask the person,
      // then send the same move again, confirmed.
      if (result && result.confirm) {
        const question = [result.message, ...(result.details || [])].join("\n");
        if (!window.confirm(question)) return putBack();
        body.set("confirm", "1");
        result = await send();
      }
    } finally {
      card.classList.remove("is-saving");
      card.removeAttribute("aria-busy");
    }

    if (result && result.ok) {
      card.dataset.status = result.status;
      card.dataset.version = result.version;
      adjustCount(fromColumn, -1);
      adjustCount(toColumn, +1);
      const light = settledLight(result.status);
      if (light) setLight(card, light);
      notify(result.message, "success");
    } else {
      putBack();
      notify((result && result.message) || text.failed, "danger");
    }
  };

  board.querySelectorAll("[data-cards]").forEach((list) => {
    window.Sortable.create(list, {
      group: "board",
      sort: false, // a column is ordered by deadline, not by hand
      filter: ".is-saving",
      draggable: ".board-card",
      ghostClass: "board-card-ghost",
      chosenClass: "board-card-chosen",
      delay: 150,
      delayOnTouchOnly: true, // let a finger scroll the board sideways
      onEnd: (event) => {
        if (event.from !== event.to) moveStatus(event);
      },
    });
  });
});
