// The landing schedule (落地排期) as a read-only Gantt chart; the table below it holds the
// same data for printing and for browsers without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  const card = document.querySelector("[data-gantt-card]");
  const source = document.getElementById("schedule-tasks");
  if (!card || !source || !window.Gantt) return;

  // frappe-gantt writes a task's name with innerHTML: hand it text, not markup.
  const escapeHtml = (value) =>
    String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const tasks = JSON.parse(source.textContent).map((task) => ({ ...task, name: escapeHtml(task.name) }));

  // Open a fortnight back, so recent overdue milestones show beside the coming ones.
  const from = new Date();
  from.setDate(from.getDate() - 14);
  // A long schedule scrolls inside the chart, under its sticky date header.
  const barHeight = 24;
  const padding = 14;
  const maxHeight = Math.round(window.innerHeight * 0.7);
  const fullHeight = 100 + tasks.length * (barHeight + padding);

  card.hidden = false;
  const gantt = new window.Gantt("#schedule-gantt", tasks, {
    view_mode: "Week",
    language: document.documentElement.lang || "en",
    readonly: true,
    popup: false,
    today_button: false, // its label is not translatable
    infinite_padding: false,
    holidays: {}, // weekend shading is drawn with style attributes, which the CSP refuses
    bar_height: barHeight,
    padding,
    container_height: fullHeight > maxHeight ? maxHeight : "auto",
    scroll_to: from.toISOString().slice(0, 10),
    on_click: (task) => {
      window.location.assign(task.url);
    },
  });

  const buttons = card.querySelectorAll("[data-view-mode]");
  buttons.forEach((button) => {
    button.addEventListener("click", () => {
      gantt.change_view_mode(button.dataset.viewMode);
      buttons.forEach((other) => {
        const active = other === button;
        other.classList.toggle("active", active);
        other.setAttribute("aria-pressed", String(active));
      });
    });
  });
});
