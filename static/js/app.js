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
  // Show or hide the end-date field when the role is (not) a temporary member.
  document.querySelectorAll("select[data-temporary-toggle]").forEach((select) => {
    const target = document.getElementById(select.dataset.temporaryToggle);
    if (!target) return;
    const update = () => target.classList.toggle("d-none", select.value !== "temp_member");
    select.addEventListener("change", update);
    update();
  });
});
