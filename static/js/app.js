// Small behaviours for every page. No inline scripts: the CSP forbids them.
document.addEventListener("DOMContentLoaded", () => {
  // Forms that ask before a consequential action: <form data-confirm="message">.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });
  // In a page that is one form (a meeting's), Enter in a field of one part presses that
  // part's button: <div data-enter-submits="button id">.
  document.querySelectorAll("[data-enter-submits]").forEach((part) => {
    part.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.isComposing || event.target.tagName !== "INPUT") return;
      const button = document.getElementById(part.dataset.enterSubmits);
      if (!button) return;
      event.preventDefault();
      button.click();
    });
  });
  // A select whose option groups belong to the choice of another (the dimensions of the
  // task force chosen on the intake form): <select data-follows="id-of-the-other">, each
  // <optgroup data-key="value-of-the-other">. Only the chosen one's group is offered; a
  // choice from another group is cleared. Nothing else on the page is touched.
  document.querySelectorAll("select[data-follows]").forEach((select) => {
    const leader = document.getElementById(select.dataset.follows);
    if (!leader) return;
    const update = () => {
      select.querySelectorAll("optgroup[data-key]").forEach((group) => {
        const offered = group.dataset.key === leader.value;
        group.hidden = !offered;
        group.disabled = !offered;
      });
      const chosen = select.selectedOptions[0];
      if (chosen && chosen.parentElement.disabled) select.value = "";
    };
    leader.addEventListener("change", update);
    update();
  });
  // Show or hide the end-date field when the role is (not) a temporary member.
  document.querySelectorAll("select[data-temporary-toggle]").forEach((select) => {
    const target = document.getElementById(select.dataset.temporaryToggle);
    if (!target) return;
    const update = () => target.classList.toggle("d-none", select.value !== "temp_member");
    select.addEventListener("change", update);
    update();
  });
});
